package middleware

import (
	"context"
	"net/http"

	"github.com/unloq2fa/unloq2fa/session"
)

// Reason says why a request does not come from a verified user.
type Reason string

// Reasons reported by [ReasonFrom] and in JSON refusals.
const (
	// ReasonNone: the user is verified, or nothing is known (an exempt
	// route, or a request the middleware did not see).
	ReasonNone Reason = ""
	// ReasonAnonymous: nobody is logged in.
	ReasonAnonymous Reason = "anonymous"
	// ReasonPending: the second factor is outstanding.
	ReasonPending Reason = "pending"
	// ReasonPendingExpired: the second factor was not completed in time.
	ReasonPendingExpired Reason = "pending_expired"
	// ReasonUnreadable: the session cookie could not be read (tampered,
	// signed by unknown keys, expired) or the session store failed; the
	// request is treated as anonymous.
	ReasonUnreadable Reason = "unreadable_session"
	// ReasonUnavailable: the session check could not be completed (the
	// revocation store did not answer); the request was refused with 503
	// and never reached the application.
	ReasonUnavailable Reason = "session_unavailable"
)

// reasonKey is the context key of a recorded reason.
type reasonKey struct{}

// reasonCtx records a reason in one allocation.
type reasonCtx struct {
	context.Context
	reason Reason
}

func (c *reasonCtx) Value(key any) any {
	if key == (reasonKey{}) {
		return c.reason
	}
	return c.Context.Value(key)
}

func (c *reasonCtx) String() string { return "middleware.ReasonContext" }

func withReason(r *http.Request, reason Reason) *http.Request {
	return r.WithContext(&reasonCtx{Context: r.Context(), reason: reason})
}

// ReasonFrom reports why the request of ctx does not come from a verified
// user: [ReasonUnreadable] when the middleware could not read the session
// cookie, otherwise the current state of the attached session
// ([ReasonAnonymous], [ReasonPending], [ReasonPendingExpired]),
// [ReasonAnonymous] when no session is attached (the middleware attaches
// none to a request without a session cookie), and [ReasonNone] for a
// verified user.
func ReasonFrom(ctx context.Context) Reason {
	if ctx == nil {
		return ReasonNone
	}
	s := session.FromContext(ctx)
	st := s.State()
	if st == session.StateVerified {
		return ReasonNone
	}
	if r, ok := ctx.Value(reasonKey{}).(Reason); ok && st == session.StateAnonymous {
		return r
	}
	return reasonOf(st)
}

func reasonOf(st session.State) Reason {
	switch st {
	case session.StateAnonymous:
		return ReasonAnonymous
	case session.StatePending:
		return ReasonPending
	case session.StatePendingExpired:
		return ReasonPendingExpired
	default:
		return ReasonNone
	}
}

// UserID returns the id of the verified user of r, attached by the
// middleware (or by [session.Manager.Attach]). ok is false for anonymous,
// pending and expired sessions, when no session is attached, and for a
// nil r.
func UserID(r *http.Request) (id string, ok bool) {
	if r == nil {
		return "", false
	}
	s := session.FromContext(r.Context())
	if s.State() != session.StateVerified {
		return "", false
	}
	id = s.UserID()
	return id, id != ""
}
