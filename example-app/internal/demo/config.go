package demo

import (
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/unloq2fa/unloq2fa/unloq"
)

// Defaults of the demo configuration.
const (
	DefaultAddr                = "127.0.0.1:8080"
	DefaultDBPath              = "unloq2fa-demo.db"
	DefaultSimAPIKey           = "sim-api-key"
	DefaultSimWidgetKey        = "sim-widget-key"
	DefaultSimApprovalTimeout  = 60 * time.Second
	DefaultRealWidgetScriptURL = "https://plugin.unloq.io/login.js"
	DefaultDemoEmail           = "demo@example.com"
	DefaultDemoPassword        = "demo-password"

	// SimulatorPrefix is where the embedded simulator is mounted.
	SimulatorPrefix = "/_unloq"
	// loginCallbackPath is where UNLOQ (or the simulator) sends the browser
	// with ?token= after a widget approval.
	loginCallbackPath = "/uauth/login"
)

// Environment variables read by ParseConfig.
const (
	EnvSimAPIKey       = "UNLOQ_SIM_API_KEY"
	EnvAPIKey          = "UNLOQ_API_KEY"
	EnvWidgetKey       = "UNLOQ_WIDGET_KEY"
	EnvAPIURL          = "UNLOQ_API_URL"
	EnvSessionHashKey  = "SESSION_HASH_KEY"
	EnvSessionBlockKey = "SESSION_BLOCK_KEY"
	// EnvRedisURL is the default of -redis.
	EnvRedisURL = "REDIS_URL"
	// EnvWebhookSecret is the secret of UNLOQ's remote-logout webhook
	// (default: the API key, which UNLOQ and unloq-sim sign with when no
	// webhook secret is set).
	EnvWebhookSecret = "UNLOQ_WEBHOOK_SECRET"
	// EnvInstance is the default of -instance.
	EnvInstance = "DEMO_INSTANCE"
)

// Defaults of the shared (Redis) backends.
const (
	// DefaultRedisPrefix starts every Redis key of the demo; the
	// revocation records and the Guard's records each get their own
	// sub-prefix.
	DefaultRedisPrefix = "unloq2fa-demo:"
	// DefaultRedisTimeout is how long the app waits at start for Redis to
	// answer and the revocation store to synchronise.
	DefaultRedisTimeout = 5 * time.Second
	// InstanceHeader carries the instance name (-instance) on every
	// response, so that one can see which instance behind a load balancer
	// answered.
	InstanceHeader = "X-Instance"
)

// Config is the complete configuration of the demo application. The zero
// value plus a SelfURL is a valid simulator configuration for tests; Run
// fills SelfURL from the listener.
type Config struct {
	// Addr is the listen address used by Run.
	Addr string
	// DBPath is the SQLite database file, ":memory:", or a PostgreSQL URL
	// (postgres://…), which several instances can share.
	DBPath string

	// RedisURL (redis://… or rediss://…) puts the session revocation
	// records and the Guard (push budgets, used tokens, in-flight markers)
	// on Redis, shared by every instance using the same URL and prefix.
	// Empty: both live in this process's memory.
	RedisURL string
	// RedisPrefix starts every Redis key (default DefaultRedisPrefix).
	RedisPrefix string
	// RedisTimeout bounds the wait for Redis at start (default
	// DefaultRedisTimeout); an unreachable Redis fails the start.
	RedisTimeout time.Duration

	// WebhookSecret checks the signature of UNLOQ's remote-logout webhook
	// (POST /uauth/logout). Default: the API key in use (the simulator's
	// in simulator mode).
	WebhookSecret string

	// Instance names this instance; when set, every response carries it in
	// the X-Instance header.
	Instance string

	// UnloqAPIKey and UnloqWidgetKey select the real UNLOQ API; when both
	// are empty the simulator is embedded at /_unloq instead.
	UnloqAPIKey    string
	UnloqWidgetKey string
	// UnloqAPIURL overrides the real API base URL (default unloq.DefaultBaseURL).
	UnloqAPIURL string

	// SimAPIKey is the embedded simulator's API key (default "sim-api-key").
	SimAPIKey string
	// SimApprovalTimeout is how long the simulated phone waits for a person
	// (default 60 s, so a human has time to click).
	SimApprovalTimeout time.Duration
	// AllowRemoteSimulator lets the embedded simulator listen on a
	// non-loopback address. Its control API approves any request without a
	// key, so anyone who can reach it passes every second factor.
	AllowRemoteSimulator bool
	// SelfURL is the base URL under which the app reaches itself (and so its
	// embedded simulator) over loopback, e.g. "http://127.0.0.1:8080". Needed
	// only in simulator mode.
	SelfURL string

	// DevCookies drops the Secure flag from the session cookie so that the
	// demo works on plain http://127.0.0.1. Development only.
	DevCookies bool
	// SessionHashKey (≥ 32 bytes) and SessionBlockKey (16, 24 or 32 bytes)
	// sign and encrypt the session cookie. Both nil: random keys, so
	// sessions reset on restart.
	SessionHashKey  []byte
	SessionBlockKey []byte

	// DemoEmail and DemoPassword are the seeded demo account; empty DemoEmail
	// seeds nothing.
	DemoEmail    string
	DemoPassword string

	// BcryptCost is the password hashing cost (0 = bcrypt.DefaultCost).
	// Tests lower it.
	BcryptCost int

	// Logger receives the application's and the libraries' logs; nil
	// discards them.
	Logger *slog.Logger
}

