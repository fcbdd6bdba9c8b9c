package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/store"
)

var qrSrc = regexp.MustCompile(`<img class="qr" id="qr" src="([^"]+)"`)

// assertRedirect checks a redirect (302 or 303) to location.
func assertRedirect(t *testing.T, p page, location string, msgAndArgs ...any) {
	t.Helper()
	assert.Contains(t, []int{http.StatusFound, http.StatusSeeOther}, p.Status, msgAndArgs...)
	assert.Equal(t, location, p.Location, msgAndArgs...)
}

// assertLoggedInPage checks what every page of a logged-in user shows: the
// POST /logout form and, with the simulator, the phone link.
func assertLoggedInPage(t *testing.T, p page) {
	t.Helper()
	assert.Contains(t, p.Body, `<form class="inline" method="post" action="/logout">`)
	assert.Contains(t, p.Body, `href="/_unloq/device" target="_blank"`)
}

// TestEndToEnd drives the whole app over HTTP the way a browser would:
// sign up, pair the phone, log in with the push, the widget and the OTP
// fallback, and switch two-step off again.
func TestEndToEnd(t *testing.T) {
	a := newTestApp(t, nil)
	b := a.browser()
	const email, password = "alice@example.com", "alice-password"

	// The start page explains the demo and links to the simulated phone.
	p := b.get("/")
	require.Equal(t, http.StatusOK, p.Status)
	assert.Contains(t, p.Body, `href="/_unloq/device" target="_blank"`)
	assert.Contains(t, p.Body, "Open the simulated phone")
	assert.Contains(t, p.Body, DefaultDemoEmail)

	// Sign up: the account exists, without a second factor, and is logged in.
	p = b.get("/signup")
	require.Equal(t, http.StatusOK, p.Status)
	assert.Contains(t, p.Body, `<form method="post" action="/signup">`)
	p = b.post("/signup", url.Values{"email": {email}, "password": {password}})
	require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
	assert.Equal(t, "/settings?m=welcome", p.Location)
	assert.Equal(t, "", a.secondFactor(email))

	p = b.get("/settings?m=welcome")
	require.Equal(t, http.StatusOK, p.Status)
	assertLoggedInPage(t, p)
	assert.Contains(t, p.Body, `<form method="post" action="/settings/2fa/enable">`)
	assert.Contains(t, p.Body, "Your account is ready")

	// Enable: the QR pairing page shows a real QR image from the simulator.
	p = b.post("/settings/2fa/enable", nil)
	require.Equal(t, http.StatusOK, p.Status, p.Body)
	assertLoggedInPage(t, p)
	m := qrSrc.FindStringSubmatch(p.Body)
	require.NotNil(t, m, "QR image on the pairing page")
	img := b.get(html.UnescapeString(m[1]))
	require.Equal(t, http.StatusOK, img.Status)
	assert.Equal(t, "image/png", img.Header.Get("Content-Type"))
	assert.True(t, bytes.HasPrefix([]byte(img.Body), []byte("\x89PNG\r\n\x1a\n")), "a PNG image")
	assert.Equal(t, "", a.secondFactor(email), "nothing changes before the pairing is confirmed")

	var status struct{ Enrolled bool }
	require.Equal(t, http.StatusOK, b.getJSON("/settings/2fa/enable/status", &status).Status)
	assert.False(t, status.Enrolled)
	require.NoError(t, a.sim.Scan(email))
	// The status route asks UNLOQ at most every 2 s per user; the page polls.
	require.Eventually(t, func() bool {
		return b.getJSON("/settings/2fa/enable/status", &status).Status == http.StatusOK && status.Enrolled
	}, 5*time.Second, 250*time.Millisecond)
	assert.Equal(t, "", a.secondFactor(email), "scanning alone does not turn two-step on")

	// Confirm: one approval on the phone, then second_factor = UNLOQ, and
	// the recovery codes are shown once, on a page nobody caches.
	done := b.postAsync("/settings/2fa/enable", url.Values{"step": {"confirm"}})
	ap := a.answerNext(email, true, done)
	assert.Equal(t, email, ap.Email)
	p = b.wait(done)
	require.Equal(t, http.StatusOK, p.Status, p.Body)
	assert.Equal(t, "no-store", p.Header.Get("Cache-Control"))
	assertLoggedInPage(t, p)
	codes := recoveryCodes(p.Body)
	require.Len(t, codes, 10)
	assert.Contains(t, p.Body, `id="recovery-continue" href="/settings"`)
	assert.Equal(t, store.SecondFactorUNLOQ, a.secondFactor(email))
	p = b.get("/settings")
	assert.Contains(t, p.Body, `<form method="post" action="/settings/2fa/disable">`)
	assert.Contains(t, p.Body, "Two-step verification is on.", "the success notice")
	assert.Contains(t, p.Body, `<strong id="recovery-left">10</strong>`)
	assert.Contains(t, p.Body, `<form method="post" action="/settings/2fa/recovery-codes">`)
	assert.NotContains(t, b.get("/settings").Body, "Two-step verification is on.", "the notice shows once")

	// Log out: POST only; the session is gone.
	p = b.get("/logout")
	assert.Equal(t, http.StatusMethodNotAllowed, p.Status)
	p = b.post("/logout", nil)
	require.Equal(t, http.StatusSeeOther, p.Status)
	assert.Equal(t, "/login?m=logged-out", p.Location)
	assertRedirect(t, b.get("/dashboard"), "/login?next=%2Fdashboard")

	// Log in (push): the password step leaves the login pending.
	loginPending(t, b, email, password)
	p = b.get("/login/two-step")
	require.Equal(t, http.StatusOK, p.Status)
	assertLoggedInPage(t, p)
	assert.Contains(t, p.Body, `<form method="post" action="/login/two-step"`)
	assert.Contains(t, p.Body, `src="/_unloq/login.js" data-unloq-key="sim-widget-key" data-unloq-email="alice@example.com"`)
	done = b.postAsync("/login/two-step", nil)
	a.answerNext(email, true, done)
	p = b.wait(done)
	require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
	assert.Equal(t, "/dashboard", p.Location)
	p = b.get("/dashboard")
	require.Equal(t, http.StatusOK, p.Status)
	assertLoggedInPage(t, p)
	assert.Contains(t, p.Body, "password and phone approval")
	require.Equal(t, http.StatusSeeOther, b.post("/logout", nil).Status)

	// Log in (widget): the widget's own endpoint pushes; on approval the
	// browser lands on /uauth/login?token=… and the login completes.
	loginPending(t, b, email, password)
	token := widgetLogin(t, a, b, email)
	p = b.get("/uauth/login?token=" + url.QueryEscape(token))
	require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
	assert.Equal(t, "/dashboard", p.Location)
	assert.NotContains(t, p.Location, "token")
	require.Equal(t, http.StatusOK, b.get("/dashboard").Status)
	require.Equal(t, http.StatusSeeOther, b.post("/logout", nil).Status)

	// Log in (push, denied): the page asks for the OTP; the code plus a
	// new approval completes the login.
	loginPending(t, b, email, password)
	done = b.postAsync("/login/two-step", nil)
	a.answerNext(email, false, done)
	p = b.wait(done)
	assert.Equal(t, http.StatusForbidden, p.Status)
	assert.Contains(t, p.Body, `name="otp"`)
	assert.Contains(t, p.Body, "declined")
	assertRedirect(t, b.get("/dashboard"), "/login/two-step", "still refused after the denial")
	otp, err := a.sim.OTP(email)
	require.NoError(t, err)
	done = b.postAsync("/login/two-step", url.Values{"otp": {otp}})
	a.answerNext(email, true, done)
	p = b.wait(done)
	require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
	assert.Equal(t, "/dashboard", p.Location)
	require.Equal(t, http.StatusOK, b.get("/dashboard").Status)

	// Lost phone: a recovery code completes the login; the phone is not
	// asked; the same code does not work twice.
	require.Equal(t, http.StatusSeeOther, b.post("/logout", nil).Status)
	loginPending(t, b, email, password)
	pushes := len(a.sim.Approvals(email, ""))
	p = b.get("/login/two-step")
	assert.Contains(t, p.Body, `name="recovery_code"`)
	p = b.post("/login/two-step", url.Values{"recovery_code": {codes[0]}})
	require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
	assert.Equal(t, "/dashboard", p.Location)
	require.Equal(t, http.StatusOK, b.get("/dashboard").Status)
	assert.Len(t, a.sim.Approvals(email, ""), pushes, "no push for a recovery code")
	assert.Contains(t, b.get("/settings").Body, `<strong id="recovery-left">9</strong>`)
	require.Equal(t, http.StatusSeeOther, b.post("/logout", nil).Status)
	loginPending(t, b, email, password)
	p = b.post("/login/two-step", url.Values{"recovery_code": {codes[0]}})
	assert.Equal(t, http.StatusUnauthorized, p.Status)
	assert.Contains(t, p.Body, "already used")
	assertRedirect(t, b.get("/dashboard"), "/login/two-step", "a used code opens nothing")
	p = b.post("/login/two-step", url.Values{"recovery_code": {codes[1]}})
	require.Equal(t, http.StatusSeeOther, p.Status, p.Body)

	// New recovery codes: a fresh approval, then a new set; the old set
	// stops working.
	done = b.postAsync("/settings/2fa/recovery-codes", nil)
	a.answerNext(email, true, done)
	p = b.wait(done)
	require.Equal(t, http.StatusOK, p.Status, p.Body)
	fresh := recoveryCodes(p.Body)
	require.Len(t, fresh, 10)
	p = b.get("/settings")
	assert.Contains(t, p.Body, "New recovery codes were made.")
	assert.Contains(t, p.Body, `<strong id="recovery-left">10</strong>`)
	require.Equal(t, http.StatusSeeOther, b.post("/logout", nil).Status)
	loginPending(t, b, email, password)
	p = b.post("/login/two-step", url.Values{"recovery_code": {codes[2]}})
	assert.Equal(t, http.StatusUnauthorized, p.Status, "an old code after regeneration")
	assert.Contains(t, p.Body, "not right")
	p = b.post("/login/two-step", url.Values{"recovery_code": {fresh[0]}})
	require.Equal(t, http.StatusSeeOther, p.Status, p.Body)

	// Disable: one more approval, then second_factor is cleared.
	done = b.postAsync("/settings/2fa/disable", nil)
	assert.Equal(t, store.SecondFactorUNLOQ, a.secondFactor(email), "unchanged while the approval waits")
	a.answerNext(email, true, done)
	p = b.wait(done)
	require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
	assert.Equal(t, "/settings", p.Location)
	assert.Equal(t, "", a.secondFactor(email))
	p = b.get("/settings")
	assert.Contains(t, p.Body, `action="/settings/2fa/enable"`)
	assert.Contains(t, p.Body, "Two-step verification is off.", "the success notice")

	// On again, with the phone still paired: no QR code; the page says so
	// and continues by itself.
	p = b.post("/settings/2fa/enable", nil)
	require.Equal(t, http.StatusOK, p.Status, p.Body)
	assert.Contains(t, p.Body, "already")
	assert.Contains(t, p.Body, "continues by itself")
	assert.Nil(t, qrSrc.FindStringSubmatch(p.Body), "no QR code")
	assert.Contains(t, p.Body, `<input type="hidden" name="step" value="confirm">`)
	assert.Equal(t, "", a.secondFactor(email))
	p = b.get("/settings")
	assert.Contains(t, p.Body, `action="/settings/2fa/enable"`)

	// Without a second factor the password alone logs in.
	require.Equal(t, http.StatusSeeOther, b.post("/logout", nil).Status)
	p = b.post("/login", url.Values{"email": {email}, "password": {password}, "next": {"/dashboard"}})
	require.Equal(t, http.StatusSeeOther, p.Status)
	assert.Equal(t, "/dashboard", p.Location)
	assert.Contains(t, b.get("/dashboard").Body, "password only")
}

