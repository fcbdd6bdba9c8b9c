package handlers_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/handlers"
	"github.com/unloq2fa/unloq2fa/unloq"
	"github.com/unloq2fa/unloq2fa/unloq/unloqtest"
)

func TestCallbackWidgetSuccess(t *testing.T) {
	e := newEnv(t, withHandlerOpts(handlers.WithWidgetKey("sim-widget-key")))
	b := e.browser()
	b.login("1", "/dashboard?tab=1")
	before := b.state()
	page := b.get("/login/two-step")
	require.Equal(t, http.StatusOK, page.code)
	assert.Contains(t, page.body, `data-unloq-key="sim-widget-key" data-unloq-email="alice@example.com"`)

	tok := e.token(alice)
	r := b.get("/uauth/login?token=" + url.QueryEscape(tok))
	require.Equal(t, http.StatusSeeOther, r.code, r.String())
	assert.Equal(t, "/dashboard?tab=1", r.loc)
	assert.NotContains(t, r.loc, "token")
	assert.NotContains(t, r.loc, tok)
	after := b.state()
	assert.Equal(t, "verified", after.State)
	assert.NotEqual(t, before.LoginID, after.LoginID)
	assert.Equal(t, []handlers.EventKind{handlers.EventApproved}, e.events.kinds())
}

func TestCallbackRejects(t *testing.T) {
	long := "AU" + strings.Repeat("a", 4095)
	cases := []struct {
		name  string
		query func(e *env) string
		code  int
		errIs error
		// exchanged: whether UNLOQ's /v1/token may be called.
		exchanged bool
	}{
		{"no token", func(*env) string { return "" }, 400, handlers.CodeBadToken, false},
		{"empty token", func(*env) string { return "token=" }, 400, handlers.CodeBadToken, false},
		{"not AU", func(*env) string { return "token=XY" + strings.Repeat("a", 40) }, 400, handlers.CodeBadToken, false},
		{"too short", func(*env) string { return "token=AUabc" }, 400, handlers.CodeBadToken, false},
		{"too long", func(*env) string { return "token=" + long }, 400, handlers.CodeBadToken, false},
		{"bad chars", func(*env) string { return "token=" + url.QueryEscape("AU"+strings.Repeat("a", 40)+"<script>") }, 400, handlers.CodeBadToken, false},
		{"encoded slash", func(*env) string { return "token=AU" + strings.Repeat("a", 40) + "%2F" }, 400, handlers.CodeBadToken, false},
		{"two tokens", func(e *env) string { return "token=" + e.token(alice) + "&token=" + e.token(alice) }, 400, handlers.CodeBadToken, false},
		{"bad query", func(*env) string { return "token=AU" + strings.Repeat("a", 40) + "%zz" }, 400, handlers.CodeBadToken, false},
		{"unknown token", func(*env) string { return "token=AU" + strings.Repeat("b", 127) }, 400, handlers.CodeRejected, true},
		{"token of another user", func(e *env) string { return "token=" + e.token(bob) }, 403, handlers.CodeWrongUser, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			b := e.browser()
			b.login("1", "/x")
			before := b.state()
			q := tc.query(e)
			r := b.get("/uauth/login?" + q)
			assert.Equal(t, tc.code, r.code, r.String())
			assert.Empty(t, r.loc)
			b.assertPendingUnchanged(before)
			if !tc.exchanged {
				assert.Zero(t, e.countRequests("/v1/token"), "UNLOQ must not be called")
			}
			ev, ok := e.events.last(handlers.EventFailed)
			require.True(t, ok)
			assert.ErrorIs(t, ev.Err, tc.errIs)
			assert.Contains(t, r.body, `href="/login/two-step"`, "the page leads back to the pending sign-in")
		})
	}
}

