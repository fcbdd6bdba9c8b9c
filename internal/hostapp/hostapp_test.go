package hostapp_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/internal/hostapp"
	"github.com/unloq2fa/unloq2fa/unloq"
	"github.com/unloq2fa/unloq2fa/unloq/unloqtest"
)

const apiKey = "stats-key"

type env struct {
	t   *testing.T
	sim *unloqtest.Server
	app *hostapp.App
	srv *httptest.Server
}

func key32(t *testing.T) []byte {
	b := make([]byte, 32)
	_, err := rand.Read(b)
	require.NoError(t, err)
	return b
}

// newEnv starts the app; withUNLOQ false starts it without credentials.
func newEnv(t *testing.T, withUNLOQ bool) *env {
	e := &env{t: t}
	// The README's keys: openssl rand -hex 32, twice, in the environment.
	t.Setenv("SESSION_HASH_KEY", hex.EncodeToString(key32(t)))
	t.Setenv("SESSION_BLOCK_KEY", hex.EncodeToString(key32(t)))
	hashKey, blockKey, err := hostapp.SessionKeysFromEnv()
	require.NoError(t, err)
	cfg := hostapp.Config{CSRFKey: key32(t), CookieKey: key32(t), PlainHTTP: true, APIKey: apiKey,
		SessionHash: hashKey, SessionBlk: blockKey}
	if withUNLOQ {
		e.sim = unloqtest.NewServer(t, unloqtest.WithApprovalTimeout(5*time.Second))
		cfg.UNLOQ = e.sim.Client(t, unloq.WithApprovalTimeout(10*time.Second))
	}
	app, err := hostapp.New(cfg)
	require.NoError(t, err)
	e.app = app
	e.srv = httptest.NewServer(app.Handler())
	t.Cleanup(e.srv.Close)
	return e
}

type browser struct {
	e *env
	c *http.Client
}

func (e *env) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{e: e, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

type page struct {
	code int
	loc  string
	body string
}

func (b *browser) do(method, path string, form url.Values, hdr map[string]string) page {
	b.e.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.e.srv.URL+path, body)
	require.NoError(b.e.t, err)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", b.e.srv.URL)
		req.Header.Set("Sec-Fetch-Site", "same-origin")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := b.c.Do(req)
	require.NoError(b.e.t, err)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return page{resp.StatusCode, resp.Header.Get("Location"), string(raw)}
}

func (b *browser) get(path string) page { return b.do(http.MethodGet, path, nil, nil) }

var formRe = regexp.MustCompile(`(?s)<form[^>]*action="([^"]+)"[^>]*>(.*?)</form>`)
var tokenRe = regexp.MustCompile(`name="gorilla.csrf.Token" value="([^"]+)"`)
var hiddenRe = regexp.MustCompile(`<input type="hidden" name="(step|next)" value="([^"]*)">`)

// submit posts the form of p whose action is action, as a browser would:
// with every hidden field, the CSRF token included, plus extra.
func (b *browser) submit(p page, action string, extra url.Values) page {
	b.e.t.Helper()
	for _, m := range formRe.FindAllStringSubmatch(p.body, -1) {
		if html.UnescapeString(m[1]) != action {
			continue
		}
		form := url.Values{}
		tok := tokenRe.FindStringSubmatch(m[2])
		require.NotNil(b.e.t, tok, "the form to %s carries the CSRF token: %s", action, m[2])
		form.Set("gorilla.csrf.Token", html.UnescapeString(tok[1]))
		for _, h := range hiddenRe.FindAllStringSubmatch(m[2], -1) {
			form.Set(h[1], html.UnescapeString(h[2]))
		}
		for k, v := range extra {
			form[k] = v
		}
		return b.do(http.MethodPost, action, form, nil)
	}
	b.e.t.Fatalf("no form to %s in %q", action, p.body)
	return page{}
}

// assertEveryFormHasToken checks that every form of p carries the token.
func assertEveryFormHasToken(t *testing.T, p page) {
	t.Helper()
	forms := formRe.FindAllStringSubmatch(p.body, -1)
	require.NotEmpty(t, forms, p.body)
	for _, m := range forms {
		assert.Regexp(t, tokenRe, m[2], "form to %s", m[1])
	}
}

func (b *browser) login(email, password string) page {
	b.e.t.Helper()
	return b.submit(b.get("/login"), "/login", url.Values{"email": {email}, "password": {password}})
}

// approveNext approves the next push to email on the simulated phone.
func (e *env) approveNext(email string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	a, err := e.sim.Sim.WaitForApproval(ctx, email)
	require.NoError(e.t, err)
	require.NoError(e.t, e.sim.Sim.Approve(a.ID))
}

// async runs f in the background (a POST that waits on the phone).
func async(f func() page) <-chan page {
	ch := make(chan page, 1)
	go func() { ch <- f() }()
	return ch
}

