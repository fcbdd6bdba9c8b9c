package stepup_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/handlers/stepup"
	"github.com/unloq2fa/unloq2fa/session"
	"github.com/unloq2fa/unloq2fa/store"
	"github.com/unloq2fa/unloq2fa/unloq"
	"github.com/unloq2fa/unloq2fa/unloq/unloqtest"
)

const (
	alice = "alice@example.test" // UNLOQ user
	bob   = "bob@example.test"   // UNLOQ user
	carol = "carol@example.test" // password only
	code  = "delete_all"
)

// harness is an app with a wrapped route, the simulator, a session manager
// and a memory store.
type harness struct {
	t     *testing.T
	sim   *unloqtest.Server
	sm    *session.Manager
	users *store.Memory
	su    *stepup.StepUp
	app   *httptest.Server // only its URL is set (and nothing listens) in a bubble
	// appHTTP reaches the app: the default transport, or handlerTransport
	// in a bubble.
	appHTTP http.RoundTripper

	mu     sync.Mutex
	runs   int
	forms  []url.Values
	bodies []string
	errs   []error
}

type harnessOpts struct {
	simOpts    []unloqtest.Option
	clientOpts []unloq.Option
	opts       []stepup.Option
	action     stepup.Action
	// bubble serves the app and the simulator without sockets (see
	// handlerTransport), so that newHarness can be called inside
	// synctest.Test, where time.Now and timers run on the bubble's fake
	// clock and time.Sleep moves it at once. The simulator keeps a frozen
	// clock of its own, so that its tokens do not age meanwhile.
	bubble bool
}

// handlerTransport serves requests in the calling goroutine, without a
// socket, so that a test can run inside a synctest bubble (whose clock
// only moves while every goroutine of the bubble is blocked on something
// the bubble controls, which a socket is not).
type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body == nil { // a server's request always has a body
		r = r.Clone(r.Context())
		r.Body = http.NoBody
	}
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, r)
	return rec.Result(), nil
}

func newHarness(t *testing.T, ho harnessOpts) *harness {
	t.Helper()
	h := &harness{t: t}
	simOpts := append([]unloqtest.Option{
		unloqtest.WithApprovalTimeout(5 * time.Second),
		unloqtest.WithAction(code, "Delete all $what?", "Reference shown below"),
	}, ho.simOpts...)
	clientOpts := append([]unloq.Option{unloq.WithApprovalTimeout(5 * time.Second)}, ho.clientOpts...)
	var client *unloq.Client
	var err error
	if ho.bubble {
		sim, err := unloqtest.New(append(simOpts, unloqtest.WithClock(unloqtest.NewFakeClock(time.Now())))...)
		require.NoError(t, err)
		t.Cleanup(func() { _ = sim.Close() })
		h.sim = &unloqtest.Server{Server: &httptest.Server{URL: "http://unloq.test"}, Sim: sim}
		client, err = unloq.NewClient(sim.APIKey(), append([]unloq.Option{
			unloq.WithBaseURL(h.sim.URL + "/v1"),
			unloq.WithAllowHTTP(),
			unloq.WithHTTPClient(&http.Client{Transport: handlerTransport{sim}}),
		}, clientOpts...)...)
		require.NoError(t, err)
	} else {
		h.sim = unloqtest.NewServer(t, simOpts...)
		client = h.sim.Client(t, clientOpts...)
	}
	h.sm, err = session.NewManager(
		session.WithKeys([]byte("0123456789abcdef0123456789abcdef"), []byte("fedcba9876543210fedcba9876543210")),
		session.WithInsecureDevCookies())
	require.NoError(t, err)
	h.users = store.NewMemory()
	ctx := context.Background()
	require.NoError(t, h.users.Put(ctx, store.User{ID: "u-alice", Email: alice, SecondFactor: store.SecondFactorUNLOQ}))
	require.NoError(t, h.users.Put(ctx, store.User{ID: "u-bob", Email: bob, SecondFactor: store.SecondFactorUNLOQ}))
	require.NoError(t, h.users.Put(ctx, store.User{ID: "u-carol", Email: carol}))
	for _, e := range []string{alice, bob} {
		enrollAndAuthenticate(t, h.sim, client, e)
	}
	opts := append([]stepup.Option{
		stepup.WithOnRefusal(func(_ *http.Request, err error) {
			h.mu.Lock()
			h.errs = append(h.errs, err)
			h.mu.Unlock()
		}),
	}, ho.opts...)
	h.su, err = stepup.New(client, h.sm, h.users, opts...)
	require.NoError(t, err)
	a := ho.action
	if a.Code == "" {
		a.Code = code
	}
	if a.Vars == nil {
		a.Vars = func(*http.Request) map[string]string { return map[string]string{"what": "notes"} }
	}
	mux := http.NewServeMux()
	mux.Handle("/danger", h.su.Require(a, http.HandlerFunc(h.dangerous)))
	mux.HandleFunc("/login", h.login)
	if ho.bubble {
		h.app = &httptest.Server{URL: "http://app.test"}
		h.appHTTP = handlerTransport{mux}
		return h
	}
	h.app = httptest.NewServer(mux)
	t.Cleanup(h.app.Close)
	return h
}

