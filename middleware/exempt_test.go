package middleware_test

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/middleware"
)

// rawRequest sends one request with a verbatim request target to a real
// server, so that the test sees exactly what net/http parses.
func rawRequest(t *testing.T, addr, method, target, cookie string) *http.Response {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer conn.Close()
	_, err = fmt.Fprintf(conn, "%s %s HTTP/1.1\r\nHost: app.test\r\nCookie: %s\r\nConnection: close\r\n\r\n", method, target, cookie)
	require.NoError(t, err)
	res, err := http.ReadResponse(bufio.NewReader(conn), &http.Request{Method: method})
	require.NoError(t, err)
	res.Body.Close()
	return res
}

// TestExemptionsMatchExactly: a pending user reaches only the exempt
// routes, matched on method, decoded path and escaped path; every trick to
// ride on an exemption is redirected to the two-step page.
func TestExemptionsMatchExactly(t *testing.T) {
	e := newEnv(t)
	c := e.cookie(t, "u1", true)
	srv := httptest.NewServer(e.middleware(t).Wrap(app()))
	defer srv.Close()
	addr := srv.Listener.Addr().String()

	tests := []struct {
		method, target string
		exempt         bool
	}{
		{"GET", "/uauth/login", true},
		{"HEAD", "/uauth/login", true},
		{"GET", "/uauth/login?token=AU123", true},
		{"GET", "/uauth/login?next=%2F%2Fevil&x=..%2F", true},
		{"GET", "/login/two-step", true},
		{"HEAD", "/login/two-step", true},
		{"POST", "/login/two-step", true},
		{"POST", "/login/two-step?otp=1", true},
		{"GET", "http://app.test/uauth/login", true}, // absolute-form, same path

		{"POST", "/uauth/login", false},
		{"PUT", "/login/two-step", false},
		{"DELETE", "/login/two-step", false},
		{"OPTIONS", "/uauth/login", false},
		{"get", "/uauth/login", false},
		{"GET", "/uauth%2Flogin", false},
		{"GET", "/uauth%2flogin", false},
		{"GET", "/uauth/%6Cogin", false},
		{"GET", "/%75auth/login", false},
		{"GET", "/uauth/login/", false},
		{"GET", "/uauth/login//", false},
		{"GET", "//uauth/login", false},
		{"GET", "/uauth//login", false},
		{"GET", "/uauth/./login", false},
		{"GET", "/./uauth/login", false},
		{"GET", "/uauth/login/.", false},
		{"GET", "/uauth/login/../../dashboard", false},
		{"GET", "/uauth/login/..%2F..%2Fdashboard", false},
		{"GET", "/uauth/login%2F..%2F..%2Fdashboard", false},
		{"GET", "/UAUTH/login", false},
		{"GET", "/uauth/LOGIN", false},
		{"GET", "/uauth/login%00", false},
		{"GET", "/uauth/login%20", false},
		{"GET", "/uauth/login;x=1", false},
		{"GET", "/uauth/login.json", false},
		{"GET", "/uauth", false},
		{"GET", "/login/two-step/extra", false},
		{"GET", "/login/two-step%3F", false},
		{"GET", "/dashboard", false},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.target, func(t *testing.T) {
			res := rawRequest(t, addr, tt.method, tt.target, c.Name+"="+c.Value)
			if tt.exempt {
				assert.Equal(t, http.StatusOK, res.StatusCode)
				assert.Equal(t, "reached", res.Header.Get("X-App"))
				assert.Empty(t, res.Header.Get("X-Attached"), "exempt routes decode nothing")
				return
			}
			assert.Empty(t, res.Header.Get("X-App"), "the app must not be reached")
			if res.StatusCode == http.StatusBadRequest {
				return // rejected by net/http itself: fine
			}
			assert.Contains(t, []int{http.StatusFound, http.StatusSeeOther}, res.StatusCode)
			assert.Equal(t, "/login/two-step", res.Header.Get("Location"))
		})
	}
}

