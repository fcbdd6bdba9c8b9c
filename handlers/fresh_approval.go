package handlers

import (
	"context"
	"net/http"

	"github.com/unloq2fa/unloq2fa/session"
	"github.com/unloq2fa/unloq2fa/store"
)

// settingsAction names a settings change that needs a fresh approval on
// the phone (turning two-step off, a new set of recovery codes).
type settingsAction struct {
	op      string // operation of the errors
	flow    string // Flow… of the events
	title   string // title of the failure page before the approval
	purpose string // ApprovePage.Purpose
	path    string // the route, where the approval page posts again
}

// approved is a settings change whose fresh approval succeeded.
type approved struct {
	ctx     context.Context // the request's context, bound to the reservation
	release func()          // ends the reservation; call it (defer) when done
	sess    *session.Session
	user    store.User // user.Email is the UNLOQ address (settingsUser)
	ip      string
	// fail reports err and answers with the approval page explaining it;
	// for failures after the approval, too.
	fail func(err error)
}

// freshApproval runs the steps a settings change shares before it may
// change anything: method and origin (checkPOST), a verified session of a
// user with two-step on (settingsUser), the one-time code of the form, one
// approval in flight per user (reserve) and the approval itself (approve).
// Every failure is reported and answered here and ok is false: nothing
// may change. On success the caller must call a.release.
func (h *Handlers) freshApproval(w http.ResponseWriter, r *http.Request, act settingsAction) (a approved, ok bool) {
	if !h.checkPOST(w, r, act.flow, act.op) {
		return approved{}, false
	}
	ctx := r.Context()
	ip := h.clientIP(r)
	sess, user, err := h.settingsUser(ctx, r, act.op)
	if err != nil {
		h.settingsFail(w, r, act.flow, sess.UserID(), act.title, err)
		return approved{}, false
	}
	if !hasUNLOQ(user) {
		h.settingsFail(w, r, act.flow, user.ID, "Two-step verification is off", wrap(act.op, CodeNotEnabled, nil))
		return approved{}, false
	}
	fail := func(err error) {
		h.emit(ctx, kindFor(err), act.flow, user.ID, ip, err)
		h.renderApprove(w, r, act.purpose, user.Email, act.path, "", err)
	}
	otp, err := formOTP(r, act.op)
	if err != nil {
		fail(err)
		return approved{}, false
	}
	ctx, release, err := h.reserve(ctx, act.op, keyInFlightUser(user.ID), keyPush(user.ID))
	if err != nil {
		fail(err)
		return approved{}, false
	}
	if err := h.approve(ctx, approval{op: act.op, flow: act.flow, userID: user.ID, email: user.Email, ip: ip, otp: otp}); err != nil {
		fail(err) // while still reserved, as the caller's failures
		release()
		return approved{}, false
	}
	h.emit(ctx, EventApproved, act.flow, user.ID, ip, nil)
	return approved{ctx: ctx, release: release, sess: sess, user: user, ip: ip, fail: fail}, true
}
