package handlers_test

import (
	"context"
	"encoding/json"
	"html/template"
	"net/http"
	"net/url"
	"regexp"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/handlers"
	"github.com/unloq2fa/unloq2fa/handlers/recovery"
	"github.com/unloq2fa/unloq2fa/store"
	"github.com/unloq2fa/unloq2fa/unloq/unloqtest"
)

// flakyCodes is a CodeStore that fails while down is set.
type flakyCodes struct {
	*recovery.MemoryStore
	down atomic.Bool
}

func (f *flakyCodes) Replace(ctx context.Context, userID string, codes []recovery.Hashed) error {
	if f.down.Load() {
		return assert.AnError
	}
	return f.MemoryStore.Replace(ctx, userID, codes)
}

func (f *flakyCodes) Consume(ctx context.Context, userID, id string, verify func([]byte) bool) (recovery.Outcome, error) {
	if f.down.Load() {
		return 0, assert.AnError
	}
	return f.MemoryStore.Consume(ctx, userID, id, verify)
}

func (f *flakyCodes) Remaining(ctx context.Context, userID string) (int, error) {
	if f.down.Load() {
		return 0, assert.AnError
	}
	return f.MemoryStore.Remaining(ctx, userID)
}

// recEnv is an env with recovery codes on (sets of 3 codes).
type recEnv struct {
	*env
	svc   *recovery.Service
	codes *flakyCodes
}

func newRecEnv(t *testing.T, ropts []recovery.Option, opts ...envOption) *recEnv {
	t.Helper()
	cs := &flakyCodes{MemoryStore: recovery.NewMemoryStore()}
	svc, err := recovery.New(cs, append([]recovery.Option{recovery.WithCount(3)}, ropts...)...)
	require.NoError(t, err)
	e := newEnv(t, append(opts, withHandlerOpts(handlers.WithRecoveryCodes(svc)))...)
	return &recEnv{env: e, svc: svc, codes: cs}
}

func (e *recEnv) generate(uid string) []string {
	e.t.Helper()
	c, err := e.svc.Generate(context.Background(), uid)
	require.NoError(e.t, err)
	return c
}

func (e *recEnv) left(uid string) int {
	e.t.Helper()
	n, err := e.svc.Remaining(context.Background(), uid)
	require.NoError(e.t, err)
	return n
}

func useCode(b *browser, code string) result {
	return b.post("/login/two-step", url.Values{"recovery_code": {code}})
}

var codesOnPage = regexp.MustCompile(`<code>([0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4})</code>`)

