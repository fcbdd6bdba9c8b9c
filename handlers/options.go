package handlers

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/unloq2fa/unloq2fa/handlers/guard"
	"github.com/unloq2fa/unloq2fa/handlers/recovery"
	"github.com/unloq2fa/unloq2fa/middleware"
)

// Mode selects how the two-step page lets the user approve.
type Mode int

const (
	modeAuto Mode = iota // ModeBoth with a widget key, else ModePush
	// ModeWidget renders only the UNLOQ widget; its redirect lands on Callback.
	ModeWidget
	// ModePush offers only the server-to-server push (a form POST).
	ModePush
	// ModeBoth offers the widget and the push form.
	ModeBoth
)

func (m Mode) String() string {
	switch m {
	case ModeWidget:
		return "widget"
	case ModePush:
		return "push"
	case ModeBoth:
		return "both"
	}
	return "auto"
}

// defaultWidgetScriptURL is the UNLOQ widget script.
const defaultWidgetScriptURL = "https://plugin.unloq.io/login.js"

// Defaults of the push limit: 5 pushes per user per 15 minutes, in line
// with push-fatigue guidance (a phone asked again and again is approved
// by mistake sooner or later).
const (
	DefaultPushLimit  = 5
	DefaultPushWindow = 15 * time.Minute
)

// Paths are the URL paths of the routes and of the app pages they send the
// browser to. A zero field keeps its default. The routes (Mount) and the
// middleware's redirects and exemptions (Wrap, RequireVerified) all come
// from the same Paths, so they cannot disagree.
type Paths struct {
	TwoStep      string // default "/login/two-step" (GET page, POST push)
	Callback     string // default "/uauth/login" (GET ?token=, the widget redirect; widget modes only)
	Enable       string // default "/settings/2fa/enable" (POST)
	EnableStatus string // default Enable+"/status" (GET, polled by the QR page)
	Disable      string // default "/settings/2fa/disable" (POST)
	Logout       string // default "/logout" (POST; open to a user between password and phone)
	RemoteLogout string // default "/uauth/logout" (POST, UNLOQ's webhook; only with WithRemoteLogout)
	Login        string // default "/login": the app's password login page
	AfterLogin   string // default "/": where a login goes without a valid next
	Settings     string // default "/settings": where enable/disable return
	// RecoveryCodes is the route that makes a new set of recovery codes
	// (POST, after a fresh approval), default
	// "/settings/2fa/recovery-codes"; mounted only with WithRecoveryCodes.
	RecoveryCodes string
}

// DefaultPaths returns the default Paths.
func DefaultPaths() Paths {
	return Paths{
		TwoStep:      "/login/two-step",
		Callback:     "/uauth/login",
		Enable:       "/settings/2fa/enable",
		EnableStatus: "/settings/2fa/enable/status",
		Disable:      "/settings/2fa/disable",
		Logout:       "/logout",
		RemoteLogout: DefaultRemoteLogoutPath,
		Login:        "/login",
		AfterLogin:   "/",
		Settings:     "/settings",

		RecoveryCodes: "/settings/2fa/recovery-codes",
	}
}

// Option configures Handlers. Options validate their arguments; New returns
// the first error.
type Option func(*config) error

type config struct {
	widgetKey       string
	widgetScriptURL string
	mode            Mode
	paths           Paths
	tmpl            *template.Template
	guard           guard.Guard
	pushLimit       int
	pushWindow      time.Duration
	hook            func(context.Context, Event)
	logger          *slog.Logger
	origins         []string
	appName         string
	clientIP        func(*http.Request) string
	acct            accountConfig     // UNLOQ address and action codes (account options)
	recovery        *recovery.Service // WithRecoveryCodes; nil = off
	formField       func(*http.Request) template.HTML
	exemptions      []middleware.Exemption
	webhookSecret   string
	disabled        bool
}

func defaultConfig() config {
	return config{
		widgetScriptURL: defaultWidgetScriptURL,
		paths:           DefaultPaths(),
		pushLimit:       DefaultPushLimit,
		pushWindow:      DefaultPushWindow,
	}
}

// WithWidgetKey sets the public Login Widget Key (data-unloq-key). With a
// key the default mode is ModeBoth.
func WithWidgetKey(key string) Option {
	return func(c *config) error {
		key = strings.TrimSpace(key)
		if key == "" || len(key) > 512 {
			return errors.New("handlers: WithWidgetKey: empty or too long key")
		}
		c.widgetKey = key
		return nil
	}
}

