package unloq

import (
	"context"
	"log/slog"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNewClientOptions(t *testing.T) {
	tests := []struct {
		name    string
		key     string
		opts    []Option
		wantErr string
	}{
		{"defaults", testKey, nil, ""},
		{"https base", testKey, []Option{WithBaseURL("https://api-authenticator.iwelcome.com/v1")}, ""},
		{"http base with allow", testKey, []Option{WithBaseURL("http://127.0.0.1:8080/v1"), WithAllowHTTP()}, ""},
		{"allow before base", testKey, []Option{WithAllowHTTP(), WithBaseURL("http://127.0.0.1:8080/v1")}, ""},
		{"nil option ignored", testKey, []Option{nil}, ""},
		{"all options", testKey, []Option{WithHTTPClient(&http.Client{}), WithApprovalTimeout(time.Second), WithCallTimeout(time.Second),
			WithMaxResponseBytes(10), WithLogger(slog.New(slog.DiscardHandler)), WithUserAgent("app/1")}, ""},
		{"nil logger", testKey, []Option{WithLogger(nil)}, "unloq: WithLogger: nil logger"},
		{"empty key", "", nil, "empty API key"},
		{"key with newline", "abc\r\nX-Evil: 1", nil, "whitespace or control"},
		{"key with space", "abc def", nil, "whitespace or control"},
		{"http base without allow", testKey, []Option{WithBaseURL("http://api.unloq.io/v1")}, "not https"},
		{"ftp base", testKey, []Option{WithBaseURL("ftp://api.unloq.io/v1")}, "scheme"},
		{"relative base", testKey, []Option{WithBaseURL("/v1")}, "scheme"},
		{"no host", testKey, []Option{WithBaseURL("https:///v1")}, "missing host"},
		{"credentials in base", testKey, []Option{WithBaseURL("https://u:p@api.unloq.io/v1")}, "credentials"},
		{"query in base", testKey, []Option{WithBaseURL("https://api.unloq.io/v1?x=1")}, "query"},
		{"fragment in base", testKey, []Option{WithBaseURL("https://api.unloq.io/v1#x")}, "fragment"},
		{"unparsable base", testKey, []Option{WithBaseURL("https://[::1")}, "base URL"},
		{"nil http client", testKey, []Option{WithHTTPClient(nil)}, "nil"},
		{"zero approval timeout", testKey, []Option{WithApprovalTimeout(0)}, "positive"},
		{"negative call timeout", testKey, []Option{WithCallTimeout(-time.Second)}, "positive"},
		{"zero max bytes", testKey, []Option{WithMaxResponseBytes(0)}, "positive"},
		{"bad user agent", testKey, []Option{WithUserAgent("a\nb")}, "user agent"},
		{"empty user agent", testKey, []Option{WithUserAgent("")}, "user agent"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := NewClient(tt.key, tt.opts...)
			if tt.wantErr == "" {
				require.NoError(t, err)
				require.NotNil(t, c)
				return
			}
			require.Error(t, err)
			assert.Nil(t, c)
			assert.Contains(t, err.Error(), tt.wantErr)
			assert.True(t, strings.HasPrefix(err.Error(), "unloq: "), err.Error())
			if tt.key != "" {
				assert.NotContains(t, err.Error(), tt.key)
			}
		})
	}
}

func TestClientDefaults(t *testing.T) {
	c, err := NewClient(testKey)
	require.NoError(t, err)
	assert.Equal(t, DefaultBaseURL, c.baseURL)
	assert.Equal(t, 45*time.Second, c.approvalTimeout)
	assert.Equal(t, 10*time.Second, c.callTimeout)
	assert.EqualValues(t, 1<<20, c.maxResponseBytes)
	assert.Nil(t, c.logger)
	require.NotNil(t, c.hc.CheckRedirect)
	assert.Equal(t, http.ErrUseLastResponse, c.hc.CheckRedirect(nil, nil))
}

func TestBaseURLTrailingSlash(t *testing.T) {
	c, rc, srv := newTestClient(t, ok("api.application.enroll.check", `{"enrolled":true}`))
	c2, err := NewClient(testKey, WithBaseURL(srv.URL+"/v1/"), WithAllowHTTP())
	require.NoError(t, err)
	for _, cl := range []*Client{c, c2} {
		_, err := cl.Enrolled(context.Background(), "u@x.test")
		require.NoError(t, err)
		assert.Equal(t, "/v1/enrolled", rc.last(t).Path)
	}
}

func TestMaxResponseBytesBoundary(t *testing.T) {
	body := `{"type":"x","result":{"enrolled":true}}`
	for _, tt := range []struct {
		max int64
		ok  bool
	}{{int64(len(body)), true}, {int64(len(body)) - 1, false}, {math.MaxInt64, true}} {
		c, _, _ := newTestClient(t, reply(200, body), WithMaxResponseBytes(tt.max))
		_, err := c.Enrolled(context.Background(), "u@x.test")
		if tt.ok {
			require.NoError(t, err, "max %d", tt.max)
		} else {
			requireAPIError(t, err, "enrolled", codeInvalidResponse, 200)
		}
	}
}

func TestUserAgentOption(t *testing.T) {
	c, rc, _ := newTestClient(t, ok("x", `{"deactivated":true}`), WithUserAgent("myapp/2.0"))
	require.NoError(t, c.Deactivate(context.Background(), "u@x.test"))
	assert.Equal(t, "myapp/2.0", rc.last(t).Header.Get("User-Agent"))
}

func TestWithHTTPClientTransportUsed(t *testing.T) {
	var used bool
	hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		used = true
		return http.DefaultTransport.RoundTrip(r)
	})}
	c, _, _ := newTestClient(t, ok("x", `{"deactivated":true}`), WithHTTPClient(hc))
	require.NoError(t, c.Deactivate(context.Background(), "u@x.test"))
	assert.True(t, used)
	assert.Nil(t, hc.CheckRedirect, "the caller's client is not modified")
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestNilContext: a nil context is treated as context.Background.
func TestNilContext(t *testing.T) {
	c, _, _ := newTestClient(t, ok("x", `{"enrolled":true}`))
	//lint:ignore SA1012 a nil context is what this test checks
	got, err := c.Enrolled(nil, "u@x.test")
	require.NoError(t, err)
	assert.True(t, got)
}

// TestConcurrentUse exercises one client from many goroutines (-race).
func TestConcurrentUse(t *testing.T) {
	c, rc, _ := newTestClient(t, ok("x", `{"enrolled":true,"unloq_id":"1","token":"AUx","email":"a@b.c"}`))
	errs := make(chan error, 20)
	for i := 0; i < 20; i++ {
		go func(i int) {
			var err error
			if i%2 == 0 {
				_, err = c.Enrolled(context.Background(), "u@x.test")
			} else {
				_, err = c.Token(context.Background(), TokenRequest{Token: testToken})
			}
			errs <- err
		}(i)
	}
	for i := 0; i < 20; i++ {
		require.NoError(t, <-errs)
	}
	assert.Len(t, rc.all(), 20)
}
