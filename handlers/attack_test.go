package handlers_test

// Attack tests: each one tries a way past the second factor that the other
// tests do not already try, and fails if the protection breaks.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/handlers"
	"github.com/unloq2fa/unloq2fa/store"
	"github.com/unloq2fa/unloq2fa/unloq"
	"github.com/unloq2fa/unloq2fa/unloq/unloqtest"
)

// scriptedUNLOQ is a stub UNLOQ whose /v1/authenticate and /v1/token
// replies are set per test (nil: a correct reply for alice). Everything
// else is a 404.
type scriptedUNLOQ struct {
	authenticate http.HandlerFunc
	token        http.HandlerFunc
	authCalls    atomic.Int32
	tokenCalls   atomic.Int32
}

func (s *scriptedUNLOQ) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/v1/authenticate":
		s.authCalls.Add(1)
		if s.authenticate != nil {
			s.authenticate(w, r)
			return
		}
		rawReply(200, `{"result":{"unloq_id":"1","token":"AU`+strings.Repeat("S", 60)+`"}}`)(w, r)
	case "/v1/token":
		s.tokenCalls.Add(1)
		if s.token != nil {
			s.token(w, r)
			return
		}
		rawReply(200, `{"result":{"approval_id":"a","unloq_id":"1","email":"`+alice+`","method":"UNLOQ"}}`)(w, r)
	default:
		http.NotFound(w, r)
	}
}