// TestExemptPathDecodesNothing: no store access and no allocation beyond
// the handler's own on an exempt route.
func TestExemptPathDecodesNothing(t *testing.T) {
	e := newEnv(t)
	c := e.cookie(t, "u1", true)
	m := e.middleware(t)
	before := e.store.count()
	next := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	h := m.Wrap(next)
	r := httptest.NewRequest("GET", "/uauth/login?token=x", nil)
	r.AddCookie(c)
	w := httptest.NewRecorder()
	allocs := testing.AllocsPerRun(200, func() { h.ServeHTTP(w, r) })
	assert.Zero(t, allocs, "exempt path must not allocate")
	assert.Equal(t, before, e.store.count(), "exempt path must not decode")
}

func TestCustomExemptions(t *testing.T) {
	e := newEnv(t)
	c := e.cookie(t, "u1", true)
	m := e.middleware(t,
		middleware.WithTwoStepPath("/2fa"),
		middleware.WithLoginPath("/signin"),
	)
	h := m.Wrap(app())
	// Default exemptions follow the two-step path.
	assert.Equal(t, http.StatusOK, do(h, "GET", "/2fa", c, "").Code)
	assert.Equal(t, http.StatusOK, do(h, "POST", "/2fa", c, "").Code)
	assert.Equal(t, http.StatusOK, do(h, "GET", "/uauth/login", c, "").Code)
	rec := do(h, "GET", "/login/two-step", c, "")
	assert.Equal(t, http.StatusFound, rec.Code)
	assert.Equal(t, "/2fa", rec.Header().Get("Location"))

	// WithExemptions replaces the defaults.
	m = e.middleware(t, middleware.WithExemptions(
		middleware.Exemption{Method: "GET", Path: "/login/two-step"},
		middleware.Exemption{Method: "POST", Path: "/logout"},
	))
	h = m.Wrap(app())
	assert.Equal(t, http.StatusOK, do(h, "POST", "/logout", c, "").Code)
	assert.Equal(t, http.StatusOK, do(h, "GET", "/login/two-step", c, "").Code)
	assert.Equal(t, http.StatusSeeOther, do(h, "POST", "/login/two-step", c, "").Code)
	assert.Equal(t, http.StatusFound, do(h, "GET", "/uauth/login", c, "").Code)

	// WithExtraExemptions adds to the defaults, exactly and per method.
	m = e.middleware(t, middleware.WithExtraExemptions(middleware.Exemption{Method: "POST", Path: "/logout"}))
	h = m.Wrap(app())
	assert.Equal(t, http.StatusOK, do(h, "POST", "/logout", c, "").Code)
	assert.Equal(t, http.StatusOK, do(h, "POST", "/login/two-step", c, "").Code)
	assert.Equal(t, http.StatusOK, do(h, "GET", "/uauth/login", c, "").Code)
	assert.Equal(t, http.StatusFound, do(h, "GET", "/logout", c, "").Code)
	assert.Equal(t, http.StatusSeeOther, do(h, "POST", "/logout/", c, "").Code)
	_, err := middleware.New(e.sm, middleware.WithExtraExemptions(middleware.Exemption{Method: "POST", Path: "/a/../logout"}))
	assert.Error(t, err, "unclean paths are refused")
}

// TestExemptionSet: rules for the same path merge; unusual methods and long
// paths match exactly too.
func TestExemptionSet(t *testing.T) {
	e := newEnv(t)
	c := e.cookie(t, "u1", true)
	long := "/" + strings.Repeat("a", 70) + "/callback"
	h := e.middleware(t, middleware.WithExemptions(
		middleware.Exemption{Method: "GET", Path: "/dav"},
		middleware.Exemption{Method: "PROPFIND", Path: "/dav"},
		middleware.Exemption{Method: "PROPFIND", Path: "/dav"},
		middleware.Exemption{Method: "POST", Path: long},
	)).Wrap(app())
	tests := []struct {
		method, path string
		exempt       bool
	}{
		{"GET", "/dav", true},
		{"PROPFIND", "/dav", true},
		{"PROPPATCH", "/dav", false},
		{"PUT", "/dav", false},
		{"HEAD", "/dav", false},
		{"POST", long, true},
		{"GET", long, false},
		{"POST", long + "x", false},
		{"POST", long[:len(long)-1], false},
		{"POST", "/" + strings.Repeat("b", 70) + "/callback", false},
	}
	for _, tt := range tests {
		rec := do(h, tt.method, tt.path, c, "")
		assert.Equal(t, tt.exempt, rec.Header().Get("X-App") == "reached", "%s %s", tt.method, tt.path)
	}
}

