package handlers_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/handlers"
	"github.com/unloq2fa/unloq2fa/store"
	"github.com/unloq2fa/unloq2fa/unloq/unloqtest"
)

func assertSecurityHeaders(t *testing.T, what string, h http.Header) {
	t.Helper()
	assert.Equal(t, "no-store", h.Get("Cache-Control"), what)
	assert.Equal(t, "no-referrer", h.Get("Referrer-Policy"), what)
	assert.Equal(t, "DENY", h.Get("X-Frame-Options"), what)
	assert.Equal(t, "frame-ancestors 'none'", h.Get("Content-Security-Policy"), what)
}

func TestSecurityHeadersOnEveryPage(t *testing.T) {
	e := newEnv(t)
	pending := e.browser()
	pending.login("1", "")
	verified := e.browser()
	verified.loginVerified("4", dave)
	anon := e.browser()
	e.behave(alice, unloqtest.BehaviorDeny)

	cases := []struct {
		name string
		do   func() result
	}{
		{"password step redirect", func() result { return e.browser().post("/login", url.Values{"user_id": {"1"}}) }},
		{"two-step page", func() result { return pending.get("/login/two-step") }},
		{"two-step anonymous", func() result { return anon.get("/login/two-step") }},
		{"two-step denied", func() result { return pending.post("/login/two-step", nil) }},
		{"two-step 405", func() result { return pending.do(http.MethodPut, "/login/two-step", nil, nil) }},
		{"callback error", func() result { return pending.get("/uauth/login?token=bad") }},
		{"enable QR page", func() result { return verified.post("/settings/2fa/enable", nil) }},
		{"enable status", func() result { return verified.get("/settings/2fa/enable/status") }},
		{"enable anonymous", func() result { return anon.post("/settings/2fa/enable", nil) }},
		{"disable not on", func() result { return verified.post("/settings/2fa/disable", nil) }},
		{"cross-site", func() result {
			return verified.do(http.MethodPost, "/settings/2fa/disable", url.Values{}, map[string]string{"Sec-Fetch-Site": "cross-site"})
		}},
	}
	for _, tc := range cases {
		r := tc.do()
		require.NoError(t, r.err)
		assertSecurityHeaders(t, tc.name, r.hdr)
	}
	// The handlers set them themselves, without Register's mux too.
	for name, h := range map[string]http.Handler{"TwoStep": e.h.TwoStep(), "Callback": e.h.Callback(), "Enable": e.h.Enable(), "EnableStatus": e.h.EnableStatus(), "Disable": e.h.Disable()} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPatch, "/x", nil))
		assert.Equal(t, http.StatusMethodNotAllowed, rec.Code, name)
		assertSecurityHeaders(t, name, rec.Header())
	}
}

func TestPOSTOnlyRoutes(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.loginVerified("1", alice)
	for _, path := range []string{"/settings/2fa/enable", "/settings/2fa/disable"} {
		for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPut, http.MethodDelete} {
			r := b.do(m, path, nil, nil)
			assert.Equal(t, http.StatusMethodNotAllowed, r.code, m+" "+path)
			assert.Contains(t, r.hdr.Get("Allow"), "POST", m+" "+path)
		}
		// The handler alone (without the mux's method patterns) too.
		h := map[string]http.Handler{"/settings/2fa/enable": e.h.Enable(), "/settings/2fa/disable": e.h.Disable()}[path]
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		assert.Equal(t, http.StatusMethodNotAllowed, rec.Code)
		assert.Equal(t, "POST", rec.Header().Get("Allow"))
	}
	r := b.do(http.MethodDelete, "/login/two-step", nil, nil)
	assert.Equal(t, http.StatusMethodNotAllowed, r.code)
	r = b.do(http.MethodPost, "/settings/2fa/enable/status", url.Values{}, nil)
	assert.Equal(t, http.StatusMethodNotAllowed, r.code)
	assert.Equal(t, store.SecondFactorUNLOQ, e.user("1").SecondFactor)
	assert.Zero(t, e.users.setCount())
}