func rawReply(status int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

func newScriptedEnv(t *testing.T, stub *scriptedUNLOQ, opts ...envOption) *env {
	t.Helper()
	srv := httptest.NewServer(stub)
	t.Cleanup(srv.Close)
	cl, err := unloq.NewClient("stub-key-0123456789", unloq.WithBaseURL(srv.URL+"/v1"), unloq.WithAllowHTTP(),
		unloq.WithCallTimeout(2*time.Second), unloq.WithApprovalTimeout(2*time.Second))
	require.NoError(t, err)
	return newEnv(t, append(opts, withClient(cl))...)
}

// assertNotCompleted checks that nothing let b's pending login through.
func assertNotCompleted(t *testing.T, e *env, b *browser, before sessionView, r result) {
	t.Helper()
	assert.GreaterOrEqual(t, r.code, 400, r.String())
	assert.Empty(t, r.loc, "no redirect onwards")
	b.assertPendingUnchanged(before)
	_, approved := e.events.last(handlers.EventApproved)
	assert.False(t, approved, "no approved event")
}

// TestAttackCallbackStoreEmailRemoved: the account's e-mail was removed
// (or blanked) after the password step. The store's current e-mail must
// match the token, so an empty one can never match. (This was a fail-open:
// the empty store e-mail skipped the check.)
func TestAttackCallbackStoreEmailRemoved(t *testing.T) {
	for _, blank := range []string{"", "   "} {
		t.Run(fmt.Sprintf("email %q", blank), func(t *testing.T) {
			e := newEnv(t)
			b := e.browser()
			b.login("1", "/x")
			before := b.state()
			tok := e.token(alice)
			require.NoError(t, e.users.Put(context.Background(), storeUser("1", blank, true)))
			r := b.get("/uauth/login?token=" + tok)
			assert.Equal(t, http.StatusForbidden, r.code, r.String())
			assertNotCompleted(t, e, b, before, r)
			ev, ok := e.events.last(handlers.EventFailed)
			require.True(t, ok)
			assert.ErrorIs(t, ev.Err, handlers.CodeWrongUser)

			// The push path refuses too, without pushing.
			e.behave(alice, unloqtest.BehaviorApprove)
			r = b.post("/login/two-step", nil)
			assert.Equal(t, http.StatusForbidden, r.code, r.String())
			assert.Zero(t, e.countRequests("/v1/authenticate"))
			b.assertPendingUnchanged(before)
		})
	}
}

// TestAttackEmailChangedDuringPush: the account's e-mail changes while the
// push waits on the phone. The approval came from the old address's phone;
// it no longer matches the store's current e-mail and must not count.
func TestAttackEmailChangedDuringPush(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.login("1", "/x")
	before := b.state()
	done := make(chan result, 1)
	go func() { done <- b.clone().post("/login/two-step", nil) }()
	a := e.waitApproval(alice)
	require.NoError(t, e.users.Put(context.Background(), storeUser("1", "alice.new@example.com", true)))
	require.NoError(t, e.sim.Sim.Approve(a.ID))
	r := <-done
	assert.Equal(t, http.StatusForbidden, r.code, r.String())
	assertNotCompleted(t, e, b, before, r)
}

// TestAttackSecondFactorToggledMidFlow: turning UNLOQ off (or on) for the
// user while a login is pending does not relax the token checks.
func TestAttackSecondFactorToggledMidFlow(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.login("1", "/x")
	before := b.state()
	require.NoError(t, e.users.Put(context.Background(), storeUser("1", alice, false)))
	r := b.get("/uauth/login?token=" + e.token(bob))
	assert.Equal(t, http.StatusForbidden, r.code, r.String())
	assertNotCompleted(t, e, b, before, r)

	// A user who logged in without a second factor and turns it on later
	// cannot use the two-step routes to mint anything: they are verified.
	c := e.browser()
	c.loginVerified("3", carol)
	require.NoError(t, e.users.Put(context.Background(), storeUser("3", carol, true)))
	r = c.get("/uauth/login?token=" + e.token(alice))
	assert.Equal(t, http.StatusUnauthorized, r.code)
	assert.Equal(t, "3", c.state().UserID)
}

// TestAttackVendorFaults: UNLOQ (or something in its place) answers with
// success statuses that carry errors, garbage, someone else's identity or
// a redirect. None of it completes the login.
func TestAttackVendorFaults(t *testing.T) {
	tokenOK := `{"result":{"unloq_id":"1","token":"AU` + strings.Repeat("T", 60) + `"}}`
	cases := []struct {
		name       string
		auth, tok  http.HandlerFunc
		code       int
		errIs      error
		tokenCalls bool // /v1/token may be called
	}{
		{"authenticate 200 with denial object", rawReply(200, `{"error":{"code":"APPROVAL.DENIED","message":"no","status":400}}`), nil, 403, handlers.CodeDenied, false},
		{"authenticate 200 with unknown error object", rawReply(200, `{"error":{"code":"SOMETHING.ODD"}}`), nil, 502, handlers.CodeUnavailable, false},
		{"authenticate 200 with result and error", rawReply(200, `{"result":{"token":"AU`+strings.Repeat("E", 60)+`"},"error":{"code":"X.Y"}}`), nil, 502, handlers.CodeUnavailable, false},
		{"authenticate 200 without token", rawReply(200, `{"result":{"unloq_id":"1"}}`), nil, 502, handlers.CodeUnavailable, false},
		{"authenticate 200 with user data, no token", rawReply(200, `{"result":{"approval_id":"a","email":"`+alice+`"}}`), nil, 502, handlers.CodeUnavailable, false},
		{"authenticate 200 with string result", rawReply(200, `{"result":"AU`+strings.Repeat("S", 60)+`"}`), nil, 502, handlers.CodeUnavailable, false},
		{"authenticate 200 with null result", rawReply(200, `{"result":null}`), nil, 502, handlers.CodeUnavailable, false},
		{"authenticate 202 garbage", rawReply(202, `<html>ok</html>`), nil, 502, handlers.CodeUnavailable, false},
		{"authenticate pings then error", rawReply(200, "\n \n \n"+`{"error":{"code":"APPROVAL.TIMEOUT","status":502}}`), nil, 504, handlers.CodeTimeout, false},
		{"authenticate oversized token", rawReply(200, `{"result":{"token":"AU`+strings.Repeat("L", 5000)+`"}}`), nil, 502, handlers.CodeUnavailable, false},
		{"token for someone else", rawReply(200, tokenOK), rawReply(200, `{"result":{"unloq_id":"2","email":"`+bob+`"}}`), 403, handlers.CodeWrongUser, true},
		{"token without e-mail", rawReply(200, tokenOK), rawReply(200, `{"result":{"unloq_id":"1"}}`), 403, handlers.CodeWrongUser, true},
		{"token e-mail with suffix", rawReply(200, tokenOK), rawReply(200, `{"result":{"unloq_id":"1","email":"`+alice+`.evil.example"}}`), 403, handlers.CodeWrongUser, true},
		{"token e-mail with NUL", rawReply(200, tokenOK), rawReply(200, `{"result":{"unloq_id":"1","email":"`+alice+`\u0000"}}`), 403, handlers.CodeWrongUser, true},
		{"token e-mail as array", rawReply(200, tokenOK), rawReply(200, `{"result":{"unloq_id":"1","email":["`+alice+`"]}}`), 502, handlers.CodeUnavailable, true},
		{"token 200 with error object", rawReply(200, tokenOK), rawReply(200, `{"error":{"code":"ACCESS_TOKEN.INVALID"}}`), 502, handlers.CodeUnavailable, true},
		{"token 204 empty", rawReply(200, tokenOK), rawReply(204, ``), 502, handlers.CodeUnavailable, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			stub := &scriptedUNLOQ{authenticate: tc.auth, token: tc.tok}
			e := newScriptedEnv(t, stub)
			b := e.browser()
			b.login("1", "/x")
			before := b.state()
			r := b.post("/login/two-step", nil)
			assert.Equal(t, tc.code, r.code, r.String())
			assertNotCompleted(t, e, b, before, r)
			if !tc.tokenCalls {
				assert.Zero(t, stub.tokenCalls.Load(), "no token exchange")
			}
			ev, ok := e.events.last(handlers.EventFailed)
			if !ok {
				ev, ok = e.events.last(handlers.EventDenied)
			}
			if !ok {
				ev, ok = e.events.last(handlers.EventTimedOut)
			}
			require.True(t, ok, e.events.kinds())
			assert.ErrorIs(t, ev.Err, tc.errIs)

			// The widget callback meets the same /v1/token replies.
			if tc.tok != nil {
				r = b.get("/uauth/login?token=AU" + strings.Repeat("W", 60))
				assert.Equal(t, tc.code, r.code, r.String())
				assertNotCompleted(t, e, b, before, r)
			}
		})
	}
}

