package unloq

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// hang blocks until the client goes away (or the test ends).
func hang(done <-chan struct{}) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-done:
		}
	}
}

// testDone returns a channel closed when the test ends (before servers close).
func testDone(t *testing.T) <-chan struct{} {
	ch := make(chan struct{})
	t.Cleanup(func() { close(ch) })
	return ch
}

// TestFaultyServers runs every endpoint family against broken replies; every
// one must be a typed error without secrets, never a success.
func TestFaultyServers(t *testing.T) {
	tests := []struct {
		name   string
		h      http.HandlerFunc
		code   string
		status int
	}{
		{"500 with HTML body", reply(500, "<html><body><h1>502 Bad Gateway</h1></body></html>"), codeInvalidResponse, 500},
		{"502 with empty body", reply(502, ""), codeServer, 502},
		{"200 with HTML body", reply(200, "<!doctype html><p>maintenance</p>"), codeInvalidResponse, 200},
		{"200 garbage JSON", reply(200, `{"type":"x","result":{"unloq_id":`), codeInvalidResponse, 200},
		{"200 trailing garbage", reply(200, `{"type":"x","result":{}} trailing`), codeInvalidResponse, 200},
		{"200 JSON array", reply(200, `[{"result":{}}]`), codeInvalidResponse, 200},
		{"200 JSON string", reply(200, `"ok"`), codeInvalidResponse, 200},
		{"200 empty body", reply(200, ""), codeInvalidResponse, 200},
		{"200 only whitespace pings", reply(200, "\n \n \n"), codeInvalidResponse, 200},
		{"200 without result", reply(200, `{"type":"api.application.approval.authenticate"}`), codeInvalidResponse, 200},
		{"200 with null result", reply(200, `{"type":"x","result":null}`), codeInvalidResponse, 200},
		{"200 with error object", reply(200, `{"error":{"code":"APPROVAL.DENIED","message":"no","status":400}}`), "APPROVAL.DENIED", 200},
		{"200 with result and error", reply(200, `{"result":{"token":"AUx","unloq_id":"1","email":"a@b"},"error":{"code":"X.Y"}}`), "X.Y", 200},
		{"200 with error string", reply(200, `{"error":"boom"}`), codeInvalidResponse, 200},
		{"non-2xx with result", reply(500, `{"type":"x","result":{"unloq_id":"1","token":"AUx","email":"a@b","enrolled":true}}`), codeServer, 500},
		{"201 is 2xx but 404 with result is not", reply(404, `{"result":{"enrolled":true,"email":"a@b","unloq_id":"1"}}`), codeServer, 404},
		{"4xx error without code", reply(400, `{"error":{"message":"bad"}}`), codeServer, 400},
		{"4xx error not an object", reply(400, `{"error":["x"]}`), codeServer, 400},
		{"gen1 error envelope", reply(401, `{"type":"error","code":"APPLICATION.NOT_FOUND","message":"bad key"}`), codeServer, 401},
		{"gen1 error envelope on 200", reply(200, `{"type":"error","code":"APPLICATION.NOT_FOUND","message":"bad key"}`), codeInvalidResponse, 200},
		{"gen1 error without type on 200", reply(200, `{"code":"X","message":"m"}`), codeInvalidResponse, 200},
		{"gen1 success envelope", reply(200, `{"type":"success","data":{"token":"AUx","id":"1"}}`), codeInvalidResponse, 200},
		{"redirect", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "https://evil.example/steal", http.StatusFound)
		}, codeServer, 302},
		{"oversized body", reply(200, `{"type":"x","result":{"pad":"`+strings.Repeat("a", 2048)+`"}}`), codeInvalidResponse, 200},
	}
	calls := []struct {
		op       string
		run      func(*Client) error
		noResult bool // the call's result carries nothing
	}{
		{"authenticate", func(c *Client) error {
			_, err := c.Authenticate(context.Background(), AuthenticateRequest{Email: "u@x.test", OTP: testOTP})
			return err
		}, false},
		{"token", func(c *Client) error {
			_, err := c.Token(context.Background(), TokenRequest{Token: testToken})
			return err
		}, false},
		{"enrolled", func(c *Client) error { _, err := c.Enrolled(context.Background(), "u@x.test"); return err }, false},
		{"token/session", func(c *Client) error {
			return c.AttachSession(context.Background(), SessionRequest{Token: testToken, SID: "s"})
		}, true},
	}
	// Successes for calls whose result carries nothing.
	noResultOK := map[string]bool{"200 without result": true, "200 with null result": true}
	for _, tt := range tests {
		for _, call := range calls {
			t.Run(tt.name+"/"+call.op, func(t *testing.T) {
				c, _, _ := newTestClient(t, tt.h, WithMaxResponseBytes(1024))
				err := call.run(c)
				if noResultOK[tt.name] && call.noResult {
					require.NoError(t, err)
					return
				}
				requireAPIError(t, err, call.op, tt.code, tt.status)
			})
		}
	}
}

