package handlers_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/handlers"
	"github.com/unloq2fa/unloq2fa/unloq/unloqtest"
)

// TestLongNextIsDropped: a next that passes the URL check but is longer
// than the pending login keeps (512 bytes) is dropped, not an error: the
// login works and ends on AfterLogin. (A next of 2,004–2,048 bytes made
// LogIn fail, so the user could not log in.)
func TestLongNextIsDropped(t *testing.T) {
	for _, n := range []int{512, 513, 2004, 2030, 2048} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			e := newEnv(t)
			e.behave(alice, unloqtest.BehaviorApprove)
			next := "/" + strings.Repeat("a", n-1)
			b := e.browser()
			r := b.post("/login", url.Values{"user_id": {"1"}, "next": {next}})
			require.Equal(t, http.StatusSeeOther, r.code, "next of %d bytes: %s", n, r)
			require.Equal(t, "/login/two-step", r.loc)
			r = b.post("/login/two-step", nil)
			require.Equal(t, http.StatusSeeOther, r.code, r.String())
			if n <= 512 { // the longest next a pending login keeps
				assert.Equal(t, next, r.loc, "a next of %d bytes is kept", n)
			} else {
				assert.Equal(t, "/", r.loc, "a next of %d bytes falls back to AfterLogin", n)
			}
		})
	}
}

// TestDefaultPushBudget: by default a user gets 5 pushes per 15 minutes
// (push-fatigue guidance), not per minute.
func TestDefaultPushBudget(t *testing.T) {
	assert.Equal(t, 5, handlers.DefaultPushLimit)
	assert.Equal(t, 15*time.Minute, handlers.DefaultPushWindow)

	e := newEnv(t)
	e.behave(alice, unloqtest.BehaviorDeny)
	b := e.browser()
	b.login("1", "/x")
	for i := range 5 {
		r := b.post("/login/two-step", nil)
		require.NotEqual(t, http.StatusTooManyRequests, r.code, "push %d: %s", i+1, r)
	}
	r := b.post("/login/two-step", nil)
	assert.Equal(t, http.StatusTooManyRequests, r.code, r.String())
	assert.Contains(t, r.body, "Wait a few minutes")

	// A new login does not reset the user's budget.
	b.login("1", "/x")
	r = b.post("/login/two-step", nil)
	assert.Equal(t, http.StatusTooManyRequests, r.code, r.String())
	// Another user has a budget of their own.
	e.behave(bob, unloqtest.BehaviorDeny)
	other := e.browser()
	other.login("2", "/x")
	r = other.post("/login/two-step", nil)
	assert.NotEqual(t, http.StatusTooManyRequests, r.code, r.String())
}

// TestCallbackOnlyInWidgetModes: in push-only mode there is no widget,
// so the callback route is not registered, and the Callback handler,
// mounted by hand, refuses without calling UNLOQ.
func TestCallbackOnlyInWidgetModes(t *testing.T) {
	for _, mode := range []handlers.Mode{handlers.ModePush, handlers.ModeWidget, handlers.ModeBoth} {
		t.Run(mode.String(), func(t *testing.T) {
			e := newEnv(t, withHandlerOpts(handlers.WithWidgetKey("sim-widget-key"), handlers.WithMode(mode)))
			b := e.browser()
			b.login("1", "/x")
			before := b.state()
			tok := e.token(alice)
			r := b.get("/uauth/login?token=" + tok)
			if mode == handlers.ModePush {
				assert.Equal(t, http.StatusNotFound, r.code, r.String())
				assert.Zero(t, e.countRequests("/v1/token"))
				b.assertPendingUnchanged(before)

				rec := httptest.NewRecorder()
				e.h.Callback().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/uauth/login?token="+tok, nil))
				assert.Equal(t, http.StatusNotFound, rec.Code)
				assert.Zero(t, e.countRequests("/v1/token"))
				return
			}
			assert.Equal(t, http.StatusSeeOther, r.code, r.String())
		})
	}
}
