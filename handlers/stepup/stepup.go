package stepup

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"time"

	"github.com/unloq2fa/unloq2fa/handlers/guard"
	"github.com/unloq2fa/unloq2fa/internal/approval"
	"github.com/unloq2fa/unloq2fa/internal/identity"
	"github.com/unloq2fa/unloq2fa/session"
	"github.com/unloq2fa/unloq2fa/store"
	"github.com/unloq2fa/unloq2fa/unloq"
)

// StepUp wraps handlers so that they run only after the logged-in user
// approved the action on the phone. It is safe for concurrent use and
// immutable after New.
type StepUp struct {
	client *unloq.Client
	sm     *session.Manager
	users  store.UserStore
	cfg    config
	tmpl   *template.Template
}

// New returns a StepUp that calls UNLOQ with client, reads the login from
// sm and the user's e-mail (or UNLOQ address, WithUNLOQAddress), second
// factor and remembered UNLOQ id from users.
func New(client *unloq.Client, sm *session.Manager, users store.UserStore, opts ...Option) (*StepUp, error) {
	if err := approval.CheckNew("stepup", client, sm, users); err != nil {
		return nil, err
	}
	cfg := config{
		inFlightTTL: DefaultInFlightTTL,
		grantTTL:    DefaultGrantTTL,
		cop:         http.NewCrossOriginProtection(),
		clientIP:    approval.RemoteIP,
		cancelURL:   "/",
	}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	g, err := approval.OrMemoryGuard("stepup", cfg.guard)
	if err != nil {
		return nil, err
	}
	cfg.guard = g
	tmpl := cfg.tmpl
	if tmpl == nil {
		tmpl = defaultTemplates()
	}
	return &StepUp{client: client, sm: sm, users: users, cfg: cfg, tmpl: tmpl}, nil
}

// Wrap returns a handler that runs next only after the approval of a, or
// an error when a is invalid. Mount the handler for POST as well as for
// the method(s) of next: the approval is requested by a POST to the same
// URL (a safe method never sends a push).
func (s *StepUp) Wrap(a Action, next http.Handler) (http.Handler, error) {
	if err := a.validate(); err != nil {
		return nil, err
	}
	if next == nil {
		return nil, errors.New("stepup: wrap: nil handler")
	}
	return &guarded{s: s, a: a, next: next}, nil
}

// Require is Wrap for setup code: it panics when a is invalid, like
// http.ServeMux.Handle does for a bad pattern.
func (s *StepUp) Require(a Action, next http.Handler) http.Handler {
	h, err := s.Wrap(a, next)
	if err != nil {
		panic(err)
	}
	return h
}

type guarded struct {
	s    *StepUp
	a    Action
	next http.Handler
}

func isSafe(method string) bool {
	return method == http.MethodGet || method == http.MethodHead || method == http.MethodOptions
}

func (g *guarded) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s := g.s
	const op = "step-up"
	if !isSafe(r.Method) {
		if err := s.cfg.cop.Check(r); err != nil {
			s.refuse(w, r, wrap(op, ErrCrossOrigin, nil))
			return
		}
	}
	r, sess, err := s.sm.Attach(r)
	if err != nil {
		kind := ErrNotLoggedIn
		if errors.Is(err, session.ErrStore) {
			kind = ErrSession
		}
		s.refuse(w, r, wrap(op, kind, err))
		return
	}
	user, rc, err := s.account(r.Context(), op, sess)
	if err != nil {
		s.refuse(w, r, err)
		return
	}
	if user.SecondFactor != store.SecondFactorUNLOQ {
		if s.cfg.allowPasswordOnly {
			g.next.ServeHTTP(w, r)
			return
		}
		s.refuse(w, r, wrap(op, ErrPasswordOnly, nil))
		return
	}
	if ok, consume := s.useGrant(sess, g.a, r); ok {
		if consume {
			sess.DeleteFlow(flowKey(g.a.Code))
			if err := sess.Save(w, r); err != nil {
				s.refuse(w, r, wrap(op, ErrSession, err))
				return
			}
		}
		g.next.ServeHTTP(w, r)
		return
	}

	// No approval yet. Safe methods never push: they get the waiting page
	// (browsers) or 428 (API clients).
	if wantsJSON(r) || r.Header.Get(HeaderStepUp) != "" {
		g.serveAPI(w, r, sess, rc)
		return
	}
	g.serveBrowser(w, r, sess, rc)
}

// account checks the session's login and returns the store's user and
// the recipient of its approvals (internal/approval).
func (s *StepUp) account(ctx context.Context, op string, sess *session.Session) (store.User, identity.Recipient, error) {
	user, err := kinds.Account(ctx, op, s.users, sess)
	if err != nil {
		return store.User{}, identity.Recipient{}, err
	}
	rc, err := kinds.Recipient(op, s.users, s.cfg.address, user, sess.Email())
	if err != nil {
		return store.User{}, identity.Recipient{}, err
	}
	return user, rc, nil
}

// serveBrowser shows the waiting page, or (for its POST) runs the approval.
func (g *guarded) serveBrowser(w http.ResponseWriter, r *http.Request, sess *session.Session, rc identity.Recipient) {
	s := g.s
	action, ok := safePath(r.URL.RequestURI())
	if !ok {
		s.refuse(w, r, wrap("step-up", ErrBadRequest, errors.New("the request URL cannot be repeated safely")))
		return
	}
	if isSafe(r.Method) {
		if r.Method == http.MethodOptions {
			s.refuse(w, r, wrap("step-up", ErrBadRequest, errors.New("OPTIONS needs no approval and gets none")))
			return
		}
		g.waitPage(w, r, action, modeGrant, nil)
		return
	}
	vals, mode, err := readForm(w, r)
	if err != nil {
		s.refuse(w, r, err)
		return
	}
	switch mode {
	case "":
		g.waitPage(w, r, action, modeRun, vals)
	case modeGrant:
		if len(vals) != 0 {
			s.refuse(w, r, wrap("step-up", ErrBadRequest, errors.New("a grant request carries no fields")))
			return
		}
		g.approve(w, r, sess, rc, modeGrant, r)
	default:
		g.approve(w, r, sess, rc, modeRun, withForm(r, vals))
	}
}

