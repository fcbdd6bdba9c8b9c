package handlers_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/handlers"
	"github.com/unloq2fa/unloq2fa/store"
	"github.com/unloq2fa/unloq2fa/unloq/unloqtest"
)

var confirm = url.Values{"step": {"confirm"}}

func TestEnableQRFlow(t *testing.T) {
	e := newEnv(t, withHandlerOpts(handlers.WithAppName("Demo App")))
	b := e.browser()
	b.loginVerified("4", dave)

	r := b.post("/settings/2fa/enable", nil)
	require.Equal(t, http.StatusOK, r.code, r.String())
	m := qrSrc.FindStringSubmatch(r.body)
	require.Len(t, m, 2, "the page shows the QR image")
	qr := html.UnescapeString(m[1])
	assert.Contains(t, qr, e.sim.URL+"/qr/")
	assert.Contains(t, r.body, `href="`+m[1]+`"`, "and a link to it")
	assert.Contains(t, r.body, `data-status-url="/settings/2fa/enable/status"`)
	assert.Contains(t, r.body, `<input type="hidden" name="step" value="confirm">`)
	assert.Contains(t, r.body, "I scanned it — continue")
	img, err := http.Get(qr)
	require.NoError(t, err)
	img.Body.Close()
	assert.Equal(t, "image/png", img.Header.Get("Content-Type"))

	status := func() string {
		r := b.get("/settings/2fa/enable/status")
		require.Equal(t, http.StatusOK, r.code, r.String())
		assert.Equal(t, "no-store", r.hdr.Get("Cache-Control"))
		return r.body
	}
	assert.JSONEq(t, `{"enrolled":false}`, status())

	// Continuing before the scan changes nothing.
	r = b.post("/settings/2fa/enable", confirm)
	assert.Equal(t, http.StatusConflict, r.code)
	assert.Contains(t, r.body, `data-code="not_paired"`)
	assert.Empty(t, e.sim.Sim.Approvals(dave, ""))
	assert.Equal(t, "", e.user("4").SecondFactor)

	require.NoError(t, e.sim.Sim.Scan(dave))
	time.Sleep(2 * time.Second) // the status route asks UNLOQ at most every 2 s
	assert.JSONEq(t, `{"enrolled":true}`, status())
	assert.Equal(t, "", e.user("4").SecondFactor, "scanning alone does not turn it on")

	e.behave(dave, unloqtest.BehaviorApprove)
	r = b.post("/settings/2fa/enable", confirm)
	require.Equal(t, http.StatusSeeOther, r.code, r.String())
	assert.Equal(t, "/settings", r.loc)
	assert.Equal(t, store.SecondFactorUNLOQ, e.user("4").SecondFactor)
	assert.Len(t, e.sim.Sim.Approvals(dave, unloqtest.StatusApproved), 1, "one confirmed approval")
	assert.Equal(t, []handlers.EventKind{handlers.EventChallenged, handlers.EventFailed, handlers.EventChallenged, handlers.EventApproved, handlers.EventEnrolled}, e.events.kinds())

	// The enrollment flow is over: status and confirm are refused now.
	r = b.get("/settings/2fa/enable/status")
	assert.Equal(t, http.StatusConflict, r.code)
	r = b.post("/settings/2fa/enable", confirm)
	assert.Equal(t, http.StatusConflict, r.code)
	assert.Contains(t, r.body, `data-code="already_enabled"`)

	// The next login needs the second step.
	b2 := e.browser()
	b2.login("4", "")
}

func TestEnableDeniedThenOTP(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.loginVerified("4", dave)
	require.Equal(t, http.StatusOK, b.post("/settings/2fa/enable", nil).code)
	require.NoError(t, e.sim.Sim.Scan(dave))

	e.behave(dave, unloqtest.BehaviorDeny)
	r := b.post("/settings/2fa/enable", confirm)
	assert.Equal(t, http.StatusForbidden, r.code)
	assert.Contains(t, r.body, "declined on your phone")
	assert.Contains(t, r.body, `name="otp"`)
	assert.Equal(t, "", e.user("4").SecondFactor)
	assert.Zero(t, e.users.setCount())

	e.behave(dave, unloqtest.BehaviorApprove)
	otp, err := e.sim.Sim.OTP(dave)
	require.NoError(t, err)
	form := url.Values{"step": {"confirm"}, "otp": {otp}}
	r = b.post("/settings/2fa/enable", form)
	require.Equal(t, http.StatusSeeOther, r.code, r.String())
	assert.Equal(t, store.SecondFactorUNLOQ, e.user("4").SecondFactor)
}