func TestCrossSitePOSTsRejected(t *testing.T) {
	attacks := []struct {
		name string
		hdr  map[string]string
	}{
		{"sec-fetch-site cross-site", map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}},
		{"sec-fetch-site same-site", map[string]string{"Sec-Fetch-Site": "same-site", "Origin": "https://sub.evil.example"}},
		{"origin mismatch", map[string]string{"Sec-Fetch-Site": "", "Origin": "https://evil.example"}},
	}
	for _, a := range attacks {
		t.Run(a.name, func(t *testing.T) {
			e := newEnv(t)
			e.behave(alice, unloqtest.BehaviorApprove)
			e.behave(dave, unloqtest.BehaviorApprove)

			on := e.browser()
			on.loginVerified("1", alice)
			off := e.browser()
			off.loginVerified("4", dave)
			pending := e.browser()
			pending.login("2", "")
			before := pending.state()
			e.behave(bob, unloqtest.BehaviorApprove)
			requests := len(e.sim.Sim.Requests())

			r := off.do(http.MethodPost, "/settings/2fa/enable", url.Values{}, a.hdr)
			assert.Equal(t, http.StatusForbidden, r.code, "enable")
			r = on.do(http.MethodPost, "/settings/2fa/disable", url.Values{}, a.hdr)
			assert.Equal(t, http.StatusForbidden, r.code, "disable")
			r = pending.do(http.MethodPost, "/login/two-step", url.Values{}, a.hdr)
			assert.Equal(t, http.StatusForbidden, r.code, "two-step")

			assert.Len(t, e.sim.Sim.Requests(), requests, "UNLOQ was not called")
			assert.Zero(t, e.users.setCount())
			assert.Equal(t, store.SecondFactorUNLOQ, e.user("1").SecondFactor)
			assert.Equal(t, "", e.user("4").SecondFactor)
			pending.assertPendingUnchanged(before)
			ev, ok := e.events.last(handlers.EventFailed)
			require.True(t, ok)
			assert.ErrorIs(t, ev.Err, handlers.CodeCrossOrigin)
		})
	}
}

func TestTrustedOrigins(t *testing.T) {
	e := newEnv(t, withHandlerOpts(handlers.WithTrustedOrigins("https://admin.example")))
	b := e.browser()
	b.loginVerified("1", alice)
	e.behave(alice, unloqtest.BehaviorApprove)
	hdr := map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://other.example"}
	assert.Equal(t, http.StatusForbidden, b.do(http.MethodPost, "/settings/2fa/disable", url.Values{}, hdr).code)
	hdr["Origin"] = "https://admin.example"
	r := b.do(http.MethodPost, "/settings/2fa/disable", url.Values{}, hdr)
	assert.Equal(t, http.StatusSeeOther, r.code, r.String())
	assert.Equal(t, "", e.user("1").SecondFactor)
}

func TestNonBrowserPOSTWithoutOriginAllowed(t *testing.T) {
	// CrossOriginProtection lets requests without Sec-Fetch-Site and
	// Origin through (non-browser clients); the session still decides.
	e := newEnv(t)
	b := e.browser()
	b.login("1", "/x")
	e.behave(alice, unloqtest.BehaviorApprove)
	r := b.do(http.MethodPost, "/login/two-step", url.Values{}, map[string]string{"Sec-Fetch-Site": "", "Origin": ""})
	assert.Equal(t, http.StatusSeeOther, r.code)
	assert.True(t, strings.HasPrefix(r.loc, "/x"))
}

// TestSecurityHeadersKeepHostPolicy: a host's own Content-Security-Policy
// stays in force on the library's pages; framing is forbidden on top of it.
func TestSecurityHeadersKeepHostPolicy(t *testing.T) {
	e := newEnv(t)
	const hostPolicy = "default-src 'self'; script-src 'self'"
	rec := httptest.NewRecorder()
	rec.Header().Set("Content-Security-Policy", hostPolicy)
	e.h.TwoStep().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/login/two-step", nil))
	policies := rec.Header().Values("Content-Security-Policy")
	assert.Contains(t, policies, hostPolicy, "the host's policy is kept")
	assert.Contains(t, policies, "frame-ancestors 'none'", "framing is still forbidden")
	assert.Equal(t, "DENY", rec.Header().Get("X-Frame-Options"))
}
