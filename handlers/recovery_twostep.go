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
	if err := h.cop.Check(r); err != nil {
		err = wrap(op, CodeCrossOrigin, nil)
		h.emit(r.Context(), EventFailed, FlowLogin, "", h.clientIP(r), err)
		h.message(w, r, err, "Request blocked", h.cfg.paths.TwoStep, "Back to the sign-in")
		return
	}
	limitBody(w, r)
	if err := r.ParseForm(); err != nil {
		sess, lerr := h.load(r, op)
		if lerr != nil {
			h.unavailable(w, r, FlowLogin, lerr)
			return
		}
		if perr := h.pendingErr(sess); perr != nil {
			h.leaveTwoStep(w, r, sess, perr)
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
	sess, err := h.load(r, op)
	if err != nil {
		h.unavailable(w, r, FlowLogin, err)
		return
	}
	if err := h.pendingErr(sess); err != nil {
		h.leaveTwoStep(w, r, sess, err)
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
