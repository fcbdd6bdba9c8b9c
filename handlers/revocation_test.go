package handlers_test

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/handlers"
	"github.com/unloq2fa/unloq2fa/store"
	"github.com/unloq2fa/unloq2fa/unloq"
	"github.com/unloq2fa/unloq2fa/unloq/unloqtest"
)

// copyOf returns a browser holding a copy of b's cookies (taken now).
func copyOf(t *testing.T, e *env, b *browser) *browser {
	c := b.clone()
	c.c = &http.Client{Jar: newJarCopy(t, b, e), CheckRedirect: b.c.CheckRedirect}
	return c
}

// TestLogoutKillsCopiedCookie: with cookie sessions, a copy of the cookie
// taken before logout is dead afterwards, verified or pending.
func TestLogoutKillsCopiedCookie(t *testing.T) {
	for _, tc := range []struct{ name, id, email string }{
		{"verified two-step", "1", alice}, {"verified password-only", "3", carol}, {"pending", "2", bob},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			b := e.browser()
			if tc.name == "pending" {
				b.login(tc.id, "/")
			} else {
				b.loginVerified(tc.id, tc.email)
			}
			before := b.state().State
			stolen := copyOf(t, e, b)
			require.Equal(t, before, stolen.state().State, "the copy works before logout")

			require.Equal(t, http.StatusNoContent, b.post("/_test/logout", nil).code)
			assert.Equal(t, "anonymous", b.state().State)
			assert.Equal(t, "anonymous", stolen.state().State, "the copied cookie is dead after logout")

			// Logging in again works.
			b.loginVerified("3", carol)
		})
	}
}

func TestHandlersLogOutEverywhere(t *testing.T) {
	e := newEnv(t)
	a1, a2, other := e.browser(), e.browser(), e.browser()
	a1.loginVerified("3", carol)
	a2.loginVerified("3", carol)
	other.loginVerified("4", dave)
	time.Sleep(time.Millisecond)

	require.NoError(t, e.h.LogOutEverywhere(context.Background(), "3"))
	assert.Equal(t, "anonymous", a1.state().State)
	assert.Equal(t, "anonymous", a2.state().State)
	assert.Equal(t, "verified", other.state().State, "another user keeps the session")
	a1.loginVerified("3", carol)
	assert.ErrorIs(t, e.h.LogOutEverywhere(context.Background(), ""), handlers.CodeSessionUnavailable)
}

// TestTwoStepToggleEndsOtherSessions: turning two-step on ends the user's
// old password-only sessions, turning it off ends the two-step ones; the
// session that made the change stays.
func TestTwoStepToggleEndsOtherSessions(t *testing.T) {
	t.Run("on", func(t *testing.T) {
		e := newEnv(t)
		me, old, stranger := e.browser(), e.browser(), e.browser()
		old.loginVerified("5", erin)
		me.loginVerified("5", erin)
		stranger.loginVerified("3", carol)
		mine := copyOf(t, e, me)
		e.behave(erin, unloqtest.BehaviorApprove)
		// erin's phone is paired already: the paired page, then the confirm.
		r := me.post("/settings/2fa/enable", nil)
		require.Equal(t, http.StatusOK, r.code, r.String())
		r = me.post("/settings/2fa/enable", confirm)
		require.Equal(t, http.StatusSeeOther, r.code, r.String())
		require.Equal(t, store.SecondFactorUNLOQ, e.user("5").SecondFactor)

		assert.Equal(t, "verified", me.state().State, "the session that turned it on stays")
		assert.Equal(t, "anonymous", old.state().State, "the old password-only session ends")
		assert.Equal(t, "anonymous", mine.state().State, "so does the old cookie of the current session")
		assert.Equal(t, "verified", stranger.state().State)
	})
	t.Run("off", func(t *testing.T) {
		e := newEnv(t)
		me, old := e.browser(), e.browser()
		old.loginVerified("1", alice)
		me.loginVerified("1", alice)
		e.behave(alice, unloqtest.BehaviorApprove)
		r := me.post("/settings/2fa/disable", nil)
		require.Equal(t, http.StatusSeeOther, r.code, r.String())
		require.Equal(t, "", e.user("1").SecondFactor)
		assert.Equal(t, "verified", me.state().State)
		assert.Equal(t, "anonymous", old.state().State)
	})
	t.Run("denied changes nothing", func(t *testing.T) {
		e := newEnv(t)
		me, old := e.browser(), e.browser()
		old.loginVerified("1", alice)
		me.loginVerified("1", alice)
		e.behave(alice, unloqtest.BehaviorDeny)
		r := me.post("/settings/2fa/disable", nil)
		require.Equal(t, http.StatusForbidden, r.code, r.String())
		assert.Equal(t, store.SecondFactorUNLOQ, e.user("1").SecondFactor)
		assert.Equal(t, "verified", old.state().State, "a refused change ends no session")
	})
}

const hookSecret = "remote-logout-hook-secret"

// hookEnv is an env whose simulator delivers remote-logout webhooks to
// the RemoteLogout route.
type hookEnv struct {
	*env
	hook    *httptest.Server
	hookURL string
}

