// Command unloq-sim runs the UNLOQ simulator (package unloqtest) as a
// standalone HTTP server for local development and for driving it from
// other programs.
//
//	go run ./unloq/unloqtest/cmd/unloq-sim -addr 127.0.0.1:8090
//
// It serves the UNLOQ API at /v1, the widget script at /login.js, the
// simulated phone at /device and the JSON control API at /_control/.
//
// With -logout-hook it delivers UNLOQ's signed remote-logout webhook
// ({unloq_id, sid}, form-encoded, X-Unloq-Signature) to the application
// when the user logs a session out from the phone, which a script or test
// triggers with POST /_control/profiles/{email}/logout {"sid": "…"} (an
// empty sid means the last one attached to the profile's logins).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/unloq2fa/unloq2fa/unloq/unloqtest"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "unloq-sim:", err)
		os.Exit(1)
	}
}

type options struct {
	addr, apiKey, widgetKey, loginURL, publicURL string
	approvalTimeout, pings                       time.Duration
	verbose                                      bool

	logoutHook, webhookSecret string
	webhookRetry              int
	webhookRetryTimeout       time.Duration
	encryptionKeyLength       int
	actions                   map[string][2]string // code → title, message
}

const usageText = `unloq-sim runs the UNLOQ simulator: the UNLOQ API at /v1, the widget
script at /login.js, a simulated phone at /device and a JSON control API.

Control API (no credentials; for tests and scripts):
  POST /_control/profiles/{email}/scan       complete a pending QR pairing
  PUT  /_control/profiles/{email}/behavior   {"mode":"manual|approve|deny|ignore|offline|unregistered"}
  GET  /_control/profiles/{email}/otp        the phone's current OTP
  POST /_control/profiles/{email}/logout     {"sid":"…"} the user logs that session out on the
                                             phone: sends the signed logout webhook (-logout-hook)
  GET  /_control/approvals?email=&status=    approvals with id, email, type, status, title,
                                             message, reference, action
  POST /_control/approvals/{id}/approve|deny
  GET  /_control/mail?email=                 mails of the EMAIL method
  POST /_control/faults                      {"path":"/v1/token","mode":"error500|hang|garbage|slow","count":N}
  GET  /_control/actions, PUT|DELETE /_control/actions/{code} {"title","message"}
                                             authorisation actions ($name or {name} variables)

Flags:
`

