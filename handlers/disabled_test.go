package handlers_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/handlers"
	"github.com/unloq2fa/unloq2fa/middleware"
	"github.com/unloq2fa/unloq2fa/store"
	"github.com/unloq2fa/unloq2fa/unloq"
)

// defaultLog captures slog.Default() for the test (which must not run in
// parallel with others that log to it) and restores it afterwards.
func defaultLog(t *testing.T) *syncBuffer {
	t.Helper()
	buf := &syncBuffer{}
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(buf, nil)))
	t.Cleanup(func() { slog.SetDefault(prev) })
	return buf
}

// onHandlers returns a copy of e whose browsers talk to h (mounted, and
// behind h.Wrap) and the test app's routes.
func (e *env) onHandlers(h *handlers.Handlers) *env {
	e.t.Helper()
	c := *e
	c.h = h
	mux := http.NewServeMux()
	e.mountApp(h, mux.Handle)
	h.Mount(mux.Handle)
	c.app = httptest.NewServer(h.Wrap(mux))
	e.t.Cleanup(c.app.Close)
	return &c
}

// TestDisabledNeedsNilClient: Disabled goes with a nil client, and a nil
// client needs Disabled (a forgotten client is not silently "off").
func TestDisabledNeedsNilClient(t *testing.T) {
	e := newEnv(t)
	_, err := handlers.New(nil, e.sm, e.users)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "handlers.Disabled()")
	_, err = handlers.New(e.client, e.sm, e.users, handlers.Disabled())
	assert.Error(t, err)
}

// TestDisabledMode: without UNLOQ, password-only users log in as usual;
// users who have UNLOQ are not let in (fail closed) and are told two-step
// verification is unavailable; nobody can turn it on or off. The mode is
// logged once at construction, even without a logger.
func TestDisabledMode(t *testing.T) {
	e := newEnv(t)
	logs := defaultLog(t)
	h, err := handlers.New(nil, e.sm, e.users, handlers.Disabled(),
		handlers.WithExtraExemptions(middleware.Exemption{Method: http.MethodGet, Path: "/_test/state"}))
	require.NoError(t, err)
	assert.Equal(t, 1, strings.Count(logs.String(), "DISABLED"), logs.String())
	assert.Contains(t, logs.String(), "level=WARN")
	d := e.onHandlers(h)

	// Carol has no second factor: logged in as usual.
	c := d.browser()
	r := c.post("/login", url.Values{"user_id": {"3"}, "next": {"/dashboard"}})
	require.Equal(t, http.StatusSeeOther, r.code, r.String())
	assert.Equal(t, "/dashboard", r.loc)
	r = c.get("/dashboard")
	assert.Equal(t, http.StatusOK, r.code, r.String())

	// …but she cannot turn two-step on.
	r = c.post("/settings/2fa/enable", nil)
	assert.Equal(t, http.StatusServiceUnavailable, r.code, r.String())
	assert.Contains(t, r.body, "Two-step verification is unavailable")
	assert.Empty(t, d.user("3").SecondFactor)

	// Alice has UNLOQ: her login stays pending, never reaches the app.
	a := d.browser()
	r = a.post("/login", url.Values{"user_id": {"1"}, "next": {"/dashboard"}})
	require.Equal(t, "/login/two-step", r.loc)
	r = a.get("/dashboard")
	assert.Equal(t, "/login/two-step", r.loc, "not let in")
	r = a.get("/login/two-step")
	assert.Equal(t, http.StatusServiceUnavailable, r.code)
	assert.Contains(t, r.body, "Two-step verification is unavailable")
	assert.Contains(t, r.body, `data-code="unavailable_disabled"`)
	assert.NotContains(t, r.body, `action="/login/two-step"`, "no push form")
	assert.NotContains(t, r.body, "data-unloq-key", "no widget")
	assert.Contains(t, r.body, `action="/logout"`, "but she can log out")
	r = a.post("/login/two-step", nil)
	assert.Equal(t, http.StatusServiceUnavailable, r.code)
	r = a.get("/uauth/login?token=" + e.token(alice))
	assert.NotEqual(t, http.StatusSeeOther, r.code)
	assert.Equal(t, "pending", a.state().State)
	r = a.do(http.MethodGet, "/login/two-step", nil, map[string]string{"Accept": "application/json"})
	assert.Equal(t, http.StatusServiceUnavailable, r.code)
	assert.Contains(t, r.body, `"unavailable_disabled"`)
	r = a.post("/logout", nil)
	assert.Equal(t, "/login", r.loc)
	assert.Equal(t, "anonymous", a.state().State)

	// A verified user with UNLOQ (from before) cannot turn it off.
	require.NoError(t, e.users.Put(t.Context(), store.User{ID: "9", Email: "zoe@example.com"}))
	z := d.browser()
	z.post("/login", url.Values{"user_id": {"9"}})
	require.NoError(t, e.users.SetSecondFactor(t.Context(), "9", store.SecondFactorUNLOQ))
	r = z.post("/settings/2fa/disable", nil)
	assert.Equal(t, http.StatusServiceUnavailable, r.code, r.String())
	assert.Equal(t, store.SecondFactorUNLOQ, d.user("9").SecondFactor)
	assert.Zero(t, e.countRequests("/v1/authenticate"))
}

