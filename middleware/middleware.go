package middleware

import (
	"errors"
	"log/slog"
	"net/http"
	"net/url"

	"github.com/unloq2fa/unloq2fa/session"

	"github.com/unloq2fa/unloq2fa/internal/nexturl"
)

// Middleware enforces the two-step login. It is immutable after [New] and
// safe for concurrent use.
type Middleware struct {
	sm         *session.Manager
	loginPath  string
	exemptions exemptSet
	isAPI      func(*http.Request) bool
	logger     *slog.Logger // nil: silent

	toTwoStep refusal // pending user
	toLogin   refusal // expired pending user (Wrap)
}

// New returns a Middleware checking the sessions of sm.
func New(sm *session.Manager, opts ...Option) (*Middleware, error) {
	if sm == nil {
		return nil, errors.New("middleware: New: nil session manager")
	}
	c := config{
		twoStepPath: DefaultTwoStepPath,
		loginPath:   DefaultLoginPath,
		isAPI:       PrefersJSON,
	}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&c); err != nil {
			return nil, err
		}
	}
	if !c.exemptionsSet {
		c.exemptions = defaultExemptions(c.twoStepPath)
	}
	c.exemptions = append(c.exemptions, c.extra...)
	return &Middleware{
		sm:         sm,
		loginPath:  c.loginPath,
		exemptions: compileExemptions(c.exemptions),
		isAPI:      c.isAPI,
		logger:     c.logger,
		toTwoStep:  newRefusal(ReasonPending, c.twoStepPath),
		toLogin:    newRefusal(ReasonPendingExpired, c.loginPath),
	}, nil
}

// Wrap returns next behind the session check, for a whole mux:
//
//   - exempt routes pass without any decoding;
//   - anonymous requests pass (the application's login check decides);
//     an unreadable session counts as anonymous and [ReasonFrom] reports
//     [ReasonUnreadable]; a bad cookie is cleared, while after a session
//     store failure the cookie is kept (the failure may be transient);
//   - pending users are sent to the two-step page;
//   - users whose pending state expired get their session cleared and are
//     sent to the login page;
//   - verified users pass;
//   - when the session check cannot be completed (the revocation store
//     does not answer: [session.ErrRevocation]) the request is refused
//     with 503, a short page or JSON for API clients, and changes nothing.
//
// Requests that pass carry the session in their context.
func (m *Middleware) Wrap(next http.Handler) http.Handler {
	if next == nil {
		panic("middleware: Wrap: nil handler")
	}
	return &wrapped{m: m, next: next}
}

type wrapped struct {
	m    *Middleware
	next http.Handler
}

func (h *wrapped) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m := h.m
	if m.exempt(r) || !m.sm.MayHaveSession(r) {
		// Exempt, or no session cookie at all: nothing to check, and no
		// session work on this request (UserID and ReasonFrom read an
		// absent session as anonymous).
		h.next.ServeHTTP(w, r)
		return
	}
	r, s, err := m.sm.Attach(r)
	if err != nil {
		if sessionUnavailable(err) {
			m.unavailable(w, r, err)
			return
		}
		r = m.unreadable(w, r, s, err)
		h.next.ServeHTTP(w, r)
		return
	}
	switch s.State() {
	case session.StatePending:
		m.debug(r, "two-step verification required", ReasonPending)
		m.write(w, r, m.toTwoStep)
	case session.StatePendingExpired:
		if !m.clear(w, r, s) {
			return
		}
		m.debug(r, "pending login expired", ReasonPendingExpired)
		m.write(w, r, m.toLogin)
	default: // anonymous, verified
		h.next.ServeHTTP(w, r)
	}
}

// RequireVerified returns next behind a stricter check, for a subtree:
// only verified users pass. Anonymous users (and unreadable sessions) are
// sent to the login page with next=<the original request URI> (same-origin
// relative paths only), pending users to the two-step page, expired ones
// (after their session is cleared) to the login page. A session check that
// cannot be completed is refused with 503, as in Wrap.
func (m *Middleware) RequireVerified(next http.Handler) http.Handler {
	if next == nil {
		panic("middleware: RequireVerified: nil handler")
	}
	return &required{m: m, next: next}
}

type required struct {
	m    *Middleware
	next http.Handler
}

func (h *required) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m := h.m
	r, s, err := m.sm.Attach(r)
	reason := ReasonNone
	if err != nil {
		if sessionUnavailable(err) {
			m.unavailable(w, r, err)
			return
		}
		if _, handled := r.Context().Value(reasonKey{}).(Reason); !handled {
			// Not seen by Wrap yet: clear the bad cookie and record it.
			r = m.unreadable(w, r, s, err)
		}
		reason = ReasonUnreadable
	}
	switch st := s.State(); st {
	case session.StateVerified:
		h.next.ServeHTTP(w, r)
	case session.StatePending:
		m.debug(r, "two-step verification required", ReasonPending)
		m.write(w, r, m.toTwoStep)
	default:
		if st == session.StatePendingExpired {
			if !m.clear(w, r, s) {
				return
			}
			reason = ReasonPendingExpired
		} else if reason == ReasonNone {
			reason = ReasonAnonymous
		}
		m.debug(r, "verified login required", reason)
		m.write(w, r, newRefusal(reason, m.loginLocation(r)))
	}
}

// loginLocation is the login path with next set to the request URI when
// that is a safe same-origin relative reference.
func (m *Middleware) loginLocation(r *http.Request) string {
	next, ok := nexturl.Safe(r.URL.RequestURI())
	if !ok {
		return m.loginPath
	}
	return m.loginPath + "?next=" + url.QueryEscape(next)
}

// unreadable handles a session that could not be loaded: the request goes
// on as anonymous with ReasonUnreadable recorded. A bad cookie is cleared;
// after a store failure the cookie is kept (the failure may be transient).
func (m *Middleware) unreadable(w http.ResponseWriter, r *http.Request, s *session.Session, err error) *http.Request {
	if m.logger != nil {
		m.logger.LogAttrs(r.Context(), slog.LevelWarn, "middleware: session unreadable, treating request as anonymous",
			slog.String("reason", string(ReasonUnreadable)), slog.String("error", err.Error()))
	}
	if errors.Is(err, session.ErrUnreadable) {
		s.Clear()
		if serr := s.Save(w, r); serr != nil && m.logger != nil {
			m.logger.LogAttrs(r.Context(), slog.LevelWarn, "middleware: clearing the session cookie failed",
				slog.String("error", serr.Error()))
		}
	}
	return withReason(r, ReasonUnreadable)
}

// clear deletes an expired pending session. On a store failure it answers
// 500 and reports false (fail closed).
func (m *Middleware) clear(w http.ResponseWriter, r *http.Request, s *session.Session) bool {
	s.Clear()
	if err := s.Save(w, r); err != nil {
		if m.logger != nil {
			m.logger.LogAttrs(r.Context(), slog.LevelError, "middleware: clearing an expired session failed",
				slog.String("error", err.Error()))
		}
		w.Header().Set("Cache-Control", "no-store")
		http.Error(w, "session error", http.StatusInternalServerError)
		return false
	}
	return true
}

func (m *Middleware) debug(r *http.Request, msg string, reason Reason) {
	if m.logger == nil || !m.logger.Enabled(r.Context(), slog.LevelDebug) {
		return
	}
	m.logger.LogAttrs(r.Context(), slog.LevelDebug, "middleware: "+msg,
		slog.String("reason", string(reason)), slog.String("method", r.Method),
		slog.String("path", r.URL.Path))
}
