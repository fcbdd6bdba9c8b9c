package handlers

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/unloq2fa/unloq2fa/handlers/guard"
	"github.com/unloq2fa/unloq2fa/middleware"
	"github.com/unloq2fa/unloq2fa/session"
	"github.com/unloq2fa/unloq2fa/store"
	"github.com/unloq2fa/unloq2fa/unloq"
)

// Handlers holds the ready-made routes. It is safe for concurrent use and
// immutable after New.
type Handlers struct {
	client *unloq.Client
	sm     *session.Manager
	users  store.UserStore
	cfg    config
	tmpl   *template.Template
	guard  guard.Guard
	mw     *middleware.Middleware
	cop    *http.CrossOriginProtection
}

// Lifetimes of Guard records.
const (
	// inFlightMargin is how much longer an in-flight marker lives than
	// the work it guards may take (see inFlightWork).
	inFlightMargin = time.Minute
	// tokenReplayTTL outlives UNLOQ's 60 s token lifetime.
	tokenReplayTTL = 10 * time.Minute
)

// The Guard records of the handlers. A LoginID or a token is hashed
// (SHA-256, hex) before it becomes a Key's ID: it never reaches a shared
// Guard in clear.

// keyInFlightLogin: the push of one pending login that waits on the phone.
func keyInFlightLogin(uid, loginID string) guard.Key {
	return guard.Key{Kind: "inflight-login", User: uid, ID: hashHex(loginID)}
}

// keyInFlightUser: the approval of a settings change (enable, disable).
func keyInFlightUser(uid string) guard.Key { return guard.Key{Kind: "inflight-user", User: uid} }

// keyPush: the user's push budget.
func keyPush(uid string) guard.Key { return guard.Key{Kind: "push", User: uid} }

// keyCallback: the user's budget of failed widget callbacks.
func keyCallback(uid string) guard.Key { return guard.Key{Kind: "callback", User: uid} }

// keyCallbackLogin: the callback budget of one pending login.
func keyCallbackLogin(uid, loginID string) guard.Key {
	return guard.Key{Kind: "callback-login", User: uid, ID: hashHex(loginID)}
}

// keyCallbackFailed: a pending login whose callback failed.
func keyCallbackFailed(uid, loginID string) guard.Key {
	return guard.Key{Kind: "callback-failed", User: uid, ID: hashHex(loginID)}
}

// keyToken: the replay record of a redeemed UNLOQ token.
func keyToken(uid, token string) guard.Key {
	return guard.Key{Kind: "token", User: uid, ID: hashHex(token)}
}

// keyLoginDone: a pending login that completed or was retired (logged
// out, or replaced by a new password step); a LoginID is used once.
func keyLoginDone(uid, loginID string) guard.Key {
	return guard.Key{Kind: "login-done", User: uid, ID: hashHex(loginID)}
}

// keyStatus: the UNLOQ calls of the enrollment status route.
func keyStatus(uid string) guard.Key { return guard.Key{Kind: "status", User: uid} }

// keyStatusYes: the status route's last positive answer.
func keyStatusYes(uid string) guard.Key { return guard.Key{Kind: "status-yes", User: uid} }

// Session flow keys.
const (
	flowNext      = "next"       // the validated next of the pending login
	flowEnroll    = "enroll"     // "1" while an enrollment is in progress
	flowEnrollQR  = "enroll_qr"  // the QR URL of that enrollment
	flowEnrollExp = "enroll_exp" // its expiry (RFC 3339), may be empty
)

