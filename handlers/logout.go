package handlers

import (
	"context"
	"errors"
	"net/http"

	"github.com/unloq2fa/unloq2fa/session"
)

// Logout ends the browser's session: call it from the app's own logout
// route (a POST behind cross-origin protection), then redirect as the app
// likes. It writes only the cookie header.
//
// With a cookie store the session lives in the browser, so clearing the
// cookie alone cannot stop a push that is still waiting on the phone: its
// request carries the old cookie and, once approved, would set a verified
// one. Logout therefore also consumes the pending login in the Guard, the
// same record that lets a pending login complete only once, so that late
// approval is refused.
//
// The login (pending or verified) is also ended on the server through the
// Manager's revocation store, so a copy of the cookie taken before logout
// opens nothing afterwards, on any instance sharing the store. A failure to
// record that is an error matching ErrRevocation.
//
// Logout always tries to delete the cookie, even when the session could not
// be read (tampered cookie, session store down) or the Guard failed; such
// an error is returned afterwards, and the app should still treat the user
// as logged out.
func (h *Handlers) Logout(w http.ResponseWriter, r *http.Request) error {
	// On a load error sess is an empty session: clearing and saving it
	// still deletes the cookie.
	sess, loadErr := h.sm.Load(r)
	var errs []error
	if loadErr != nil && !errors.Is(loadErr, session.ErrUnreadable) {
		errs = append(errs, wrap("logout", ErrSession, loadErr))
	}
	if err := h.retirePending(r.Context(), sess); err != nil {
		errs = append(errs, wrap("logout", ErrGuard, err))
	}
	// Ends the login on the server too (every copy of the cookie dies),
	// and clears the session whatever happens.
	if err := h.sm.EndLogin(r.Context(), sess); err != nil {
		errs = append(errs, wrap("logout", ErrRevocation, err))
	}
	if err := sess.Save(w, r); err != nil {
		errs = append(errs, wrap("logout", ErrSession, err))
	}
	return errors.Join(errs...)
}

// retirePending consumes the pending login of sess (if any) in the Guard,
// the record that lets a pending login complete only once: a push for it
// that is still waiting on the phone, or an old copy of its cookie, can
// then no longer complete it.
func (h *Handlers) retirePending(ctx context.Context, sess *session.Session) error {
	id := sess.LoginID()
	if id == "" || sess.Was2FA() {
		return nil
	}
	_, err := h.guard.MarkUsed(ctx, keyLoginDone(sess.UserID(), id), h.loginDoneTTL())
	return err
}
