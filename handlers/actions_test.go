package handlers_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/handlers"
	"github.com/unloq2fa/unloq2fa/store"
	"github.com/unloq2fa/unloq2fa/unloq/unloqtest"
)

// lastApproval is the newest approval the simulator has for email.
func (e *env) lastApproval(email string) unloqtest.Approval {
	e.t.Helper()
	aps := e.sim.Sim.Approvals(email, "")
	require.NotEmpty(e.t, aps)
	last := aps[0]
	for _, a := range aps {
		if !a.CreatedAt.Before(last.CreatedAt) {
			last = a
		}
	}
	return last
}

// TestPhoneSaysWhatIsApproved: turning two-step off and on asks the phone
// with the actions' own text, not "Log in?".
func TestPhoneSaysWhatIsApproved(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.loginVerified("1", alice) // the first approval: the unloq_id is now known
	e.behave(alice, unloqtest.BehaviorApprove)

	r := b.post("/settings/2fa/disable", nil)
	require.Equal(t, http.StatusSeeOther, r.code, r.String())
	a := e.lastApproval(alice)
	assert.Equal(t, "Turn off two-step login?", a.Title)
	assert.Equal(t, unloqtest.TypeAuthorization, a.Type)
	assert.Equal(t, handlers.DefaultDisableAction, a.Action)
	assert.NotEmpty(t, a.Reference)
	assert.Empty(t, e.user("1").SecondFactor)

	r = b.post("/settings/2fa/enable", nil) // a known profile: the paired page, then the confirm step
	require.Equal(t, http.StatusOK, r.code, r.String())
	assert.Contains(t, r.body, "already paired")
	r = b.post("/settings/2fa/enable", confirm)
	require.Equal(t, http.StatusSeeOther, r.code, r.String())
	a = e.lastApproval(alice)
	assert.Equal(t, "Turn on two-step login?", a.Title)
	assert.Equal(t, handlers.DefaultEnableAction, a.Action)
	assert.Equal(t, store.SecondFactorUNLOQ, e.user("1").SecondFactor)
}

func TestActionCodesConfigurable(t *testing.T) {
	t.Run("custom", func(t *testing.T) {
		e := newEnv(t, withHandlerOpts(handlers.WithActionCodes(handlers.ActionCodes{Enable: "tfa_on", Disable: "tfa_off"})))
		require.NoError(t, e.sim.Sim.SetAction("tfa_off", "Stop asking this phone?", ""))
		b := e.browser()
		b.loginVerified("1", alice)
		e.behave(alice, unloqtest.BehaviorApprove)
		r := b.post("/settings/2fa/disable", nil)
		require.Equal(t, http.StatusSeeOther, r.code, r.String())
		assert.Equal(t, "Stop asking this phone?", e.lastApproval(alice).Title)
	})
	t.Run("off", func(t *testing.T) {
		e := newEnv(t, withHandlerOpts(handlers.WithActionCodes(handlers.ActionCodes{})))
		b := e.browser()
		b.loginVerified("1", alice)
		e.behave(alice, unloqtest.BehaviorApprove)
		r := b.post("/settings/2fa/disable", nil)
		require.Equal(t, http.StatusSeeOther, r.code, r.String())
		assert.Equal(t, "Log in?", e.lastApproval(alice).Title)
		assert.Zero(t, e.countRequests("/v1/authorize/disable-2fa"))
	})
	t.Run("undefined at UNLOQ falls back", func(t *testing.T) {
		e := newEnv(t, withHandlerOpts(handlers.WithActionCodes(handlers.ActionCodes{Disable: "not-defined"})))
		b := e.browser()
		b.loginVerified("1", alice)
		e.behave(alice, unloqtest.BehaviorApprove)
		r := b.post("/settings/2fa/disable", nil)
		require.Equal(t, http.StatusSeeOther, r.code, r.String())
		assert.Equal(t, 1, e.countRequests("/v1/authorize/not-defined"))
		assert.Equal(t, "Log in?", e.lastApproval(alice).Title)
		assert.Empty(t, e.user("1").SecondFactor)
	})
	t.Run("no unloq_id yet", func(t *testing.T) {
		// erin is paired but never approved anything for this app: UNLOQ
		// cannot authorize her yet, so enabling asks for a login approval.
		e := newEnv(t)
		b := e.browser()
		b.loginVerified("5", erin)
		e.behave(erin, unloqtest.BehaviorApprove)
		r := b.post("/settings/2fa/enable", nil)
		require.Equal(t, http.StatusOK, r.code, r.String()) // the paired page
		r = b.post("/settings/2fa/enable", confirm)
		require.Equal(t, http.StatusSeeOther, r.code, r.String())
		assert.Equal(t, "Log in?", e.lastApproval(erin).Title)
		assert.Zero(t, e.countRequests("/v1/authorize/enable-2fa"))
		assert.NotEmpty(t, e.user("5").UnloqID, "remembered for the next time")
	})
	t.Run("denied, then the one-time code", func(t *testing.T) {
		e := newEnv(t)
		b := e.browser()
		b.loginVerified("1", alice)
		e.behave(alice, unloqtest.BehaviorDeny)
		r := b.post("/settings/2fa/disable", nil)
		assert.Equal(t, http.StatusForbidden, r.code, r.String())
		assert.Equal(t, unloqtest.TypeAuthorization, e.lastApproval(alice).Type)
		assert.Equal(t, store.SecondFactorUNLOQ, e.user("1").SecondFactor)
		e.behave(alice, unloqtest.BehaviorApprove)
		otp, err := e.sim.Sim.OTP(alice)
		require.NoError(t, err)
		r = b.post("/settings/2fa/disable", url.Values{"otp": {otp}})
		require.Equal(t, http.StatusSeeOther, r.code, r.String())
		assert.Empty(t, e.user("1").SecondFactor)
	})
	t.Run("invalid", func(t *testing.T) {
		e := newEnv(t)
		for _, codes := range []handlers.ActionCodes{{Enable: "has space"}, {Disable: "way-too-long-action-code"}, {Enable: "ü"}} {
			_, err := handlers.New(e.client, e.sm, e.users, handlers.WithActionCodes(codes))
			assert.Error(t, err, "%+v", codes)
		}
	})
}