func TestErrorStatusStringOrNumber(t *testing.T) {
	for _, body := range []string{
		`{"error":{"code":"APPROVAL.DENIED","ns":"approval","message":"m","status":400}}`,
		`{"error":{"code":"APPROVAL.DENIED","ns":"approval","message":"m","status":"400"}}`,
	} {
		c, _, _ := newTestClient(t, reply(400, body))
		_, err := c.Authenticate(context.Background(), AuthenticateRequest{Email: "u@x.test"})
		e := requireAPIError(t, err, "authenticate", "APPROVAL.DENIED", 400)
		assert.Equal(t, "400", e.Status)
		assert.Equal(t, "approval", e.NS)
		assert.Equal(t, "m", e.Message)
		assert.Equal(t, "unloq: authenticate: APPROVAL.DENIED (HTTP 400): m", err.Error())
	}
}

func TestWhitespacePingsBeforeJSON(t *testing.T) {
	c, _, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(200)
		f := w.(http.Flusher)
		for _, p := range []string{"\n", " ", "\n \n"} {
			_, _ = io.WriteString(w, p)
			f.Flush()
			time.Sleep(5 * time.Millisecond)
		}
		_, _ = io.WriteString(w, `{"type":"api.application.approval.authenticate","result":{"unloq_id":1234,"token":"AUping"}}`+"\n")
	})
	res, err := c.Authenticate(context.Background(), AuthenticateRequest{Email: "u@x.test"})
	require.NoError(t, err)
	assert.Equal(t, &ApprovalResult{UnloqID: "1234", Token: "AUping"}, res)
}

func TestRedirectNotFollowed(t *testing.T) {
	var targetHits atomic.Int32
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		targetHits.Add(1)
		ok("x", `{"unloq_id":"1","token":"AUstolen","enrolled":true}`)(w, r)
	}))
	t.Cleanup(target.Close)
	redirect := func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL+r.URL.Path, http.StatusTemporaryRedirect)
	}
	following := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return nil }}
	for _, opts := range [][]Option{nil, {WithHTTPClient(following)}} {
		c, rc, _ := newTestClient(t, redirect, opts...)
		_, err := c.Authenticate(context.Background(), AuthenticateRequest{Email: "u@x.test"})
		requireAPIError(t, err, "authenticate", codeServer, http.StatusTemporaryRedirect)
		_, err = c.Enrolled(context.Background(), "u@x.test")
		requireAPIError(t, err, "enrolled", codeServer, http.StatusTemporaryRedirect)
		assert.Len(t, rc.all(), 2)
	}
	assert.Zero(t, targetHits.Load(), "the key must never reach the redirect target")
	assert.NotNil(t, following.CheckRedirect, "the caller's client is not modified")
}

