package handlers

import (
	"context"
	"errors"
	"net/http"

	"github.com/unloq2fa/unloq2fa/session"
)

// LogoutRoute serves POST Paths.Logout (Mount mounts it): it ends the
// session (Logout) and sends the browser (303) to Paths.Login, or an API
// client {"redirect": …}. It is open to a user between password and phone
// (the "Not you?" control of the two-step page posts here) and protected
// against cross-site requests. A failure to end the session on the server
// is still a logout for the browser (the cookie is deleted); it is
// reported as an EventFailed.
func (h *Handlers) LogoutRoute() http.Handler { return http.HandlerFunc(h.serveLogout) }

func (h *Handlers) serveLogout(w http.ResponseWriter, r *http.Request) {
	setSecurityHeaders(w)
	if r.Method != http.MethodPost {
		h.methodNotAllowed(w, r, http.MethodPost)
		return
	}
	if err := h.cop.Check(r); err != nil {
		err = wrap("logout", CodeCrossOrigin, nil)
		h.emit(r.Context(), EventFailed, FlowLogout, "", h.clientIP(r), err)
		h.message(w, r, err, "Request blocked", h.cfg.paths.Login, "Back to the login page")
		return
	}
	sess, err := h.load(r, "logout")
	if err != nil {
		h.unavailable(w, r, FlowLogout, err)
		return
	}
	uid := sess.UserID()
	if err := h.Logout(w, r); err != nil {
		h.emit(r.Context(), EventFailed, FlowLogout, uid, h.clientIP(r), err)
	}
	h.redirect(w, r, h.cfg.paths.Login, map[string]any{"logged_out": true})
}

// Logout ends the browser's session. LogoutRoute calls it; an app with its
// own logout route (a POST behind cross-origin protection) calls it there,
// then redirects as it likes. It writes only the cookie header.
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
// record that is an error matching CodeSessionUnavailable.
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
	switch {
	case errors.Is(loadErr, session.ErrRevocation):
		errs = append(errs, wrap("logout", CodeSessionUnavailable, loadErr))
	case loadErr != nil && !errors.Is(loadErr, session.ErrUnreadable):
		errs = append(errs, wrap("logout", CodeSession, loadErr))
	}
	if err := h.retirePending(r.Context(), sess); err != nil {
		errs = append(errs, wrap("logout", CodeGuard, err))
	}
	// Ends the login on the server too (every copy of the cookie dies),
	// and clears the session whatever happens.
	if err := h.sm.EndLogin(r.Context(), sess); err != nil {
		errs = append(errs, wrap("logout", CodeSessionUnavailable, err))
	}
	if err := sess.Save(w, r); err != nil {
		errs = append(errs, wrap("logout", CodeSession, err))
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
