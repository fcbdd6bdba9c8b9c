package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/handlers"
	"github.com/unloq2fa/unloq2fa/store"
	"github.com/unloq2fa/unloq2fa/unloq/unloqtest"
)

func TestDisableApproved(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.loginVerified("1", alice)
	n := len(e.sim.Sim.Approvals(alice, ""))
	e.behave(alice, unloqtest.BehaviorApprove)
	r := b.post("/settings/2fa/disable", nil)
	require.Equal(t, http.StatusSeeOther, r.code, r.String())
	assert.Equal(t, "/settings", r.loc)
	assert.Equal(t, "", e.user("1").SecondFactor)
	assert.Len(t, e.sim.Sim.Approvals(alice, ""), n+1, "a fresh approval")
	_, ok := e.events.last(handlers.EventDisabled)
	assert.True(t, ok)
	// The UNLOQ profile is kept.
	assert.Zero(t, e.countRequests("/v1/deactivate"))

	// Now off: a second disable is refused without a push.
	r = b.post("/settings/2fa/disable", nil)
	assert.Equal(t, http.StatusConflict, r.code)
	assert.Len(t, e.sim.Sim.Approvals(alice, ""), n+1)
}

func TestDisableDeniedThenOTP(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.loginVerified("1", alice)
	e.behave(alice, unloqtest.BehaviorDeny)
	r := b.post("/settings/2fa/disable", nil)
	assert.Equal(t, http.StatusForbidden, r.code)
	assert.Contains(t, r.body, `name="otp"`)
	assert.Contains(t, r.body, `action="/settings/2fa/disable"`)
	assert.Equal(t, store.SecondFactorUNLOQ, e.user("1").SecondFactor)
	assert.Zero(t, e.users.setCount())

	e.behave(alice, unloqtest.BehaviorApprove)
	r = b.post("/settings/2fa/disable", url.Values{"otp": {"999999x"}})
	assert.Equal(t, http.StatusBadRequest, r.code)
	otp, err := e.sim.Sim.OTP(alice)
	require.NoError(t, err)
	r = b.post("/settings/2fa/disable", url.Values{"otp": {otp}})
	require.Equal(t, http.StatusSeeOther, r.code, r.String())
	assert.Equal(t, "", e.user("1").SecondFactor)
}

// disableAuthorize is the path of the disable action's approval.
const disableAuthorize = "/v1/authorize/" + handlers.DefaultDisableAction

func TestDisableFailuresChangeNothing(t *testing.T) {
	cases := []struct {
		name  string
		setup func(e *env)
		code  int
		hang  string // the approval call that hangs, and the only one made
	}{
		{"timeout", func(e *env) { e.behave(alice, unloqtest.BehaviorIgnore) }, http.StatusGatewayTimeout, ""},
		// The login remembered the unloq_id: the approval is the disable
		// action (authorize).
		{"authorize hang", func(e *env) {
			e.sim.Sim.InjectFault(unloqtest.Fault{Path: disableAuthorize, Mode: unloqtest.FaultHang})
		}, http.StatusGatewayTimeout, disableAuthorize},
		// With the unloq_id forgotten, authorize does not apply: the
		// approval is a login request (authenticate).
		{"authenticate hang", func(e *env) {
			u := e.user("1")
			u.UnloqID = ""
			require.NoError(e.t, e.users.Put(context.Background(), u))
			e.sim.Sim.InjectFault(unloqtest.Fault{Path: "/v1/authenticate", Mode: unloqtest.FaultHang})
		}, http.StatusGatewayTimeout, "/v1/authenticate"},
		{"token garbage", func(e *env) {
			e.behave(alice, unloqtest.BehaviorApprove)
			e.sim.Sim.InjectFault(unloqtest.Fault{Path: "/v1/token", Mode: unloqtest.FaultGarbage})
		}, http.StatusBadGateway, ""},
		{"no device", func(e *env) { e.behave(alice, unloqtest.BehaviorUnregistered) }, http.StatusConflict, ""},
		{"store write", func(e *env) {
			e.behave(alice, unloqtest.BehaviorApprove)
			e.users.failSet(assert.AnError)
		}, http.StatusServiceUnavailable, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			b := e.browser()
			b.loginVerified("1", alice)
			tc.setup(e)
			e.sim.Sim.ResetRequests()
			r := b.post("/settings/2fa/disable", nil)
			assert.Equal(t, tc.code, r.code, r.String())
			if tc.hang != "" {
				assert.Equal(t, 1, e.countRequests(tc.hang), "the fault is on the path the approval used")
				assert.Equal(t, 1, e.countRequests("/v1/authenticate")+e.countRequests(disableAuthorize), "and no other")
			}
			assert.Equal(t, store.SecondFactorUNLOQ, e.user("1").SecondFactor)
			assert.Zero(t, e.users.setCount())
			_, ok := e.events.last(handlers.EventDisabled)
			assert.False(t, ok)
		})
	}
}

func TestDisableNeedsVerifiedSession(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.login("1", "")
	r := b.post("/settings/2fa/disable", nil)
	assert.Equal(t, http.StatusSeeOther, r.code)
	assert.Equal(t, "/login?next=%2Fsettings", r.loc)
	assert.Equal(t, store.SecondFactorUNLOQ, e.user("1").SecondFactor)
	assert.Zero(t, e.countRequests("/v1/authenticate"))
}
