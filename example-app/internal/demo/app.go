package demo

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/unloq2fa/unloq2fa/handlers"
	"github.com/unloq2fa/unloq2fa/handlers/recovery"
	"github.com/unloq2fa/unloq2fa/middleware"
	"github.com/unloq2fa/unloq2fa/session"
	"github.com/unloq2fa/unloq2fa/store"
	"github.com/unloq2fa/unloq2fa/unloq"
	"github.com/unloq2fa/unloq2fa/unloq/unloqtest"
)

// demoPushLimit is how many approval requests per user and minute the demo
// allows.
const demoPushLimit = 10

// appName is what the UNLOQ app shows as the requester.
const appName = "unloq2fa demo"

// App is the assembled demo application.
type App struct {
	cfg     Config
	db      *database
	shared  *backends
	users   *Users
	store   *store.SQL
	sim     *unloqtest.Simulator // nil with the real UNLOQ API
	handler http.Handler
	// randomKeys reports that the session keys were generated at start.
	randomKeys   bool
	demoCreated  bool
	widgetScript string
}

// New builds the application from cfg: it opens (and migrates) the
// database, seeds the demo account, and wires the UNLOQ client (to the
// embedded simulator or to the real API), the session manager, the
// middleware and the two-step handlers into one http.Handler.
//
// In simulator mode cfg.SelfURL must be the URL under which the returned
// handler is served, because the app's UNLOQ client calls the simulator at
// SelfURL + "/_unloq/v1" over loopback.
func New(ctx context.Context, cfg Config) (*App, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	a := &App{cfg: cfg}
	db, err := openDB(ctx, cfg.DBPath)
	if err != nil {
		return nil, err
	}
	a.db = db
	if a.shared, err = openBackends(ctx, cfg); err != nil {
		db.Close()
		return nil, err
	}
	if err := a.build(ctx); err != nil {
		_ = a.shared.Close()
		db.Close()
		return nil, err
	}
	return a, nil
}