// New returns Handlers for client, sessions sm and users (client is nil
// only with Disabled). The defaults are secure: push mode (both modes with WithWidgetKey), 5 pushes per user per
// 15 minutes, an in-memory Guard, the default paths and templates, and no
// trusted cross-origin sources.
func New(client *unloq.Client, sm *session.Manager, users store.UserStore, opts ...Option) (*Handlers, error) {
	if sm == nil || users == nil {
		return nil, errors.New("handlers: new: session manager and user store are required")
	}
	cfg := defaultConfig()
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	switch {
	case client == nil && !cfg.disabled:
		return nil, errors.New("handlers: new: nil client (to run without UNLOQ, pass a nil client with handlers.Disabled())")
	case client != nil && cfg.disabled:
		return nil, errors.New("handlers: new: Disabled with a client: pass a nil client")
	}
	switch cfg.mode {
	case modeAuto:
		cfg.mode = ModePush
		if cfg.widgetKey != "" {
			cfg.mode = ModeBoth
		}
	case ModeWidget, ModeBoth:
		if cfg.widgetKey == "" {
			return nil, errors.New("handlers: new: mode " + cfg.mode.String() + " needs WithWidgetKey")
		}
	}
	p := cfg.paths
	routes := []string{p.TwoStep, p.Callback, p.Enable, p.EnableStatus, p.Disable, p.Logout, p.RemoteLogout}
	if cfg.recovery != nil {
		routes = append(routes, p.RecoveryCodes)
		if err := checkRecoveryTemplates(cfg.tmpl); err != nil {
			return nil, err
		}
	}
	for i, a := range routes {
		for _, b := range routes[i+1:] {
			if a == b {
				return nil, errors.New("handlers: new: two routes share the path " + a)
			}
		}
	}
	h := &Handlers{client: client, sm: sm, users: users, cfg: cfg, guard: cfg.guard, tmpl: cfg.tmpl}
	if h.guard == nil {
		g, err := guard.NewMemory()
		if err != nil {
			return nil, fmt.Errorf("handlers: new: %w", err)
		}
		h.guard = g
	}
	if h.tmpl == nil {
		t, err := defaultTemplates()
		if err != nil {
			return nil, err
		}
		h.tmpl = t
	}
	h.cop = http.NewCrossOriginProtection()
	for _, o := range cfg.origins {
		if err := h.cop.AddTrustedOrigin(o); err != nil {
			return nil, errors.New("handlers: new: invalid trusted origin")
		}
	}
	mw, err := h.newMiddleware()
	if err != nil {
		return nil, fmt.Errorf("handlers: new: %w", err)
	}
	h.mw = mw
	if cfg.disabled {
		l := cfg.logger
		if l == nil {
			l = slog.Default()
		}
		l.Warn("unloq2fa: two-step verification is DISABLED (no UNLOQ client): users who have it cannot log in, and nobody can turn it on or off")
	}
	return h, nil
}

// Paths reports the configured paths.
func (h *Handlers) Paths() Paths { return h.cfg.paths }

// Mode reports the two-step mode in effect.
func (h *Handlers) Mode() Mode { return h.cfg.mode }

func (h *Handlers) pushEnabled() bool   { return h.cfg.mode == ModePush || h.cfg.mode == ModeBoth }
func (h *Handlers) widgetEnabled() bool { return h.cfg.mode == ModeWidget || h.cfg.mode == ModeBoth }

// load returns the request's session; an unreadable cookie or a session
// store failure yields an anonymous session (fail closed). When the
// revocation store cannot say whether the login was ended, the session is
// anonymous too and the error matches CodeSessionUnavailable: a route must
// then refuse the request and change nothing (unavailable), not treat the
// user as logged out.
func (h *Handlers) load(r *http.Request, op string) (*session.Session, error) {
	s, err := h.sm.Load(r)
	if errors.Is(err, session.ErrRevocation) {
		return s, wrap(op, CodeSessionUnavailable, err)
	}
	return s, nil
}

// unavailable answers a request whose session could not be checked (see
// load): 503 with a page saying sign-in is temporarily unavailable and
// nothing was changed (JSON for API clients), and no cookie.
func (h *Handlers) unavailable(w http.ResponseWriter, r *http.Request, flow string, err error) {
	h.emit(r.Context(), EventFailed, flow, "", h.clientIP(r), err)
	h.message(w, r, err, "Temporarily unavailable", "", "")
}

// pendingErr reports whether sess may complete its second factor now: it
// must be pending by the Manager's clock and by the real clock.
func (h *Handlers) pendingErr(sess *session.Session) error {
	switch sess.State() {
	case session.StatePending:
	case session.StatePendingExpired:
		return CodePendingExpired
	default:
		return CodeNotPending
	}
	if sess.LoginID() == "" || sess.UserID() == "" {
		return CodeNotPending
	}
	pw := sess.PasswordAt()
	if pw.IsZero() || !time.Now().Before(pw.Add(h.sm.PendingTTL())) {
		return CodePendingExpired
	}
	return nil
}

// clientIP is the IP sent to UNLOQ ("" when unknown).
func (h *Handlers) clientIP(r *http.Request) string {
	var raw string
	if h.cfg.clientIP != nil {
		raw = strings.TrimSpace(h.cfg.clientIP(r))
	} else {
		raw = r.RemoteAddr
		if host, _, err := net.SplitHostPort(raw); err == nil {
			raw = host
		}
	}
	a, err := netip.ParseAddr(raw)
	if err != nil {
		return ""
	}
	return a.Unmap().WithZone("").String()
}

// sidFor derives the UNLOQ session id (≤128 chars, no secret) from a
// LoginID: the first 32 hex digits of its SHA-256.
func sidFor(loginID string) string {
	if loginID == "" {
		return ""
	}
	return hashHex(loginID)[:32]
}

func hashHex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func isAny(err error, targets ...error) bool {
	for _, t := range targets {
		if errors.Is(err, t) {
			return true
		}
	}
	return false
}