// TestAdoptionFlow runs the README's adoption end to end: sign up (logged
// in from code), turn two-step on (QR scan, approval), log out, log in with
// the password and the phone, the host's CSRF token in every form the
// library renders, "Not you?", impersonation, and an API-key route.
func TestAdoptionFlow(t *testing.T) {
	e := newEnv(t, true)
	const ada, pw = "ada@example.com", "correct horse battery"

	// Sign up: the app logs the new user in from code.
	b := e.browser()
	r := b.submit(b.get("/signup"), "/signup", url.Values{"email": {ada}, "password": {pw}})
	require.Equal(t, http.StatusSeeOther, r.code, r.body)
	require.Equal(t, "/dashboard", r.loc)
	r = b.get("/dashboard")
	require.Equal(t, http.StatusOK, r.code, r.body)
	assert.Contains(t, r.body, "dashboard of "+ada)
	assert.Contains(t, r.body, `id="flash">Welcome!`, "the app's own session cookie works beside unloq2fa's")

	// Turn two-step on: QR page (with the token), scan, approve.
	settings := b.get("/settings")
	assert.Contains(t, settings.body, "two-step off")
	r = b.submit(settings, "/settings/2fa/enable", nil)
	require.Equal(t, http.StatusOK, r.code, r.body)
	assert.Contains(t, r.body, `class="qr"`)
	assertEveryFormHasToken(t, r)
	require.NoError(t, e.sim.Sim.Scan(ada))
	done := async(func() page { return b.submit(r, "/settings/2fa/enable", nil) })
	e.approveNext(ada)
	r = <-done
	require.Equal(t, http.StatusSeeOther, r.code, r.body)
	assert.Contains(t, b.get("/settings").body, "two-step on")

	// Log out (the library's route, with the app's token).
	r = b.submit(b.get("/dashboard"), "/logout", nil)
	require.Equal(t, http.StatusSeeOther, r.code, r.body)
	assert.Equal(t, "/login", r.loc)
	assert.Equal(t, "/login?next=%2Fdashboard", b.get("/dashboard").loc)

	// Password, then the phone.
	r = b.login(ada, pw)
	require.Equal(t, "/login/two-step", r.loc, r.body)
	assert.Equal(t, "/login/two-step", b.get("/dashboard").loc, "held back until the phone approves")
	two := b.get("/login/two-step")
	require.Equal(t, http.StatusOK, two.code)
	assertEveryFormHasToken(t, two)
	// Without the token gorilla/csrf refuses the library's push form…
	pushes := len(e.sim.Sim.Approvals(ada, ""))
	r = b.do(http.MethodPost, "/login/two-step", url.Values{}, nil)
	assert.Equal(t, http.StatusForbidden, r.code, r.body)
	assert.Len(t, e.sim.Sim.Approvals(ada, ""), pushes, "no push was sent")
	// …with it, the push goes out and the approval logs the user in.
	done = async(func() page { return b.submit(two, "/login/two-step", nil) })
	e.approveNext(ada)
	r = <-done
	require.Equal(t, http.StatusSeeOther, r.code, r.body)
	assert.Equal(t, "/dashboard", r.loc)
	assert.Contains(t, b.get("/dashboard").body, "dashboard of "+ada)

	// An API route authenticated by its key works even for a browser
	// between password and phone (exempt from the session check).
	p := e.browser()
	p.login(ada, pw)
	r = p.do(http.MethodGet, "/api/stats", nil, map[string]string{"X-API-Key": apiKey})
	assert.Equal(t, http.StatusOK, r.code, r.body)

	// "Not you?" logs the pending user out.
	r = p.submit(p.get("/login/two-step"), "/logout", nil)
	require.Equal(t, http.StatusSeeOther, r.code, r.body)
	assert.Equal(t, "/login", r.loc)
	r = p.get("/login")
	assert.Equal(t, http.StatusOK, r.code, "the login page is reachable again (no loop)")
	assert.Equal(t, "/login?next=%2Fdashboard", p.get("/dashboard").loc)

	// Turning two-step off asks the phone again (the form carries the
	// token); a denial shows the approval page, whose form has it too.
	require.NoError(t, e.sim.Sim.SetBehavior(ada, unloqtest.BehaviorDeny))
	r = b.submit(b.get("/settings"), "/settings/2fa/disable", nil)
	assert.Equal(t, http.StatusForbidden, r.code, r.body)
	assertEveryFormHasToken(t, r)
	assert.Contains(t, b.get("/settings").body, "two-step on")
}

// TestImpersonation: an administrator logs in as another user from code;
// the second factor of that user is still required.
func TestImpersonation(t *testing.T) {
	e := newEnv(t, true)
	ctx := context.Background()
	_, err := e.app.AddUser(ctx, "root@example.com", "admin password", true)
	require.NoError(t, err)
	bob, err := e.app.AddUser(ctx, "bob@example.com", "bob password", false)
	require.NoError(t, err)

	b := e.browser()
	r := b.login("root@example.com", "admin password")
	require.Equal(t, "/dashboard", r.loc, r.body)
	r = b.submit(b.get("/dashboard"), "/logout", nil)
	require.Equal(t, "/login", r.loc)
	r = b.login("root@example.com", "admin password")
	require.Equal(t, "/dashboard", r.loc, r.body)
	dash := b.get("/dashboard")
	r = b.do(http.MethodPost, "/admin/impersonate", url.Values{"user_id": {bob},
		"gorilla.csrf.Token": {html.UnescapeString(tokenRe.FindStringSubmatch(dash.body)[1])}}, nil)
	require.Equal(t, http.StatusSeeOther, r.code, r.body)
	assert.Contains(t, b.get("/dashboard").body, "dashboard of bob@example.com")
}

// TestDisabled: started without UNLOQ credentials, the app runs; users
// without two-step log in, nobody can turn it on.
func TestDisabled(t *testing.T) {
	e := newEnv(t, false)
	b := e.browser()
	r := b.submit(b.get("/signup"), "/signup", url.Values{"email": {"cy@example.com"}, "password": {"cy password"}})
	require.Equal(t, "/dashboard", r.loc, r.body)
	r = b.submit(b.get("/settings"), "/settings/2fa/enable", nil)
	assert.Equal(t, http.StatusServiceUnavailable, r.code, r.body)
	assert.Contains(t, r.body, "Two-step verification is unavailable")
	assert.Contains(t, b.get("/settings").body, "two-step off")
}
