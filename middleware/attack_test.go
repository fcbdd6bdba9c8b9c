package middleware_test

// Attack tests: more ways to ride on an exemption than the exemption table
// tries.

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestAttackExemptionRiding: a pending user never reaches the app through
// other escaped forms of an exempt path, other methods, or a method
// override (which the middleware, like net/http, ignores).
func TestAttackExemptionRiding(t *testing.T) {
	e := newEnv(t)
	c := e.cookie(t, "u1", true)
	srv := httptest.NewServer(e.middleware(t).Wrap(app()))
	defer srv.Close()
	addr := srv.Listener.Addr().String()

	for _, tt := range []struct{ method, target string }{
		{"GET", "/uauth/%2E/login"},
		{"GET", "/uauth/%2e%2e/uauth/login"},
		{"GET", "/uauth/login%2F"},
		{"GET", "/%2Fuauth/login"},
		{"GET", "/uauth/login%23"},
		{"GET", "/uauth/login%3Ftoken=AU1"},
		{"GET", "/uauth/login/%2E%2E/login"},
		{"GET", "/uauth/login%5C"},
		{"GET", "/uauth\\login"},
		{"GET", "/uauth/lo%67in"},
		{"GET", "http://app.test/uauth%2Flogin"},
		{"GET", "http://app.test//uauth/login"},
		{"GET", "*"},
		{"Get", "/uauth/login"},
		{"PATCH", "/login/two-step"},
		{"TRACE", "/login/two-step"},
		{"PROPFIND", "/login/two-step"},
		{"OPTIONS", "/login/two-step"},
		{"POST", "/login/two-step/"},
		{"POST", "/login/two-step%2F"},
		{"POST", "/login/%74wo-step"},
	} {
		res := rawRequest(t, addr, tt.method, tt.target, c.Name+"="+c.Value)
		assert.Empty(t, res.Header.Get("X-App"), "%s %s reached the app", tt.method, tt.target)
	}

	// A POST to the GET-only callback that claims to be a GET.
	h := e.middleware(t).Wrap(app())
	for _, hdr := range []string{"X-HTTP-Method-Override", "X-HTTP-Method", "X-Method-Override"} {
		r := httptest.NewRequest(http.MethodPost, "/uauth/login?_method=GET", nil)
		r.Header.Set(hdr, "GET")
		r.AddCookie(c)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		assert.Empty(t, rec.Header().Get("X-App"), hdr)
		assert.Equal(t, http.StatusSeeOther, rec.Code, hdr)
		assert.Equal(t, "/login/two-step", rec.Header().Get("Location"), hdr)
	}
}

// TestAttackRefusalsAreNotCached: every refusal the middleware writes is
// marked no-store, so a shared cache never replays one user's redirect
// (or 401) to another.
func TestAttackRefusalsAreNotCached(t *testing.T) {
	e := newEnv(t)
	m := e.middleware(t)
	for name, kind := range map[string]cookieKind{"pending": pendingCookie, "expired": expiredCookie} {
		for _, accept := range []string{browserAccept, "application/json"} {
			for _, method := range []string{http.MethodGet, http.MethodHead, http.MethodPost} {
				rec := do(m.Wrap(app()), method, "/dashboard", e.cookieOf(t, kind), accept)
				assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"), name+" "+accept+" "+method)
				rec = do(m.RequireVerified(app()), method, "/admin", e.cookieOf(t, kind), accept)
				assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"), name+" "+accept+" "+method)
			}
		}
	}
	rec := do(m.RequireVerified(app()), http.MethodGet, "/admin", nil, "")
	assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"), "anonymous")
}