// WithWidgetScriptURL sets the widget script (default
// https://plugin.unloq.io/login.js). It must be an absolute https URL, an http URL on
// a loopback host (a local simulator), or a same-origin path such as
// "/_unloq/login.js" (a simulator mounted in the app).
func WithWidgetScriptURL(raw string) Option {
	return func(c *config) error {
		u, err := url.Parse(raw)
		if err != nil || raw == "" {
			return errors.New("handlers: WithWidgetScriptURL: invalid URL")
		}
		switch {
		case u.Scheme == "https" && u.Host != "":
		case u.Scheme == "http" && isLoopback(u.Hostname()):
		case u.Scheme == "" && u.Host == "" && strings.HasPrefix(u.Path, "/") && !strings.HasPrefix(u.Path, "//"):
		default:
			return errors.New("handlers: WithWidgetScriptURL: need https, http on loopback, or a same-origin path")
		}
		c.widgetScriptURL = raw
		return nil
	}
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// WithMode selects ModeWidget, ModePush or ModeBoth. The default is ModeBoth
// when a widget key is set, else ModePush. The widget modes need
// WithWidgetKey.
func WithMode(m Mode) Option {
	return func(c *config) error {
		if m != ModeWidget && m != ModePush && m != ModeBoth {
			return errors.New("handlers: WithMode: unknown mode")
		}
		c.mode = m
		return nil
	}
}

// WithPaths changes route and page paths; zero fields keep their defaults.
// Every path must be a clean absolute path without wildcards. When Enable
// is set and EnableStatus is not, EnableStatus is Enable+"/status".
func WithPaths(p Paths) Option {
	return func(c *config) error {
		set := func(dst *string, v, name string) error {
			if v == "" {
				return nil
			}
			if !validPath(v) {
				return errors.New("handlers: WithPaths: invalid " + name + " path")
			}
			*dst = v
			return nil
		}
		for _, f := range []struct {
			dst     *string
			v, name string
		}{
			{&c.paths.TwoStep, p.TwoStep, "TwoStep"},
			{&c.paths.Callback, p.Callback, "Callback"},
			{&c.paths.Enable, p.Enable, "Enable"},
			{&c.paths.EnableStatus, p.EnableStatus, "EnableStatus"},
			{&c.paths.Disable, p.Disable, "Disable"},
			{&c.paths.Logout, p.Logout, "Logout"},
			{&c.paths.RemoteLogout, p.RemoteLogout, "RemoteLogout"},
			{&c.paths.Login, p.Login, "Login"},
			{&c.paths.AfterLogin, p.AfterLogin, "AfterLogin"},
			{&c.paths.Settings, p.Settings, "Settings"},
			{&c.paths.RecoveryCodes, p.RecoveryCodes, "RecoveryCodes"},
		} {
			if err := set(f.dst, f.v, f.name); err != nil {
				return err
			}
		}
		if p.Enable != "" && p.EnableStatus == "" {
			c.paths.EnableStatus = c.paths.Enable + "/status"
		}
		return nil
	}
}

func validPath(p string) bool {
	if _, ok := SafeNext(p); !ok {
		return false
	}
	return !strings.ContainsAny(p, "{}?#%") && (p == "/" || !strings.HasSuffix(p, "/")) &&
		!strings.Contains(p, "/./") && !strings.Contains(p, "/../") &&
		!strings.HasSuffix(p, "/.") && !strings.HasSuffix(p, "/..")
}

// WithTemplates replaces the default templates. t must define every page
// template (TemplateTwoStep, TemplateEnroll, TemplateApprove and
// TemplateMessage; TemplateRecoveryCodes too with WithRecoveryCodes); the data each one gets is documented on
// TwoStepPage, EnrollPage, ApprovePage and MessagePage. t must not be
// changed afterwards.
func WithTemplates(t *template.Template) Option {
	return func(c *config) error {
		if t == nil {
			return errors.New("handlers: WithTemplates: nil template")
		}
		for _, name := range templateNames() {
			if t.Lookup(name) == nil {
				return errors.New("handlers: WithTemplates: missing template " + name)
			}
		}
		c.tmpl = t
		return nil
	}
}

// WithGuard replaces the default Guard (a guard.Memory, for one process)
// with g: for example a redisguard.Guard when the app runs as several
// instances behind a load balancer, so that push budgets, replay records
// and in-flight markers hold across them.
func WithGuard(g guard.Guard) Option {
	return func(c *config) error {
		if g == nil {
			return errors.New("handlers: WithGuard: nil guard")
		}
		c.guard = g
		return nil
	}
}

// WithPushLimit allows at most n pushes per user per window (default
// DefaultPushLimit per DefaultPushWindow). The same limit applies,
// separately counted, to widget callbacks per pending login, and to failed
// widget callbacks per user (see Callback).
func WithPushLimit(n int, per time.Duration) Option {
	return func(c *config) error {
		if n < 1 || per <= 0 {
			return errors.New("handlers: WithPushLimit: n and per must be positive")
		}
		c.pushLimit, c.pushWindow = n, per
		return nil
	}
}

// WithEventHook receives every Event (synchronously, on the request's
// goroutine, with a context that is not cancelled with the request).
func WithEventHook(f func(context.Context, Event)) Option {
	return func(c *config) error {
		if f == nil {
			return errors.New("handlers: WithEventHook: nil hook")
		}
		c.hook = f
		return nil
	}
}

// WithLogger logs every Event (Info for successes, Warn for failures). The
// package is silent without it; a nil logger is an error.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return errors.New("handlers: WithLogger: nil logger")
		}
		c.logger = l
		return nil
	}
}

