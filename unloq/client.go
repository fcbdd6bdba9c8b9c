package unloq

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DefaultBaseURL is UNLOQ's production API root (Gen 2).
const DefaultBaseURL = "https://api.unloq.io/v1"

// Defaults applied by NewClient before the options.
const (
	defaultApprovalTimeout  = 45 * time.Second
	defaultCallTimeout      = 10 * time.Second
	defaultMaxResponseBytes = 1 << 20
	defaultUserAgent        = "unloq2fa-go/1"
)

// Client calls the UNLOQ API. It is safe for concurrent use; its
// configuration is fixed at construction.
type Client struct {
	apiKey           string
	baseURL          string // no trailing slash
	hc               *http.Client
	approvalTimeout  time.Duration
	callTimeout      time.Duration
	maxResponseBytes int64
	logger           *slog.Logger
	userAgent        string
}

// Option configures a Client. Options validate their input and return an
// error from NewClient when it is unusable.
type Option func(*clientConfig) error

type clientConfig struct {
	baseURL          *url.URL
	allowHTTP        bool
	hc               *http.Client
	approvalTimeout  time.Duration
	callTimeout      time.Duration
	maxResponseBytes int64
	logger           *slog.Logger
	userAgent        string
}

// NewClient returns a Client that authenticates with the application's API
// key (sent as "Authorization: Bearer <key>").
func NewClient(apiKey string, opts ...Option) (*Client, error) {
	if apiKey == "" {
		return nil, errors.New("unloq: new client: empty API key")
	}
	if strings.ContainsFunc(apiKey, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		// Never echo the key itself.
		return nil, errors.New("unloq: new client: API key contains whitespace or control characters")
	}
	base, _ := url.Parse(DefaultBaseURL)
	cfg := clientConfig{
		baseURL:          base,
		approvalTimeout:  defaultApprovalTimeout,
		callTimeout:      defaultCallTimeout,
		maxResponseBytes: defaultMaxResponseBytes,
		userAgent:        defaultUserAgent,
	}
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(&cfg); err != nil {
			return nil, err
		}
	}
	if cfg.baseURL.Scheme != "https" && !cfg.allowHTTP {
		return nil, fmt.Errorf("unloq: new client: base URL scheme %q is not https (use WithAllowHTTP for tests)", cfg.baseURL.Scheme)
	}
	var hc http.Client
	if cfg.hc != nil {
		hc = *cfg.hc // shallow copy: the caller's client is not modified
	} else {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
		tr.ResponseHeaderTimeout = 0 // approval calls block; deadlines come from the context
		hc = http.Client{Transport: tr}
	}
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &Client{
		apiKey:           apiKey,
		baseURL:          strings.TrimRight(cfg.baseURL.String(), "/"),
		hc:               &hc,
		approvalTimeout:  cfg.approvalTimeout,
		callTimeout:      cfg.callTimeout,
		maxResponseBytes: cfg.maxResponseBytes,
		logger:           cfg.logger,
		userAgent:        cfg.userAgent,
	}, nil
}

// WithBaseURL sets the API root, e.g. "https://api-authenticator.iwelcome.com/v1"
// or a simulator's "http://127.0.0.1:1234/v1". Endpoint paths are appended
// to it. The URL must be absolute, without credentials, query or fragment,
// and https unless WithAllowHTTP is also given.
func WithBaseURL(rawURL string) Option {
	return func(c *clientConfig) error {
		u, err := url.Parse(rawURL)
		if err != nil {
			return fmt.Errorf("unloq: base URL: %w", err)
		}
		switch {
		case u.Scheme != "https" && u.Scheme != "http":
			return fmt.Errorf("unloq: base URL: scheme must be https, got %q", u.Scheme)
		case u.Host == "":
			return errors.New("unloq: base URL: missing host")
		case u.User != nil:
			return errors.New("unloq: base URL: must not contain credentials")
		case u.RawQuery != "" || u.ForceQuery:
			return errors.New("unloq: base URL: must not contain a query")
		case u.Fragment != "":
			return errors.New("unloq: base URL: must not contain a fragment")
		}
		c.baseURL = u
		return nil
	}
}

// WithAllowHTTP permits a plain-http base URL. Use it only for tests and the
// local simulator: over http the API key travels in clear text.
func WithAllowHTTP() Option {
	return func(c *clientConfig) error {
		c.allowHTTP = true
		return nil
	}
}

// WithHTTPClient uses a copy of hc for requests (its Transport, Jar and
// Timeout are kept). Its CheckRedirect is replaced: redirects are never
// followed. hc.Timeout, if set, applies in addition to the per-call timeouts.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *clientConfig) error {
		if hc == nil {
			return errors.New("unloq: http client: nil")
		}
		c.hc = hc
		return nil
	}
}

// WithApprovalTimeout sets the per-call timeout of the blocking approval
// calls (authenticate, authorize, encryption, enroll). Default 45 s, which
// is above UNLOQ's maximum approval wait of 40 s.
func WithApprovalTimeout(d time.Duration) Option {
	return func(c *clientConfig) error {
		if d <= 0 {
			return fmt.Errorf("unloq: approval timeout must be positive, got %v", d)
		}
		c.approvalTimeout = d
		return nil
	}
}

// WithCallTimeout sets the per-call timeout of every non-approval call.
// Default 10 s.
func WithCallTimeout(d time.Duration) Option {
	return func(c *clientConfig) error {
		if d <= 0 {
			return fmt.Errorf("unloq: call timeout must be positive, got %v", d)
		}
		c.callTimeout = d
		return nil
	}
}

// WithMaxResponseBytes caps the size of a response body; a larger body is
// an INVALID_RESPONSE error. Default 1 MiB.
func WithMaxResponseBytes(n int64) Option {
	return func(c *clientConfig) error {
		if n <= 0 {
			return fmt.Errorf("unloq: max response bytes must be positive, got %d", n)
		}
		c.maxResponseBytes = n
		return nil
	}
}

// WithLogger makes the client log one record per call (operation, HTTP
// status, error code, duration) — never keys, tokens, OTPs or e-mails.
// Without this option the client is silent; a nil logger is an error
// (leave the option out to stay silent).
func WithLogger(l *slog.Logger) Option {
	return func(c *clientConfig) error {
		if l == nil {
			return errors.New("unloq: WithLogger: nil logger")
		}
		c.logger = l
		return nil
	}
}

// WithUserAgent sets the User-Agent header. Default "unloq2fa-go/1".
func WithUserAgent(ua string) Option {
	return func(c *clientConfig) error {
		if ua == "" || strings.ContainsAny(ua, "\r\n\x00") {
			return errors.New("unloq: user agent: empty or contains control characters")
		}
		c.userAgent = ua
		return nil
	}
}
