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
	"github.com/unloq2fa/unloq2fa/unloq"
	"github.com/unloq2fa/unloq2fa/unloq/unloqtest"
)

// TestLongNextIsDropped: a next that passes the URL check but is longer
// than the pending login keeps (512 bytes) is dropped, not an error: the
// login works and ends on AfterLogin. (A next of 2,004–2,048 bytes made
// PasswordVerified fail, so the user could not log in.)
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
			if n <= handlers.MaxNextLen {
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

	e := newEnv(t, withFakeClock())
	e.behave(alice, unloqtest.BehaviorDeny)
	b := e.browser()
	b.login("1", "/x")
	for i := range 5 {
		r := b.post("/login/two-step", nil)
		require.NotEqual(t, http.StatusTooManyRequests, r.code, "push %d: %s", i+1, r)
	}
	e.clock.Advance(2 * time.Minute)
	r := b.post("/login/two-step", nil)
	assert.Equal(t, http.StatusTooManyRequests, r.code, r.String())
	assert.Contains(t, r.body, "Wait a few minutes")

	// A new login 14 minutes later is still within the user's budget…
	e.clock.Advance(12 * time.Minute)
	b.login("1", "/x")
	r = b.post("/login/two-step", nil)
	assert.Equal(t, http.StatusTooManyRequests, r.code, r.String())
	// …which frees up after 15 minutes.
	e.clock.Advance(time.Minute + time.Second)
	r = b.post("/login/two-step", nil)
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

// TestInFlightOutlivesApprovalTimeout: with an approval timeout longer
// than the old fixed 2-minute in-flight marker, a push still waiting on
// the phone keeps its marker: a second POST 3 minutes later does not push
// again.
func TestInFlightOutlivesApprovalTimeout(t *testing.T) {
	e := newEnv(t, withFakeClock(), withSimOpts(unloqtest.WithApprovalTimeout(5*time.Second)))
	e.client = nil // the handlers' client is below
	cl := e.sim.Client(t, unloq.WithApprovalTimeout(5*time.Minute), unloq.WithCallTimeout(time.Second))
	h, err := handlers.New(cl, e.sm, e.users, handlers.WithClock(e.clock.Now))
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		require.NoError(t, h.PasswordVerified(w, r, r.FormValue("user_id"), r.FormValue("next")))
	})
	mux.HandleFunc("GET /_test/state", e.appRoutes().state)
	h.Register(mux)
	e.app = httptest.NewServer(mux)
	t.Cleanup(e.app.Close)

	b := e.browser()
	b.login("1", "/x")
	first := make(chan result, 1)
	go func() { first <- b.clone().post("/login/two-step", nil) }()
	a := e.waitApproval(alice)

	e.clock.Advance(3 * time.Minute)
	r := b.post("/login/two-step", nil)
	assert.Equal(t, http.StatusConflict, r.code, r.String())
	assert.Contains(t, r.body, "already waiting on your phone")
	assert.Len(t, e.sim.Sim.Approvals(alice, ""), 1, "no second push")

	require.NoError(t, e.sim.Sim.Approve(a.ID))
	r = <-first
	assert.Equal(t, http.StatusSeeOther, r.code, r.String())
}