func TestTimeouts(t *testing.T) {
	t.Run("approval call uses the approval timeout", func(t *testing.T) {
		c, _, _ := newTestClient(t, hang(testDone(t)), WithApprovalTimeout(100*time.Millisecond), WithCallTimeout(10*time.Second))
		start := time.Now()
		_, err := c.Authenticate(context.Background(), AuthenticateRequest{Email: "u@x.test", OTP: testOTP})
		requireAPIError(t, err, "authenticate", codeNetwork, 0)
		assert.True(t, IsTimeout(err))
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		assert.ErrorIs(t, err, ErrNetwork)
		assert.Less(t, time.Since(start), 3*time.Second)
	})
	t.Run("other calls use the call timeout", func(t *testing.T) {
		c, _, _ := newTestClient(t, hang(testDone(t)), WithApprovalTimeout(10*time.Second), WithCallTimeout(100*time.Millisecond))
		start := time.Now()
		_, err := c.Token(context.Background(), TokenRequest{Token: testToken})
		requireAPIError(t, err, "token", codeNetwork, 0)
		assert.True(t, IsTimeout(err))
		assert.Less(t, time.Since(start), 3*time.Second)
	})
	t.Run("approval calls may outlast the call timeout", func(t *testing.T) {
		slow := func(w http.ResponseWriter, r *http.Request) {
			time.Sleep(300 * time.Millisecond)
			ok("x", `{"unloq_id":"1","token":"AUslow","email":"a@b.c","enrolled":true}`)(w, r)
		}
		c, _, _ := newTestClient(t, slow, WithApprovalTimeout(5*time.Second), WithCallTimeout(50*time.Millisecond))
		res, err := c.Authenticate(context.Background(), AuthenticateRequest{Email: "u@x.test"})
		require.NoError(t, err)
		assert.Equal(t, "AUslow", res.Token)
		_, err = c.Token(context.Background(), TokenRequest{Token: testToken})
		requireAPIError(t, err, "token", codeNetwork, 0)
		assert.True(t, IsTimeout(err))
	})
	t.Run("caller deadline wins", func(t *testing.T) {
		c, _, _ := newTestClient(t, hang(testDone(t)))
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		_, err := c.Authenticate(ctx, AuthenticateRequest{Email: "u@x.test"})
		e := requireAPIError(t, err, "authenticate", codeNetwork, 0)
		assert.True(t, IsTimeout(err))
		assert.Contains(t, e.Message, "caller's deadline")
	})
	t.Run("caller cancel", func(t *testing.T) {
		c, _, _ := newTestClient(t, hang(testDone(t)))
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(50*time.Millisecond, cancel)
		_, err := c.Enrolled(ctx, "u@x.test")
		requireAPIError(t, err, "enrolled", codeNetwork, 0)
		assert.ErrorIs(t, err, context.Canceled)
		assert.False(t, IsTimeout(err))
	})
	t.Run("slow body hits the timeout", func(t *testing.T) {
		done := testDone(t)
		slowBody := func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(200)
			_, _ = io.WriteString(w, `{"type":"x","result":{"unloq_id":"1",`)
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
			case <-done:
			}
		}
		c, _, _ := newTestClient(t, slowBody, WithApprovalTimeout(100*time.Millisecond))
		_, err := c.Authenticate(context.Background(), AuthenticateRequest{Email: "u@x.test"})
		requireAPIError(t, err, "authenticate", codeNetwork, 200)
		assert.True(t, IsTimeout(err))
	})
}

// dropFirst closes the first n connections without a reply (a network
// error that is not a timeout), then answers with h.
func dropFirst(n int32, h http.HandlerFunc) (http.HandlerFunc, *atomic.Int32) {
	var count atomic.Int32
	return func(w http.ResponseWriter, r *http.Request) {
		if count.Add(1) <= n {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				_ = conn.Close()
			}
			return
		}
		h(w, r)
	}, &count
}

