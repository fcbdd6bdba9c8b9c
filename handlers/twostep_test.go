package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/handlers"
	"github.com/unloq2fa/unloq2fa/unloq"
	"github.com/unloq2fa/unloq2fa/unloq/unloqtest"
)

func TestTwoStepPushApproved(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.login("1", "/dashboard?tab=2")
	before := b.state()
	require.Equal(t, "pending", before.State)

	page := b.get("/login/two-step")
	require.Equal(t, http.StatusOK, page.code)
	assert.Contains(t, page.body, `action="/login/two-step"`)
	assert.Contains(t, page.body, alice)
	assert.NotContains(t, page.body, `name="otp"`)

	e.behave(alice, unloqtest.BehaviorApprove)
	r := b.post("/login/two-step", nil)
	require.Equal(t, http.StatusSeeOther, r.code, r.String())
	assert.Equal(t, "/dashboard?tab=2", r.loc)
	after := b.state()
	assert.Equal(t, "verified", after.State)
	assert.NotEqual(t, before.LoginID, after.LoginID, "the session is renewed")
	assert.Equal(t, []handlers.EventKind{handlers.EventChallenged, handlers.EventApproved}, e.events.kinds())

	// The push carried the client IP and method UNLOQ; /token carried the sid.
	as := e.sim.Sim.Approvals(alice, unloqtest.StatusApproved)
	require.Len(t, as, 1)
	assert.Equal(t, "127.0.0.1", as[0].IP)
	assert.Equal(t, "UNLOQ", as[0].Method)
	var sawSID bool
	for _, rq := range e.sim.Sim.Requests() {
		if strings.HasPrefix(rq.Path, "/v1/token") {
			sawSID = strings.Contains(string(rq.Body), `"sid":"`)
		}
	}
	assert.True(t, sawSID, "the token exchange carries the login's sid")

	// The two-step page is no longer usable: a verified session moves on.
	r = b.get("/login/two-step")
	assert.Equal(t, http.StatusSeeOther, r.code)
	assert.Equal(t, "/", r.loc)
}

func TestTwoStepOnlyForPendingSessions(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, inBubble())

		anon := e.browser()
		r := anon.get("/login/two-step")
		assert.Equal(t, http.StatusSeeOther, r.code)
		assert.Equal(t, "/login", r.loc)
		r = anon.post("/login/two-step", nil)
		assert.Equal(t, http.StatusSeeOther, r.code)
		assert.Equal(t, "/login", r.loc)
		assert.Zero(t, e.countRequests("/v1/authenticate"))

		// JSON clients get 401.
		r = anon.do(http.MethodGet, "/login/two-step", nil, map[string]string{"Accept": "application/json"})
		assert.Equal(t, http.StatusUnauthorized, r.code)
		assert.Contains(t, r.body, `"not_pending"`)

		// An expired pending login is cleared and sent to the login page.
		b := e.browser()
		b.login("1", "/x")
		time.Sleep(10*time.Minute + time.Second)
		e.behave(alice, unloqtest.BehaviorApprove)
		r = b.post("/login/two-step", nil)
		assert.Equal(t, http.StatusSeeOther, r.code)
		assert.Equal(t, "/login", r.loc)
		assert.Equal(t, "anonymous", b.state().State, "the expired login was cleared")
		assert.Zero(t, e.countRequests("/v1/authenticate"), "no push for an expired login")
		ev, ok := e.events.last(handlers.EventFailed)
		require.True(t, ok)
		assert.ErrorIs(t, ev.Err, handlers.CodePendingExpired)

		b2 := e.browser()
		b2.login("2", "")
		time.Sleep(11 * time.Minute)
		r = b2.get("/login/two-step")
		assert.Equal(t, "/login", r.loc)
		assert.Equal(t, "anonymous", b2.state().State)
	})
}