func TestCallbackNeedsPendingLogin(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, inBubble())

		// No login in this browser: the token is not even exchanged.
		anon := e.browser()
		tok := e.token(alice)
		r := anon.get("/uauth/login?token=" + tok)
		assert.Equal(t, http.StatusUnauthorized, r.code)
		assert.Equal(t, "anonymous", anon.state().State)
		assert.Zero(t, e.countRequests("/v1/token"))

		// A verified session does not take a token either.
		v := e.browser()
		v.loginVerified("3", carol)
		r = v.get("/uauth/login?token=" + tok)
		assert.Equal(t, http.StatusUnauthorized, r.code)
		assert.Zero(t, e.countRequests("/v1/token"))

		// An expired pending login: refused, not completed.
		b := e.browser()
		b.login("1", "/x")
		time.Sleep(10*time.Minute + time.Second)
		r = b.get("/uauth/login?token=" + tok)
		assert.Equal(t, http.StatusUnauthorized, r.code)
		assert.Contains(t, r.body, `data-code="pending_expired"`)
		assert.Equal(t, "pending_expired", b.state().State)
		assert.Zero(t, e.countRequests("/v1/token"))
		ev, ok := e.events.last(handlers.EventFailed)
		require.True(t, ok)
		assert.ErrorIs(t, ev.Err, handlers.CodePendingExpired)

		// The token, never exchanged, still works for the right login.
		b2 := e.browser()
		b2.login("1", "/ok")
		r = b2.get("/uauth/login?token=" + tok)
		assert.Equal(t, http.StatusSeeOther, r.code, r.String())
		assert.Equal(t, "/ok", r.loc)
	})
}

func TestCallbackStoreEmailMustMatch(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.login("1", "/x")
	before := b.state()
	// The account's e-mail changed after the password step: alice's token
	// no longer matches the store.
	require.NoError(t, e.users.Put(context.Background(), storeUser("1", "someone@example.com", true)))
	r := b.get("/uauth/login?token=" + e.token(alice))
	assert.Equal(t, http.StatusForbidden, r.code)
	b.assertPendingUnchanged(before)

	e.users.failUser(assert.AnError)
	r = b.get("/uauth/login?token=" + e.token(alice))
	assert.Equal(t, http.StatusServiceUnavailable, r.code)
	b.assertPendingUnchanged(before)
}

func TestCallbackEmailCompareIsCaseInsensitive(t *testing.T) {
	e := newEnv(t)
	require.NoError(t, e.users.Put(context.Background(), storeUser("1", "  Alice@Example.COM ", true)))
	b := e.browser()
	b.login("1", "/x")
	r := b.get("/uauth/login?token=" + e.token(alice))
	assert.Equal(t, http.StatusSeeOther, r.code, r.String())
}

func TestCallbackVendorFaultsFailClosed(t *testing.T) {
	for _, mode := range []string{unloqtest.FaultHang, unloqtest.FaultError500, unloqtest.FaultGarbage} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			b := e.browser()
			b.login("1", "/x")
			before := b.state()
			tok := e.token(alice)
			e.sim.Sim.InjectFault(unloqtest.Fault{Path: "/v1/token", Mode: mode})
			r := b.get("/uauth/login?token=" + tok)
			assert.Contains(t, []int{http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout}, r.code, r.String())
			b.assertPendingUnchanged(before)
		})
	}
}

// callbackRace sends the callback with tok from 8 copies of b at once and
// returns how many of them were let through (303).
func callbackRace(b *browser, tok string) int32 {
	var wg sync.WaitGroup
	var ok atomic.Int32
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if r := b.clone().get("/uauth/login?token=" + tok); r.code == http.StatusSeeOther {
				ok.Add(1)
			}
		}()
	}
	wg.Wait()
	return ok.Load()
}

func TestCallbackConcurrentSameToken(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.login("1", "/x")
	tok := e.token(alice)
	assert.Equal(t, int32(1), callbackRace(b, tok))
}

// lenientUNLOQ is a stub UNLOQ that accepts any token any number of times
// and always names email as the token's user.
type lenientUNLOQ struct {
	email  string
	tokens atomic.Int32
}

func (l *lenientUNLOQ) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	switch r.URL.Path {
	case "/v1/token":
		l.tokens.Add(1)
		_ = json.NewEncoder(w).Encode(map[string]any{"type": "api.application.approval.token",
			"result": map[string]any{"approval_id": "a-1", "unloq_id": "1", "email": l.email, "method": "UNLOQ", "token_type": "AUTHENTICATE"}})
	case "/v1/authenticate":
		_ = json.NewEncoder(w).Encode(map[string]any{"type": "api.application.approval.authenticate",
			"result": map[string]any{"unloq_id": "1", "token": "AU" + strings.Repeat("R", 127)}})
	default:
		http.NotFound(w, r)
	}
}

