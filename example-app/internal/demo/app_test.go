package demo

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/unloq2fa/unloq2fa/store"
)

// TestRealModeMountsNoSimulator builds the app for the real UNLOQ API: no
// simulator, no phone link, the official widget script and secure cookies.
// No request reaches UNLOQ here.
func TestRealModeMountsNoSimulator(t *testing.T) {
	ctx := context.Background()
	app, err := New(ctx, Config{
		DBPath: ":memory:", UnloqAPIKey: "live_test_key", UnloqWidgetKey: "widget-key",
		BcryptCost: bcrypt.MinCost, DemoEmail: DefaultDemoEmail, DemoPassword: DefaultDemoPassword,
	})
	require.NoError(t, err)
	defer app.Close()
	assert.Nil(t, app.Simulator())
	srv := httptest.NewServer(app.Handler())
	defer srv.Close()
	b := &browser{t: t, base: srv.URL, c: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}

	p := b.get("/_unloq/device")
	assert.Equal(t, http.StatusNotFound, p.Status)
	p = b.get("/")
	require.Equal(t, http.StatusOK, p.Status)
	assert.NotContains(t, p.Body, "/_unloq")
	assert.NotContains(t, p.Body, DefaultDemoPassword, "demo credentials are shown only with the simulator")

	// The session cookie is Secure by default with the real API.
	u, err := app.Users().ByEmail(ctx, DefaultDemoEmail)
	require.NoError(t, err)
	require.NoError(t, app.Store().SetSecondFactor(ctx, u.ID, store.SecondFactorUNLOQ))
	p = b.post("/login", url.Values{"email": {DefaultDemoEmail}, "password": {DefaultDemoPassword}})
	require.Equal(t, http.StatusSeeOther, p.Status)
	assert.Equal(t, "/login/two-step", p.Location)
	cookie := p.Header.Get("Set-Cookie")
	require.NotEmpty(t, cookie)
	assert.Contains(t, cookie, "Secure")
	assert.Contains(t, cookie, "HttpOnly")

	// The two-step page loads the official widget script.
	req, err := http.NewRequest(http.MethodGet, srv.URL+"/login/two-step", nil)
	require.NoError(t, err)
	req.Header.Set("Cookie", strings.Split(cookie, ";")[0])
	p = b.do(req)
	require.Equal(t, http.StatusOK, p.Status)
	assert.Contains(t, p.Body, `src="https://plugin.unloq.io/login.js" data-unloq-key="widget-key"`)
	assert.NotContains(t, p.Body, "/_unloq")
}

// TestDevCookiesSetting checks the explicit development cookie setting.
func TestDevCookiesSetting(t *testing.T) {
	for _, dev := range []bool{true, false} {
		a := newTestApp(t, func(c *Config) { c.DevCookies = dev })
		p := a.browser().post("/login", url.Values{"email": {DefaultDemoEmail}, "password": {DefaultDemoPassword}})
		require.Equal(t, http.StatusSeeOther, p.Status)
		cookie := p.Header.Get("Set-Cookie")
		require.NotEmpty(t, cookie)
		assert.Equal(t, !dev, strings.Contains(cookie, "Secure"), "dev=%v: %s", dev, cookie)
	}
}

// TestSessionKeysFromConfig checks that configured keys keep sessions valid
// across restarts, and random keys do not.
func TestSessionKeysFromConfig(t *testing.T) {
	hash, block := make([]byte, 32), make([]byte, 32)
	for i := range hash {
		hash[i], block[i] = byte(i+1), byte(100+i)
	}
	login := func(a *testApp) *http.Cookie {
		p := a.browser().post("/login", url.Values{"email": {DefaultDemoEmail}, "password": {DefaultDemoPassword}})
		require.Equal(t, http.StatusSeeOther, p.Status)
		c, err := http.ParseSetCookie(p.Header.Get("Set-Cookie"))
		require.NoError(t, err)
		return c
	}
	dashboard := func(a *testApp, c *http.Cookie) int {
		req, err := http.NewRequest(http.MethodGet, a.URL+"/dashboard", nil)
		require.NoError(t, err)
		req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
		return a.browser().do(req).Status
	}
	withKeys := func(c *Config) { c.SessionHashKey, c.SessionBlockKey = hash, block }

	first := newTestApp(t, withKeys)
	c := login(first)
	assert.Equal(t, http.StatusOK, dashboard(first, c))
	// Same user id in a new app (a fresh :memory: database seeds the same row).
	assert.Equal(t, http.StatusOK, dashboard(newTestApp(t, withKeys), c), "same keys: the session survives a restart")
	assert.NotEqual(t, http.StatusOK, dashboard(newTestApp(t, nil), c), "random keys: sessions reset")
}
