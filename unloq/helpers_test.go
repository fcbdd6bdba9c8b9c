package unloq

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Secrets used across the tests; none may ever appear in error text or logs.
const (
	testKey   = "live_SECRET-api-key-0123456789"
	testToken = "AUsecret-access-token-abcdefghijklmnopqrstuvwxyz"
	testOTP   = "731904"
)

// captured is one request as the server saw it.
type captured struct {
	Method   string
	Path     string
	RawQuery string
	Header   http.Header
	Body     []byte
}

// recorder captures requests and answers them with a handler.
type recorder struct {
	mu   sync.Mutex
	reqs []captured
}

func (rc *recorder) add(r *http.Request, body []byte) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.reqs = append(rc.reqs, captured{Method: r.Method, Path: r.URL.EscapedPath(), RawQuery: r.URL.RawQuery, Header: r.Header.Clone(), Body: body})
}

func (rc *recorder) all() []captured {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]captured(nil), rc.reqs...)
}

func (rc *recorder) last(t *testing.T) captured {
	t.Helper()
	all := rc.all()
	require.NotEmpty(t, all, "no request captured")
	return all[len(all)-1]
}

// newTestClient starts an http test server running h (after recording the
// request) and returns a client for its /v1 root.
func newTestClient(t *testing.T, h http.HandlerFunc, opts ...Option) (*Client, *recorder, *httptest.Server) {
	t.Helper()
	rc := &recorder{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.add(r, body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		h(w, r)
	}))
	t.Cleanup(srv.Close)
	all := append([]Option{WithBaseURL(srv.URL + "/v1"), WithAllowHTTP(), WithCallTimeout(5 * time.Second), WithApprovalTimeout(5 * time.Second)}, opts...)
	c, err := NewClient(testKey, all...)
	require.NoError(t, err)
	return c, rc, srv
}

// reply returns a handler that answers with a fixed status and body.
func reply(status int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

// ok returns a handler answering 200 with a Gen 2 success envelope.
func ok(typ, result string) http.HandlerFunc {
	return reply(http.StatusOK, fmt.Sprintf(`{"type":%q,"result":%s}`, typ, result))
}

// requireNoSecrets checks that err's text (and its chain's) holds no secret.
func requireNoSecrets(t *testing.T, err error, secrets ...string) {
	t.Helper()
	secrets = append(secrets, testKey, testToken, testOTP)
	for e := err; e != nil; {
		for _, s := range []string{e.Error(), fmt.Sprintf("%+v", e), fmt.Sprintf("%#v", e)} {
			for _, sec := range secrets {
				require.NotContains(t, s, sec, "secret leaked in error text")
			}
		}
		u, ok := e.(interface{ Unwrap() error })
		if !ok {
			break
		}
		e = u.Unwrap()
	}
}

// requireAPIError asserts err is an *Error with the given op and code.
func requireAPIError(t *testing.T, err error, op, code string, httpStatus int) *Error {
	t.Helper()
	require.Error(t, err)
	var e *Error
	require.ErrorAs(t, err, &e)
	require.Equal(t, op, e.Op, "op")
	require.Equal(t, code, e.Code, "code (error: %v)", err)
	require.Equal(t, httpStatus, e.HTTPStatus, "http status")
	require.True(t, strings.HasPrefix(err.Error(), "unloq: "+op+": "), "error text %q", err.Error())
	requireNoSecrets(t, err)
	return e
}

// requireJSONBody checks the exact JSON body and that no value is null.
func requireJSONBody(t *testing.T, want string, got []byte) {
	t.Helper()
	require.JSONEq(t, want, string(got))
	var m map[string]any
	require.NoError(t, json.Unmarshal(got, &m))
	for k, v := range m {
		require.NotNil(t, v, "field %q is null", k)
	}
}

// requireGen2Headers checks the Gen 2 request headers.
func requireGen2Headers(t *testing.T, c captured, withBody bool) {
	t.Helper()
	require.Equal(t, "Bearer "+testKey, c.Header.Get("Authorization"))
	require.Equal(t, "application/json", c.Header.Get("Accept"))
	if withBody {
		require.Equal(t, "application/json", c.Header.Get("Content-Type"))
	} else {
		require.Empty(t, c.Header.Get("Content-Type"))
		require.Empty(t, c.Body)
	}
	require.Equal(t, defaultUserAgent, c.Header.Get("User-Agent"))
}

func boolPtr(b bool) *bool { return &b }