func parseAction(s string, into map[string][2]string) error {
	code, text, ok := strings.Cut(s, "=")
	if !ok || code == "" {
		return errors.New(`want code=Title or code=Title|Message`)
	}
	title, message, _ := strings.Cut(text, "|")
	into[code] = [2]string{title, message}
	return nil
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("unloq-sim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.addr, "addr", "127.0.0.1:8090", "listen address")
	fs.StringVar(&o.apiKey, "api-key", unloqtest.DefaultAPIKey, "application API key (Authorization: Bearer …)")
	fs.StringVar(&o.widgetKey, "widget-key", unloqtest.DefaultWidgetKey, "Login Widget Key (data-unloq-key)")
	fs.StringVar(&o.loginURL, "login-url", unloqtest.DefaultLoginURL, "widget / e-mail login URL that receives ?token=AU…")
	fs.DurationVar(&o.approvalTimeout, "approval-timeout", unloqtest.DefaultApprovalTimeout, "how long a push waits for an answer")
	fs.StringVar(&o.publicURL, "public-url", "", "absolute base URL clients use (default: derived from each request)")
	fs.DurationVar(&o.pings, "pings", 0, "write whitespace keep-alive pings this often on blocking calls (0 = off)")
	fs.BoolVar(&o.verbose, "v", false, "log requests and simulator events")
	fs.StringVar(&o.logoutHook, "logout-hook", "", "URL that receives the signed remote-logout webhook, e.g. http://127.0.0.1:8080/uauth/logout")
	fs.StringVar(&o.webhookSecret, "webhook-secret", "", "key that signs webhooks (default: the API key)")
	fs.IntVar(&o.webhookRetry, "webhook-retry", 0, "re-deliveries of a webhook the application did not accept with 2xx")
	fs.DurationVar(&o.webhookRetryTimeout, "webhook-retry-timeout", 60*time.Second, "time between webhook re-deliveries")
	fs.IntVar(&o.encryptionKeyLength, "encryption-key-length", unloqtest.DefaultEncryptionKeyLength,
		fmt.Sprintf("characters of each account's encryption key (%d–%d)", unloqtest.MinEncryptionKeyLength, unloqtest.MaxEncryptionKeyLength))
	fs.Func("action", "define an authorisation action: code=Title or code=Title|Message, with $name or {name} variables (repeatable;\nbuilt in: enable-2fa, disable-2fa, confirm)", func(s string) error {
		if o.actions == nil {
			o.actions = map[string][2]string{}
		}
		return parseAction(s, o.actions)
	})
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usageText)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	return o, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil // -h: the usage is printed; not a failure
	}
	if err != nil {
		return err
	}
	level := slog.LevelInfo
	if o.verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	opts := []unloqtest.Option{
		unloqtest.WithAPIKey(o.apiKey),
		unloqtest.WithWidgetKey(o.widgetKey),
		unloqtest.WithLoginURL(o.loginURL),
		unloqtest.WithApprovalTimeout(o.approvalTimeout),
		unloqtest.WithLogger(logger),
	}
	if o.publicURL != "" {
		opts = append(opts, unloqtest.WithPublicURL(o.publicURL))
	}
	if o.pings > 0 {
		opts = append(opts, unloqtest.WithPings(o.pings))
	}
	if o.logoutHook != "" {
		opts = append(opts, unloqtest.WithWebhook(unloqtest.EventLogout, o.logoutHook, o.webhookSecret, o.webhookRetry, o.webhookRetryTimeout))
	}
	opts = append(opts, unloqtest.WithEncryptionKeyLength(o.encryptionKeyLength))
	codes := make([]string, 0, len(o.actions))
	for code := range o.actions {
		codes = append(codes, code)
	}
	sort.Strings(codes)
	for _, code := range codes {
		opts = append(opts, unloqtest.WithAction(code, o.actions[code][0], o.actions[code][1]))
	}
	sim, err := unloqtest.New(opts...)
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return err
	}
	var h http.Handler = sim
	if o.verbose {
		h = logRequests(logger, sim)
	}
	// Blocking approval calls hold the response open for up to the
	// approval timeout, so the write deadline must outlast it.
	long := o.approvalTimeout + time.Minute
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       long,
		WriteTimeout:      long,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}

	base := o.publicURL
	if base == "" {
		base = "http://" + ln.Addr().String()
	}
	fmt.Fprintf(stdout, "UNLOQ simulator listening on %s\n", ln.Addr())
	fmt.Fprintf(stdout, "  API          %s/v1   (Authorization: Bearer %s)\n", base, o.apiKey)
	fmt.Fprintf(stdout, "  phone        %s/device\n", base)
	fmt.Fprintf(stdout, "  widget       %s/login.js   (data-unloq-key=%q)\n", base, o.widgetKey)
	fmt.Fprintf(stdout, "  control      %s/_control/approvals?status=pending\n", base)
	fmt.Fprintf(stdout, "  login URL    %s   approval timeout %s\n", o.loginURL, o.approvalTimeout)
	if o.logoutHook != "" {
		fmt.Fprintf(stdout, "  logout hook  %s   (POST %s/_control/profiles/{email}/logout)\n", o.logoutHook, base)
	}

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()

	select {
	case err := <-errc:
		_ = sim.Close()
		return err
	case <-ctx.Done():
	}
	fmt.Fprintln(stdout, "shutting down")
	_ = sim.Close() // ends blocked approvals so Shutdown need not wait for them
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return err
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// logRequests logs each request's method, path, status and duration.
func logRequests(l *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		l.Info("request", "method", r.Method, "path", r.URL.Path, "status", sw.status, "duration", time.Since(start).Round(time.Millisecond))
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach Flush on the real writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