func TestEnableKnownUserPushPath(t *testing.T) {
	// erin's phone is already paired with this application: no QR code
	// and no new enrollment; the page says so and submits the confirm
	// step by itself; one confirmed approval turns two-step on.
	e := newEnv(t)
	b := e.browser()
	b.loginVerified("5", erin)
	e.behave(erin, unloqtest.BehaviorApprove)
	enrolls := e.countRequests("/v1/enroll")
	r := b.post("/settings/2fa/enable", nil)
	require.Equal(t, http.StatusOK, r.code, r.String())
	assert.Contains(t, r.body, "already paired")
	assert.Contains(t, r.body, "continues by itself")
	assert.NotContains(t, r.body, `class="qr"`)
	assert.Contains(t, r.body, `<input type="hidden" name="step" value="confirm">`)
	assert.Contains(t, r.body, `.submit()`, "the page continues by itself")
	assert.Equal(t, enrolls, e.countRequests("/v1/enroll"), "no second enrollment")
	assert.Empty(t, e.sim.Sim.Approvals(erin, ""), "no push before the page is shown")
	assert.Equal(t, "", e.user("5").SecondFactor)

	r = b.post("/settings/2fa/enable", confirm)
	require.Equal(t, http.StatusSeeOther, r.code, r.String())
	assert.Equal(t, "/settings", r.loc)
	assert.Equal(t, store.SecondFactorUNLOQ, e.user("5").SecondFactor)
	assert.Len(t, e.sim.Sim.Approvals(erin, unloqtest.StatusApproved), 1, "one push, not two")
}

func TestEnableKnownUserDenied(t *testing.T) {
	// A denial on the paired path: the page asks for the one-time code
	// and has the field to type it; the code then finishes the enable.
	e := newEnv(t)
	b := e.browser()
	b.loginVerified("5", erin)
	e.behave(erin, unloqtest.BehaviorDeny)
	r := b.post("/settings/2fa/enable", nil)
	require.Equal(t, http.StatusOK, r.code, r.String())
	r = b.post("/settings/2fa/enable", confirm)
	assert.Equal(t, http.StatusForbidden, r.code, r.String())
	assert.Contains(t, r.body, `name="otp"`)
	assert.Contains(t, r.body, `name="step" value="confirm"`)
	assert.NotContains(t, r.body, `.submit()`, "no automatic retry after an error")
	assert.Equal(t, "", e.user("5").SecondFactor)
	assert.Zero(t, e.users.setCount())

	e.behave(erin, unloqtest.BehaviorApprove)
	otp, err := e.sim.Sim.OTP(erin)
	require.NoError(t, err)
	r = b.post("/settings/2fa/enable", url.Values{"step": {"confirm"}, "otp": {otp}})
	require.Equal(t, http.StatusSeeOther, r.code, r.String())
	assert.Equal(t, store.SecondFactorUNLOQ, e.user("5").SecondFactor)
}

