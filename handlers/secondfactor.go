package handlers

import (
	"errors"
	"net/http"
	"time"

	"github.com/unloq2fa/unloq2fa/session"
)

// Second factors that complete a login, as reported in Event.Factor.
const (
	// FactorUNLOQ: an approval on the phone (push or widget).
	FactorUNLOQ = "unloq"
	// FactorRecoveryCode: one of the user's recovery codes
	// (WithRecoveryCodes).
	FactorRecoveryCode = "recovery_code"
)

// maxFactorLen bounds the factor name given to CompleteSecondFactor.
const maxFactorLen = 64

// PendingUser reports the user whose login in r's session waits for its
// second step: the user id and e-mail given to LogIn. ok is
// false when there is no such login or its pending window is over. A
// factor the application checks itself (see CompleteSecondFactor) must be
// checked for this user.
func (h *Handlers) PendingUser(r *http.Request) (userID, email string, ok bool) {
	sess, err := h.load(r, "pending user")
	if err != nil || h.pendingErr(sess) != nil {
		return "", "", false
	}
	return sess.UserID(), sess.Email(), true
}

// CompleteSecondFactor finishes the pending login of r's session with a
// second factor the caller has just checked for PendingUser: a factor this
// package does not ship (a security key, a code sent by another channel)
// plugs in here. The package's own factors use it too: the phone approval
// and recovery codes (WithRecoveryCodes).
//
// factor names the factor for the audit Event (EventApproved, FlowLogin,
// Event.Factor): 1 to 64 bytes of ASCII letters, digits, '_' and '-'.
//
// It applies the same rules as an approval on the phone: the request must
// pass the cross-origin check (a POST from another site is refused), the
// login must still be pending and within its window, the user must still
// be in the store with the e-mail the login started with, and a pending
// login completes once (an old copy of its cookie, or a login that was
// logged out, cannot complete). Then the session is renewed with
// was_2fa=true and the browser is sent (303) to the next remembered by
// LogIn (an API client gets {"redirect": …}).
//
// On error nothing was written to w and the session is unchanged; the
// error matches CodeCrossOrigin, CodeBadRequest (factor), CodeNotPending,
// CodePendingExpired, CodeStore, CodeWrongUser, CodeReplayed, CodeGuard,
// CodeSession or CodeSessionUnavailable. The caller renders its own page
// (a link back to the two-step page while PendingUser still reports the
// login).
//
// Behind Wrap a pending user reaches only the exempt routes: exempt the
// factor's own route with WithExtraExemptions (exactly its method and
// path), or mount it outside Wrap.
func (h *Handlers) CompleteSecondFactor(w http.ResponseWriter, r *http.Request, factor string) error {
	const op = "complete second factor"
	sess, err := h.load(r, op)
	switch {
	case err != nil:
	case !validFactor(factor):
		err = wrap(op, CodeBadRequest, errors.New("invalid factor name"))
	case h.cop.Check(r) != nil:
		err = wrap(op, CodeCrossOrigin, nil)
	default:
		err = h.finishLogin(w, r, sess, op, factor)
	}
	if err != nil {
		h.emit(r.Context(), kindFor(err), FlowLogin, sess.UserID(), h.clientIP(r), err)
	}
	return err
}

func validFactor(f string) bool {
	if f == "" || len(f) > maxFactorLen {
		return false
	}
	for i := 0; i < len(f); i++ {
		c := f[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}

// finishLogin completes the pending login of sess whose second factor was
// checked: it re-checks the pending window and the store's e-mail of the
// user, consumes the LoginID (once), renews the session with was_2fa=true,
// emits EventApproved and redirects (303) to the remembered next. On error
// it has written nothing and changed nothing.
func (h *Handlers) finishLogin(w http.ResponseWriter, r *http.Request, sess *session.Session, op, factor string) error {
	ctx := r.Context()
	if err := h.pendingErr(sess); err != nil {
		return withOp(op, err)
	}
	// An approval may have waited ~30 s on the phone: the account's
	// e-mail must still be the one the factor was checked against.
	if err := h.checkAccount(ctx, op, sess); err != nil {
		return err
	}
	first, err := h.guard.MarkUsed(ctx, keyLoginDone(sess.UserID(), sess.LoginID()), h.loginDoneTTL())
	if err != nil {
		return wrap(op, CodeGuard, err)
	}
	if !first {
		return wrap(op, CodeReplayed, nil)
	}
	next := nextOr(sess.Flow(flowNext), h.cfg.paths.AfterLogin)
	if err := sess.CompleteSecondFactor(); err != nil {
		return wrap(op, CodeNotPending, err)
	}
	if err := sess.Save(w, r); err != nil {
		return wrap(op, CodeSession, err)
	}
	h.emitEvent(ctx, Event{Kind: EventApproved, Flow: FlowLogin, UserID: sess.UserID(), IP: h.clientIP(r), Time: time.Now(), Factor: factor})
	setSecurityHeaders(w)
	h.redirect(w, r, next, map[string]any{"state": "verified"})
	return nil
}