var recoveryCodeRe = regexp.MustCompile(`<code>([0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4})</code>`)

// recoveryCodes returns the recovery codes shown on a page.
func recoveryCodes(body string) []string {
	var out []string
	for _, m := range recoveryCodeRe.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

// loginPending passes the password step of a user with two-step on and
// checks that the protected pages are refused while the login is pending.
func loginPending(t *testing.T, b *browser, email, password string) {
	t.Helper()
	p := b.get("/login?next=%2Fdashboard")
	require.Equal(t, http.StatusOK, p.Status)
	assert.Contains(t, p.Body, `<form method="post" action="/login">`)
	assert.Contains(t, p.Body, `name="next" value="/dashboard"`)
	p = b.post("/login", url.Values{"email": {email}, "password": {password}, "next": {"/dashboard"}})
	require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
	require.Equal(t, "/login/two-step", p.Location)
	for _, path := range []string{"/dashboard", "/settings", "/"} {
		assertRedirect(t, b.get(path), "/login/two-step", "%s is refused while the login is pending", path)
	}
}

// widgetLogin does what the widget script does when the user clicks its
// button: it asks the simulator to push, the phone approves, and the
// simulator answers with the token and the login URL.
func widgetLogin(t *testing.T, a *testApp, b *browser, email string) string {
	t.Helper()
	type result struct {
		Token    string `json:"token"`
		LoginURL string `json:"login_url"`
	}
	done := make(chan page, 1)
	go func() {
		form := url.Values{"key": {DefaultSimWidgetKey}, "email": {email}}
		req, _ := http.NewRequest(http.MethodPost, b.base+"/_unloq/widget/authenticate", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- page{Status: -1, Body: err.Error()}
			return
		}
		defer resp.Body.Close()
		var buf bytes.Buffer
		_, _ = buf.ReadFrom(resp.Body)
		done <- page{Status: resp.StatusCode, Body: buf.String()}
	}()
	a.answerNext(email, true, done)
	p := b.wait(done)
	require.Equal(t, http.StatusOK, p.Status, p.Body)
	var env struct{ Result result }
	require.NoError(t, json.Unmarshal([]byte(p.Body), &env), p.Body)
	assert.Equal(t, loginCallbackPath, env.Result.LoginURL)
	require.NotEmpty(t, env.Result.Token)
	return env.Result.Token
}

// TestCrossOriginPostsAreRefused checks the app's own state-changing
// routes against cross-site form posts.
func TestCrossOriginPostsAreRefused(t *testing.T) {
	a := newTestApp(t, nil)
	b := a.browser()
	cross := map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}
	for _, path := range []string{"/signup", "/login", "/logout"} {
		p := b.postWith(path, url.Values{"email": {DefaultDemoEmail}, "password": {DefaultDemoPassword}}, cross)
		assert.Equal(t, http.StatusForbidden, p.Status, path)
	}
	_, err := a.app.Users().ByEmail(context.Background(), DefaultDemoEmail)
	require.NoError(t, err)
	// The same login from the app's own page works.
	p := b.post("/login", url.Values{"email": {DefaultDemoEmail}, "password": {DefaultDemoPassword}})
	assert.Equal(t, http.StatusSeeOther, p.Status)
}

