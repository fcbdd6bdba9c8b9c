package session

import "context"

// ctxKey is the context key of the attached session.
type ctxKey struct{}

// sessionCtx is the context node that carries a session. It lives inside
// the Session itself, so attaching a session to a request costs no
// allocation beyond the request copy.
type sessionCtx struct {
	context.Context
	s *Session
}

func (c *sessionCtx) Value(key any) any {
	if key == (ctxKey{}) {
		return c.s
	}
	return c.Context.Value(key)
}

func (c *sessionCtx) String() string { return "session.Context" }

// FromContext returns the session attached by [Manager.Attach], or nil.
// All read methods of [Session] accept a nil receiver.
func FromContext(ctx context.Context) *Session {
	if ctx == nil {
		return nil
	}
	return fromContext(ctx)
}

func fromContext(ctx context.Context) *Session {
	s, _ := ctx.Value(ctxKey{}).(*Session)
	return s
}