func TestNewValidation(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name    string
		opts    []middleware.Option
		wantErr string
	}{
		{"defaults", nil, ""},
		{"relative two-step", []middleware.Option{middleware.WithTwoStepPath("login/two-step")}, "not absolute"},
		{"trailing slash", []middleware.Option{middleware.WithTwoStepPath("/2fa/")}, "not clean"},
		{"dot segment", []middleware.Option{middleware.WithLoginPath("/a/../login")}, "not clean"},
		{"double slash", []middleware.Option{middleware.WithLoginPath("//login")}, "not clean"},
		{"needs escaping", []middleware.Option{middleware.WithLoginPath("/log in")}, "need escaping"},
		{"query in path", []middleware.Option{middleware.WithLoginPath("/login?x=1")}, "need escaping"},
		{"lower-case method", []middleware.Option{middleware.WithExemptions(middleware.Exemption{Method: "get", Path: "/x"})}, "invalid method"},
		{"empty method", []middleware.Option{middleware.WithExemptions(middleware.Exemption{Path: "/x"})}, "invalid method"},
		{"bad exemption path", []middleware.Option{middleware.WithExemptions(middleware.Exemption{Method: "GET", Path: "/x/"})}, "not clean"},
		{"escaped exemption path", []middleware.Option{middleware.WithExemptions(middleware.Exemption{Method: "GET", Path: "/a%2Fb"})}, "need escaping"},
		{"nil detector", []middleware.Option{middleware.WithAPIDetector(nil)}, "nil function"},
		{"nil logger", []middleware.Option{middleware.WithLogger(nil)}, "nil logger"},
		{"no exemptions", []middleware.Option{middleware.WithExemptions()}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := middleware.New(e.sm, tt.opts...)
			if tt.wantErr == "" {
				require.NoError(t, err)
				require.NotNil(t, m)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
			assert.True(t, strings.HasPrefix(err.Error(), "middleware: "), err.Error())
		})
	}
	_, err := middleware.New(nil)
	assert.ErrorContains(t, err, "nil session manager")
	m := e.middleware(t)
	assert.Panics(t, func() { m.Wrap(nil) })
	assert.Panics(t, func() { m.RequireVerified(nil) })
}

func TestAPIDetector(t *testing.T) {
	e := newEnv(t)
	c := e.cookie(t, "u1", true)
	m := e.middleware(t, middleware.WithAPIDetector(func(r *http.Request) bool {
		return strings.HasPrefix(r.URL.Path, "/api/")
	}))
	h := m.Wrap(app())
	assert.Equal(t, http.StatusUnauthorized, do(h, "GET", "/api/items", c, "").Code)
	assert.Equal(t, http.StatusFound, do(h, "GET", "/items", c, "application/json").Code)
	// HEAD gets the status without a body.
	rec := do(h, "HEAD", "/api/items", c, "")
	assert.Equal(t, http.StatusUnauthorized, rec.Code)
	assert.Zero(t, rec.Body.Len())
}

func TestPrefersJSON(t *testing.T) {
	tests := []struct {
		accept string
		want   bool
	}{
		{"", false},
		{"*/*", false},
		{"text/html", false},
		{browserAccept, false},
		{"application/json", true},
		{"Application/JSON", true},
		{"application/json; charset=utf-8", true},
		{"application/json, text/plain, */*", true}, // axios
		{"text/html, application/json", false},
		{"application/json, text/html", true},
		{"text/html;q=0.9, application/json", true},
		{"application/json;q=0.5, text/html", false},
		{"application/json;q=0.5, */*;q=0.1", true},
		{"application/json;q=0", false},
		{"application/json;q=abc", false},
		{"application/json;q=1.5", false},
		{"application/json;q=0.999", true},
		{"application/*", false},
		{"text/*, application/json", false},
		{"text/*;q=0.5, application/json", true},
	}
	for _, tt := range tests {
		t.Run(tt.accept, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			if tt.accept != "" {
				r.Header.Set("Accept", tt.accept)
			}
			assert.Equal(t, tt.want, middleware.PrefersJSON(r))
		})
	}
}