func TestLoginAndSignupErrors(t *testing.T) {
	a := newTestApp(t, nil)
	tests := []struct {
		name, path, email, password string
		status                      int
		want                        string
	}{
		{"wrong password", "/login", DefaultDemoEmail, "not-the-password", http.StatusUnauthorized, "Wrong e-mail address or password."},
		{"unknown user", "/login", "nobody@example.com", DefaultDemoPassword, http.StatusUnauthorized, "Wrong e-mail address or password."},
		{"taken address", "/signup", DefaultDemoEmail, "another-password", http.StatusUnprocessableEntity, "already exists"},
		{"invalid address", "/signup", "not-an-address", "another-password", http.StatusUnprocessableEntity, "valid e-mail address"},
		{"short password", "/signup", "new@example.com", "short", http.StatusUnprocessableEntity, "at least 8 characters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := a.browser()
			p := b.post(tt.path, url.Values{"email": {tt.email}, "password": {tt.password}})
			assert.Equal(t, tt.status, p.Status)
			assert.Contains(t, p.Body, tt.want)
			assert.Contains(t, p.Body, `value="`+html.EscapeString(tt.email)+`"`, "the address is kept in the form")
			if tt.password != DefaultDemoPassword { // the login page shows the demo password
				assert.NotContains(t, p.Body, tt.password, "the password is never echoed")
			}
			assert.Empty(t, p.Header.Values("Set-Cookie"), "no session for a failed attempt")
		})
	}
}

