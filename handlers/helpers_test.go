package handlers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/handlers"
	"github.com/unloq2fa/unloq2fa/session"
	"github.com/unloq2fa/unloq2fa/store"
	"github.com/unloq2fa/unloq2fa/unloq"
	"github.com/unloq2fa/unloq2fa/unloq/unloqtest"
)

// Test users. alice and bob have UNLOQ on (and a paired phone in the
// simulator), carol and dave have no second factor (dave has no UNLOQ
// profile), erin has a paired phone but UNLOQ off in the store.
const (
	alice = "alice@example.com"
	bob   = "bob@example.com"
	carol = "carol@example.com"
	dave  = "dave@example.com"
	erin  = "erin@example.com"
)

const testAPIKey = "sim-secret-api-key-0123456789abcdef"

// fakeStore wraps store.Memory and can inject errors.
type fakeStore struct {
	*store.Memory
	mu      sync.Mutex
	userErr error
	setErr  error
	sets    int
	rawSF   map[string]string // second_factor values returned as is, by user id
}

func (f *fakeStore) User(ctx context.Context, id string) (store.User, error) {
	f.mu.Lock()
	err := f.userErr
	f.mu.Unlock()
	if err != nil {
		return store.User{}, err
	}
	u, err := f.Memory.User(ctx, id)
	f.mu.Lock()
	if v, ok := f.rawSF[id]; ok && err == nil {
		u.SecondFactor = v
	}
	f.mu.Unlock()
	return u, err
}

// setRawSecondFactor makes User return v as id's second_factor (Put
// refuses invalid values; an application's own store may not).
func (f *fakeStore) setRawSecondFactor(id, v string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.rawSF == nil {
		f.rawSF = map[string]string{}
	}
	f.rawSF[id] = v
}

func (f *fakeStore) SetSecondFactor(ctx context.Context, id, value string) error {
	f.mu.Lock()
	err := f.setErr
	f.mu.Unlock()
	if err != nil {
		return err
	}
	f.mu.Lock()
	f.sets++
	f.mu.Unlock()
	return f.Memory.SetSecondFactor(ctx, id, value)
}

func (f *fakeStore) failUser(err error) { f.mu.Lock(); f.userErr = err; f.mu.Unlock() }
func (f *fakeStore) failSet(err error)  { f.mu.Lock(); f.setErr = err; f.mu.Unlock() }
func (f *fakeStore) setCount() int      { f.mu.Lock(); defer f.mu.Unlock(); return f.sets }

// eventLog records events.
type eventLog struct {
	mu  sync.Mutex
	evs []handlers.Event
}

func (l *eventLog) hook(_ context.Context, ev handlers.Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.evs = append(l.evs, ev)
}

func (l *eventLog) all() []handlers.Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]handlers.Event(nil), l.evs...)
}

func (l *eventLog) kinds() []handlers.EventKind {
	var ks []handlers.EventKind
	for _, e := range l.all() {
		ks = append(ks, e.Kind)
	}
	return ks
}

// last returns the last event of kind k (ok false if none).
func (l *eventLog) last(k handlers.EventKind) (handlers.Event, bool) {
	evs := l.all()
	for i := len(evs) - 1; i >= 0; i-- {
		if evs[i].Kind == k {
			return evs[i], true
		}
	}
	return handlers.Event{}, false
}

// syncBuffer is a goroutine-safe log sink.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type envConfig struct {
	hopts      []handlers.Option
	smOpts     []session.Option
	simOpts    []unloqtest.Option
	clientOpts []unloq.Option
	hoptsFn    func(*env) []handlers.Option // options that need the simulator's URL
	client     *unloq.Client                // replaces the simulator's client (stub tests)
	bubble     bool                         // run without sockets, inside a synctest bubble
	pendingTTL time.Duration
}

type envOption func(*envConfig)

func withHandlerOpts(o ...handlers.Option) envOption {
	return func(c *envConfig) { c.hopts = append(c.hopts, o...) }
}
func withSimOpts(o ...unloqtest.Option) envOption {
	return func(c *envConfig) { c.simOpts = append(c.simOpts, o...) }
}
func withHandlerOptsFn(f func(*env) []handlers.Option) envOption {
	return func(c *envConfig) { c.hoptsFn = f }
}
func withSessionOpts(o ...session.Option) envOption {
	return func(c *envConfig) { c.smOpts = append(c.smOpts, o...) }
}
func withClient(cl *unloq.Client) envOption { return func(c *envConfig) { c.client = cl } }
func withClientOpts(o ...unloq.Option) envOption {
	return func(c *envConfig) { c.clientOpts = append(c.clientOpts, o...) }
}