func TestEnableFailuresChangeNothing(t *testing.T) {
	cases := []struct {
		name  string
		setup func(e *env, b *browser) url.Values
		code  int
		errIs error
	}{
		{"enroll error500", func(e *env, b *browser) url.Values {
			e.sim.Sim.InjectFault(unloqtest.Fault{Path: "/v1/enroll", Mode: unloqtest.FaultError500})
			return nil
		}, http.StatusBadGateway, handlers.CodeUnavailable},
		{"enroll garbage", func(e *env, b *browser) url.Values {
			e.sim.Sim.InjectFault(unloqtest.Fault{Path: "/v1/enroll", Mode: unloqtest.FaultGarbage})
			return nil
		}, http.StatusBadGateway, handlers.CodeUnavailable},
		{"confirm without enrollment", func(e *env, b *browser) url.Values {
			return confirm
		}, http.StatusConflict, handlers.CodeNoEnrollment},
		{"unknown step", func(e *env, b *browser) url.Values {
			return url.Values{"step": {"done"}}
		}, http.StatusBadRequest, handlers.CodeBadRequest},
		{"authenticate garbage on confirm", func(e *env, b *browser) url.Values {
			require.Equal(e.t, http.StatusOK, b.post("/settings/2fa/enable", nil).code)
			require.NoError(e.t, e.sim.Sim.Scan(dave))
			e.behave(dave, unloqtest.BehaviorApprove)
			e.sim.Sim.InjectFault(unloqtest.Fault{Path: "/v1/authenticate", Mode: unloqtest.FaultGarbage})
			return confirm
		}, http.StatusBadGateway, handlers.CodeUnavailable},
		{"token error500 on confirm", func(e *env, b *browser) url.Values {
			require.Equal(e.t, http.StatusOK, b.post("/settings/2fa/enable", nil).code)
			require.NoError(e.t, e.sim.Sim.Scan(dave))
			e.behave(dave, unloqtest.BehaviorApprove)
			e.sim.Sim.InjectFault(unloqtest.Fault{Path: "/v1/token", Mode: unloqtest.FaultError500})
			return confirm
		}, http.StatusBadGateway, handlers.CodeUnavailable},
		{"phone times out on confirm", func(e *env, b *browser) url.Values {
			require.Equal(e.t, http.StatusOK, b.post("/settings/2fa/enable", nil).code)
			require.NoError(e.t, e.sim.Sim.Scan(dave))
			e.behave(dave, unloqtest.BehaviorIgnore)
			return confirm
		}, http.StatusGatewayTimeout, handlers.CodeTimeout},
		{"store read error", func(e *env, b *browser) url.Values {
			e.users.failUser(assert.AnError)
			return nil
		}, http.StatusServiceUnavailable, handlers.CodeStore},
		{"store write error", func(e *env, b *browser) url.Values {
			require.Equal(e.t, http.StatusOK, b.post("/settings/2fa/enable", nil).code)
			require.NoError(e.t, e.sim.Sim.Scan(dave))
			e.behave(dave, unloqtest.BehaviorApprove)
			e.users.failSet(assert.AnError)
			return confirm
		}, http.StatusServiceUnavailable, handlers.CodeStore},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			b := e.browser()
			b.loginVerified("4", dave)
			form := tc.setup(e, b)
			r := b.post("/settings/2fa/enable", form)
			assert.Equal(t, tc.code, r.code, r.String())
			e.users.failUser(nil)
			assert.Equal(t, "", e.user("4").SecondFactor)
			assert.Zero(t, e.users.setCount())
			assert.Equal(t, "verified", b.state().State)
			_, enrolled := e.events.last(handlers.EventEnrolled)
			assert.False(t, enrolled)
			evs := e.events.all()
			require.NotEmpty(t, evs)
			assert.ErrorIs(t, evs[len(evs)-1].Err, tc.errIs)
		})
	}
}

func TestEnableNeedsVerifiedSession(t *testing.T) {
	e := newEnv(t)
	anon := e.browser()
	r := anon.post("/settings/2fa/enable", nil)
	assert.Equal(t, http.StatusSeeOther, r.code)
	assert.Equal(t, "/login?next=%2Fsettings", r.loc)
	r = anon.do(http.MethodPost, "/settings/2fa/enable", url.Values{}, map[string]string{"Accept": "application/json"})
	assert.Equal(t, http.StatusUnauthorized, r.code)
	assert.Contains(t, r.body, `"not_verified"`)
	r = anon.get("/settings/2fa/enable/status")
	assert.Equal(t, http.StatusUnauthorized, r.code)

	// A pending login (password only) may not enroll either.
	p := e.browser()
	p.login("1", "")
	r = p.post("/settings/2fa/enable", nil)
	assert.Equal(t, http.StatusSeeOther, r.code)
	assert.Zero(t, e.countRequests("/v1/enroll")-3, "only the setup enrollments of alice, bob, erin")

	// Verified, but no enrollment in progress: no status.
	v := e.browser()
	v.loginVerified("3", carol)
	r = v.get("/settings/2fa/enable/status")
	assert.Equal(t, http.StatusConflict, r.code)
	assert.Contains(t, r.body, `"no_enrollment"`)
}

func TestEnableJSON(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.loginVerified("4", dave)
	js := map[string]string{"Accept": "application/json"}
	r := b.do(http.MethodPost, "/settings/2fa/enable", url.Values{}, js)
	require.Equal(t, http.StatusOK, r.code, r.String())
	assert.Contains(t, r.body, `"status":"scan"`)
	assert.Contains(t, r.body, `"qr_url":"`+e.sim.URL+`/qr/`)
	assert.Contains(t, r.body, `"status_url":"/settings/2fa/enable/status"`)
	require.NoError(t, e.sim.Sim.Scan(dave))
	e.behave(dave, unloqtest.BehaviorApprove)
	r = b.do(http.MethodPost, "/settings/2fa/enable", confirm, js)
	require.Equal(t, http.StatusOK, r.code, r.String())
	assert.JSONEq(t, `{"enabled":true,"redirect":"/settings"}`, r.body)
}

func TestEnableAlreadyOn(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.loginVerified("1", alice)
	r := b.post("/settings/2fa/enable", nil)
	assert.Equal(t, http.StatusConflict, r.code)
	assert.Contains(t, r.body, "already on")
	require.NoError(t, e.users.SetSecondFactor(context.Background(), "1", ""))
}