func newLenientEnv(t *testing.T, stub *lenientUNLOQ, opts ...envOption) *env {
	srv := httptest.NewServer(stub)
	t.Cleanup(srv.Close)
	cl, err := unloq.NewClient("stub-key", unloq.WithBaseURL(srv.URL+"/v1"), unloq.WithAllowHTTP())
	require.NoError(t, err)
	return newEnv(t, append(opts, withClient(cl))...)
}

func TestCallbackReplayRejectedEvenIfUNLOQIsLenient(t *testing.T) {
	stub := &lenientUNLOQ{email: alice}
	e := newLenientEnv(t, stub)
	tok := "AU" + strings.Repeat("Z", 127)

	b := e.browser()
	b.login("1", "/x")
	r := b.get("/uauth/login?token=" + tok)
	require.Equal(t, http.StatusSeeOther, r.code, r.String())

	// A new pending login (another browser, or the same user again): the
	// used token is refused although the stub would accept it again.
	b2 := e.browser()
	b2.login("1", "/x")
	before := b2.state()
	r = b2.get("/uauth/login?token=" + tok)
	assert.Equal(t, http.StatusConflict, r.code, r.String())
	b2.assertPendingUnchanged(before)
	assert.Equal(t, int32(2), stub.tokens.Load(), "UNLOQ accepted it twice; the handlers did not")
	ev, ok := e.events.last(handlers.EventFailed)
	require.True(t, ok)
	assert.ErrorIs(t, ev.Err, handlers.CodeReplayed)

	// The push path is protected the same way: the stub hands out one
	// token for every push.
	r = b2.post("/login/two-step", nil)
	require.Equal(t, http.StatusSeeOther, r.code, r.String())
	b3 := e.browser()
	b3.login("1", "/x")
	r = b3.post("/login/two-step", nil)
	assert.Equal(t, http.StatusConflict, r.code)
	assert.Equal(t, "pending", b3.state().State)
}

func TestCallbackConcurrentSameTokenLenient(t *testing.T) {
	stub := &lenientUNLOQ{email: alice}
	e := newLenientEnv(t, stub)
	tok := "AU" + strings.Repeat("C", 127)
	b := e.browser()
	b.login("1", "/x")
	assert.Equal(t, int32(1), callbackRace(b, tok))
}

func TestCallbackPendingLoginCompletesOnce(t *testing.T) {
	// Two different valid tokens for the same pending login (e.g. the
	// old cookie replayed): only the first completes it.
	stub := &lenientUNLOQ{email: alice}
	e := newLenientEnv(t, stub)
	b := e.browser()
	b.login("1", "/x")
	stale := b.clone()
	stale.c = &http.Client{Jar: newJarCopy(t, b, e), CheckRedirect: b.c.CheckRedirect}
	r := b.get("/uauth/login?token=AU" + strings.Repeat("1", 127))
	require.Equal(t, http.StatusSeeOther, r.code)
	r = stale.get("/uauth/login?token=AU" + strings.Repeat("2", 127))
	assert.Equal(t, http.StatusConflict, r.code, r.String())
	assert.Equal(t, "pending", stale.state().State)
}

func TestCallbackHEADAndPOSTRefused(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.login("1", "/x")
	tok := e.token(alice)
	rec := httptest.NewRecorder()
	e.h.Callback().ServeHTTP(rec, httptest.NewRequest(http.MethodHead, "/uauth/login?token="+tok, nil))
	assert.Equal(t, http.StatusMethodNotAllowed, rec.Code)
	assert.Equal(t, "GET", rec.Header().Get("Allow"))
	r := b.post("/uauth/login?token="+tok, nil)
	assert.Equal(t, http.StatusMethodNotAllowed, r.code)
	assert.Zero(t, e.countRequests("/v1/token"))
}