func (a *App) build(ctx context.Context) error {
	cfg := a.cfg
	log := cfg.Logger

	users, err := newUsers(a.db, cfg.BcryptCost)
	if err != nil {
		return err
	}
	a.users = users
	if cfg.DemoEmail != "" {
		if a.demoCreated, err = users.EnsureDemo(ctx, cfg.DemoEmail, cfg.DemoPassword); err != nil {
			return fmt.Errorf("demo: seed demo account: %w", err)
		}
	}
	st, err := store.NewSQL(a.db.DB, store.WithDialect(a.db.dialect))
	if err != nil {
		return fmt.Errorf("demo: user store: %w", err)
	}
	a.store = st

	client, err := a.unloqClient()
	if err != nil {
		return err
	}

	hashKey, blockKey := cfg.SessionHashKey, cfg.SessionBlockKey
	if hashKey == nil {
		hashKey, blockKey = make([]byte, 64), make([]byte, 32)
		_, _ = rand.Read(hashKey) // crypto/rand.Read never fails
		_, _ = rand.Read(blockKey)
		a.randomKeys = true
	}
	sopts := []session.Option{session.WithKeys(hashKey, blockKey)}
	if cfg.DevCookies {
		sopts = append(sopts, session.WithInsecureDevCookies())
	}
	if a.shared.revocation != nil {
		// Ended logins are recorded on Redis and seen by every instance.
		sopts = append(sopts, session.WithRevocation(a.shared.revocation))
	}
	sm, err := session.NewManager(sopts...)
	if err != nil {
		return fmt.Errorf("demo: sessions: %w", err)
	}

	mw, err := middleware.New(sm,
		middleware.WithLogger(log),
		// A user between password and phone may still log out.
		middleware.WithExtraExemptions(middleware.Exemption{Method: http.MethodPost, Path: "/logout"}),
	)
	if err != nil {
		return fmt.Errorf("demo: middleware: %w", err)
	}

	widgetKey, deviceURL := cfg.UnloqWidgetKey, ""
	a.widgetScript = DefaultRealWidgetScriptURL
	if a.sim != nil {
		widgetKey, deviceURL = DefaultSimWidgetKey, SimulatorPrefix+"/device"
		a.widgetScript = SimulatorPrefix + "/login.js"
	} else if base, ok := localSimulator(cfg.UnloqAPIURL); ok {
		// An external unloq-sim on this machine: its widget script and
		// its phone page sit beside its API.
		a.widgetScript, deviceURL = base+"/login.js", base+"/device"
	}
	rnd, err := newRenderer(deviceURL, log)
	if err != nil {
		return err
	}
	// Recovery codes live in a table of their own in the same database
	// (SQLite or PostgreSQL), stored only as slow hashes.
	codes, err := recovery.NewSQLStore(a.db.DB, recovery.WithDialect(a.db.dialect))
	if err != nil {
		return fmt.Errorf("demo: recovery codes: %w", err)
	}
	if err := codes.CreateTable(ctx); err != nil {
		return fmt.Errorf("demo: recovery codes: %w", err)
	}
	// Their rate limit shares the Guard, so it holds across instances.
	recoverySvc, err := recovery.New(codes, recovery.WithLogger(log), recovery.WithGuard(a.shared.guard))
	if err != nil {
		return fmt.Errorf("demo: recovery codes: %w", err)
	}
	h, err := handlers.New(client, sm, st,
		handlers.WithTemplates(rnd.twoStep),
		handlers.WithWidgetKey(widgetKey),
		handlers.WithWidgetScriptURL(a.widgetScript),
		handlers.WithMode(handlers.ModeBoth),
		// Without a next, a finished login lands on the dashboard.
		handlers.WithPaths(handlers.Paths{AfterLogin: "/dashboard"}),
		// A person trying the demo (enable, log in, deny, OTP, disable)
		// easily sends more than the default 5 requests a minute; 10 still
		// stops a flood of pushes.
		handlers.WithPushLimit(demoPushLimit, time.Minute),
		handlers.WithAppName(appName),
		handlers.WithLogger(log),
		handlers.WithRecoveryCodes(recoverySvc),
		// Push budgets, used tokens and logins, in-flight markers: in
		// memory, or on Redis shared by every instance.
		handlers.WithGuard(a.shared.guard),
		// POST /uauth/logout: UNLOQ's signed remote-logout webhook.
		handlers.WithRemoteLogout(cfg.WebhookSecret),
	)
	if err != nil {
		return fmt.Errorf("demo: two-step handlers: %w", err)
	}

	p := &pages{
		users: users, twoStep: h, render: rnd,
		deviceURL: deviceURL, demoEmail: cfg.DemoEmail, demoPass: cfg.DemoPassword, log: log,
	}
	notes, err := newNotes(ctx, a.db)
	if err != nil {
		return err
	}
	nf, err := newNotesFeature(p, notes, client, sm, st, rnd, a.shared.guard)
	if err != nil {
		return err
	}
	a.handler = a.routes(p, h, mw, nf)
	return nil
}

// unloqClient creates the simulator (in simulator mode) and the UNLOQ client.
func (a *App) unloqClient() (*unloq.Client, error) {
	cfg := a.cfg
	if !cfg.Simulated() {
		opts := []unloq.Option{
			unloq.WithBaseURL(cfg.UnloqAPIURL),
			unloq.WithLogger(cfg.Logger),
			unloq.WithUserAgent(appName),
		}
		if _, ok := localSimulator(cfg.UnloqAPIURL); ok {
			// Development only: an unloq-sim on this machine speaks plain
			// http, and the API key never leaves loopback.
			opts = append(opts, unloq.WithAllowHTTP())
		}
		c, err := unloq.NewClient(cfg.UnloqAPIKey, opts...)
		if err != nil {
			return nil, fmt.Errorf("demo: unloq client: %w", err)
		}
		return c, nil
	}
	self := strings.TrimSuffix(cfg.SelfURL, "/")
	sim, err := unloqtest.New(
		unloqtest.WithAPIKey(cfg.SimAPIKey),
		unloqtest.WithWidgetKey(DefaultSimWidgetKey),
		unloqtest.WithLoginURL(loginCallbackPath),
		unloqtest.WithApprovalTimeout(cfg.SimApprovalTimeout),
		unloqtest.WithAction(deleteNotesAction, deleteNotesTitle, deleteNotesMessage),
		unloqtest.WithLogger(cfg.Logger),
	)
	if err != nil {
		return nil, fmt.Errorf("demo: simulator: %w", err)
	}
	a.sim = sim
	// Development only: the app reaches its own embedded simulator over
	// plain-http loopback. The client waits a little longer than the
	// simulated phone, so the phone's own timeout answers first.
	c, err := unloq.NewClient(cfg.SimAPIKey,
		unloq.WithBaseURL(self+SimulatorPrefix+"/v1"),
		unloq.WithAllowHTTP(),
		unloq.WithApprovalTimeout(cfg.SimApprovalTimeout+10*time.Second),
		unloq.WithLogger(cfg.Logger),
		unloq.WithUserAgent(appName),
	)
	if err != nil {
		return nil, fmt.Errorf("demo: unloq client: %w", err)
	}
	return c, nil
}