// enrollAndAuthenticate pairs email's phone and logs in once (UNLOQ lets
// authorize reach only users who authenticated to the application).
func enrollAndAuthenticate(t *testing.T, srv *unloqtest.Server, c *unloq.Client, email string) {
	t.Helper()
	ctx := context.Background()
	_, err := c.Enroll(ctx, unloq.EnrollRequest{Email: email})
	require.NoError(t, err)
	require.NoError(t, srv.Sim.Scan(email))
	require.NoError(t, srv.Sim.SetBehavior(email, unloqtest.BehaviorApprove))
	_, err = c.Authenticate(ctx, unloq.AuthenticateRequest{Email: email})
	require.NoError(t, err)
	require.NoError(t, srv.Sim.SetBehavior(email, unloqtest.BehaviorManual))
}

// dangerous is the wrapped handler: it counts its runs and records the
// form and body it saw.
func (h *harness) dangerous(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(strings.NewReader(string(body)))
	var form url.Values
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		form, _ = url.ParseQuery(string(body))
	}
	h.mu.Lock()
	h.runs++
	h.forms = append(h.forms, form)
	h.bodies = append(h.bodies, string(body))
	h.mu.Unlock()
	_, _ = io.WriteString(w, "done")
}

// login logs in ?uid= with ?email=; ?pending=1 leaves the second factor
// outstanding.
func (h *harness) login(w http.ResponseWriter, r *http.Request) {
	sess, _ := h.sm.Load(r)
	q := r.URL.Query()
	pending := q.Get("pending") == "1"
	if err := sess.BeginLogin(q.Get("uid"), q.Get("email"), true); err != nil {
		http.Error(w, err.Error(), 500)
		return
	}
	if !pending {
		if err := sess.CompleteSecondFactor(); err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
	}
	if v := q.Get("flow"); v != "" {
		sess.SetFlow("stepup:"+code, strings.Replace(v, "LID", sess.LoginID(), 1))
	}
	if err := sess.Save(w, r); err != nil {
		http.Error(w, err.Error(), 500)
		return
	}
	_, _ = io.WriteString(w, sess.LoginID())
}

func (h *harness) runCount() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.runs
}

func (h *harness) lastErr() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.errs) == 0 {
		return nil
	}
	return h.errs[len(h.errs)-1]
}

// browser returns a cookie-keeping client that does not follow redirects.
func (h *harness) browser() *http.Client {
	jar, err := cookiejar.New(nil)
	require.NoError(h.t, err)
	return &http.Client{Jar: jar, Transport: h.appHTTP, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// loginAs logs c in as uid/email and returns the LoginID.
func (h *harness) loginAs(c *http.Client, uid, email string, extra ...string) string {
	h.t.Helper()
	u := h.app.URL + "/login?uid=" + url.QueryEscape(uid) + "&email=" + url.QueryEscape(email) + strings.Join(extra, "")
	res, err := c.Get(u)
	require.NoError(h.t, err)
	b, _ := io.ReadAll(res.Body)
	_ = res.Body.Close()
	require.Equal(h.t, http.StatusOK, res.StatusCode, string(b))
	return string(b)
}

type reply struct {
	status int
	header http.Header
	body   string
}

func do(t *testing.T, c *http.Client, req *http.Request) reply {
	t.Helper()
	res, err := c.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return reply{status: res.StatusCode, header: res.Header, body: string(b)}
}

func (h *harness) postForm(c *http.Client, path string, form url.Values, headers ...string) reply {
	h.t.Helper()
	req, err := http.NewRequest(http.MethodPost, h.app.URL+path, strings.NewReader(form.Encode()))
	require.NoError(h.t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return do(h.t, c, req)
}

func (h *harness) get(c *http.Client, path string, headers ...string) reply {
	h.t.Helper()
	req, err := http.NewRequest(http.MethodGet, h.app.URL+path, nil)
	require.NoError(h.t, err)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return do(h.t, c, req)
}

// answer waits for email's pending approval and approves (or denies) it,
// in the background; the returned channel reports the approval's id.
func (h *harness) answer(email string, approve bool) <-chan string {
	ch := make(chan string, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		a, err := h.sim.Sim.WaitForApproval(ctx, email)
		if err != nil {
			ch <- ""
			return
		}
		if approve {
			_ = h.sim.Sim.Approve(a.ID)
		} else {
			_ = h.sim.Sim.Deny(a.ID)
		}
		ch <- a.ID
	}()
	return ch
}

// authorizations counts email's AUTHORIZATION approvals (pushes) so far.
func (h *harness) authorizations(email string) []unloqtest.Approval {
	var out []unloqtest.Approval
	for _, a := range h.sim.Sim.Approvals(email, "") {
		if a.Type == unloqtest.TypeAuthorization {
			out = append(out, a)
		}
	}
	return out
}

func runForm(fields ...string) url.Values {
	v := url.Values{stepup.FieldStepUp: {"run"}}
	for i := 0; i+1 < len(fields); i += 2 {
		v.Add(fields[i], fields[i+1])
	}
	return v
}
