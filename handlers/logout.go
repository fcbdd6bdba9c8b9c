package handlers

import (
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
// approval is refused. A Guard error is returned after the cookie is
// cleared; the app should still treat the user as logged out.
func (h *Handlers) Logout(w http.ResponseWriter, r *http.Request) error {
	sess, err := h.sm.Load(r)
	if err != nil && !errors.Is(err, session.ErrUnreadable) {
		return wrap("logout", ErrSession, err)
	}
	var guardErr error
	if id := sess.LoginID(); id != "" && !sess.Was2FA() {
		if _, err := h.guard.MarkUsed(r.Context(), loginDoneKey(id), h.loginDoneTTL()); err != nil {
			guardErr = wrap("logout", ErrGuard, err)
		}
	}
	// An unreadable cookie yields an empty session: clearing and saving it
	// still deletes the cookie.
	sess.Clear()
	if err := sess.Save(w, r); err != nil {
		return wrap("logout", ErrSession, err)
	}
	return guardErr
}
