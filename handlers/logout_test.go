package handlers_test

import (
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gorilla/sessions"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/handlers"
	"github.com/unloq2fa/unloq2fa/session"
	"github.com/unloq2fa/unloq2fa/store"
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
	assert.ErrorIs(t, ev.Err, handlers.CodeReplayed)
}

// TestDoneLoginSendsNoPush: once a pending login completed (or was logged
// out), an old copy of its cookie can neither push to the phone again nor
// redeem a widget token: both are refused before UNLOQ is called, without
// using the user's push budget.
func TestDoneLoginSendsNoPush(t *testing.T) {
	for _, end := range []string{"completed", "logged out"} {
		t.Run(end, func(t *testing.T) {
			e := newEnv(t, withHandlerOpts(handlers.WithWidgetKey("sim-widget-key"), handlers.WithPushLimit(1, time.Minute)))
			b := e.browser()
			b.login("1", "/x")
			stale := b.clone()
			stale.c = &http.Client{Jar: newJarCopy(t, b, e), CheckRedirect: b.c.CheckRedirect}
			tok := e.token(alice)
			if end == "completed" {
				r := b.get("/uauth/login?token=" + e.token(alice))
				require.Equal(t, http.StatusSeeOther, r.code, r.String())
			} else {
				require.Equal(t, http.StatusNoContent, b.post("/_test/logout", nil).code)
			}
			pushes, exchanges := e.countRequests("/v1/authenticate"), e.countRequests("/v1/token")

			// A completed login's old cookie is still pending, refused by the
			// Guard's replay record; a logged-out one is dead on the server
			// (revoked): it is not even pending any more.
			wantState, wantErr := "pending", handlers.CodeReplayed
			if end == "logged out" {
				wantState, wantErr = "anonymous", handlers.CodeNotPending
			}
			r := stale.post("/login/two-step", nil)
			if end == "completed" {
				assert.Equal(t, http.StatusConflict, r.code, r.String())
				assert.Contains(t, r.body, `data-code="replayed"`)
				assert.Empty(t, r.hdr.Values("Set-Cookie"))
			} else {
				assert.Equal(t, http.StatusSeeOther, r.code, "back to the login page: %s", r)
				assert.Equal(t, "/login", r.loc)
			}
			r = stale.get("/uauth/login?token=" + tok)
			if end == "completed" {
				assert.Equal(t, http.StatusConflict, r.code, r.String())
			} else {
				assert.Equal(t, http.StatusUnauthorized, r.code, r.String())
			}
			assert.Equal(t, pushes, e.countRequests("/v1/authenticate"), "no push for a done login")
			assert.Equal(t, exchanges, e.countRequests("/v1/token"), "no token exchange for a done login")
			assert.Equal(t, wantState, stale.state().State)
			ev, ok := e.events.last(handlers.EventFailed)
			require.True(t, ok)
			assert.ErrorIs(t, ev.Err, wantErr)

			// The refused requests used none of the push budget (one a minute).
			e.behave(alice, "approve")
			fresh := e.browser()
			fresh.login("1", "/x")
			r = fresh.post("/login/two-step", nil)
			assert.Equal(t, http.StatusSeeOther, r.code, r.String())
		})
	}
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

// downStore is a session store that cannot be reached.
type downStore struct{}

func (downStore) Get(r *http.Request, name string) (*sessions.Session, error) {
	return downStore{}.New(r, name)
}
func (d downStore) New(_ *http.Request, name string) (*sessions.Session, error) {
	return sessions.NewSession(d, name), &net.OpError{Op: "dial", Err: errors.New("connection refused")}
}
func (downStore) Save(*http.Request, http.ResponseWriter, *sessions.Session) error {
	return &net.OpError{Op: "dial", Err: errors.New("connection refused")}
}

// TestLogoutWithSessionStoreDown: logout fails closed. The cookie is
// deleted and the error is returned for the app to log.
func TestLogoutWithSessionStoreDown(t *testing.T) {
	sm, err := session.NewManager(session.WithStore(downStore{}))
	require.NoError(t, err)
	h, err := handlers.New(newEnv(t).client, sm, store.NewMemory())
	require.NoError(t, err)
	r := httptest.NewRequest(http.MethodPost, "/logout", nil)
	r.AddCookie(&http.Cookie{Name: session.DevCookieName, Value: "some-id"})
	rec := httptest.NewRecorder()
	err = h.Logout(rec, r)
	require.ErrorIs(t, err, handlers.CodeSession)
	assert.Contains(t, rec.Header().Get("Set-Cookie"), "Max-Age=0")
}