// TestConfigErrorsAreNotOutages: a wrong API key, or an account whose
// e-mail UNLOQ cannot use, is logged (even without a logger) and shown as
// "this account cannot use UNLOQ", not as "UNLOQ is down".
func TestConfigErrorsAreNotOutages(t *testing.T) {
	e := newEnv(t)
	logs := defaultLog(t)
	bad, err := unloq.NewClient("wrong-key", unloq.WithBaseURL(e.sim.URL+"/v1"), unloq.WithAllowHTTP())
	require.NoError(t, err)
	h, err := handlers.New(bad, e.sm, e.users,
		handlers.WithExtraExemptions(middleware.Exemption{Method: http.MethodGet, Path: "/_test/state"}))
	require.NoError(t, err)
	d := e.onHandlers(h)

	a := d.browser()
	a.post("/login", url.Values{"user_id": {"1"}})
	r := a.post("/login/two-step", nil)
	assert.Equal(t, http.StatusConflict, r.code, r.String())
	assert.Contains(t, r.body, "This account cannot use UNLOQ")
	assert.Contains(t, r.body, `data-code="account_unsupported"`)
	assert.NotContains(t, r.body, "cannot be reached")
	assert.Equal(t, "pending", a.state().State)
	assert.Contains(t, logs.String(), "level=ERROR")
	assert.Contains(t, logs.String(), "APPLICATION.UNAUTHORIZED")
	assert.NotContains(t, logs.String(), "wrong-key", "the key never reaches the log")

	// An e-mail address UNLOQ cannot use (here refused by the client
	// before sending), with the right key.
	good, err := handlers.New(e.client, e.sm, e.users,
		handlers.WithExtraExemptions(middleware.Exemption{Method: http.MethodGet, Path: "/_test/state"}))
	require.NoError(t, err)
	g := e.onHandlers(good)
	require.NoError(t, e.users.Put(t.Context(), store.User{ID: "8", Email: "no-at-sign"}))
	c := g.browser()
	c.post("/login", url.Values{"user_id": {"8"}})
	require.Equal(t, "verified", c.state().State)
	before := strings.Count(logs.String(), "level=ERROR")
	r = c.post("/settings/2fa/enable", nil)
	assert.Equal(t, http.StatusConflict, r.code, r.String())
	assert.Contains(t, r.body, "This account cannot use UNLOQ")
	assert.Equal(t, before+1, strings.Count(logs.String(), "level=ERROR"), logs.String())
}
