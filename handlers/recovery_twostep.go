package handlers

import (
	"net/http"
	"strings"
)

// twoStepPost serves POST Paths.TwoStep when recovery codes are on: a
// non-empty field "recovery_code" is checked as a recovery code (and only
// as one: it is never sent to UNLOQ as a one-time code); any other POST is
// the push (405 when push is off).
func (h *Handlers) twoStepPost(w http.ResponseWriter, r *http.Request) {
	const op = "two-step"
	if !h.twoStepOrigin(w, r, op) {
		return
	}
	if err := r.ParseForm(); err != nil {
		sess, ok := h.pendingSession(w, r, op)
		if !ok {
			return
		}
		err = wrap(op, CodeBadRequest, nil)
		h.emit(r.Context(), EventFailed, FlowLogin, sess.UserID(), h.clientIP(r), err)
		h.renderTwoStep(w, r, sess, err)
		return
	}
	if _, ok := r.PostForm["recovery_code"]; ok {
		h.twoStepRecovery(w, r)
		return
	}
	if !h.pushEnabled() {
		h.methodNotAllowed(w, r, "GET, HEAD, POST")
		return
	}
	h.twoStepPush(w, r)
}

// twoStepRecovery completes the pending login with one of the user's
// recovery codes.
func (h *Handlers) twoStepRecovery(w http.ResponseWriter, r *http.Request) {
	const op = "two-step: recovery code"
	ctx := r.Context()
	sess, ok := h.pendingSession(w, r, op)
	if !ok {
		return
	}
	uid := sess.UserID()
	fail := func(err error) {
		h.emit(ctx, kindFor(err), FlowLogin, uid, h.clientIP(r), err)
		h.renderTwoStep(w, r, sess, err)
	}
	codes := r.PostForm["recovery_code"]
	// One code, and not mixed with a one-time code: which one was meant
	// would be a guess.
	if len(codes) != 1 || strings.TrimSpace(r.PostForm.Get("otp")) != "" {
		fail(wrap(op, CodeBadRequest, nil))
		return
	}
	if strings.TrimSpace(codes[0]) == "" {
		fail(wrap(op, CodeBadRequest, nil))
		return
	}
	// A login that already completed or was logged out spends no code.
	if err := h.checkNotDone(ctx, op, sess); err != nil {
		fail(err)
		return
	}
	if err := h.checkAccount(ctx, op, sess); err != nil {
		fail(err)
		return
	}
	if err := h.cfg.recovery.Verify(ctx, uid, codes[0]); err != nil {
		fail(wrap(op, CodeRecoveryCode, err))
		return
	}
	if err := h.CompleteSecondFactor(w, r, FactorRecoveryCode); err != nil {
		// CompleteSecondFactor reported the event.
		link, text := h.cfg.paths.Login, "Log in again"
		if h.pendingErr(sess) == nil {
			link, text = h.cfg.paths.TwoStep, "Back to the sign-in"
		}
		h.message(w, r, err, "Sign-in not completed", link, text)
	}
}