// Simulated reports whether the configuration uses the embedded simulator.
func (c Config) Simulated() bool {
	return c.UnloqAPIKey == "" && c.UnloqWidgetKey == ""
}

// CookieMode describes the session cookie setting for the start banner.
func (c Config) CookieMode() string {
	if c.DevCookies {
		return "development (Secure flag off, for plain http://127.0.0.1 only)"
	}
	return "secure (Secure flag on; the browser sends the cookie over HTTPS only)"
}

// withDefaults returns c with empty fields set to their defaults.
func (c Config) withDefaults() Config {
	if c.Addr == "" {
		c.Addr = DefaultAddr
	}
	if c.DBPath == "" {
		c.DBPath = DefaultDBPath
	}
	if c.SimAPIKey == "" {
		c.SimAPIKey = DefaultSimAPIKey
	}
	if c.SimApprovalTimeout <= 0 {
		c.SimApprovalTimeout = DefaultSimApprovalTimeout
	}
	if c.UnloqAPIURL == "" {
		c.UnloqAPIURL = unloq.DefaultBaseURL
	}
	if c.RedisPrefix == "" {
		c.RedisPrefix = DefaultRedisPrefix
	}
	if c.RedisTimeout <= 0 {
		c.RedisTimeout = DefaultRedisTimeout
	}
	if c.WebhookSecret == "" {
		c.WebhookSecret = c.UnloqAPIKey
		if c.Simulated() {
			c.WebhookSecret = c.SimAPIKey
		}
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// validate checks a configuration that already has its defaults.
func (c Config) validate() error {
	if (c.UnloqAPIKey == "") != (c.UnloqWidgetKey == "") {
		return fmt.Errorf("demo: config: set both %s and %s to use the real UNLOQ API, or neither to use the simulator", EnvAPIKey, EnvWidgetKey)
	}
	if c.Simulated() && !c.AllowRemoteSimulator && !loopbackListen(c.Addr) {
		return fmt.Errorf("demo: config: -addr %q is not a loopback address: the embedded UNLOQ simulator's control API "+
			"approves any request for anyone who can reach it, so it listens only on 127.0.0.1, ::1 or localhost; "+
			"use the real UNLOQ API (%s, %s), or pass -allow-remote-simulator if you really mean it", c.Addr, EnvAPIKey, EnvWidgetKey)
	}
	if c.Simulated() {
		u, err := url.Parse(c.SelfURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("demo: config: SelfURL %q must be the app's own absolute http(s) base URL", c.SelfURL)
		}
	}
	if (c.SessionHashKey == nil) != (c.SessionBlockKey == nil) {
		return fmt.Errorf("demo: config: set both %s and %s, or neither", EnvSessionHashKey, EnvSessionBlockKey)
	}
	if c.RedisURL != "" {
		if _, err := redis.ParseURL(c.RedisURL); err != nil {
			return fmt.Errorf("demo: config: -redis %q: %w", redactURL(c.RedisURL), err)
		}
	}
	if c.Instance != "" && !validInstance(c.Instance) {
		return fmt.Errorf("demo: config: -instance %q: use 1 to 64 letters, digits, '.', '_' or '-'", c.Instance)
	}
	if c.DemoEmail != "" && len(c.DemoPassword) < minPasswordLen {
		return fmt.Errorf("demo: config: the demo password must have at least %d characters", minPasswordLen)
	}
	return nil
}

// ParseConfig reads the command line (without the program name) and the
// environment (through getenv) into a Config. Usage and flag errors go to
// output; -h returns flag.ErrHelp.
func ParseConfig(args []string, getenv func(string) string, output io.Writer) (Config, error) {
	cfg := Config{
		SimAPIKey:      getenv(EnvSimAPIKey),
		UnloqAPIKey:    getenv(EnvAPIKey),
		UnloqWidgetKey: getenv(EnvWidgetKey),
		UnloqAPIURL:    getenv(EnvAPIURL),
		WebhookSecret:  getenv(EnvWebhookSecret),
		DemoEmail:      DefaultDemoEmail,
		DemoPassword:   DefaultDemoPassword,
	}
	fs := flag.NewFlagSet("example-app", flag.ContinueOnError)
	fs.SetOutput(output)
	fs.Usage = func() {
		fmt.Fprintf(output, "Usage: go run ./example-app [flags]\n\n"+
			"The unloq2fa demo: a web app with password login plus UNLOQ two-step verification.\n"+
			"Without %s/%s it embeds the UNLOQ simulator at %s.\n\nFlags:\n",
			EnvAPIKey, EnvWidgetKey, SimulatorPrefix)
		fs.PrintDefaults()
		fmt.Fprintf(output, "\nEnvironment: %s, %s, %s, %s, %s, %s, %s (hex), %s (default of -redis), %s (default of -instance)\n",
			EnvAPIKey, EnvWidgetKey, EnvAPIURL, EnvWebhookSecret, EnvSimAPIKey, EnvSessionHashKey, EnvSessionBlockKey, EnvRedisURL, EnvInstance)
	}
	fs.StringVar(&cfg.Addr, "addr", DefaultAddr, "listen address")
	fs.StringVar(&cfg.DBPath, "db", DefaultDBPath, `SQLite database file (":memory:" for a throw-away database), or a PostgreSQL URL (postgres://…) shared by several instances`)
	fs.StringVar(&cfg.RedisURL, "redis", getenv(EnvRedisURL), "Redis URL (redis://host:port/db): revocation and the push/replay guard shared by every instance (default: in memory)")
	fs.StringVar(&cfg.RedisPrefix, "redis-prefix", DefaultRedisPrefix, "prefix of every Redis key of this app")
	fs.DurationVar(&cfg.RedisTimeout, "redis-timeout", DefaultRedisTimeout, "how long to wait for Redis at start")
	fs.StringVar(&cfg.Instance, "instance", getenv(EnvInstance), "name of this instance, sent in the "+InstanceHeader+" response header")
	fs.BoolVar(&cfg.AllowRemoteSimulator, "allow-remote-simulator", false,
		"let the embedded simulator listen beyond loopback (its control API approves anything: never on a reachable host)")
	fs.DurationVar(&cfg.SimApprovalTimeout, "approval-timeout", DefaultSimApprovalTimeout, "how long the simulated phone waits for an answer")
	// Development cookies are on by default only with the embedded
	// simulator: with the real UNLOQ API the app is secure by default.
	fs.BoolVar(&cfg.DevCookies, "dev-cookies", cfg.Simulated(), "development cookies: no Secure flag, so sessions work on plain http://127.0.0.1")
	if err := fs.Parse(args); err != nil {
		return Config{}, err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return Config{}, fmt.Errorf("demo: unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	var err error
	if cfg.SessionHashKey, err = hexKey(EnvSessionHashKey, getenv(EnvSessionHashKey)); err != nil {
		return Config{}, err
	}
	if cfg.SessionBlockKey, err = hexKey(EnvSessionBlockKey, getenv(EnvSessionBlockKey)); err != nil {
		return Config{}, err
	}
	cfg = cfg.withDefaults()
	if cfg.Simulated() {
		// Run replaces this with the listener's real address.
		cfg.SelfURL = "http://" + cfg.Addr
	}
	if err := cfg.validate(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// hexKey decodes an optional hex-encoded key from the environment.
func hexKey(name, value string) ([]byte, error) {
	value = strings.TrimSpace(value)
	if value == "" {
		return nil, nil
	}
	b, err := hex.DecodeString(value)
	if err != nil {
		return nil, errors.New("demo: config: " + name + " is not valid hex")
	}
	return b, nil
}

// validInstance reports whether s is a usable instance name (it goes into
// a response header).
func validInstance(s string) bool {
	if len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return false
		}
	}
	return s != ""
}

// loopbackListen reports whether the listen address addr (host:port) binds
// only to loopback: an IP that is loopback, or "localhost". An empty host
// binds every interface.
func loopbackListen(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	return loopbackHost(host)
}

// loopbackHost reports whether host is "localhost" or a loopback IP.
func loopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}
