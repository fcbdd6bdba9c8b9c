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
	a, ok := h.freshApproval(w, r, settingsAction{
		op: op, flow: FlowDisable, title: "Two-step verification", purpose: "disable", path: h.cfg.paths.Disable,
	})
	if !ok {
		return
	}
	defer a.release()
	ctx, sess, user := a.ctx, a.sess, a.user
	if err := h.endOtherSessions(w, r, sess, op); err != nil { // the user's other sessions end
		a.fail(err)
		return
	}
	// The recovery codes go first: if that fails, two-step stays on.
	if err := h.deleteRecoveryCodes(ctx, op, user.ID); err != nil {
		a.fail(err)
		return
	}
	if err := h.users.SetSecondFactor(ctx, user.ID, ""); err != nil {
		a.fail(wrap(op, CodeStore, err))
		return
	}
	h.emit(ctx, EventDisabled, FlowDisable, user.ID, a.ip, nil)
	h.setNotice(w, r, sess, NoticeDisabled)
	h.redirect(w, r, h.cfg.paths.Settings, map[string]any{"enabled": false})
}