func TestPagesAndHeaders(t *testing.T) {
	a := newTestApp(t, nil)
	b := a.browser()
	tests := []struct {
		path     string
		status   int
		location string
	}{
		{"/", http.StatusOK, ""},
		{"/login", http.StatusOK, ""},
		{"/signup", http.StatusOK, ""},
		{"/dashboard", 0, "/login?next=%2Fdashboard"},
		{"/settings", 0, "/login?next=%2Fsettings"},
		{"/login/two-step", 0, "/login"},
		{"/no-such-page", http.StatusNotFound, ""},
		{"/_unloq/device", http.StatusOK, ""},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			p := b.get(tt.path)
			if tt.location != "" {
				assertRedirect(t, p, tt.location)
				return
			}
			assert.Equal(t, tt.status, p.Status)
			if strings.HasPrefix(tt.path, "/_unloq") || p.Status != http.StatusOK {
				return
			}
			assert.Equal(t, "nosniff", p.Header.Get("X-Content-Type-Options"))
			assert.Equal(t, "DENY", p.Header.Get("X-Frame-Options"))
			assert.Equal(t, "no-store", p.Header.Get("Cache-Control"))
			assert.Contains(t, p.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'")
			assert.Contains(t, p.Body, `href="/_unloq/device" target="_blank"`)
		})
	}

	// A logged-in user going to /login lands on the dashboard.
	require.Equal(t, http.StatusSeeOther, b.post("/login", url.Values{"email": {DefaultDemoEmail}, "password": {DefaultDemoPassword}}).Status)
	assertRedirect(t, b.get("/login"), "/dashboard")
	// A notice comes only from the fixed list.
	p := b.get("/?m=%3Cscript%3E")
	assert.NotContains(t, p.Body, "<script>")
}

