package handlers

import (
	"net/http"

	"github.com/unloq2fa/unloq2fa/session"
)

// UserID returns the id of the user logged in on r, fully (password and,
// when the user has one, the second factor): the app's "who is this?".
// ok is false for anonymous requests, for a user between password and
// phone, and for an unreadable session.
//
// Behind Wrap it reads the session the middleware attached to the request
// (like middleware.UserID); elsewhere it decodes the cookie itself.
func (h *Handlers) UserID(r *http.Request) (id string, ok bool) {
	if r == nil {
		return "", false
	}
	s := session.FromContext(r.Context())
	if s.State() == session.StateAnonymous {
		if !h.sm.MayHaveSession(r) {
			return "", false
		}
		s, _ = h.load(r, "user id") // unavailable: not logged in
	}
	if s.State() != session.StateVerified || s.UserID() == "" {
		return "", false
	}
	return s.UserID(), true
}
