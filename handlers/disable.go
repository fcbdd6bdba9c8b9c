package handlers

import (
	"net/http"
)

// Disable turns two-step verification off (POST Paths.Disable) for a
// verified session; other sessions are sent to the login page (401 for API
// clients).
//
// It first asks for a fresh approval (push, token exchange, e-mail check;
// after a denial the page asks for the one-time code, form field "otp"),
// and only then clears second_factor in the store and sends the browser
// (303) to Paths.Settings. A store error or any UNLOQ failure changes
// nothing.
//
// The user's UNLOQ profile is kept (Deactivate is not called): the phone
// keeps its pairing, so turning two-step on again later needs no new QR
// code, and a profile the user also uses elsewhere is not disturbed. Call
// (*unloq.Client).Deactivate yourself if you want it removed.
func (h *Handlers) Disable() http.Handler { return http.HandlerFunc(h.serveDisable) }

func (h *Handlers) serveDisable(w http.ResponseWriter, r *http.Request) {
	const op = "disable"
	setSecurityHeaders(w)
	if !h.checkPOST(w, r, FlowDisable, op) {
		return
	}
	ctx := r.Context()
	ip := h.clientIP(r)
	sess, user, err := h.settingsUser(ctx, r, op)
	if err != nil {
		h.settingsFail(w, r, FlowDisable, sess.UserID(), "Two-step verification", err)
		return
	}
	if !hasUNLOQ(user) {
		h.settingsFail(w, r, FlowDisable, user.ID, "Two-step verification is off", wrap(op, CodeNotEnabled, nil))
		return
	}
	fail := func(err error) {
		h.emit(ctx, kindFor(err), FlowDisable, user.ID, ip, err)
		h.renderApprove(w, r, "disable", user.Email, h.cfg.paths.Disable, "", err)
	}
	otp, err := formOTP(r, op)
	if err != nil {
		fail(err)
		return
	}
	ctx, release, err := h.reserve(ctx, op, keyInFlightUser(user.ID), keyPush(user.ID))
	if err != nil {
		fail(err)
		return
	}
	defer release()
	if err := h.approve(ctx, approval{op: op, flow: FlowDisable, userID: user.ID, email: user.Email, ip: ip, otp: otp}); err != nil {
		fail(err)
		return
	}
	h.emit(ctx, EventApproved, FlowDisable, user.ID, ip, nil)
	if err := h.endOtherSessions(w, r, sess, op); err != nil { // the user's other sessions end
		fail(err)
		return
	}
	// The recovery codes go first: if that fails, two-step stays on.
	if err := h.deleteRecoveryCodes(ctx, op, user.ID); err != nil {
		fail(err)
		return
	}
	if err := h.users.SetSecondFactor(ctx, user.ID, ""); err != nil {
		fail(wrap(op, CodeStore, err))
		return
	}
	h.emit(ctx, EventDisabled, FlowDisable, user.ID, ip, nil)
	h.setNotice(w, r, sess, NoticeDisabled)
	h.redirect(w, r, h.cfg.paths.Settings, map[string]any{"enabled": false})
}
