package handlers

import (
	"errors"
	"net/http"
)

// maxNextLen is the longest next a pending login keeps (in the session,
// which must stay small enough for a cookie); a longer one is dropped.
const maxNextLen = 512

// LogIn logs the user userID in: call it once the user's password
// matched, and wherever else the app logs someone in from code (right
// after sign-up, after a password reset, an administrator impersonating a
// user). The same rules hold on every path: the session is renewed, and a
// user with a second factor must still pass it.
//
// The unloq2fa session is the app's login from then on: read the user with
// middleware.UserID (or Handlers.UserID), not from a session of the app's
// own, and end it with Logout.
//
// It loads the user from the store and starts a login in the session
// (BeginLogin, which renews the session). When the user's second_factor is
// "UNLOQ" the session becomes pending (was_2fa=false), next is remembered
// and the browser is sent (303) to the two-step page; otherwise the login
// is complete (was_2fa=true) and the browser goes to next.
//
// next must be a same-origin relative path (see SafeNext) of at most
// 512 bytes; anything else falls back to Paths.AfterLogin. An API client (Accept: application/json)
// gets {"two_step":bool,"redirect":"…"} instead of a redirect.
//
// A pending login the session already had (the password step ran again)
// is retired in the Guard, like at Logout: a push for it still waiting on
// the phone cannot complete it any more.
//
// The session keeps the user's UNLOQ address (see WithUNLOQAddress) as
// its e-mail. On error (CodeStore, CodeNoEmail, CodeAddress, CodeSession,
// CodeGuard, CodeSessionUnavailable when the revocation store cannot
// answer) nothing was written to w and the session was not saved: the app
// renders its own error page.
func (h *Handlers) LogIn(w http.ResponseWriter, r *http.Request, userID, next string) error {
	const op = "password verified"
	ctx := r.Context()
	ip := h.clientIP(r)
	if userID == "" {
		err := wrap(op, CodeStore, errors.New("empty user id"))
		h.emit(ctx, EventFailed, FlowLogin, "", ip, err)
		return err
	}
	user, err := h.user(ctx, op, userID)
	if err != nil {
		h.emit(ctx, EventFailed, FlowLogin, userID, ip, err)
		return err
	}
	need := hasUNLOQ(user)
	email, err := h.loginAddress(op, user, need) // the UNLOQ address (address.go)
	if err != nil {
		h.emit(ctx, EventFailed, FlowLogin, userID, ip, err)
		return err
	}
	sess, err := h.load(r, op)
	if err != nil {
		h.emit(ctx, EventFailed, FlowLogin, userID, ip, err)
		return err
	}
	// A pending login this session replaces is retired first: a push for
	// it may still be waiting on the phone, and neither it nor an old copy
	// of its cookie may complete once a new login started (or, later, was
	// logged out).
	if err := h.retirePending(ctx, sess); err != nil {
		err = wrap(op, CodeGuard, err)
		h.emit(ctx, EventFailed, FlowLogin, userID, ip, err)
		return err
	}
	if err := sess.BeginLogin(userID, email, need); err != nil {
		err = wrap(op, CodeSession, err)
		h.emit(ctx, EventFailed, FlowLogin, userID, ip, err)
		return err
	}
	target := nextOr(next, h.cfg.paths.AfterLogin)
	if len(target) > maxNextLen {
		// The session must stay small enough to save: a longer next is
		// dropped, not an error.
		target = h.cfg.paths.AfterLogin
	}
	if need {
		sess.SetFlow(flowNext, target)
	}
	if err := sess.Save(w, r); err != nil {
		err = wrap(op, CodeSession, err)
		h.emit(ctx, EventFailed, FlowLogin, userID, ip, err)
		return err
	}
	setSecurityHeaders(w)
	if need {
		h.redirect(w, r, h.cfg.paths.TwoStep, map[string]any{"two_step": true})
		return nil
	}
	h.redirect(w, r, target, map[string]any{"two_step": false})
	return nil
}
