package middleware_test

import (
	"bufio"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/unloq2fa/unloq2fa/middleware"
)

// FuzzExemption: whatever the request line, a pending user reaches the
// application only if the path sent on the wire is byte for byte an
// exempt path and the method is one the rule allows.
func FuzzExemption(f *testing.F) {
	for _, s := range []struct{ method, target string }{
		{"GET", "/uauth/login"}, {"GET", "/uauth/login?token=x"}, {"POST", "/login/two-step"},
		{"GET", "/uauth%2Flogin"}, {"GET", "//uauth/login"}, {"GET", "/uauth/./login"},
		{"GET", "/uauth/login/../../dashboard"}, {"GET", "http://h/uauth/login"},
		{"HEAD", "/login/two-step#x"}, {"GET", "/uauth/login%3F"}, {"GET", "*"},
	} {
		f.Add(s.method, s.target)
	}
	e := newEnv(f)
	c := e.cookie(f, "u1", true)
	h := e.middleware(f).Wrap(app())
	allowed := map[string][]string{
		"/uauth/login":    {"GET", "HEAD"},
		"/login/two-step": {"GET", "HEAD", "POST"},
	}
	f.Fuzz(func(t *testing.T, method, target string) {
		raw := method + " " + target + " HTTP/1.1\r\nHost: app.test\r\nCookie: " + c.Name + "=" + c.Value + "\r\n\r\n"
		r, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw)))
		if err != nil || r.Method != method || r.RequestURI != target {
			return // not a request net/http would serve as such
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if rec.Header().Get("X-App") != "reached" {
			return
		}
		// The wire path: the target without query (and without scheme and
		// host in absolute form).
		wire := target
		if i := strings.Index(wire, "://"); i >= 0 && !strings.HasPrefix(wire, "/") {
			rest := wire[i+3:]
			j := strings.IndexByte(rest, '/')
			if j < 0 {
				t.Fatalf("reached with no path: %q %q", method, target)
			}
			wire = rest[j:]
		}
		if i := strings.IndexByte(wire, '?'); i >= 0 {
			wire = wire[:i]
		}
		methods, ok := allowed[wire]
		if !ok {
			t.Fatalf("pending user reached the app via %q %q (wire path %q)", method, target, wire)
		}
		found := false
		for _, m := range methods {
			found = found || m == method
		}
		if !found {
			t.Fatalf("method %q rode on the exemption of %q", method, wire)
		}
	})
}

// FuzzLoginNext: the next parameter of the login redirect is always a
// same-origin relative reference.
func FuzzLoginNext(f *testing.F) {
	for _, s := range []string{"/admin", "//evil.example/x", "/\\evil.example", "/a?b=//c", "http://evil/x",
		"/%2F%2Fevil", "/ok#frag", "/\t/evil", "/..//evil"} {
		f.Add(s)
	}
	e := newEnv(f)
	h := e.middleware(f).RequireVerified(app())
	f.Fuzz(func(t *testing.T, target string) {
		raw := "GET " + target + " HTTP/1.1\r\nHost: app.test\r\n\r\n"
		r, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw)))
		if err != nil {
			return
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		loc := rec.Header().Get("Location")
		if !strings.HasPrefix(loc, "/login") {
			t.Fatalf("redirect to %q", loc)
		}
		u, err := url.Parse(loc)
		if err != nil {
			t.Fatalf("bad Location %q: %v", loc, err)
		}
		next := u.Query().Get("next")
		if next == "" {
			return
		}
		if next[0] != '/' || (len(next) > 1 && (next[1] == '/' || next[1] == '\\')) || strings.ContainsAny(next, "\\\r\n\t\x00") {
			t.Fatalf("unsafe next %q for target %q", next, target)
		}
		n, err := url.Parse(next)
		if err != nil || n.Scheme != "" || n.Host != "" || n.User != nil {
			t.Fatalf("next %q is not same-origin relative", next)
		}
	})
}

// FuzzPrefersJSON: any Accept header is parsed without panicking.
func FuzzPrefersJSON(f *testing.F) {
	for _, s := range []string{"application/json", browserAccept, "application/json;q=0.5,;;q=,", "*/*;q=1.0000001"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, accept string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Accept", accept)
		got := middleware.PrefersJSON(r)
		if got && !strings.Contains(strings.ToLower(accept), "application/json") {
			t.Fatalf("JSON preferred without application/json in %q", accept)
		}
	})
}
