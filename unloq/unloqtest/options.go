package unloqtest

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/unloq2fa/unloq2fa/unloq"
)

// Defaults used by New before the options are applied.
const (
	DefaultAPIKey          = "sim-api-key"
	DefaultWidgetKey       = "sim-widget-key"
	DefaultLoginURL        = "/uauth/login"
	DefaultApprovalTimeout = 30 * time.Second
	DefaultTimeoutStatus   = http.StatusBadGateway
	// DefaultEncryptionKeyLength is the length, in characters, of each
	// account's encryption key unless WithEncryptionKeyLength sets another.
	DefaultEncryptionKeyLength = 32

	tokenTTL        = 60 * time.Second // one-time access token lifetime
	sessionWindow   = 60 * time.Second // sid attach window after the approval
	qrTTL           = 5 * time.Minute  // lifetime of a pairing QR code
	maxSIDLen       = 128
	maxReferenceLen = 20
	maxBodyBytes    = 1 << 20
)

// Option configures a Simulator. Options validate their input; New returns
// the first error.
type Option func(*config) error

type webhook struct {
	event        string
	url          string
	secret       string
	retry        int
	retryTimeout time.Duration
}

type config struct {
	apiKey          string
	widgetKey       string
	loginURL        string
	approvalTimeout time.Duration
	timeoutStatus   int
	clock           Clock
	pings           time.Duration
	legacy          bool
	methods         map[unloq.Method]bool
	actions         map[string]Action
	webhooks        []webhook
	publicURL       string
	logger          *slog.Logger
	encKeyLen       int
}

func defaultConfig() config {
	return config{
		apiKey:          DefaultAPIKey,
		widgetKey:       DefaultWidgetKey,
		loginURL:        DefaultLoginURL,
		approvalTimeout: DefaultApprovalTimeout,
		timeoutStatus:   DefaultTimeoutStatus,
		clock:           realClock{},
		methods: map[unloq.Method]bool{
			unloq.MethodUNLOQ: true, unloq.MethodOTP: true, unloq.MethodEmail: true,
		},
		actions:   map[string]Action{},
		encKeyLen: DefaultEncryptionKeyLength,
	}
}

func validKey(k string) bool {
	return k != "" && !strings.ContainsFunc(k, func(r rune) bool { return r <= ' ' || r == 0x7f })
}

// WithAPIKey sets the application's API key, expected as
// "Authorization: Bearer <key>" (default "sim-api-key").
func WithAPIKey(k string) Option {
	return func(c *config) error {
		if !validKey(k) {
			return errors.New("unloqtest: API key must be non-empty without whitespace")
		}
		c.apiKey = k
		return nil
	}
}

// WithWidgetKey sets the public Login Widget Key that /login.js must carry
// in data-unloq-key (default "sim-widget-key").
func WithWidgetKey(k string) Option {
	return func(c *config) error {
		if !validKey(k) {
			return errors.New("unloqtest: widget key must be non-empty without whitespace")
		}
		c.widgetKey = k
		return nil
	}
}

// WithLoginURL sets the widget's login URL: after an approval the browser is
// sent there with ?token=AU…, and EMAIL-method mails link to it. It may be
// absolute or a path such as "/uauth/login" (resolved against the origin of
// the page, respectively of the request that triggered the mail).
// Default "/uauth/login".
func WithLoginURL(u string) Option {
	return func(c *config) error {
		p, err := url.Parse(u)
		if err != nil || u == "" {
			return fmt.Errorf("unloqtest: invalid login URL %q", u)
		}
		if p.IsAbs() && p.Scheme != "http" && p.Scheme != "https" {
			return fmt.Errorf("unloqtest: login URL %q: scheme must be http or https", u)
		}
		if !p.IsAbs() && !strings.HasPrefix(u, "/") {
			return fmt.Errorf("unloqtest: login URL %q must be absolute or start with /", u)
		}
		if p.Fragment != "" {
			return fmt.Errorf("unloqtest: login URL %q must not have a fragment", u)
		}
		c.loginURL = u
		return nil
	}
}

// WithApprovalTimeout sets how long a push approval waits for an answer
// before failing with APPROVAL.TIMEOUT (default 30 s). Unlike the real
// service (10–40 s) any positive duration is allowed, so tests can use
// milliseconds. The timeout runs on real time, not on the Clock.
func WithApprovalTimeout(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("unloqtest: approval timeout must be positive, got %v", d)
		}
		c.approvalTimeout = d
		return nil
	}
}

// WithTimeoutStatus sets the HTTP status of APPROVAL.TIMEOUT errors
// (default 502; 408 and 504 are other plausible choices).
func WithTimeoutStatus(code int) Option {
	return func(c *config) error {
		if code < 400 || code > 599 {
			return fmt.Errorf("unloqtest: timeout status must be 4xx or 5xx, got %d", code)
		}
		c.timeoutStatus = code
		return nil
	}
}