// TestAttackVendorRedirect: a reply that redirects (to a host that would
// collect the API key and the token) is not followed and fails closed.
func TestAttackVendorRedirect(t *testing.T) {
	var stolen atomic.Int32
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		stolen.Add(1)
		rawReply(200, `{"result":{"unloq_id":"1","email":"`+alice+`","token":"AU`+strings.Repeat("V", 60)+`"}}`)(w, r)
	}))
	t.Cleanup(evil.Close)
	for _, status := range []int{http.StatusFound, http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		redirect := func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, evil.URL+r.URL.Path, status)
		}
		stub := &scriptedUNLOQ{authenticate: redirect, token: redirect}
		e := newScriptedEnv(t, stub)
		b := e.browser()
		b.login("1", "/x")
		before := b.state()
		r := b.post("/login/two-step", nil)
		assertNotCompleted(t, e, b, before, r)
		r = b.get("/uauth/login?token=AU" + strings.Repeat("R", 60))
		assertNotCompleted(t, e, b, before, r)
		assert.NotContains(t, e.logs.String(), evil.URL)
	}
	assert.Zero(t, stolen.Load(), "the redirect target was never contacted")
}

// TestAttackCallbackRacesPush: while a push for the login waits on the
// phone, the widget callback completes the same login. When the phone
// approves afterwards, that second approval must not complete it again.
func TestAttackCallbackRacesPush(t *testing.T) {
	e := newEnv(t, withHandlerOpts(handlers.WithWidgetKey("sim-widget-key")))
	b := e.browser()
	b.login("1", "/x")
	stale := b.clone()
	stale.c = &http.Client{Jar: newJarCopy(t, b, e), CheckRedirect: b.c.CheckRedirect}
	done := make(chan result, 1)
	go func() { done <- stale.post("/login/two-step", nil) }()
	a := e.waitApproval(alice)

	r := b.get("/uauth/login?token=" + e.token(alice))
	require.Equal(t, http.StatusSeeOther, r.code, r.String())
	require.Equal(t, "verified", b.state().State)

	require.NoError(t, e.sim.Sim.Approve(a.ID))
	r = <-done
	assert.Equal(t, http.StatusConflict, r.code, r.String())
	assert.Empty(t, r.hdr.Values("Set-Cookie"), "the push response sets no session")
	assert.Equal(t, "pending", stale.state().State)
	n := 0
	for _, k := range e.events.kinds() {
		if k == handlers.EventApproved {
			n++
		}
	}
	assert.Equal(t, 1, n, "the login completed once")
	ev, ok := e.events.last(handlers.EventFailed)
	require.True(t, ok)
	assert.ErrorIs(t, ev.Err, handlers.CodeReplayed)
}