// routes assembles the URL space: the simulator (if any) at /_unloq,
// outside the session middleware because it is a separate service that
// merely shares the port; everything else is the app, wrapped whole in the
// session-check middleware.
func (a *App) routes(p *pages, h *handlers.Handlers, mw *middleware.Middleware, nf *notesFeature) http.Handler {
	cop := http.NewCrossOriginProtection()
	app := http.NewServeMux()
	app.HandleFunc("GET /{$}", p.home)
	app.HandleFunc("GET /signup", p.signupForm)
	app.Handle("POST /signup", cop.Handler(http.HandlerFunc(p.signup)))
	app.HandleFunc("GET /login", p.loginForm)
	app.Handle("POST /login", cop.Handler(http.HandlerFunc(p.login)))
	app.Handle("POST /logout", cop.Handler(http.HandlerFunc(p.logout)))
	app.Handle("GET /dashboard", mw.RequireVerified(http.HandlerFunc(p.dashboard)))
	app.Handle("GET /settings", mw.RequireVerified(http.HandlerFunc(p.settings)))
	// GET|POST /notes, GET|POST /notes/delete-all (the POST behind step-up).
	nf.register(app, mw, cop)
	// GET|POST /login/two-step, GET /uauth/login, POST /settings/2fa/enable,
	// POST /settings/2fa/disable (and the pairing status route), and POST
	// /uauth/logout, UNLOQ's remote-logout webhook (no session, no
	// cross-origin check: the signature is the authentication).
	h.Mount(app.Handle)

	root := http.NewServeMux()
	if a.sim != nil {
		root.Handle(SimulatorPrefix+"/", http.StripPrefix(SimulatorPrefix, a.sim))
	}
	root.Handle("/", securityHeaders(mw.Wrap(p.withNotFoundPage(app))))
	return withInstance(a.cfg.Instance, root)
}

// withInstance names the instance that answered in the X-Instance header
// of every response (nothing when name is empty).
func withInstance(name string, next http.Handler) http.Handler {
	if name == "" {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set(InstanceHeader, name)
		next.ServeHTTP(w, r)
	})
}

// localSimulator reports whether apiURL is an unloq-sim on this machine
// (plain http on a loopback host, ending in /v1), and returns its base URL.
func localSimulator(apiURL string) (string, bool) {
	u, err := url.Parse(apiURL)
	if err != nil || u.Scheme != "http" || !loopbackHost(u.Hostname()) {
		return "", false
	}
	base := strings.TrimSuffix(strings.TrimSuffix(apiURL, "/"), "/v1")
	return base, base != strings.TrimSuffix(apiURL, "/")
}

// securityHeaders sets the headers every app response carries.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		// The two-step handlers replace it with no-referrer on their pages.
		h.Set("Referrer-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}

// Handler is the whole application, simulator included.
func (a *App) Handler() http.Handler { return a.handler }

// Simulator is the embedded UNLOQ simulator, nil with the real API.
func (a *App) Simulator() *unloqtest.Simulator { return a.sim }

// Users is the app's account store.
func (a *App) Users() *Users { return a.users }

// Store is the second-factor store the two-step handlers use.
func (a *App) Store() store.UserStore { return a.store }

// Config is the effective configuration (defaults applied).
func (a *App) Config() Config { return a.cfg }

// Close ends the simulator's blocked calls (pending approvals answer with
// an error at once), stops the Redis revocation subscription, closes the
// Redis client and releases the database.
func (a *App) Close() error {
	if a.sim != nil {
		_ = a.sim.Close()
	}
	var errs []error
	if err := a.shared.Close(); err != nil {
		errs = append(errs, err)
	}
	if err := a.db.Close(); err != nil {
		errs = append(errs, fmt.Errorf("demo: close database: %w", err))
	}
	return errors.Join(errs...)
}

// logStart reports how the app is configured; secrets never appear.
func (a *App) logStart(log *slog.Logger) {
	log.Info("demo: configuration",
		"simulator", a.sim != nil,
		"dev_cookies", a.cfg.DevCookies,
		"random_session_keys", a.randomKeys,
		"db", a.db.name,
		"redis", a.shared.shared(),
		"instance", a.cfg.Instance,
	)
}
