package handlers

import (
	"context"
	"net/http"

	"github.com/unloq2fa/unloq2fa/session"
)

// LogOutEverywhere ends every session of userID issued until now, on every
// instance sharing the Manager's revocation store. Call it from the app
// when the password changes or the account is locked. The session of the
// request that made the change ends too; to keep it, the app can log the
// user in again (LogIn) in the same response.
func (h *Handlers) LogOutEverywhere(ctx context.Context, userID string) error {
	if err := h.sm.LogOutEverywhere(ctx, userID); err != nil {
		return wrap("log out everywhere", CodeSessionUnavailable, err)
	}
	return nil
}

// endOtherSessions ends every session of the user of sess but sess, which
// is renewed and saved at once so that it survives. The enable and disable
// flows call it before they change second_factor: a failure stops them
// with nothing changed, and the old password-only (or two-step) sessions
// never outlive the change.
func (h *Handlers) endOtherSessions(w http.ResponseWriter, r *http.Request, sess *session.Session, op string) error {
	if err := h.sm.LogOutOthers(r.Context(), sess); err != nil {
		return wrap(op, CodeSessionUnavailable, err)
	}
	if err := sess.Save(w, r); err != nil {
		return wrap(op, CodeSession, err)
	}
	return nil
}
