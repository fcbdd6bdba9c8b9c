package handlers_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/session"
	"github.com/unloq2fa/unloq2fa/unloq/unloqtest"
)

func TestTamperedSessionIsAnonymous(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.login("1", "/x")
	u := mustURL(t, e.app.URL)
	cookies := b.c.Jar.Cookies(u)
	require.Len(t, cookies, 1)
	c := cookies[0]
	c.Value = c.Value[:len(c.Value)-4] + "AAAA"
	b.c.Jar.SetCookies(u, []*http.Cookie{{Name: session.DevCookieName, Value: c.Value, Path: "/"}})
	e.behave(alice, unloqtest.BehaviorApprove)

	r := b.get("/login/two-step")
	assert.Equal(t, http.StatusSeeOther, r.code)
	assert.Equal(t, "/login", r.loc)
	r = b.post("/login/two-step", nil)
	assert.Equal(t, "/login", r.loc)
	r = b.get("/uauth/login?token=" + e.token(alice))
	assert.Equal(t, http.StatusUnauthorized, r.code)
	r = b.post("/settings/2fa/disable", nil)
	assert.Equal(t, http.StatusSeeOther, r.code)
	assert.Zero(t, e.countRequests("/v1/authenticate"))
	assert.Zero(t, e.countRequests("/v1/token"))
	assert.Zero(t, e.users.setCount())
}

func TestSettingsApprovalInFlight(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.loginVerified("1", alice)
	n := len(e.sim.Sim.Approvals(alice, ""))
	first := make(chan result, 1)
	go func() { first <- b.clone().post("/settings/2fa/disable", nil) }()
	a := e.waitApproval(alice)
	r := b.post("/settings/2fa/disable", nil)
	assert.Equal(t, http.StatusConflict, r.code)
	assert.Contains(t, r.body, "already waiting on your phone")
	r = b.post("/settings/2fa/enable", url.Values{"step": {"confirm"}})
	assert.Equal(t, http.StatusConflict, r.code, "enable and disable share the user's marker")
	assert.Len(t, e.sim.Sim.Approvals(alice, ""), n+1)
	require.NoError(t, e.sim.Sim.Deny(a.ID))
	r = <-first
	assert.Equal(t, http.StatusForbidden, r.code)
	assert.Equal(t, "UNLOQ", e.user("1").SecondFactor)
}

func TestCallbackJSON(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.login("1", "/x")
	js := map[string]string{"Accept": "application/json"}
	r := b.do(http.MethodGet, "/uauth/login?token=bad", nil, js)
	assert.Equal(t, http.StatusBadRequest, r.code)
	assert.JSONEq(t, `{"error":{"code":"bad_token","message":"The sign-in link is missing or damaged. Please try again."}}`, r.body)
	r = b.do(http.MethodGet, "/uauth/login?token="+e.token(alice), nil, js)
	assert.Equal(t, http.StatusOK, r.code)
	assert.JSONEq(t, `{"state":"verified","redirect":"/x"}`, r.body)
}

func TestPendingWindowCheckedByHandlersToo(t *testing.T) {
	// The session Manager's clock (11 minutes behind) says the login is
	// fresh; the real clock, which the handlers read, says the window has
	// passed: the handlers refuse.
	e := newEnv(t, withSessionOpts(session.WithClock(func() time.Time { return time.Now().Add(-11 * time.Minute) })))
	b := e.browser()
	b.login("1", "/x")
	require.Equal(t, "pending", b.state().State)
	r := b.get("/uauth/login?token=" + e.token(alice))
	assert.Equal(t, http.StatusUnauthorized, r.code)
	assert.Contains(t, r.body, `data-code="pending_expired"`)
	assert.Zero(t, e.countRequests("/v1/token"))
}
