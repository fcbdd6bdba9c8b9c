package handlers_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/handlers"
)

// TestLogoutRefusesLateApproval: a push still waiting on the phone when the
// user logs out must not log the browser back in once it is approved.
func TestLogoutRefusesLateApproval(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.login("1", "/x")
	pending := make(chan result, 1)
	go func() { pending <- b.clone().post("/login/two-step", nil) }()
	a := e.waitApproval(alice)

	// The user logs out in another tab while the phone shows the request.
	r := b.post("/_test/logout", nil)
	require.Equal(t, http.StatusNoContent, r.code, r.String())
	assert.Equal(t, "anonymous", b.state().State)

	require.NoError(t, e.sim.Sim.Approve(a.ID))
	r = <-pending
	assert.Equal(t, http.StatusConflict, r.code, r.String())
	assert.Empty(t, r.hdr.Values("Set-Cookie"), "the late approval sets no cookie")
	ev, ok := e.events.last(handlers.EventFailed)
	require.True(t, ok)
	assert.ErrorIs(t, ev.Err, handlers.ErrReplayed)
}

// TestLogoutClearsCookie: logging out deletes the cookie, for pending,
// verified and unreadable sessions alike.
func TestLogoutClearsCookie(t *testing.T) {
	e := newEnv(t)
	e.behave(alice, "approve")

	verified := e.browser()
	verified.loginVerified("1", alice)
	require.Equal(t, http.StatusNoContent, verified.post("/_test/logout", nil).code)
	assert.Equal(t, "anonymous", verified.state().State)

	pending := e.browser()
	pending.login("2", "")
	require.Equal(t, http.StatusNoContent, pending.post("/_test/logout", nil).code)
	assert.Equal(t, "anonymous", pending.state().State)

	garbage := e.browser()
	garbage.c.Jar.SetCookies(mustURL(t, e.app.URL), []*http.Cookie{{Name: "unloq2fa", Value: "garbage", Path: "/"}})
	r := garbage.post("/_test/logout", nil)
	require.Equal(t, http.StatusNoContent, r.code)
	assert.Contains(t, r.hdr.Get("Set-Cookie"), "Max-Age=0")
}