// WithTrustedOrigins lets cross-origin POSTs from these origins
// ("scheme://host[:port]") through http.CrossOriginProtection.
func WithTrustedOrigins(origins ...string) Option {
	return func(c *config) error {
		probe := http.NewCrossOriginProtection()
		for _, o := range origins {
			if err := probe.AddTrustedOrigin(o); err != nil {
				return errors.New("handlers: WithTrustedOrigins: invalid origin")
			}
		}
		c.origins = append(c.origins, origins...)
		return nil
	}
}

// WithAppName sets the name shown on the pages and given to UNLOQ as the
// profile name at enrollment (default: none, UNLOQ uses the application's
// own name).
func WithAppName(name string) Option {
	return func(c *config) error {
		name = strings.TrimSpace(name)
		if name == "" || len(name) > 100 {
			return errors.New("handlers: WithAppName: empty or too long name")
		}
		c.appName = name
		return nil
	}
}

// WithClientIP sets how the client IP (sent to UNLOQ and put in events) is
// found. The default is the host of r.RemoteAddr; X-Forwarded-For is not
// trusted unless such a function reads it (only behind a proxy you control).
// The function must return "" when it does not know.
func WithClientIP(f func(r *http.Request) string) Option {
	return func(c *config) error {
		if f == nil {
			return errors.New("handlers: WithClientIP: nil function")
		}
		c.clientIP = f
		return nil
	}
}

// WithExtraExemptions lets more routes through the middleware that Wrap
// and RequireVerified apply, for every session: for example an API
// route authenticated by its own key, which must not be sent to the
// two-step page. Each rule names one method and one clean path, matched
// exactly (see middleware.Exemption). The routes of the handlers are
// exempt already, as they need.
func WithExtraExemptions(ex ...middleware.Exemption) Option {
	return func(c *config) error {
		for _, e := range ex {
			if err := e.Validate(); err != nil {
				return fmt.Errorf("handlers: WithExtraExemptions: %w", err)
			}
		}
		c.exemptions = append(c.exemptions, ex...)
		return nil
	}
}

// WithFormField puts f(r) into every form the handlers render (the
// two-step push form, the logout control, the enable, confirm and disable
// forms, ...), right after the <form> tag: the hidden field of the host's
// CSRF protection, so that its middleware in front of the handlers lets
// their POSTs through. gorilla/csrf's csrf.TemplateField has this shape.
// The handlers' own cross-origin protection stays on.
func WithFormField(f func(r *http.Request) template.HTML) Option {
	return func(c *config) error {
		if f == nil {
			return errors.New("handlers: WithFormField: nil function")
		}
		c.formField = f
		return nil
	}
}

// WithRemoteLogout serves UNLOQ's remote-logout webhook at
// Paths.RemoteLogout (see RemoteLogout); secret is the webhook's shared
// secret (the one set on the webhook in UNLOQ's dashboard; without one,
// UNLOQ signs with the application's API key).
func WithRemoteLogout(secret string) Option {
	return func(c *config) error {
		if secret == "" {
			return errors.New("handlers: WithRemoteLogout: empty webhook secret")
		}
		c.webhookSecret = secret
		return nil
	}
}

// Disabled runs the Handlers without UNLOQ, for an app started without
// UNLOQ credentials (development, the app's own tests, an outage of the
// configuration): pass a nil *unloq.Client with it. Then:
//
//   - LogIn works as usual for users without a second factor;
//   - users who have UNLOQ as their second factor are not let in: their
//     login stays pending and the two-step page says that two-step
//     verification is unavailable (fail closed);
//   - turning two-step verification on or off is refused with a page
//     that says it is unavailable (CodeDisabled).
//
// New logs once that the Handlers are disabled, at Warn level, to the
// WithLogger logger or, without one, to slog.Default(): the one message
// the package logs without a logger, so the mode cannot go unnoticed.
func Disabled() Option {
	return func(c *config) error {
		c.disabled = true
		return nil
	}
}