// TestAttackPendingWindowBoundary: at exactly the pending TTL the login
// has expired (no token exchange); one second before it still works.
func TestAttackPendingWindowBoundary(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, inBubble())
		tok := e.token(alice)
		b := e.browser()
		b.login("1", "/x")
		pw := time.Unix(time.Now().Unix(), 0) // the session stores whole seconds
		time.Sleep(time.Until(pw.Add(10 * time.Minute)))
		r := b.get("/uauth/login?token=" + tok)
		assert.Equal(t, http.StatusUnauthorized, r.code, r.String())
		assert.Contains(t, r.body, `data-code="pending_expired"`)
		assert.Zero(t, e.countRequests("/v1/token"))
		r = b.post("/login/two-step", nil)
		assert.Equal(t, "/login", r.loc)
		assert.Zero(t, e.countRequests("/v1/authenticate"))

		b2 := e.browser()
		b2.login("1", "/ok")
		pw = time.Unix(time.Now().Unix(), 0)
		time.Sleep(time.Until(pw.Add(10*time.Minute - time.Second)))
		r = b2.get("/uauth/login?token=" + tok)
		assert.Equal(t, http.StatusSeeOther, r.code, r.String())
		assert.Equal(t, "/ok", r.loc)
	})
}

// TestAttackLoginAfterLogout: once the browser logged out, a token (even
// a valid one of the same user) cannot complete anything in it.
func TestAttackLoginAfterLogout(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.login("1", "/x")
	u := mustURL(t, e.app.URL)
	// Logging out deletes the session cookie.
	for _, c := range b.c.Jar.Cookies(u) {
		b.c.Jar.SetCookies(u, []*http.Cookie{{Name: c.Name, Value: "", Path: "/", MaxAge: -1}})
	}
	r := b.get("/uauth/login?token=" + e.token(alice))
	assert.Equal(t, http.StatusUnauthorized, r.code)
	assert.Empty(t, r.hdr.Values("Set-Cookie"))
	assert.Equal(t, "anonymous", b.state().State)
	assert.Zero(t, e.countRequests("/v1/token"))
}

// TestAttackCrossSiteVariants: more ways a page on another site could try
// to POST to the state-changing routes.
func TestAttackCrossSiteVariants(t *testing.T) {
	e := newEnv(t)
	e.behave(alice, unloqtest.BehaviorApprove)
	e.behave(bob, unloqtest.BehaviorApprove)
	e.behave(dave, unloqtest.BehaviorApprove)
	on := e.browser()
	on.loginVerified("1", alice)
	off := e.browser()
	off.loginVerified("4", dave)
	pending := e.browser()
	pending.login("2", "")
	before := pending.state()
	app := mustURL(t, e.app.URL)
	host, port := app.Hostname(), app.Port()

	attacks := []struct {
		name string
		hdr  map[string]string
	}{
		{"null origin (sandboxed iframe, data: URL)", map[string]string{"Sec-Fetch-Site": "", "Origin": "null"}},
		{"null origin, cross-site fetch", map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "null"}},
		{"origin on another port", map[string]string{"Sec-Fetch-Site": "", "Origin": "http://" + host + ":1"}},
		{"origin with the app host as prefix", map[string]string{"Sec-Fetch-Site": "", "Origin": "http://" + host + ":" + port + ".evil.example"}},
		{"cross-site despite a same origin header", map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": e.app.URL}},
		{"same-site subdomain", map[string]string{"Sec-Fetch-Site": "same-site", "Origin": e.app.URL}},
		{"cross-site with method override to GET", map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example", "X-HTTP-Method-Override": "GET", "X-Method-Override": "GET"}},
		{"cross-site text/plain body", map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example", "Content-Type": "text/plain"}},
	}
	for _, a := range attacks {
		requests := len(e.sim.Sim.Requests())
		form := url.Values{"_method": {"GET"}}
		r := off.do(http.MethodPost, "/settings/2fa/enable", form, a.hdr)
		assert.Equal(t, http.StatusForbidden, r.code, "enable: "+a.name)
		assertSecurityHeaders(t, a.name, r.hdr)
		r = on.do(http.MethodPost, "/settings/2fa/disable", form, a.hdr)
		assert.Equal(t, http.StatusForbidden, r.code, "disable: "+a.name)
		r = pending.do(http.MethodPost, "/login/two-step", form, a.hdr)
		assert.Equal(t, http.StatusForbidden, r.code, "two-step: "+a.name)
		assert.Len(t, e.sim.Sim.Requests(), requests, "UNLOQ was not called: "+a.name)
	}

	// "Safe" methods sent cross-site change nothing either.
	requests := len(e.sim.Sim.Requests())
	xs := map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}
	for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodOptions} {
		for _, p := range []string{"/settings/2fa/enable", "/settings/2fa/disable"} {
			r := on.do(m, p, nil, xs)
			assert.Equal(t, http.StatusMethodNotAllowed, r.code, m+" "+p)
			assertSecurityHeaders(t, m+" "+p, r.hdr)
		}
		r := pending.do(m, "/login/two-step", nil, xs)
		assert.NotEqual(t, http.StatusSeeOther, r.code, m)
	}
	assert.Len(t, e.sim.Sim.Requests(), requests, "no UNLOQ call from GET/HEAD/OPTIONS")

	assert.Zero(t, e.users.setCount())
	assert.Equal(t, store.SecondFactorUNLOQ, e.user("1").SecondFactor)
	assert.Equal(t, "", e.user("4").SecondFactor)
	pending.assertPendingUnchanged(before)
}