func pageCodes(body string) []string {
	var out []string
	for _, m := range codesOnPage.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

func TestRecoveryCodeLogin(t *testing.T) {
	e := newRecEnv(t, nil)
	codes := e.generate("1")
	b := e.browser()
	b.login("1", "/dashboard?tab=x")
	page := b.get("/login/two-step")
	assert.Contains(t, page.body, `name="recovery_code"`)
	assert.Contains(t, page.body, `action="/login/two-step"`)

	r := useCode(b, codes[1])
	require.Equal(t, http.StatusSeeOther, r.code, r.String())
	assert.Equal(t, "/dashboard?tab=x", r.loc)
	assert.Equal(t, "verified", b.state().State)
	assert.Zero(t, e.countRequests("/v1/authenticate"), "the phone was not asked")
	assert.Equal(t, 2, e.left("1"))
	ev, ok := e.events.last(handlers.EventApproved)
	require.True(t, ok)
	assert.Equal(t, handlers.FactorRecoveryCode, ev.Factor)
	assert.Equal(t, handlers.FlowLogin, ev.Flow)
	assert.NotContains(t, e.logs.String(), codes[1], "a code never reaches the logs")

	// The same code again, in a new login: refused, the login stays pending.
	b2 := e.browser()
	b2.login("1", "")
	before := b2.state()
	r = useCode(b2, codes[1])
	assert.Equal(t, http.StatusUnauthorized, r.code, r.String())
	assert.Contains(t, r.body, "already used")
	assert.Contains(t, r.body, `data-code="recovery_code_used"`)
	assert.Contains(t, r.body, `name="recovery_code"`, "the page offers the field again")
	b2.assertPendingUnchanged(before)
	ev, _ = e.events.last(handlers.EventFailed)
	assert.ErrorIs(t, ev.Err, handlers.CodeRecoveryCode)
	assert.ErrorIs(t, ev.Err, recovery.ErrUsed)
	// Typed sloppily (upper case, spaces), another code still works.
	r = useCode(b2, "  "+codes[2][:4]+" "+codes[2][5:9]+" "+codes[2][10:]+" ")
	require.Equal(t, http.StatusSeeOther, r.code, r.String())
	assert.Equal(t, "verified", b2.state().State)
}

func TestRecoveryCodeRefusals(t *testing.T) {
	e := newRecEnv(t, nil)
	codes := e.generate("1")
	b := e.browser()
	b.login("1", "")
	before := b.state()
	for name, tc := range map[string]struct {
		form url.Values
		code int
		want string
	}{
		"wrong":         {url.Values{"recovery_code": {"2345-6789-abcd"}}, http.StatusUnauthorized, "wrong_recovery_code"},
		"malformed":     {url.Values{"recovery_code": {"hello"}}, http.StatusUnauthorized, "wrong_recovery_code"},
		"an OTP":        {url.Values{"recovery_code": {"123456"}}, http.StatusUnauthorized, "wrong_recovery_code"},
		"look-alike":    {url.Values{"recovery_code": {"２３４５-6789-abcd"}}, http.StatusUnauthorized, "wrong_recovery_code"},
		"empty":         {url.Values{"recovery_code": {" "}}, http.StatusBadRequest, "bad_request"},
		"two codes":     {url.Values{"recovery_code": {codes[0], codes[1]}}, http.StatusBadRequest, "bad_request"},
		"code with otp": {url.Values{"recovery_code": {codes[0]}, "otp": {"123456"}}, http.StatusBadRequest, "bad_request"},
	} {
		r := b.post("/login/two-step", tc.form)
		assert.Equal(t, tc.code, r.code, name)
		assert.Contains(t, r.body, `data-code="`+tc.want+`"`, name)
		assertSecurityHeaders(t, name, r.hdr)
	}
	b.assertPendingUnchanged(before)
	assert.Equal(t, 3, e.left("1"), "no code was used")
	assert.Zero(t, e.countRequests("/v1/authenticate"), "a code is never sent to UNLOQ")

	// A recovery code in the OTP field is not a recovery code: the push
	// path refuses it as a malformed OTP, and the code stays unused.
	r := b.post("/login/two-step", url.Values{"otp": {codes[0]}})
	assert.Equal(t, http.StatusBadRequest, r.code, r.String())
	assert.Contains(t, r.body, `data-code="bad_otp"`)
	assert.Equal(t, 3, e.left("1"))
	b.assertPendingUnchanged(before)
}

func TestRecoveryCodeRateLimit(t *testing.T) {
	e := newRecEnv(t, []recovery.Option{recovery.WithRateLimit(2, time.Hour)})
	codes := e.generate("1")
	b := e.browser()
	b.login("1", "")
	before := b.state()
	for range 2 {
		assert.Equal(t, http.StatusUnauthorized, useCode(b, "2345-6789-abcd").code)
	}
	r := useCode(b, codes[0])
	assert.Equal(t, http.StatusTooManyRequests, r.code, "even the right code waits")
	assert.Contains(t, r.body, `data-code="recovery_rate_limited"`)
	b.assertPendingUnchanged(before)
	assert.Equal(t, 3, e.left("1"))
	// The limit is the user's: another user is not locked out.
	e.generate("2")
	other := e.browser()
	other.login("2", "")
	assert.Equal(t, http.StatusUnauthorized, useCode(other, "2345-6789-abcd").code)
}

func TestRecoveryCodeStoreDownFailsClosed(t *testing.T) {
	e := newRecEnv(t, nil)
	codes := e.generate("1")
	b := e.browser()
	b.login("1", "")
	before := b.state()
	e.codes.down.Store(true)
	r := useCode(b, codes[0])
	assert.Equal(t, http.StatusServiceUnavailable, r.code, r.String())
	assert.Contains(t, r.body, `data-code="recovery_unavailable"`)
	b.assertPendingUnchanged(before)
	e.codes.down.Store(false)
	assert.Equal(t, 3, e.left("1"), "nothing changed")
	r = useCode(b, codes[0])
	require.Equal(t, http.StatusSeeOther, r.code, r.String())

	// Behind Wrap as well: with recovery codes on, the two-step POST is
	// open to a pending user even without push (it was not exempt, so the
	// middleware sent the code back to the two-step page).
	w := e.onHandlers(e.h)
	b2 := w.browser()
	b2.login("1", "")
	r = useCode(b2, codes[1])
	require.Equal(t, http.StatusSeeOther, r.code, r.String())
	assert.NotEqual(t, "/login/two-step", r.loc, "the code completed the login")
	assert.Equal(t, 1, e.left("1"), "the code was spent by the handler, not bounced by the middleware")
}

func TestRecoveryCodeAfterPendingWindow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newRecEnv(t, nil, inBubble())
		codes := e.generate("1")
		b := e.browser()
		b.login("1", "")
		time.Sleep(11 * time.Minute) // the pending window is 10 minutes
		r := useCode(b, codes[0])
		require.Equal(t, http.StatusSeeOther, r.code, r.String())
		assert.Equal(t, "/login", r.loc)
		assert.Equal(t, "anonymous", b.state().State)
		assert.Equal(t, 3, e.left("1"), "the code was not spent")
	})
}