// inBubble serves the app and the simulator without sockets (see
// handlerTransport), so that newEnv can be called inside synctest.Test,
// where time.Now and timers run on the bubble's fake clock and
// time.Sleep moves it at once. The simulator keeps a frozen clock of its
// own, so that its tokens do not age while the app's clock jumps.
func inBubble() envOption { return func(c *envConfig) { c.bubble = true } }

// env is an app (password login, settings page, the handlers) in front of
// a simulated UNLOQ.
type env struct {
	t      *testing.T
	sim    *unloqtest.Server
	client *unloq.Client
	sm     *session.Manager
	users  *fakeStore
	h      *handlers.Handlers
	app    *httptest.Server // only its URL is set (and nothing listens) inBubble
	// simHTTP and appHTTP reach the simulator and the app: the default
	// transport normally, handlerTransport inBubble.
	simHTTP *http.Client
	appHTTP http.RoundTripper
	events  *eventLog
	logs    *syncBuffer
}

func newEnv(t *testing.T, opts ...envOption) *env {
	t.Helper()
	cfg := envConfig{pendingTTL: 10 * time.Minute}
	for _, o := range opts {
		o(&cfg)
	}
	e := &env{t: t, events: &eventLog{}, logs: &syncBuffer{}}
	logger := slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))

	simOpts := append([]unloqtest.Option{
		unloqtest.WithAPIKey(testAPIKey),
		unloqtest.WithApprovalTimeout(300 * time.Millisecond),
	}, cfg.simOpts...)
	clientOpts := append([]unloq.Option{
		unloq.WithApprovalTimeout(2 * time.Second),
		unloq.WithCallTimeout(time.Second),
		unloq.WithLogger(logger),
	}, cfg.clientOpts...)
	if cfg.bubble {
		sim, err := unloqtest.New(append(simOpts, unloqtest.WithClock(unloqtest.NewFakeClock(time.Now())))...)
		require.NoError(t, err)
		t.Cleanup(func() { _ = sim.Close() })
		e.sim = &unloqtest.Server{Server: &httptest.Server{URL: "http://unloq.test"}, Sim: sim}
		e.simHTTP = &http.Client{Transport: handlerTransport{sim}}
		e.client, err = unloq.NewClient(testAPIKey, append([]unloq.Option{
			unloq.WithBaseURL(e.sim.URL + "/v1"),
			unloq.WithAllowHTTP(),
			unloq.WithHTTPClient(e.simHTTP),
		}, clientOpts...)...)
		require.NoError(t, err)
	} else {
		e.sim = unloqtest.NewServer(t, simOpts...)
		e.simHTTP = http.DefaultClient
		e.client = e.sim.Client(t, clientOpts...)
	}
	client := e.client
	if cfg.client != nil {
		client = cfg.client
	}

	smOpts := []session.Option{
		session.WithKeys(bytes.Repeat([]byte{7}, 32), bytes.Repeat([]byte{9}, 32)),
		session.WithInsecureDevCookies(),
		session.WithPendingTTL(cfg.pendingTTL),
	}
	smOpts = append(smOpts, cfg.smOpts...)
	hopts := []handlers.Option{
		handlers.WithEventHook(e.events.hook),
		handlers.WithLogger(logger),
		// Both modes by default, so that the callback route exists; tests
		// of push-only behaviour set WithMode(ModePush).
		handlers.WithWidgetKey("sim-widget-key"),
	}
	sm, err := session.NewManager(smOpts...)
	require.NoError(t, err)
	e.sm = sm

	e.users = &fakeStore{Memory: store.NewMemory()}
	ctx := context.Background()
	for _, u := range []store.User{
		{ID: "1", Email: alice, SecondFactor: store.SecondFactorUNLOQ},
		{ID: "2", Email: bob, SecondFactor: store.SecondFactorUNLOQ},
		{ID: "3", Email: carol},
		{ID: "4", Email: dave},
		{ID: "5", Email: erin},
	} {
		require.NoError(t, e.users.Put(ctx, u))
	}
	if cfg.client == nil {
		for _, email := range []string{alice, bob, erin} {
			e.pair(email)
		}
	}

	hopts = append(hopts, cfg.hopts...)
	if cfg.hoptsFn != nil {
		hopts = append(hopts, cfg.hoptsFn(e)...)
	}
	h, err := handlers.New(client, sm, e.users, hopts...)
	require.NoError(t, err)
	e.h = h

	app := e.appRoutes()
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", app.login)
	mux.HandleFunc("GET /login", func(w http.ResponseWriter, r *http.Request) {
		_, _ = fmt.Fprintf(w, `<!doctype html><title>login</title><form method="post" action="/login">
<input id="uid" name="user_id"><input type="hidden" name="next" value="%s"><button id="go">Log in</button></form>`,
			html.EscapeString(r.URL.Query().Get("next")))
	})
	mux.HandleFunc("GET /dashboard", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `<!doctype html><title>dashboard</title><p id="welcome">welcome</p>`)
	})
	mux.HandleFunc("GET /settings", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `<!doctype html><title>settings</title><p id="settings">settings</p>
<form method="post" action="/settings/2fa/enable"><button id="enable">Turn on</button></form>
<form method="post" action="/settings/2fa/disable"><button id="disable">Turn off</button></form>`)
	})
	mux.HandleFunc("GET /_test/state", app.state)
	// A second factor the library does not ship: the form's "ok" says
	// whether the app's own check passed (recovery_test.go).
	mux.HandleFunc("POST /_test/factor", func(w http.ResponseWriter, r *http.Request) {
		uid, _, pending := h.PendingUser(r)
		if !pending || r.PostFormValue("ok") != "yes" || r.PostFormValue("user") != uid {
			http.Error(w, "factor refused", http.StatusForbidden)
			return
		}
		if err := h.CompleteSecondFactor(w, r, r.PostFormValue("factor")); err != nil {
			http.Error(w, err.Error(), http.StatusConflict)
		}
	})
	mux.HandleFunc("GET /_test/notice", func(w http.ResponseWriter, r *http.Request) {
		n, ok := h.Notice(w, r)
		_ = json.NewEncoder(w).Encode(map[string]any{"ok": ok, "code": n.Code, "message": n.Message})
	})
	mux.HandleFunc("POST /_test/logout", func(w http.ResponseWriter, r *http.Request) {
		if err := h.Logout(w, r); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	h.Mount(mux.Handle)
	if cfg.bubble {
		e.app = &httptest.Server{URL: "http://app.test"}
		e.appHTTP = handlerTransport{mux}
		return e
	}
	e.app = httptest.NewServer(mux)
	t.Cleanup(e.app.Close)
	return e
}

// pair enrolls email in the simulator and scans the QR code.
func (e *env) pair(email string) {
	e.t.Helper()
	res, err := e.client.Enroll(context.Background(), unloq.EnrollRequest{Email: email})
	require.NoError(e.t, err)
	require.NotEmpty(e.t, res.QRURL)
	require.NoError(e.t, e.sim.Sim.Scan(email))
}

func (e *env) behave(email string, b unloqtest.Behavior) {
	e.t.Helper()
	require.NoError(e.t, e.sim.Sim.SetBehavior(email, b))
}

func (e *env) user(id string) store.User {
	e.t.Helper()
	u, err := e.users.Memory.User(context.Background(), id)
	require.NoError(e.t, err)
	return u
}

// token returns a fresh access token of email, as the widget would get it.
func (e *env) token(email string) string {
	e.t.Helper()
	prev := e.sim.Sim.Behavior(email)
	e.behave(email, unloqtest.BehaviorApprove)
	defer e.behave(email, prev)
	form := url.Values{"key": {e.sim.Sim.WidgetKey()}, "email": {email}}
	resp, err := e.simHTTP.PostForm(e.sim.URL+"/widget/authenticate", form)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	require.Equal(e.t, http.StatusOK, resp.StatusCode)
	var body struct {
		Result struct {
			Token string `json:"token"`
		} `json:"result"`
	}
	require.NoError(e.t, json.NewDecoder(resp.Body).Decode(&body))
	require.True(e.t, strings.HasPrefix(body.Result.Token, "AU"))
	return body.Result.Token
}

// countRequests counts the simulator's API requests to path.
func (e *env) countRequests(path string) int {
	n := 0
	for _, r := range e.sim.Sim.Requests() {
		p, _, _ := strings.Cut(r.Path, "?")
		if p == path {
			n++
		}
	}
	return n
}

type sessionView struct {
	State   string `json:"state"`
	UserID  string `json:"uid"`
	LoginID string `json:"login_id"`
}

// browser is a cookie-keeping client that does not follow redirects and
// sends same-origin POSTs like a browser would.
type browser struct {
	t   *testing.T
	e   *env
	c   *http.Client
	ctx context.Context
}

func (e *env) browser() *browser {
	jar, err := cookiejar.New(nil)
	require.NoError(e.t, err)
	return &browser{t: e.t, e: e, ctx: context.Background(), c: &http.Client{
		Jar:           jar,
		Transport:     e.appHTTP,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// clone returns a browser sharing the cookies.
func (b *browser) clone() *browser {
	c := *b
	return &c
}

type result struct {
	code int
	loc  string
	body string
	hdr  http.Header
	err  error
}

func (r result) String() string { return fmt.Sprintf("%d %s %.300q", r.code, r.loc, r.body) }

func (b *browser) do(method, path string, form url.Values, hdr map[string]string) result {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(b.ctx, method, b.e.app.URL+path, body)
	require.NoError(b.t, err)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if method == http.MethodPost {
		req.Header.Set("Origin", b.e.app.URL)
		req.Header.Set("Sec-Fetch-Site", "same-origin")
	}
	for k, v := range hdr {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := b.c.Do(req)
	if err != nil {
		return result{err: err}
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return result{code: resp.StatusCode, loc: resp.Header.Get("Location"), body: string(raw), hdr: resp.Header}
}

func (b *browser) get(path string) result { return b.do(http.MethodGet, path, nil, nil) }
func (b *browser) post(path string, form url.Values) result {
	if form == nil {
		form = url.Values{}
	}
	return b.do(http.MethodPost, path, form, nil)
}

// login runs the password step for user id and expects the two-step redirect.
func (b *browser) login(id, next string) {
	b.t.Helper()
	r := b.post("/login", url.Values{"user_id": {id}, "next": {next}})
	require.Equal(b.t, http.StatusSeeOther, r.code, r.String())
	require.Equal(b.t, "/login/two-step", r.loc)
}

// loginVerified logs in a user without second factor (or completes the push).
func (b *browser) loginVerified(id, email string) {
	b.t.Helper()
	r := b.post("/login", url.Values{"user_id": {id}})
	require.Equal(b.t, http.StatusSeeOther, r.code, r.String())
	if r.loc == "/login/two-step" {
		prev := b.e.sim.Sim.Behavior(email)
		b.e.behave(email, unloqtest.BehaviorApprove)
		r = b.post("/login/two-step", nil)
		b.e.behave(email, prev)
		require.Equal(b.t, http.StatusSeeOther, r.code, r.String())
	}
	require.Equal(b.t, "verified", b.state().State)
}

func (b *browser) state() sessionView {
	b.t.Helper()
	r := b.get("/_test/state")
	require.Equal(b.t, http.StatusOK, r.code)
	var v sessionView
	require.NoError(b.t, json.Unmarshal([]byte(r.body), &v))
	return v
}

// assertPendingUnchanged checks that the session is still the same pending login.
func (b *browser) assertPendingUnchanged(before sessionView) {
	b.t.Helper()
	after := b.state()
	require.Equal(b.t, "pending", after.State)
	require.Equal(b.t, before.LoginID, after.LoginID)
	require.Equal(b.t, before.UserID, after.UserID)
}

var qrSrc = regexp.MustCompile(`<img class="qr" src="([^"]+)"`)

// waitApproval waits for a new pending approval of email.
func (e *env) waitApproval(email string) unloqtest.Approval {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	a, err := e.sim.Sim.WaitForApproval(ctx, email)
	require.NoError(e.t, err)
	return a
}

func isKind(err error, target error) bool { return errors.Is(err, target) }

func storeUser(id, email string, unloqOn bool) store.User {
	u := store.User{ID: id, Email: email}
	if unloqOn {
		u.SecondFactor = store.SecondFactorUNLOQ
	}
	return u
}

// newJarCopy returns a cookie jar holding b's current cookies for the app.
func newJarCopy(t *testing.T, b *browser, e *env) http.CookieJar {
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	u, err := url.Parse(e.app.URL)
	require.NoError(t, err)
	jar.SetCookies(u, b.c.Jar.Cookies(u))
	return jar
}

// doForm POSTs form to path with extra headers, like post.
func (b *browser) doForm(path string, form url.Values, hdr map[string]string) result {
	if form == nil {
		form = url.Values{}
	}
	return b.do(http.MethodPost, path, form, hdr)
}