func (g *guarded) waitPage(w http.ResponseWriter, r *http.Request, action, mode string, vals url.Values) {
	s := g.s
	p := WaitPage{
		Title: "Confirm on your phone", AppName: s.cfg.appName, Action: action,
		Fields: append([]Field{{Name: FieldStepUp, Value: mode}}, hiddenFields(vals)...), CancelURL: s.cfg.cancelURL,
	}
	if s.cfg.formField != nil {
		p.FormField = s.cfg.formField(r)
	}
	if s.cfg.scriptNonce != nil {
		p.Nonce = s.cfg.scriptNonce(r)
	}
	s.html(w, http.StatusOK, TemplateWait, p)
}

// serveAPI answers API clients: 428 with instructions, or the approval
// when the request carries the step-up header on a non-safe method.
func (g *guarded) serveAPI(w http.ResponseWriter, r *http.Request, sess *session.Session, rc identity.Recipient) {
	mode := r.Header.Get(HeaderStepUp)
	if mode != "" && mode != modeRun && mode != modeGrant {
		g.s.refuse(w, r, wrap("step-up", ErrBadRequest, errors.New("malformed "+HeaderStepUp+" header")))
		return
	}
	if mode == "" || isSafe(r.Method) {
		writeJSON(w, http.StatusPreconditionRequired, map[string]any{
			"error": jsonError{Code: "step_up_required", Message: "Approve this action on your phone: repeat the request " +
				"(not GET or HEAD) with the header " + HeaderStepUp + ": run, or POST to this URL with " +
				HeaderStepUp + ": grant and then repeat the GET."},
			"step_up": map[string]string{"action": g.a.Code, "header": HeaderStepUp},
		})
		return
	}
	g.approve(w, r, sess, rc, mode, r)
}

// approve asks the phone (one approval in flight per session and action),
// then records the grant and redirects (grant) or runs next with rr (run).
// Nothing changes unless the phone approved.
func (g *guarded) approve(w http.ResponseWriter, r *http.Request, sess *session.Session, rc identity.Recipient, mode string, rr *http.Request) {
	s := g.s
	const op = "approve"
	ctx := r.Context()
	ref, err := g.a.reference(rr)
	if err != nil {
		s.refuse(w, r, wrap(op, ErrConfig, err))
		return
	}
	vars, err := g.a.vars(rr)
	if err != nil {
		s.refuse(w, r, wrap(op, ErrConfig, err))
		return
	}
	loginID := sess.LoginID()
	release, ok, err := s.cfg.guard.Begin(ctx, inFlightKey(sess.UserID(), loginID, g.a.Code), s.cfg.inFlightTTL)
	if err != nil {
		s.refuse(w, r, wrap(op, ErrUnavailable, err))
		return
	}
	if !ok {
		s.refuse(w, r, wrap(op, ErrInFlight, nil))
		return
	}
	defer release()
	req := request(rc) // by unloq_id when known, else by address
	req.Reference, req.Variables, req.IP, req.GenerateToken = ref, vars, s.cfg.clientIP(r), false
	res, err := s.client.Authorize(ctx, g.a.Code, req)
	if err != nil {
		s.refuse(w, r, kinds.Vendor(ctx, op, err))
		return
	}
	if err := checkReply(op, rc, res); err != nil {
		s.refuse(w, r, err)
		return
	}
	// The wait may have been long: the login and the account must still be
	// the ones that asked.
	if sess.LoginID() != loginID {
		s.refuse(w, r, wrap(op, ErrAccountChanged, nil))
		return
	}
	after, rcAfter, err := s.account(ctx, op, sess)
	if err != nil {
		s.refuse(w, r, err)
		return
	}
	if after.SecondFactor != store.SecondFactorUNLOQ || rcAfter != rc {
		s.refuse(w, r, wrap(op, ErrAccountChanged, nil))
		return
	}
	now := time.Now()
	switch {
	case g.a.MaxAge > 0:
		sess.SetFlow(flowKey(g.a.Code), encodeGrant(loginID, now, scopeAll))
	case mode == modeGrant:
		sess.SetFlow(flowKey(g.a.Code), encodeGrant(loginID, now, getScope(r)))
	}
	if err := sess.Save(w, r); err != nil {
		s.refuse(w, r, wrap(op, ErrSession, err))
		return
	}
	if mode == modeRun {
		g.next.ServeHTTP(w, rr)
		return
	}
	setSecurityHeaders(w)
	if wantsJSON(r) || r.Header.Get(HeaderStepUp) != "" {
		writeJSON(w, http.StatusOK, map[string]any{"status": "approved", "action": g.a.Code})
		return
	}
	target, _ := safePath(r.URL.RequestURI()) // checked by serveBrowser
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// inFlightKey names the in-flight mark of one action in one login of
// user uid. The LoginID is hashed so that it never reaches a shared Guard
// in clear.
func inFlightKey(uid, loginID, code string) guard.Key {
	sum := sha256.Sum256([]byte(loginID + "\x00" + code))
	return guard.Key{Kind: "stepup-inflight", User: uid, ID: hex.EncodeToString(sum[:16])}
}