func TestTwoStepPendingExpiresDuringPush(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, inBubble(),
			// The push must outlive the jump over the pending window.
			withSimOpts(unloqtest.WithApprovalTimeout(time.Hour)),
			withClientOpts(unloq.WithApprovalTimeout(time.Hour)))
		b := e.browser()
		b.login("1", "/x")
		before := b.state()
		done := make(chan result, 1)
		go func() { done <- b.post("/login/two-step", nil) }()
		a := e.waitApproval(alice)
		time.Sleep(10*time.Minute + time.Second)
		require.NoError(t, e.sim.Sim.Approve(a.ID))
		r := <-done
		assert.Equal(t, http.StatusUnauthorized, r.code, r.String())
		assert.Contains(t, r.body, "expired")
		assert.NotEqual(t, "verified", b.state().State)
		assert.Equal(t, before.UserID, b.state().UserID)
	})
}

func TestTwoStepDenialThenOTP(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.login("1", "/after")
	before := b.state()

	e.behave(alice, unloqtest.BehaviorDeny)
	r := b.post("/login/two-step", nil)
	require.Equal(t, http.StatusForbidden, r.code, r.String())
	assert.Contains(t, r.body, "declined on your phone")
	assert.Contains(t, r.body, `name="otp"`, "after a denial the page asks for the code")
	b.assertPendingUnchanged(before)
	ev, ok := e.events.last(handlers.EventDenied)
	require.True(t, ok)
	assert.ErrorIs(t, ev.Err, handlers.CodeDenied)

	// Without the code UNLOQ now refuses at once: the page asks again.
	r = b.post("/login/two-step", nil)
	assert.Equal(t, http.StatusUnauthorized, r.code)
	assert.Contains(t, r.body, `name="otp"`)
	assert.Contains(t, r.body, "otp_required")

	// A malformed code never reaches UNLOQ.
	n := e.countRequests("/v1/authenticate")
	for _, bad := range []string{"12ab56", "123", "12345678901", "１２３４５６", "123 456"} {
		r = b.post("/login/two-step", url.Values{"otp": {bad}})
		assert.Equal(t, http.StatusBadRequest, r.code, bad)
		assert.Contains(t, r.body, "bad_otp")
	}
	assert.Equal(t, n, e.countRequests("/v1/authenticate"))

	// A wrong code is rejected with its own message.
	otp, err := e.sim.Sim.OTP(alice)
	require.NoError(t, err)
	wrong := "000000"
	if otp == wrong {
		wrong = "111111"
	}
	r = b.post("/login/two-step", url.Values{"otp": {wrong}})
	assert.Equal(t, http.StatusUnauthorized, r.code)
	assert.Contains(t, r.body, "That code was not right")
	b.assertPendingUnchanged(before)

	// The right code plus an approval completes the login.
	e.behave(alice, unloqtest.BehaviorApprove)
	otp, err = e.sim.Sim.OTP(alice)
	require.NoError(t, err)
	r = b.post("/login/two-step", url.Values{"otp": {otp}})
	require.Equal(t, http.StatusSeeOther, r.code, r.String())
	assert.Equal(t, "/after", r.loc)
	assert.Equal(t, "verified", b.state().State)
}

func TestTwoStepTimeout(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.login("1", "")
	before := b.state()
	e.behave(alice, unloqtest.BehaviorIgnore)
	r := b.post("/login/two-step", nil)
	assert.Equal(t, http.StatusGatewayTimeout, r.code, r.String())
	assert.Contains(t, r.body, "did not answer in time")
	b.assertPendingUnchanged(before)
	_, ok := e.events.last(handlers.EventTimedOut)
	assert.True(t, ok)
}

