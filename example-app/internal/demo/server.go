package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/unloq2fa/unloq2fa/handlers"
)

// Server timeouts. WriteTimeout covers the longest request, a blocking
// push (POST /login/two-step, enable, disable) that waits for a person on
// the phone: up to the approval timeout plus the token exchange.
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 15 * time.Second
	writeTimeout      = 90 * time.Second
	idleTimeout       = 120 * time.Second
	maxHeaderBytes    = 64 << 10
	shutdownTimeout   = 10 * time.Second
)

// NewServer returns an http.Server for h with every timeout set.
func NewServer(h http.Handler, log *slog.Logger) *http.Server {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
	}
	if log != nil {
		srv.ErrorLog = slog.NewLogLogger(log.Handler(), slog.LevelWarn)
	}
	return srv
}

// Run listens on cfg.Addr, builds the app, prints the start banner to out
// and serves until ctx is done, then shuts down gracefully.
func Run(ctx context.Context, cfg Config, out io.Writer) error {
	cfg = cfg.withDefaults()
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("demo: listen: %w", err)
	}
	defer ln.Close()
	self := "http://" + loopbackAddr(ln.Addr())
	if cfg.Simulated() {
		// The app calls its embedded simulator through this listener.
		cfg.SelfURL = self
	}
	if cfg.Simulated() && cfg.SimApprovalTimeout+15*time.Second > writeTimeout {
		return fmt.Errorf("demo: approval timeout %s too long: a push must finish within the server's %s write timeout", cfg.SimApprovalTimeout, writeTimeout)
	}
	app, err := New(ctx, cfg)
	if err != nil {
		return err
	}
	defer app.Close()
	app.logStart(cfg.Logger)
	printBanner(out, app, self)

	srv := NewServer(app.Handler(), cfg.Logger)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()

	select {
	case err := <-errc:
		return fmt.Errorf("demo: serve: %w", err)
	case <-ctx.Done():
	}
	fmt.Fprintln(out, "Shutting down…")
	if app.sim != nil {
		// Answer the approvals still waiting on the simulated phone now,
		// so that their requests end before the shutdown deadline.
		_ = app.sim.Close()
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		// Requests still waiting for a phone after the deadline are cut.
		_ = srv.Close()
		return fmt.Errorf("demo: shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("demo: serve: %w", err)
	}
	return nil
}

// loopbackAddr turns a listener address into one a browser and the app
// itself can dial: an unspecified host (":8080", "0.0.0.0") becomes the
// loopback address.
func loopbackAddr(addr net.Addr) string {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok {
		return addr.String()
	}
	ip := tcp.IP
	if ip == nil || ip.IsUnspecified() {
		if ip != nil && ip.To4() == nil {
			ip = net.IPv6loopback
		} else {
			ip = net.IPv4(127, 0, 0, 1)
		}
	}
	return net.JoinHostPort(ip.String(), fmt.Sprint(tcp.Port))
}

// printBanner tells the person who started the demo where to go.
func printBanner(out io.Writer, a *App, self string) {
	var b strings.Builder
	fmt.Fprintf(&b, "\nunloq2fa demo is running.\n\n")
	fmt.Fprintf(&b, "  App:              %s/\n", self)
	if a.sim != nil {
		fmt.Fprintf(&b, "  Simulated phone:  %s%s/device\n", self, SimulatorPrefix)
		fmt.Fprintf(&b, "  Simulator API:    %s%s/v1 (API key from %s, default %q)\n", self, SimulatorPrefix, EnvSimAPIKey, DefaultSimAPIKey)
	} else if base, ok := localSimulator(a.cfg.UnloqAPIURL); ok {
		fmt.Fprintf(&b, "  UNLOQ API:        %s (an unloq-sim on this machine; its phone: %s/device)\n", a.cfg.UnloqAPIURL, base)
	} else {
		fmt.Fprintf(&b, "  UNLOQ API:        %s (real UNLOQ; no simulator mounted)\n", a.cfg.UnloqAPIURL)
	}
	if a.cfg.DemoEmail != "" {
		note := ""
		if a.demoCreated {
			note = " (created now)"
		}
		fmt.Fprintf(&b, "  Demo account:     %s / %s%s\n", a.cfg.DemoEmail, a.cfg.DemoPassword, note)
	}
	fmt.Fprintf(&b, "  Database:         %s\n", a.db.name)
	if a.shared.shared() {
		fmt.Fprintf(&b, "  Shared state:     Redis %s, key prefix %q (revocation and push/replay guard)\n", redactURL(a.cfg.RedisURL), a.cfg.RedisPrefix)
	} else {
		fmt.Fprintf(&b, "  Shared state:     none (revocation and push/replay guard in this process; -redis to share them)\n")
	}
	fmt.Fprintf(&b, "  Remote logout:    POST %s%s (UNLOQ's signed webhook)\n", self, handlers.DefaultRemoteLogoutPath)
	if a.cfg.Instance != "" {
		fmt.Fprintf(&b, "  Instance:         %s (%s header)\n", a.cfg.Instance, InstanceHeader)
	}
	fmt.Fprintf(&b, "  Cookies:          %s\n", a.cfg.CookieMode())
	if !a.cfg.DevCookies && strings.HasPrefix(self, "http://") {
		fmt.Fprintf(&b, "                    note: over plain http the browser will not send a Secure cookie; use HTTPS or -dev-cookies\n")
	}
	if a.randomKeys {
		fmt.Fprintf(&b, "  Session keys:     random for this run: sessions reset on restart (set %s and %s, hex, to keep them)\n", EnvSessionHashKey, EnvSessionBlockKey)
	} else {
		fmt.Fprintf(&b, "  Session keys:     from %s / %s\n", EnvSessionHashKey, EnvSessionBlockKey)
	}
	if a.sim != nil {
		fmt.Fprintf(&b, "\nTry it: log in as the demo user, open Settings, enable two-step verification,\nthen scan and approve on the simulated phone. Press Ctrl+C to stop.\n\n")
	} else {
		fmt.Fprintf(&b, "\nPress Ctrl+C to stop.\n\n")
	}
	_, _ = io.WriteString(out, b.String())
}