// TestNextIsSameOriginOnly checks that the login's next cannot send the
// browser to another site.
func TestNextIsSameOriginOnly(t *testing.T) {
	a := newTestApp(t, nil)
	for _, next := range []string{"https://evil.example/", "//evil.example/x", "/\\evil.example"} {
		b := a.browser()
		p := b.post("/login", url.Values{"email": {DefaultDemoEmail}, "password": {DefaultDemoPassword}, "next": {next}})
		require.Equal(t, http.StatusSeeOther, p.Status)
		assert.True(t, strings.HasPrefix(p.Location, "/") && !strings.HasPrefix(p.Location, "//"), "next %q → %q", next, p.Location)
		assert.NotContains(t, p.Location, "evil")
	}
}

// TestPendingUserCanCancel checks that a user between password and phone
// can log out (POST /logout is exempt from the pending redirect).
func TestPendingUserCanCancel(t *testing.T) {
	a := newTestApp(t, nil)
	ctx := context.Background()
	u, err := a.app.Users().ByEmail(ctx, DefaultDemoEmail)
	require.NoError(t, err)
	require.NoError(t, a.app.Store().SetSecondFactor(ctx, u.ID, store.SecondFactorUNLOQ))
	b := a.browser()
	loginPending(t, b, DefaultDemoEmail, DefaultDemoPassword)
	p := b.post("/logout", nil)
	require.Equal(t, http.StatusSeeOther, p.Status)
	assert.Equal(t, "/login?m=logged-out", p.Location)
	assertRedirect(t, b.get("/login/two-step"), "/login", "no pending login left")
	assert.Equal(t, http.StatusOK, b.get("/login").Status)
}