func TestTwoStepVendorFaultsFailClosed(t *testing.T) {
	for _, path := range []string{"/v1/authenticate", "/v1/token"} {
		for _, mode := range []string{unloqtest.FaultHang, unloqtest.FaultError500, unloqtest.FaultGarbage} {
			t.Run(strings.TrimPrefix(path, "/v1/")+"/"+mode, func(t *testing.T) {
				t.Parallel()
				e := newEnv(t)
				b := e.browser()
				b.login("1", "/x")
				before := b.state()
				e.behave(alice, unloqtest.BehaviorApprove)
				e.sim.Sim.InjectFault(unloqtest.Fault{Path: path, Mode: mode})
				r := b.post("/login/two-step", nil)
				assert.Contains(t, []int{http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout}, r.code, r.String())
				b.assertPendingUnchanged(before)
				assert.Zero(t, e.users.setCount())
				ev, ok := e.events.last(handlers.EventFailed)
				if mode == unloqtest.FaultHang {
					ev, ok = e.events.last(handlers.EventTimedOut)
				}
				require.True(t, ok, e.events.kinds())
				assert.True(t, isKind(ev.Err, handlers.CodeUnavailable) || isKind(ev.Err, handlers.CodeTimeout), ev.Err)
				_, approved := e.events.last(handlers.EventApproved)
				assert.False(t, approved)

				// Once UNLOQ is back, the same pending login still works.
				r = b.post("/login/two-step", nil)
				require.Equal(t, http.StatusSeeOther, r.code, r.String())
				assert.Equal(t, "/x", r.loc)
			})
		}
	}
}

func TestTwoStepDoubleSubmitPushesOnce(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.login("1", "/x")
	first := make(chan result, 1)
	go func() { first <- b.clone().post("/login/two-step", nil) }()
	a := e.waitApproval(alice)

	// A second submit (or refresh) while the push waits on the phone.
	r := b.post("/login/two-step", nil)
	assert.Equal(t, http.StatusConflict, r.code)
	assert.Contains(t, r.body, "already waiting on your phone")
	assert.Len(t, e.sim.Sim.Approvals(alice, ""), 1, "no second push")

	require.NoError(t, e.sim.Sim.Approve(a.ID))
	r = <-first
	require.Equal(t, http.StatusSeeOther, r.code, r.String())
	assert.Equal(t, "/x", r.loc)
	assert.Len(t, e.sim.Sim.Approvals(alice, ""), 1)
	ev, ok := e.events.last(handlers.EventFailed)
	require.True(t, ok)
	assert.ErrorIs(t, ev.Err, handlers.CodeInFlight)
}

func TestTwoStepConcurrentSubmitsOnePush(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.login("1", "/x")
	e.behave(alice, unloqtest.BehaviorIgnore)
	var wg sync.WaitGroup
	codes := make([]int, 6)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i] = b.clone().post("/login/two-step", nil).code
		}()
	}
	wg.Wait()
	assert.Len(t, e.sim.Sim.Approvals(alice, ""), 1, "one push for concurrent submits: %v", codes)
}

func TestTwoStepClientDisconnectCancelsPush(t *testing.T) {
	e := newEnv(t, withSimOpts(unloqtest.WithApprovalTimeout(10*time.Second)))
	b := e.browser()
	b.login("1", "/x")
	before := b.state()
	ctx, cancel := context.WithCancel(context.Background())
	gone := b.clone()
	gone.ctx = ctx
	done := make(chan result, 1)
	go func() { done <- gone.post("/login/two-step", nil) }()
	a := e.waitApproval(alice)
	cancel()
	r := <-done
	require.Error(t, r.err)

	require.Eventually(t, func() bool {
		got, err := e.sim.Sim.Approval(a.ID)
		return err == nil && got.Status == unloqtest.StatusCancelled
	}, 5*time.Second, 20*time.Millisecond, "the push is cancelled at UNLOQ")
	assert.Empty(t, e.sim.Sim.Approvals(alice, unloqtest.StatusPending))
	b.assertPendingUnchanged(before)

	// The in-flight marker is gone: a new submit pushes again.
	e.behave(alice, unloqtest.BehaviorApprove)
	require.Eventually(t, func() bool {
		return b.post("/login/two-step", nil).code == http.StatusSeeOther
	}, 5*time.Second, 50*time.Millisecond)
	ev, ok := e.events.last(handlers.EventFailed)
	require.True(t, ok)
	assert.ErrorIs(t, ev.Err, handlers.CodeCanceled)
}