func newHookEnv(t *testing.T) *hookEnv {
	var target atomic.Value
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		target.Load().(http.Handler).ServeHTTP(w, r)
	}))
	t.Cleanup(hook.Close)
	hookURL := hook.URL + handlers.DefaultRemoteLogoutPath
	e := newEnv(t, withSimOpts(unloqtest.WithWebhook(unloqtest.EventLogout, hookURL, hookSecret, 0, 0)),
		withHandlerOpts(handlers.WithRemoteLogout(hookSecret)))
	mux := http.NewServeMux()
	e.h.Mount(mux.Handle) // the webhook at Paths.RemoteLogout, among the routes
	target.Store(e.h.Wrap(mux))
	return &hookEnv{env: e, hook: hook, hookURL: hookURL}
}

// post sends a webhook body signed with secret ("" = unsigned).
func (h *hookEnv) post(t *testing.T, params url.Values, secret string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, h.hookURL, strings.NewReader(params.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if secret != "" {
		req.Header.Set(unloq.SignatureHeader, unloq.SignWebhook(secret, h.hookURL, params))
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	return resp
}

// TestRemoteLogoutEndToEnd: the user logs out from the phone; the
// simulator's signed webhook ends every session of that user.
func TestRemoteLogoutEndToEnd(t *testing.T) {
	h := newHookEnv(t)
	a1, a2, other := h.browser(), h.browser(), h.browser()
	a1.loginVerified("1", alice)
	a2.loginVerified("1", alice)
	other.loginVerified("2", bob)
	time.Sleep(time.Millisecond)

	require.NoError(t, h.sim.Sim.RemoteLogout(context.Background(), alice, ""))
	d := h.sim.Sim.Deliveries()
	require.NotEmpty(t, d)
	assert.Equal(t, http.StatusOK, d[len(d)-1].Status)
	assert.Equal(t, "anonymous", a1.state().State)
	assert.Equal(t, "anonymous", a2.state().State)
	assert.Equal(t, "verified", other.state().State, "another user is untouched")
	ev, ok := h.events.last(handlers.EventRemoteLogout)
	require.True(t, ok)
	assert.Equal(t, "1", ev.UserID)

	// The same delivery again is a replay: refused, nothing changes.
	a1.loginVerified("1", alice)
	last := d[len(d)-1]
	resp := h.post(t, last.Params, hookSecret)
	assert.Equal(t, http.StatusConflict, resp.StatusCode)
	assert.Equal(t, "verified", a1.state().State, "a replayed webhook ends nothing")
}

// sid builds a session id the way the handlers mint it for a login:
// hash, password time (unix seconds, base 36), user id (base64url).
func sid(uid string, pwAt time.Time) string {
	return strings.Repeat("ab", 16) + "." + strconv.FormatInt(pwAt.Unix(), 36) + "." +
		base64.RawURLEncoding.EncodeToString([]byte(uid))
}

// TestRemoteLogoutRefusals: unsigned, badly signed, tampered, foreign,
// unknown-user and stale deliveries are refused and end nothing.
func TestRemoteLogoutRefusals(t *testing.T) {
	h := newHookEnv(t)
	b := h.browser()
	b.loginVerified("1", alice)
	now := time.Now()
	good := url.Values{"unloq_id": {"1001"}, "sid": {sid("1", now)}}

	tampered := url.Values{"unloq_id": {"1001"}, "sid": {sid("1", now)}}
	req, err := http.NewRequest(http.MethodPost, h.hookURL, strings.NewReader(url.Values{"unloq_id": {"1001"}, "sid": {sid("2", now)}}.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set(unloq.SignatureHeader, unloq.SignWebhook(hookSecret, h.hookURL, tampered))
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "a body changed after signing")

	for _, tc := range []struct {
		name   string
		params url.Values
		secret string
		code   int
	}{
		{"unsigned", good, "", http.StatusUnauthorized},
		{"wrong secret", good, "not-the-secret", http.StatusUnauthorized},
		{"sid not minted here", url.Values{"unloq_id": {"1001"}, "sid": {"abc123"}}, hookSecret, http.StatusNotFound},
		{"no unloq_id", url.Values{"sid": {sid("1", now)}}, hookSecret, http.StatusNotFound},
		{"unknown user", url.Values{"unloq_id": {"1001"}, "sid": {sid("999", now)}}, hookSecret, http.StatusNotFound},
		{"user id differs in case", url.Values{"unloq_id": {"1001"}, "sid": {sid("1 ", now)}}, hookSecret, http.StatusNotFound},
		{"stale", url.Values{"unloq_id": {"1001"}, "sid": {sid("1", now.Add(-13*time.Hour))}}, hookSecret, http.StatusGone},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := h.post(t, tc.params, tc.secret)
			assert.Equal(t, tc.code, resp.StatusCode)
			assert.Equal(t, "verified", b.state().State, "nothing ended")
		})
	}
	resp, err = http.Get(h.hookURL)
	require.NoError(t, err)
	resp.Body.Close()
	assert.NotEqual(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "verified", b.state().State)

	resp = h.post(t, good, hookSecret)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "anonymous", b.state().State)
	resp = h.post(t, good, hookSecret)
	assert.Equal(t, http.StatusConflict, resp.StatusCode, "replayed")

	_, err = handlers.New(h.client, h.sm, h.users, handlers.WithRemoteLogout(""))
	assert.Error(t, err, "an empty secret is refused")
}