// TestAttackMethodOverrideOnCallback: the callback answers GET only; a
// method-override header or field does not turn a POST into one.
func TestAttackMethodOverrideOnCallback(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.login("1", "/x")
	before := b.state()
	tok := e.token(alice)
	hdr := map[string]string{"X-HTTP-Method-Override": "GET", "X-HTTP-Method": "GET", "X-Method-Override": "GET"}
	for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodOptions} {
		r := b.do(m, "/uauth/login?token="+tok+"&_method=GET", url.Values{"_method": {"GET"}, "token": {tok}}, hdr)
		assert.Equal(t, http.StatusMethodNotAllowed, r.code, m)
		assertSecurityHeaders(t, m+" callback", r.hdr)
	}
	assert.Zero(t, e.countRequests("/v1/token"))
	b.assertPendingUnchanged(before)
}

// TestAttackLargeInputs: oversized queries, bodies and fields are refused
// before UNLOQ is called.
func TestAttackLargeInputs(t *testing.T) {
	e := newEnv(t)
	e.behave(alice, unloqtest.BehaviorApprove)
	b := e.browser()
	b.login("1", "/x")
	before := b.state()
	tok := e.token(alice)

	r := b.get("/uauth/login?token=" + tok + "&pad=" + strings.Repeat("p", 64<<10))
	assert.Equal(t, http.StatusBadRequest, r.code, r.String())
	r = b.get("/uauth/login?" + strings.Repeat("a=1&", 4000) + "token=" + tok)
	assert.Equal(t, http.StatusBadRequest, r.code, r.String())
	assert.Zero(t, e.countRequests("/v1/token"))

	for name, form := range map[string]url.Values{
		"1 MiB body":       {"pad": {strings.Repeat("x", 1<<20)}},
		"two otp fields":   {"otp": {"123456", "654321"}},
		"otp with CRLF":    {"otp": {"123456\r\n"}},
		"otp 4 KiB":        {"otp": {strings.Repeat("1", 4096)}},
		"otp with NUL":     {"otp": {"1234\x0056"}},
		"otp arabic-indic": {"otp": {"١٢٣٤٥٦"}},
	} {
		r := b.post("/login/two-step", form)
		assert.Equal(t, http.StatusBadRequest, r.code, name)
		assertSecurityHeaders(t, name, r.hdr)
	}
	assert.Zero(t, e.countRequests("/v1/authenticate"))
	b.assertPendingUnchanged(before)

	v := e.browser()
	v.loginVerified("4", dave)
	enrolls := e.countRequests("/v1/enroll")
	r = v.post("/settings/2fa/enable", url.Values{"pad": {strings.Repeat("x", 1<<20)}})
	assert.Equal(t, http.StatusBadRequest, r.code)
	assert.Equal(t, enrolls, e.countRequests("/v1/enroll"))
	assert.Zero(t, e.users.setCount())
}