func TestTwoStepRateLimit(t *testing.T) {
	e := newEnv(t, withHandlerOpts(handlers.WithPushLimit(2, time.Minute)))
	b := e.browser()
	b.login("1", "")
	e.behave(alice, unloqtest.BehaviorIgnore)
	for range 2 {
		r := b.post("/login/two-step", nil)
		assert.Equal(t, http.StatusGatewayTimeout, r.code)
	}
	r := b.post("/login/two-step", nil)
	assert.Equal(t, http.StatusTooManyRequests, r.code)
	assert.Contains(t, r.body, "Too many requests")
	assert.Len(t, e.sim.Sim.Approvals(alice, ""), 2, "the refused request did not push")
	ev, ok := e.events.last(handlers.EventFailed)
	require.True(t, ok)
	assert.ErrorIs(t, ev.Err, handlers.CodeRateLimited)

	// The limit is per user: bob is not affected.
	b2 := e.browser()
	b2.login("2", "")
	e.behave(bob, unloqtest.BehaviorApprove)
	assert.Equal(t, http.StatusSeeOther, b2.post("/login/two-step", nil).code)
}

func TestTwoStepStoreErrorNoPush(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.login("1", "")
	before := b.state()
	e.users.failUser(assert.AnError)
	r := b.post("/login/two-step", nil)
	assert.Equal(t, http.StatusServiceUnavailable, r.code)
	assert.Zero(t, e.countRequests("/v1/authenticate"))
	e.users.failUser(nil)
	b.assertPendingUnchanged(before)
}

func TestTwoStepEmailChangedSincePasswordStep(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.login("1", "")
	before := b.state()
	require.NoError(t, e.users.Put(context.Background(), storeUser("1", "alice.new@example.com", true)))
	e.behave(alice, unloqtest.BehaviorApprove)
	r := b.post("/login/two-step", nil)
	assert.Equal(t, http.StatusForbidden, r.code)
	assert.Zero(t, e.countRequests("/v1/authenticate"))
	b.assertPendingUnchanged(before)
}

func TestTwoStepWidgetMode(t *testing.T) {
	e := newEnv(t, withHandlerOpts(
		handlers.WithWidgetKey("sim-widget-key"),
		handlers.WithWidgetScriptURL("http://127.0.0.1:1/login.js"),
		handlers.WithMode(handlers.ModeWidget),
	))
	b := e.browser()
	b.login("1", "")
	r := b.get("/login/two-step")
	require.Equal(t, http.StatusOK, r.code)
	assert.Contains(t, r.body, `<script type="text/javascript" src="http://127.0.0.1:1/login.js" data-unloq-key="sim-widget-key" data-unloq-email="alice@example.com"></script>`)
	assert.NotContains(t, r.body, `<form method="post"`)
	r = b.post("/login/two-step", nil)
	assert.Equal(t, http.StatusMethodNotAllowed, r.code)
	assert.Equal(t, "GET, HEAD", r.hdr.Get("Allow"))
	assert.Zero(t, e.countRequests("/v1/authenticate"))
}

func TestTwoStepJSON(t *testing.T) {
	e := newEnv(t, withHandlerOpts(handlers.WithWidgetKey("sim-widget-key")))
	b := e.browser()
	b.login("1", "/next")
	js := map[string]string{"Accept": "application/json"}
	r := b.do(http.MethodGet, "/login/two-step", nil, js)
	require.Equal(t, http.StatusOK, r.code)
	assert.JSONEq(t, `{"state":"pending","email":"alice@example.com","push":true,
		"widget":{"script_url":"https://plugin.unloq.io/login.js","key":"sim-widget-key"}}`, r.body)
	e.behave(alice, unloqtest.BehaviorDeny)
	r = b.do(http.MethodPost, "/login/two-step", url.Values{}, js)
	assert.Equal(t, http.StatusForbidden, r.code)
	assert.JSONEq(t, `{"error":{"code":"denied","message":"The request was declined on your phone. Nothing was changed. To try again, enter the current code from your UNLOQ app and approve the new request."},"otp_required":true}`, r.body)
}
