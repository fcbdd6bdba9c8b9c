package stepup

import (
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"time"

	"github.com/unloq2fa/unloq2fa/handlers/guard"
	"github.com/unloq2fa/unloq2fa/store"
)

// Defaults applied by New before the options.
const (
	// DefaultInFlightTTL bounds an in-flight mark (above UNLOQ's longest
	// approval wait and the client's default approval timeout).
	DefaultInFlightTTL = 2 * time.Minute
	// DefaultGrantTTL is how long the one-time approval of a GET request
	// (Action.MaxAge 0) waits for the browser's redirect or the API
	// client's repeated request.
	DefaultGrantTTL = 2 * time.Minute
)

// Option configures a StepUp. Options validate their input; New returns
// the first error.
type Option func(*config) error

type config struct {
	allowPasswordOnly bool
	guard             guard.Guard
	inFlightTTL       time.Duration
	grantTTL          time.Duration
	formField         func(*http.Request) template.HTML
	scriptNonce       func(*http.Request) string
	cop               *http.CrossOriginProtection
	logger            *slog.Logger
	onRefusal         func(*http.Request, error)
	clientIP          func(*http.Request) string
	tmpl              *template.Template
	appName           string
	cancelURL         string
	address           func(store.User) (string, error) // WithUNLOQAddress; nil: the e-mail
}

// WithAllowPasswordOnly lets users without an UNLOQ second factor (a
// password-only login) pass without an approval. By default they are
// refused with ErrPasswordOnly (403).
func WithAllowPasswordOnly() Option {
	return func(c *config) error {
		c.allowPasswordOnly = true
		return nil
	}
}

// WithGuard sets where the in-flight marks live (one approval at a time
// per login): a guard.Guard, the same kind of value the handlers take
// (handlers.WithGuard), so that one Guard can serve both. The default is a
// guard.Memory, enough for one instance of an application; several
// instances behind a load balancer need a shared one (package
// guard/redisguard), or two requests reaching two instances may each push
// once.
func WithGuard(g guard.Guard) Option {
	return func(c *config) error {
		if g == nil {
			return errors.New("stepup: WithGuard: nil guard")
		}
		c.guard = g
		return nil
	}
}

// WithInFlightTTL bounds how long one approval blocks a second one of the
// same action in the same session (default DefaultInFlightTTL). It must
// exceed the unloq.Client's approval timeout.
func WithInFlightTTL(d time.Duration) Option {
	return func(c *config) error {
		if d < time.Second || d > time.Hour {
			return fmt.Errorf("stepup: in-flight ttl %v outside [1s, 1h]", d)
		}
		c.inFlightTTL = d
		return nil
	}
}

// WithGrantTTL sets how long the one-time approval of a GET request waits
// to be used (default DefaultGrantTTL).
func WithGrantTTL(d time.Duration) Option {
	return func(c *config) error {
		if d < time.Second || d > time.Hour {
			return fmt.Errorf("stepup: grant ttl %v outside [1s, 1h]", d)
		}
		c.grantTTL = d
		return nil
	}
}

// WithFormField adds host markup inside the waiting page's form, e.g. the
// host's CSRF token field. The function's output is trusted HTML.
func WithFormField(f func(*http.Request) template.HTML) Option {
	return func(c *config) error {
		if f == nil {
			return errors.New("stepup: form field: nil")
		}
		c.formField = f
		return nil
	}
}

// WithScriptNonce gives the pages' inline script (the waiting page's,
// which submits its form by itself) and inline style a CSP nonce: return
// the nonce of the request's own Content-Security-Policy, set by the host
// before the step-up handler runs. The host's policy is kept on the pages
// (a policy forbidding framing is added beside it), so a strict
// script-src or style-src with that nonce applies to them as to the rest
// of the application. Without JavaScript the page shows a button.
func WithScriptNonce(f func(*http.Request) string) Option {
	return func(c *config) error {
		if f == nil {
			return errors.New("stepup: script nonce: nil")
		}
		c.scriptNonce = f
		return nil
	}
}

// WithCrossOriginProtection replaces the default http.CrossOriginProtection
// (which trusts no other origin) applied to every non-safe request.
func WithCrossOriginProtection(p *http.CrossOriginProtection) Option {
	return func(c *config) error {
		if p == nil {
			return errors.New("stepup: cross-origin protection: nil")
		}
		c.cop = p
		return nil
	}
}

// WithLogger logs each refusal (operation and kind, never form values,
// cookies or keys). Without this option the package is silent; a nil
// logger is an error (leave the option out to stay silent).
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return errors.New("stepup: WithLogger: nil logger")
		}
		c.logger = l
		return nil
	}
}

// WithOnRefusal calls f with the typed error (an *Error) of every refusal,
// before the refusal is written.
func WithOnRefusal(f func(*http.Request, error)) Option {
	return func(c *config) error {
		if f == nil {
			return errors.New("stepup: on refusal: nil")
		}
		c.onRefusal = f
		return nil
	}
}

// WithClientIP sets how the client's IP address sent to UNLOQ is found
// (default: the host of r.RemoteAddr). Return "" when unknown.
func WithClientIP(f func(*http.Request) string) Option {
	return func(c *config) error {
		if f == nil {
			return errors.New("stepup: client ip: nil")
		}
		c.clientIP = f
		return nil
	}
}

// WithTemplates replaces the default pages. t must define TemplateWait
// (data WaitPage) and TemplateRefused (data RefusedPage).
func WithTemplates(t *template.Template) Option {
	return func(c *config) error {
		if t == nil {
			return errors.New("stepup: templates: nil")
		}
		for _, name := range []string{TemplateWait, TemplateRefused} {
			if t.Lookup(name) == nil {
				return fmt.Errorf("stepup: templates: %q is not defined", name)
			}
		}
		c.tmpl = t
		return nil
	}
}

// WithAppName shows name on the pages.
func WithAppName(name string) Option {
	return func(c *config) error {
		c.appName = name
		return nil
	}
}

// WithCancelURL sets the "go back" link of the pages (default "/"): a
// same-origin relative path.
func WithCancelURL(u string) Option {
	return func(c *config) error {
		if _, ok := safePath(u); !ok {
			return fmt.Errorf("stepup: cancel URL %q is not a same-origin relative path", u)
		}
		c.cancelURL = u
		return nil
	}
}