func TestRetries(t *testing.T) {
	t.Run("enrolled retried once after a dropped connection", func(t *testing.T) {
		h, count := dropFirst(1, ok("api.application.enroll.check", `{"enrolled":true}`))
		c, _, _ := newTestClient(t, h)
		got, err := c.Enrolled(context.Background(), "u@x.test")
		require.NoError(t, err)
		assert.True(t, got)
		assert.EqualValues(t, 2, count.Load())
	})
	t.Run("enrolled retried only once", func(t *testing.T) {
		h, count := dropFirst(5, ok("api.application.enroll.check", `{"enrolled":true}`))
		c, _, _ := newTestClient(t, h)
		_, err := c.Enrolled(context.Background(), "u@x.test")
		requireAPIError(t, err, "enrolled", codeNetwork, 0)
		assert.False(t, IsTimeout(err))
		assert.EqualValues(t, 2, count.Load())
	})
	t.Run("enrolled not retried after a timeout", func(t *testing.T) {
		var count atomic.Int32
		done := testDone(t)
		c, _, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) { count.Add(1); hang(done)(w, r) }, WithCallTimeout(50*time.Millisecond))
		_, err := c.Enrolled(context.Background(), "u@x.test")
		requireAPIError(t, err, "enrolled", codeNetwork, 0)
		assert.EqualValues(t, 1, count.Load())
	})
	approvalCalls := map[string]func(*Client) error{
		"authenticate": func(c *Client) error {
			_, err := c.Authenticate(context.Background(), AuthenticateRequest{Email: "u@x.test"})
			return err
		},
		"authorize": func(c *Client) error {
			_, err := c.Authorize(context.Background(), "transfer", AuthorizeRequest{UnloqID: "1", Reference: "r"})
			return err
		},
		"encryption": func(c *Client) error {
			_, err := c.RequestEncryptionKey(context.Background(), EncryptionRequest{UnloqID: "1"})
			return err
		},
		"enroll": func(c *Client) error {
			_, err := c.Enroll(context.Background(), EnrollRequest{Email: "u@x.test"})
			return err
		},
		"token": func(c *Client) error {
			_, err := c.Token(context.Background(), TokenRequest{Token: testToken})
			return err
		},
	}
	for op, run := range approvalCalls {
		t.Run(op+" never retried", func(t *testing.T) {
			h, count := dropFirst(1, ok("x", `{"unloq_id":"1","token":"AUx","email":"a@b.c"}`))
			c, _, _ := newTestClient(t, h)
			err := run(c)
			requireAPIError(t, err, op, codeNetwork, 0)
			assert.EqualValues(t, 1, count.Load())
		})
	}
}

func TestConnectionRefused(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	base := srv.URL
	srv.Close()
	c, err := NewClient(testKey, WithBaseURL(base+"/v1"), WithAllowHTTP())
	require.NoError(t, err)
	_, err = c.Authenticate(context.Background(), AuthenticateRequest{Email: "u@x.test", OTP: testOTP})
	e := requireAPIError(t, err, "authenticate", codeNetwork, 0)
	require.Error(t, e.Err)
	assert.NotContains(t, err.Error(), base, "the URL is not repeated in the error")
	var ue interface{ Timeout() bool }
	assert.False(t, errors.As(err, &ue) && ue.Timeout())
}

// TestServerEchoesSecrets: a server that puts the key or the OTP in its
// error reply must not get them into the error text.
func TestServerEchoesSecrets(t *testing.T) {
	body := `{"error":{"code":"APPROVAL.TOKEN","ns":"` + testKey + `","message":"bad key ` + testKey + ` or otp ` + testOTP + `\nX-Injected: 1","status":"` + testOTP + `"}}`
	c, _, _ := newTestClient(t, reply(400, body))
	_, err := c.Authenticate(context.Background(), AuthenticateRequest{Email: "u@x.test", OTP: testOTP})
	e := requireAPIError(t, err, "authenticate", "APPROVAL.TOKEN", 400)
	assert.NotContains(t, e.Message, "\n")
	assert.Contains(t, e.Message, "[redacted]")
}

func TestLongMessageTruncated(t *testing.T) {
	c, _, _ := newTestClient(t, reply(400, `{"error":{"code":"X.Y","message":"`+strings.Repeat("é", 600)+`"}}`))
	_, err := c.Token(context.Background(), TokenRequest{Token: testToken})
	e := requireAPIError(t, err, "token", "X.Y", 400)
	assert.LessOrEqual(t, len(e.Message), maxMessageLen+len("…"))
	assert.True(t, strings.HasSuffix(e.Message, "…"))
}