// TestAttackOpenRedirectThroughLogin: next values that would leave the
// site are dropped at the password step; wherever the login ends (303 or
// the JSON redirect), it resolves to the app's own origin.
func TestAttackOpenRedirectThroughLogin(t *testing.T) {
	e := newEnv(t, withHandlerOpts(handlers.WithPushLimit(1000, time.Minute)))
	e.behave(alice, unloqtest.BehaviorApprove)
	base := mustURL(t, "https://app.example/login/two-step")
	for _, next := range []string{
		"http:evil.example", "https:evil.example", "http:/evil.example", "//evil.example", "/\\evil.example",
		"\\/evil.example", "/%09/evil.example", "/%0a/evil.example", "/\t/evil.example", "/\n/evil.example",
		"%2F%2Fevil.example", "/%2F%2Fevil.example", "/%2F/evil.example", "/%5C%5Cevil.example",
		"/%255C%255Cevil.example", "/\uff0f\uff0fevil.example", "/\u2044evil.example", "\u3002/evil.example",
		"/..//evil.example", "/.//evil.example", "/%2e%2e//evil.example", "/./\\evil.example",
		"//%65vil.example", " //evil.example", "/ /evil.example", "javascript://%0aalert(1)",
	} {
		for _, js := range []bool{false, true} {
			b := e.browser()
			r := b.post("/login", url.Values{"user_id": {"1"}, "next": {next}})
			require.Equal(t, http.StatusSeeOther, r.code, r.String())
			hdr := map[string]string(nil)
			if js {
				hdr = map[string]string{"Accept": "application/json"}
			}
			r = b.do(http.MethodPost, "/login/two-step", url.Values{}, hdr)
			loc := r.loc
			if js {
				require.Equal(t, http.StatusOK, r.code, r.String())
				var body struct {
					Redirect string `json:"redirect"`
				}
				require.NoError(t, json.Unmarshal([]byte(r.body), &body))
				loc = body.Redirect
			} else {
				require.Equal(t, http.StatusSeeOther, r.code, r.String())
			}
			u, err := url.Parse(loc)
			require.NoError(t, err, "%q → %q", next, loc)
			to := base.ResolveReference(u)
			assert.Equal(t, "app.example", to.Host, "%q → %q", next, loc)
			assert.Equal(t, "https", to.Scheme, "%q → %q", next, loc)
			assert.False(t, strings.HasPrefix(loc, "//") || strings.ContainsAny(loc, "\\\t\r\n"), "%q → %q", next, loc)
		}
	}
}

// TestAttackSecurityHeadersOnEveryOutcome: success redirects, JSON
// answers, HEAD and method errors of the 2FA routes carry the headers too.
func TestAttackSecurityHeadersOnEveryOutcome(t *testing.T) {
	e := newEnv(t, withHandlerOpts(handlers.WithWidgetKey("sim-widget-key")))
	e.behave(alice, unloqtest.BehaviorApprove)
	js := map[string]string{"Accept": "application/json"}
	cases := map[string]func() result{
		"callback success": func() result {
			b := e.browser()
			b.login("1", "/x")
			return b.get("/uauth/login?token=" + e.token(alice))
		},
		"push success": func() result {
			b := e.browser()
			b.login("1", "/x")
			return b.post("/login/two-step", nil)
		},
		"push success JSON": func() result {
			b := e.browser()
			b.login("1", "/x")
			return b.do(http.MethodPost, "/login/two-step", url.Values{}, js)
		},
		"two-step HEAD": func() result {
			b := e.browser()
			b.login("1", "/x")
			return b.do(http.MethodHead, "/login/two-step", nil, nil)
		},
		"two-step JSON": func() result {
			b := e.browser()
			b.login("1", "/x")
			return b.do(http.MethodGet, "/login/two-step", nil, js)
		},
		"two-step verified redirect": func() result {
			b := e.browser()
			b.loginVerified("3", carol)
			return b.get("/login/two-step")
		},
		"callback JSON error": func() result {
			b := e.browser()
			b.login("1", "/x")
			return b.do(http.MethodGet, "/uauth/login?token=bad", nil, js)
		},
		"callback anonymous": func() result { return e.browser().get("/uauth/login?token=" + e.token(alice)) },
		"callback POST 405":  func() result { return e.browser().post("/uauth/login", nil) },
		"two-step OPTIONS 405": func() result {
			return e.browser().do(http.MethodOptions, "/login/two-step", nil, nil)
		},
		"enable status 405 JSON": func() result {
			return e.browser().do(http.MethodPost, "/settings/2fa/enable/status", url.Values{}, nil)
		},
		"enable status anonymous": func() result { return e.browser().get("/settings/2fa/enable/status") },
		"disable anonymous JSON": func() result {
			return e.browser().do(http.MethodPost, "/settings/2fa/disable", url.Values{}, js)
		},
		"disable success": func() result {
			b := e.browser()
			b.loginVerified("2", bob)
			e.behave(bob, unloqtest.BehaviorApprove)
			return b.post("/settings/2fa/disable", nil)
		},
	}
	for name, do := range cases {
		r := do()
		require.NoError(t, r.err, name)
		assertSecurityHeaders(t, name, r.hdr)
		assert.Equal(t, "nosniff", r.hdr.Get("X-Content-Type-Options"), name)
	}
}