// WithClock sets the clock used for token lifetimes, session-attach
// windows, QR expiry and TOTP codes (default: the real clock).
func WithClock(clk Clock) Option {
	return func(c *config) error {
		if clk == nil {
			return errors.New("unloqtest: nil clock")
		}
		c.clock = clk
		return nil
	}
}

// WithPings makes blocking calls (authenticate, authorize, encryption,
// enroll of a known user, the widget) write a whitespace keep-alive chunk
// every interval while they wait. Once a ping has been written the HTTP
// status is committed as 200, so a later error travels only in the JSON
// body's error object, as with the real chunked service.
func WithPings(every time.Duration) Option {
	return func(c *config) error {
		if every <= 0 {
			return fmt.Errorf("unloqtest: ping interval must be positive, got %v", every)
		}
		c.pings = every
		return nil
	}
}

// WithLegacyFields makes /token results also carry the legacy fields id,
// source_client, link_key and link_signature beside unloq_id, as older
// UNLOQ clients read them.
func WithLegacyFields() Option {
	return func(c *config) error {
		c.legacy = true
		return nil
	}
}

// WithMethods sets the enabled authentication methods (default all three).
// A disabled method is refused with APPROVAL.METHOD.
func WithMethods(ms ...unloq.Method) Option {
	return func(c *config) error {
		if len(ms) == 0 {
			return errors.New("unloqtest: WithMethods needs at least one method")
		}
		set := map[unloq.Method]bool{}
		for _, m := range ms {
			switch m {
			case unloq.MethodUNLOQ, unloq.MethodOTP, unloq.MethodEmail:
				set[m] = true
			default:
				return fmt.Errorf("unloqtest: unknown method %q", m)
			}
		}
		c.methods = set
		return nil
	}
}

// WithAction defines an authorisation action for POST /v1/authorize/{code}
// (or replaces a built-in one, see DefaultActions). The code is 1–20
// characters of [A-Za-z0-9_-]; title (1–35 characters) and message (at most
// 100) may contain variables written $name or {name}, replaced by the
// request's fields of that name. SetAction and the control API change
// actions at run time.
func WithAction(code, title, message string) Option {
	return func(c *config) error {
		a, err := newAction(code, title, message)
		if err != nil {
			return err
		}
		c.actions[code] = a
		return nil
	}
}

// Webhook events the simulator delivers.
const (
	EventLogout     = "logout"
	EventActivate   = "activate"
	EventDeactivate = "deactivate"
)

// WithWebhook registers a webhook for event ("logout", "activate" or
// "deactivate"). Deliveries are form-encoded POSTs signed like UNLOQ's
// (X-Unloq-Signature, see unloq.SignWebhook) with
// secret, or with the API key when secret is empty, and carry
// X-Requested-With. A non-2xx answer (or a transport error) is retried
// retry times, retryTimeout apart.
func WithWebhook(event, hookURL, secret string, retry int, retryTimeout time.Duration) Option {
	return func(c *config) error {
		switch event {
		case EventLogout, EventActivate, EventDeactivate:
		default:
			return fmt.Errorf("unloqtest: unknown webhook event %q", event)
		}
		u, err := url.Parse(hookURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("unloqtest: webhook URL %q must be an absolute http(s) URL", hookURL)
		}
		if retry < 0 || retryTimeout < 0 {
			return errors.New("unloqtest: webhook retry and retry timeout must not be negative")
		}
		c.webhooks = append(c.webhooks, webhook{event: event, url: hookURL, secret: secret, retry: retry, retryTimeout: retryTimeout})
		return nil
	}
}

// WithPublicURL sets the absolute base URL under which clients reach the
// simulator (used for qr_url and the login.js endpoints). By default it is
// derived from each request: scheme from TLS or X-Forwarded-Proto, the Host
// header, and the mount prefix stripped in front of the simulator.
func WithPublicURL(u string) Option {
	return func(c *config) error {
		p, err := url.Parse(u)
		if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" || p.RawQuery != "" || p.Fragment != "" {
			return fmt.Errorf("unloqtest: public URL %q must be an absolute http(s) URL without query", u)
		}
		c.publicURL = strings.TrimRight(u, "/")
		return nil
	}
}

// WithLogger makes the simulator log what it does (default: silent). A
// nil logger is an error.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return errors.New("unloqtest: WithLogger: nil logger")
		}
		c.logger = l
		return nil
	}
}

// Limits of the application's encryption key size setting.
const (
	MinEncryptionKeyLength = 32
	MaxEncryptionKeyLength = 64
)

// WithEncryptionKeyLength sets the application's encryption key size: each
// account's key (POST /v1/encryption/user, and encryption_key in POST
// /v1/token results) is n random letters and digits, 32 ≤ n ≤ 64 (default
// 32).
func WithEncryptionKeyLength(n int) Option {
	return func(c *config) error {
		if n < MinEncryptionKeyLength || n > MaxEncryptionKeyLength {
			return fmt.Errorf("unloqtest: encryption key length must be %d–%d characters, got %d", MinEncryptionKeyLength, MaxEncryptionKeyLength, n)
		}
		c.encKeyLen = n
		return nil
	}
}