func TestRecoveryCodeCrossSiteRefused(t *testing.T) {
	e := newRecEnv(t, nil)
	codes := e.generate("1")
	b := e.browser()
	b.login("1", "")
	before := b.state()
	r := b.do(http.MethodPost, "/login/two-step", url.Values{"recovery_code": {codes[0]}},
		map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"})
	assert.Equal(t, http.StatusForbidden, r.code, r.String())
	b.assertPendingUnchanged(before)
	assert.Equal(t, 3, e.left("1"))
}

func TestRecoveryCodeOldCookieOfCompletedLogin(t *testing.T) {
	e := newRecEnv(t, nil)
	codes := e.generate("1")
	b := e.browser()
	b.login("1", "")
	old := copyOf(t, e.env, b)
	require.Equal(t, http.StatusSeeOther, useCode(b, codes[0]).code)
	r := useCode(old, codes[1])
	assert.Equal(t, http.StatusConflict, r.code, r.String())
	assert.Equal(t, 2, e.left("1"), "a completed login spends no code")
	assert.Equal(t, "pending", old.state().State)
}

func TestRecoveryCodeWidgetOnlyMode(t *testing.T) {
	e := newRecEnv(t, nil, withHandlerOpts(handlers.WithMode(handlers.ModeWidget)))
	codes := e.generate("1")
	b := e.browser()
	b.login("1", "")
	r := b.post("/login/two-step", nil)
	assert.Equal(t, http.StatusMethodNotAllowed, r.code, "no push in widget mode")
	r = useCode(b, codes[0])
	require.Equal(t, http.StatusSeeOther, r.code, r.String())

	// Behind Wrap as well: with recovery codes on, the two-step POST is
	// open to a pending user even without push (it was not exempt, so the
	// middleware sent the code back to the two-step page).
	w := e.onHandlers(e.h)
	b2 := w.browser()
	b2.login("1", "")
	r = useCode(b2, codes[1])
	require.Equal(t, http.StatusSeeOther, r.code, r.String())
	assert.NotEqual(t, "/login/two-step", r.loc, "the code completed the login")
	assert.Equal(t, 1, e.left("1"), "the code was spent by the handler, not bounced by the middleware")
}

func TestRecoveryCodesOffByDefault(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.login("1", "")
	assert.NotContains(t, b.get("/login/two-step").body, "recovery_code")
	r := b.post("/settings/2fa/recovery-codes", nil)
	assert.Equal(t, http.StatusNotFound, r.code)
	_, on, err := e.h.RecoveryCodesLeft(context.Background(), "1")
	require.NoError(t, err)
	assert.False(t, on)
}

func TestRecoveryCodesNeedTheirTemplate(t *testing.T) {
	svc, err := recovery.New(recovery.NewMemoryStore())
	require.NoError(t, err)
	tmpl := template.New("x")
	for _, name := range []string{handlers.TemplateTwoStep, handlers.TemplateEnroll, handlers.TemplateApprove, handlers.TemplateMessage} {
		template.Must(tmpl.New(name).Parse("x"))
	}
	e := newEnv(t)
	_, err = handlers.New(e.client, e.sm, e.users, handlers.WithTemplates(tmpl), handlers.WithRecoveryCodes(svc))
	require.Error(t, err)
	assert.Contains(t, err.Error(), handlers.TemplateRecoveryCodes)
	template.Must(tmpl.New(handlers.TemplateRecoveryCodes).Parse("x"))
	_, err = handlers.New(e.client, e.sm, e.users, handlers.WithTemplates(tmpl), handlers.WithRecoveryCodes(svc))
	require.NoError(t, err)
	_, err = handlers.New(e.client, e.sm, e.users, handlers.WithRecoveryCodes(nil))
	require.Error(t, err)
}

func notice(b *browser) map[string]any {
	b.t.Helper()
	r := b.get("/_test/notice")
	require.Equal(b.t, http.StatusOK, r.code)
	var v map[string]any
	require.NoError(b.t, json.Unmarshal([]byte(r.body), &v))
	return v
}

func TestEnableShowsRecoveryCodesOnce(t *testing.T) {
	e := newRecEnv(t, nil)
	b := e.browser()
	b.loginVerified("4", dave)
	require.Equal(t, http.StatusOK, b.post("/settings/2fa/enable", nil).code)
	require.NoError(t, e.sim.Sim.Scan(dave))
	e.behave(dave, unloqtest.BehaviorApprove)
	r := b.post("/settings/2fa/enable", confirm)
	require.Equal(t, http.StatusOK, r.code, r.String())
	assert.Equal(t, store.SecondFactorUNLOQ, e.user("4").SecondFactor)
	assert.Equal(t, "no-store", r.hdr.Get("Cache-Control"))
	codes := pageCodes(r.body)
	require.Len(t, codes, 3)
	assert.Contains(t, r.body, "I saved them, continue")
	assert.Contains(t, r.body, `href="/settings"`)
	assert.Contains(t, r.body, "Two-step verification is on")
	assert.Equal(t, 3, e.left("4"))
	for _, c := range codes {
		assert.NotContains(t, e.logs.String(), c)
	}
	// The settings page gets the notice once.
	n := notice(b)
	assert.Equal(t, true, n["ok"])
	assert.Equal(t, handlers.NoticeEnabled, n["code"])
	assert.Equal(t, false, notice(b)["ok"], "once")
	left, on, err := e.h.RecoveryCodesLeft(context.Background(), "4")
	require.NoError(t, err)
	assert.True(t, on)
	assert.Equal(t, 3, left)

	// A code from the page completes a login.
	b2 := e.browser()
	b2.login("4", "")
	require.Equal(t, http.StatusSeeOther, useCode(b2, codes[0]).code)
}

func TestEnableRecoveryCodesFailKeepsTwoStepOn(t *testing.T) {
	e := newRecEnv(t, nil)
	b := e.browser()
	b.loginVerified("4", dave)
	require.Equal(t, http.StatusOK, b.post("/settings/2fa/enable", nil).code)
	require.NoError(t, e.sim.Sim.Scan(dave))
	e.behave(dave, unloqtest.BehaviorApprove)
	e.codes.down.Store(true)
	r := b.post("/settings/2fa/enable", confirm)
	assert.Equal(t, http.StatusServiceUnavailable, r.code, r.String())
	assert.Contains(t, r.body, "no recovery codes exist yet")
	assert.Contains(t, r.body, `action="/settings/2fa/recovery-codes"`)
	assert.Equal(t, store.SecondFactorUNLOQ, e.user("4").SecondFactor)
	e.codes.down.Store(false)
	assert.Zero(t, e.left("4"))
}

func TestRegenerateRecoveryCodes(t *testing.T) {
	e := newRecEnv(t, nil)
	old := e.generate("1")
	b := e.browser()
	b.loginVerified("1", alice)

	// Denied: the page asks for the code and has its field; nothing changed.
	e.behave(alice, unloqtest.BehaviorDeny)
	r := b.post("/settings/2fa/recovery-codes", nil)
	assert.Equal(t, http.StatusForbidden, r.code, r.String())
	assert.Contains(t, r.body, `name="otp"`)
	assert.Contains(t, r.body, `action="/settings/2fa/recovery-codes"`)
	assert.Empty(t, pageCodes(r.body))
	assert.Equal(t, 3, e.left("1"))

	e.behave(alice, unloqtest.BehaviorApprove)
	otp, err := e.sim.Sim.OTP(alice)
	require.NoError(t, err)
	r = b.post("/settings/2fa/recovery-codes", url.Values{"otp": {otp}})
	require.Equal(t, http.StatusOK, r.code, r.String())
	assert.Equal(t, "no-store", r.hdr.Get("Cache-Control"))
	fresh := pageCodes(r.body)
	require.Len(t, fresh, 3)
	assert.Equal(t, handlers.NoticeRecoveryCodes, notice(b)["code"])

	l := e.browser()
	l.login("1", "")
	r = useCode(l, old[0])
	assert.Equal(t, http.StatusUnauthorized, r.code, "the old set stopped working")
	require.Equal(t, http.StatusSeeOther, useCode(l, fresh[0]).code)
}

func TestRegenerateRecoveryCodesRefusals(t *testing.T) {
	e := newRecEnv(t, nil)
	e.generate("1")
	b := e.browser()
	b.loginVerified("1", alice)
	e.behave(alice, unloqtest.BehaviorApprove)
	r := b.do(http.MethodPost, "/settings/2fa/recovery-codes", url.Values{},
		map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"})
	assert.Equal(t, http.StatusForbidden, r.code)
	assert.Equal(t, http.StatusMethodNotAllowed, b.get("/settings/2fa/recovery-codes").code)
	// Generate fails after the approval: the old set stays.
	e.codes.down.Store(true)
	r = b.post("/settings/2fa/recovery-codes", nil)
	assert.Equal(t, http.StatusServiceUnavailable, r.code, r.String())
	assert.Contains(t, r.body, "current codes still work")
	e.codes.down.Store(false)
	assert.Equal(t, 3, e.left("1"))
	assert.Empty(t, e.sim.Sim.Approvals(alice, unloqtest.StatusPending))

	// A pending login and a user without two-step get no codes.
	p := e.browser()
	p.login("2", "")
	r = p.post("/settings/2fa/recovery-codes", nil)
	assert.Equal(t, http.StatusSeeOther, r.code)
	c := e.browser()
	c.loginVerified("3", carol)
	r = c.post("/settings/2fa/recovery-codes", nil)
	assert.Equal(t, http.StatusConflict, r.code)
}

func TestDisableDeletesRecoveryCodes(t *testing.T) {
	e := newRecEnv(t, nil)
	e.generate("1")
	b := e.browser()
	b.loginVerified("1", alice)

	// The codes cannot be deleted: two-step stays on.
	e.behave(alice, unloqtest.BehaviorApprove)
	e.codes.down.Store(true)
	r := b.post("/settings/2fa/disable", nil)
	assert.Equal(t, http.StatusServiceUnavailable, r.code, r.String())
	assert.Equal(t, store.SecondFactorUNLOQ, e.user("1").SecondFactor)
	e.codes.down.Store(false)
	assert.Equal(t, 3, e.left("1"))

	r = b.post("/settings/2fa/disable", nil)
	require.Equal(t, http.StatusSeeOther, r.code, r.String())
	assert.Equal(t, "", e.user("1").SecondFactor)
	assert.Zero(t, e.left("1"))
	assert.Equal(t, handlers.NoticeDisabled, notice(b)["code"])
}

func TestNoticeAfterEnableAndDisableWithoutRecovery(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.loginVerified("5", erin)
	e.behave(erin, unloqtest.BehaviorApprove)
	require.Equal(t, http.StatusOK, b.post("/settings/2fa/enable", nil).code)
	require.Equal(t, http.StatusSeeOther, b.post("/settings/2fa/enable", confirm).code)
	n := notice(b)
	assert.Equal(t, handlers.NoticeEnabled, n["code"])
	assert.Contains(t, n["message"], "Two-step verification is on")
	assert.Equal(t, false, notice(b)["ok"])
	require.Equal(t, http.StatusSeeOther, b.post("/settings/2fa/disable", nil).code)
	assert.Equal(t, handlers.NoticeDisabled, notice(b)["code"])
	// An anonymous browser has none.
	assert.Equal(t, false, notice(e.browser())["ok"])
}

// TestCustomSecondFactor: a factor the library does not ship completes a
// login through CompleteSecondFactor, with the same checks.
func TestCustomSecondFactor(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.login("1", "/dashboard")
	old := copyOf(t, e, b)
	form := url.Values{"ok": {"yes"}, "user": {"1"}, "factor": {"security_key"}}

	bad := url.Values{"ok": {"yes"}, "user": {"1"}, "factor": {"no spaces"}}
	r := b.post("/_test/factor", bad)
	assert.Equal(t, http.StatusConflict, r.code)
	assert.Contains(t, r.body, "bad request")
	r = b.do(http.MethodPost, "/_test/factor", form, map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"})
	assert.Equal(t, http.StatusConflict, r.code)
	assert.Contains(t, r.body, "cross-origin")
	assert.Equal(t, "pending", b.state().State)

	r = b.post("/_test/factor", form)
	require.Equal(t, http.StatusSeeOther, r.code, r.String())
	assert.Equal(t, "/dashboard", r.loc)
	assert.Equal(t, "verified", b.state().State)
	ev, ok := e.events.last(handlers.EventApproved)
	require.True(t, ok)
	assert.Equal(t, "security_key", ev.Factor)
	assert.Zero(t, e.countRequests("/v1/authenticate"))

	// An old copy of the cookie cannot complete the login again.
	r = old.post("/_test/factor", form)
	assert.Equal(t, http.StatusConflict, r.code)
	ev, _ = e.events.last(handlers.EventFailed)
	assert.ErrorIs(t, ev.Err, handlers.CodeReplayed)
	assert.Equal(t, "pending", old.state().State)

	// Nobody pending: nothing to complete.
	req, err := http.NewRequest(http.MethodPost, "/x", nil)
	require.NoError(t, err)
	_, _, pending := e.h.PendingUser(req)
	assert.False(t, pending)
}

func TestCustomSecondFactorExpired(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, inBubble())
		b := e.browser()
		b.login("1", "")
		time.Sleep(11 * time.Minute)
		r := b.post("/_test/factor", url.Values{"ok": {"yes"}, "user": {"1"}, "factor": {"x"}})
		assert.Equal(t, http.StatusForbidden, r.code, "PendingUser reports no pending login")
	})
}
