package stepup_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/handlers/stepup"
	"github.com/unloq2fa/unloq2fa/unloq"
	"github.com/unloq2fa/unloq2fa/unloq/unloqtest"
)

func assertPageHeaders(t *testing.T, r reply) {
	t.Helper()
	assert.Equal(t, "no-store", r.header.Get("Cache-Control"))
	assert.Equal(t, "no-referrer", r.header.Get("Referrer-Policy"))
	assert.Equal(t, "DENY", r.header.Get("X-Frame-Options"))
	assert.Contains(t, r.header.Get("Content-Security-Policy"), "frame-ancestors 'none'")
}

func TestBrowserPOSTApprovedRunsOnceWithOriginalForm(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	c := h.browser()
	h.loginAs(c, "u-alice", alice)

	// The original POST gets the waiting page, carrying its fields.
	page := h.postForm(c, "/danger", url.Values{"note": {"all <b>"}, "confirm": {"yes"}})
	require.Equal(t, http.StatusOK, page.status)
	assertPageHeaders(t, page)
	assert.Contains(t, page.body, `action="/danger"`)
	assert.Contains(t, page.body, `name="unloq2fa_step_up" value="run"`)
	assert.Contains(t, page.body, `name="note" value="all &lt;b&gt;"`, "fields are replayed, escaped")
	assert.Zero(t, h.runCount())
	assert.Empty(t, h.authorizations(alice), "showing the page sends no push")

	// Its POST waits for the phone, then runs the handler once with
	// exactly the original fields.
	done := h.answer(alice, true)
	res := h.postForm(c, "/danger", runForm("note", "all <b>", "confirm", "yes", "unloq2fa_extra", "x"))
	<-done
	require.Equal(t, http.StatusOK, res.status, res.body)
	assert.Equal(t, "done", res.body)
	require.Equal(t, 1, h.runCount())
	assert.Equal(t, url.Values{"note": {"all <b>"}, "confirm": {"yes"}}, h.forms[0])

	auths := h.authorizations(alice)
	require.Len(t, auths, 1)
	assert.Equal(t, "Delete all notes?", auths[0].Title, "the action's variables reach the phone")
	assert.NotEmpty(t, auths[0].Reference)
	assert.LessOrEqual(t, len([]rune(auths[0].Reference)), 20)

	// MaxAge 0: the next request needs its own approval; a denial runs nothing.
	done = h.answer(alice, false)
	res = h.postForm(c, "/danger", runForm("note", "again"))
	<-done
	assert.Equal(t, http.StatusForbidden, res.status)
	assert.Contains(t, res.body, `data-code="denied"`)
	assert.Equal(t, 1, h.runCount())
	assert.ErrorIs(t, h.lastErr(), stepup.ErrDenied)
	assert.ErrorIs(t, h.lastErr(), unloq.ErrDenied, "the vendor error stays reachable")
}

func TestBrowserGETGrantRedirectsOnce(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	c := h.browser()
	h.loginAs(c, "u-alice", alice)

	page := h.get(c, "/danger?x=1&y=2")
	require.Equal(t, http.StatusOK, page.status)
	assertPageHeaders(t, page)
	assert.Contains(t, page.body, `action="/danger?x=1&amp;y=2"`)
	assert.Contains(t, page.body, `value="grant"`)
	assert.Zero(t, h.runCount())

	done := h.answer(alice, true)
	res := h.postForm(c, "/danger?x=1&y=2", url.Values{stepup.FieldStepUp: {"grant"}})
	<-done
	require.Equal(t, http.StatusSeeOther, res.status, res.body)
	assert.Equal(t, "/danger?x=1&y=2", res.header.Get("Location"))
	assert.Zero(t, h.runCount(), "a grant runs nothing by itself")

	// Another URL does not ride on the grant.
	other := h.get(c, "/danger?x=2")
	assert.Contains(t, other.body, `value="grant"`)
	assert.Zero(t, h.runCount())

	res = h.get(c, "/danger?x=1&y=2")
	assert.Equal(t, "done", res.body)
	assert.Equal(t, 1, h.runCount())

	again := h.get(c, "/danger?x=1&y=2")
	assert.Contains(t, again.body, `value="grant"`, "the one-time grant was used up")
	assert.Equal(t, 1, h.runCount())
}

func TestGrantExpires(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, harnessOpts{bubble: true})
		c := h.browser()
		h.loginAs(c, "u-alice", alice)
		done := h.answer(alice, true)
		res := h.postForm(c, "/danger", url.Values{stepup.FieldStepUp: {"grant"}})
		<-done
		require.Equal(t, http.StatusSeeOther, res.status)
		time.Sleep(stepup.DefaultGrantTTL)
		page := h.get(c, "/danger")
		assert.Contains(t, page.body, `value="grant"`)
		assert.Zero(t, h.runCount())
	})
}

func TestTimeoutRefuses(t *testing.T) {
	h := newHarness(t, harnessOpts{simOpts: []unloqtest.Option{unloqtest.WithApprovalTimeout(300 * time.Millisecond)}})
	require.NoError(t, h.sim.Sim.SetBehavior(alice, unloqtest.BehaviorIgnore))
	c := h.browser()
	h.loginAs(c, "u-alice", alice)
	res := h.postForm(c, "/danger", runForm("a", "1"))
	assert.Equal(t, http.StatusForbidden, res.status)
	assert.Contains(t, res.body, `data-code="timeout"`)
	assert.Empty(t, res.header.Values("Set-Cookie"), "nothing changes")
	assert.Zero(t, h.runCount())
	assert.ErrorIs(t, h.lastErr(), stepup.ErrTimeout)
}

func TestClientTimeoutRefuses(t *testing.T) {
	h := newHarness(t, harnessOpts{clientOpts: []unloq.Option{unloq.WithApprovalTimeout(300 * time.Millisecond)}})
	c := h.browser()
	h.loginAs(c, "u-alice", alice)
	res := h.postForm(c, "/danger", runForm())
	assert.Equal(t, http.StatusForbidden, res.status)
	assert.Zero(t, h.runCount())
	assert.ErrorIs(t, h.lastErr(), stepup.ErrTimeout)
}

func TestEveryUNLOQFaultRefuses(t *testing.T) {
	h := newHarness(t, harnessOpts{clientOpts: []unloq.Option{unloq.WithApprovalTimeout(500 * time.Millisecond)}})
	require.NoError(t, h.sim.Sim.SetBehavior(alice, unloqtest.BehaviorApprove))
	c := h.browser()
	h.loginAs(c, "u-alice", alice)
	for _, mode := range []string{unloqtest.FaultError500, unloqtest.FaultHang, unloqtest.FaultGarbage, unloqtest.FaultBlocked, unloqtest.FaultThrottle} {
		t.Run(mode, func(t *testing.T) {
			h.sim.Sim.InjectFault(unloqtest.Fault{Path: "/v1/authorize/" + code, Mode: mode})
			res := h.postForm(c, "/danger", runForm("a", "1"))
			assert.GreaterOrEqual(t, res.status, 400)
			assert.Empty(t, res.header.Values("Set-Cookie"))
			assert.Zero(t, h.runCount(), "the handler never runs")
			var e *unloq.Error
			assert.ErrorAs(t, h.lastErr(), &e)
		})
	}
	// A JSON client, too.
	h.sim.Sim.InjectFault(unloqtest.Fault{Path: "/v1/authorize/" + code, Mode: unloqtest.FaultGarbage})
	req, _ := http.NewRequest(http.MethodPost, h.app.URL+"/danger", strings.NewReader(`{}`))
	req.Header.Set("Accept", "application/json")
	req.Header.Set(stepup.HeaderStepUp, "run")
	res := do(t, c, req)
	assert.Equal(t, http.StatusServiceUnavailable, res.status)
	assert.Contains(t, res.body, `"unavailable"`)
	assert.Zero(t, h.runCount())
	// And the fault is gone: an approval now works.
	res = h.postForm(c, "/danger", runForm())
	assert.Equal(t, "done", res.body)
}

func TestForeignSessionCannotUseApproval(t *testing.T) {
	h := newHarness(t, harnessOpts{action: stepup.Action{Code: code, MaxAge: 10 * time.Minute}})
	require.NoError(t, h.sim.Sim.SetBehavior(alice, unloqtest.BehaviorApprove))
	ca := h.browser()
	aliceLogin := h.loginAs(ca, "u-alice", alice)
	require.Equal(t, "done", h.postForm(ca, "/danger", runForm()).body)
	require.Equal(t, "done", h.postForm(ca, "/danger", url.Values{}).body, "within max age, no new push")
	require.Len(t, h.authorizations(alice), 1)

	// Bob's session never saw an approval.
	cb := h.browser()
	bobLogin := h.loginAs(cb, "u-bob", bob)
	assert.Contains(t, h.postForm(cb, "/danger", url.Values{}).body, `value="run"`)

	// A grant value bound to Alice's LoginID counts in no other session,
	// not even one of Alice's own (a new login has a new LoginID).
	forged := "1|" + aliceLogin + "|" + strconv.FormatInt(time.Now().UnixMilli(), 10) + "|*"
	cb2 := h.browser()
	h.loginAs(cb2, "u-bob", bob, "&flow="+url.QueryEscape(forged))
	assert.Contains(t, h.postForm(cb2, "/danger", url.Values{}).body, `value="run"`)
	ca2 := h.browser()
	h.loginAs(ca2, "u-alice", alice, "&flow="+url.QueryEscape(forged))
	assert.Contains(t, h.postForm(ca2, "/danger", url.Values{}).body, `value="run"`)
	assert.Equal(t, 2, h.runCount())
	// Control: the same value bound to the session's own LoginID counts,
	// so the refusals above come from the binding, not from the format.
	own := strings.Replace(forged, aliceLogin, "LID", 1)
	cb3 := h.browser()
	h.loginAs(cb3, "u-bob", bob, "&flow="+url.QueryEscape(own))
	assert.Equal(t, "done", h.postForm(cb3, "/danger", url.Values{}).body)
	assert.Equal(t, 3, h.runCount())
	assert.NotEqual(t, aliceLogin, bobLogin)

	// Logging in again drops the approval.
	h.loginAs(ca, "u-alice", alice)
	assert.Contains(t, h.postForm(ca, "/danger", url.Values{}).body, `value="run"`)
	assert.Equal(t, 3, h.runCount())
}

func TestMaxAgeHonouredAndExpires(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, harnessOpts{action: stepup.Action{Code: code, MaxAge: 5 * time.Minute}, bubble: true})
		require.NoError(t, h.sim.Sim.SetBehavior(alice, unloqtest.BehaviorApprove))
		c := h.browser()
		h.loginAs(c, "u-alice", alice)
		require.Equal(t, "done", h.postForm(c, "/danger", runForm("n", "1")).body)
		time.Sleep(5*time.Minute - time.Second)
		require.Equal(t, "done", h.get(c, "/danger").body, "GET within max age")
		require.Equal(t, "done", h.postForm(c, "/danger", url.Values{"n": {"2"}}).body, "POST within max age, body untouched")
		assert.Equal(t, url.Values{"n": {"2"}}, h.forms[2])
		assert.Len(t, h.authorizations(alice), 1)

		time.Sleep(time.Second)
		assert.Contains(t, h.get(c, "/danger").body, `value="grant"`, "expired at max age")
		assert.Equal(t, 3, h.runCount())
	})
}

func TestOneApprovalInFlight(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	c := h.browser()
	h.loginAs(c, "u-alice", alice)

	var wg sync.WaitGroup
	replies := make([]reply, 2)
	wg.Add(1)
	go func() {
		defer wg.Done()
		replies[0] = h.postForm(c, "/danger", runForm("n", "1"))
	}()
	// Wait until the first push is on the phone, then send the second.
	ctxA := h.answerLater(alice)
	replies[1] = h.postForm(c, "/danger", runForm("n", "2"))
	assert.Equal(t, http.StatusConflict, replies[1].status)
	assert.Contains(t, replies[1].body, `data-code="in_flight"`)
	close(ctxA)
	wg.Wait()
	assert.Equal(t, "done", replies[0].body)
	assert.Len(t, h.authorizations(alice), 1, "one push")
	assert.Equal(t, 1, h.runCount())
	assert.ErrorIs(t, h.lastErr(), stepup.ErrInFlight)

	// The same action is free again once the first approval ended.
	require.NoError(t, h.sim.Sim.SetBehavior(alice, unloqtest.BehaviorApprove))
	assert.Equal(t, "done", h.postForm(c, "/danger", runForm()).body)
}

// answerLater waits until alice's push is pending and returns a channel
// whose closing approves it.
func (h *harness) answerLater(email string) chan struct{} {
	h.t.Helper()
	ctx := h.t.Context()
	a, err := h.sim.Sim.WaitForApproval(ctx, email)
	require.NoError(h.t, err)
	ch := make(chan struct{})
	go func() {
		<-ch
		_ = h.sim.Sim.Approve(a.ID)
	}()
	return ch
}

func TestPasswordOnlyUser(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	c := h.browser()
	h.loginAs(c, "u-carol", carol)
	res := h.postForm(c, "/danger", runForm())
	assert.Equal(t, http.StatusForbidden, res.status)
	assert.Contains(t, res.body, `data-code="unloq_required"`)
	assertPageHeaders(t, res)
	assert.Zero(t, h.runCount())
	assert.ErrorIs(t, h.lastErr(), stepup.ErrPasswordOnly)

	h2 := newHarness(t, harnessOpts{opts: []stepup.Option{stepup.WithAllowPasswordOnly()}})
	c2 := h2.browser()
	h2.loginAs(c2, "u-carol", carol)
	assert.Equal(t, "done", h2.get(c2, "/danger").body)
	assert.Equal(t, 1, h2.runCount())
	// An UNLOQ user still needs the phone with that option.
	h2.loginAs(c2, "u-alice", alice)
	assert.Contains(t, h2.get(c2, "/danger").body, `value="grant"`)
}

func TestAnonymousPendingAndChangedAccountsRefused(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	require.NoError(t, h.sim.Sim.SetBehavior(alice, unloqtest.BehaviorApprove))

	anon := h.browser()
	res := h.postForm(anon, "/danger", runForm())
	assert.Equal(t, http.StatusForbidden, res.status)
	assert.ErrorIs(t, h.lastErr(), stepup.ErrNotLoggedIn)

	pending := h.browser()
	h.loginAs(pending, "u-alice", alice, "&pending=1")
	res = h.postForm(pending, "/danger", runForm())
	assert.Equal(t, http.StatusForbidden, res.status)
	assert.ErrorIs(t, h.lastErr(), stepup.ErrNotVerified)

	// Addresses compare as the handlers compare them: ASCII case only, no
	// Unicode folding or trimming.
	for _, addr := range []string{bob, "alice@example.test\u00a0", "\u212ale@example.test", "alice@example.test.", ""} {
		wrongMail := h.browser()
		h.loginAs(wrongMail, "u-alice", addr)
		res = h.postForm(wrongMail, "/danger", runForm())
		assert.Equal(t, http.StatusForbidden, res.status, "%q", addr)
		assert.ErrorIs(t, h.lastErr(), stepup.ErrAccountChanged, "%q", addr)
	}

	ghost := h.browser()
	h.loginAs(ghost, "u-ghost", "ghost@example.test")
	res = h.postForm(ghost, "/danger", runForm())
	assert.Equal(t, http.StatusForbidden, res.status)
	assert.ErrorIs(t, h.lastErr(), stepup.ErrAccountChanged)

	assert.Empty(t, h.authorizations(alice), "no push for any of them")
	assert.Zero(t, h.runCount())
}

func TestCrossOriginPOSTRefused(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	require.NoError(t, h.sim.Sim.SetBehavior(alice, unloqtest.BehaviorApprove))
	c := h.browser()
	h.loginAs(c, "u-alice", alice)
	res := h.postForm(c, "/danger", runForm(), "Sec-Fetch-Site", "cross-site")
	assert.Equal(t, http.StatusForbidden, res.status)
	assert.Contains(t, res.body, `data-code="cross_origin"`)
	res = h.postForm(c, "/danger", runForm(), "Origin", "https://evil.example")
	assert.Equal(t, http.StatusForbidden, res.status)
	assert.ErrorIs(t, h.lastErr(), stepup.ErrCrossOrigin)
	assert.Empty(t, h.authorizations(alice))
	assert.Zero(t, h.runCount())
}

func TestUnreplayableBodiesRefused(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	require.NoError(t, h.sim.Sim.SetBehavior(alice, unloqtest.BehaviorApprove))
	c := h.browser()
	h.loginAs(c, "u-alice", alice)

	req, _ := http.NewRequest(http.MethodPost, h.app.URL+"/danger", strings.NewReader("--b\r\n\r\n--b--\r\n"))
	req.Header.Set("Content-Type", "multipart/form-data; boundary=b")
	res := do(t, c, req)
	assert.Equal(t, http.StatusUnsupportedMediaType, res.status)

	big := url.Values{"x": {strings.Repeat("a", stepup.MaxReplayBytes)}}
	res = h.postForm(c, "/danger", big)
	assert.Equal(t, http.StatusUnsupportedMediaType, res.status)

	many := url.Values{}
	for i := range stepup.MaxReplayFields + 1 {
		many.Add("f", strconv.Itoa(i))
	}
	res = h.postForm(c, "/danger", many)
	assert.Equal(t, http.StatusUnsupportedMediaType, res.status)

	res = h.postForm(c, "/danger", url.Values{stepup.FieldStepUp: {"run", "run"}})
	assert.Equal(t, http.StatusBadRequest, res.status)
	res = h.postForm(c, "/danger", url.Values{stepup.FieldStepUp: {"now"}})
	assert.Equal(t, http.StatusBadRequest, res.status)
	res = h.postForm(c, "/danger", url.Values{stepup.FieldStepUp: {"grant"}, "x": {"1"}})
	assert.Equal(t, http.StatusBadRequest, res.status)

	assert.Empty(t, h.authorizations(alice))
	assert.Zero(t, h.runCount())
}

func TestJSONFlow(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	c := h.browser()
	h.loginAs(c, "u-alice", alice)
	jsonReq := func(method, path, body string, hdr ...string) reply {
		req, err := http.NewRequest(method, h.app.URL+path, strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Accept", "application/json")
		req.Header.Set("Content-Type", "application/json")
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		return do(t, c, req)
	}

	res := jsonReq(http.MethodPost, "/danger", `{"all":true}`)
	assert.Equal(t, http.StatusPreconditionRequired, res.status)
	assert.Contains(t, res.body, `"step_up_required"`)
	assert.Contains(t, res.body, stepup.HeaderStepUp)
	assertPageHeaders(t, res)
	assert.Empty(t, h.authorizations(alice))

	// A blocking POST with the header: runs with the body untouched.
	done := h.answer(alice, true)
	res = jsonReq(http.MethodPost, "/danger", `{"all":true}`, stepup.HeaderStepUp, "run")
	<-done
	require.Equal(t, "done", res.body)
	assert.Equal(t, `{"all":true}`, h.bodies[0])

	// Denied.
	done = h.answer(alice, false)
	res = jsonReq(http.MethodDelete, "/danger", ``, stepup.HeaderStepUp, "run")
	<-done
	assert.Equal(t, http.StatusForbidden, res.status)
	assert.Contains(t, res.body, `"denied"`)

	// GET: 428 even with the header (a safe method never pushes), then a
	// POST grant, then the GET runs once.
	res = jsonReq(http.MethodGet, "/danger?id=7", "", stepup.HeaderStepUp, "run")
	assert.Equal(t, http.StatusPreconditionRequired, res.status)
	done = h.answer(alice, true)
	res = jsonReq(http.MethodPost, "/danger?id=7", "", stepup.HeaderStepUp, "grant")
	<-done
	assert.Equal(t, http.StatusOK, res.status)
	assert.Contains(t, res.body, `"approved"`)
	assert.Equal(t, 1, h.runCount(), "a grant runs nothing")
	assert.Equal(t, "done", jsonReq(http.MethodGet, "/danger?id=7", "").body)
	assert.Equal(t, http.StatusPreconditionRequired, jsonReq(http.MethodGet, "/danger?id=7", "").status)
	assert.Equal(t, 2, h.runCount())

	res = jsonReq(http.MethodPost, "/danger", "", stepup.HeaderStepUp, "please")
	assert.Equal(t, http.StatusBadRequest, res.status)
}

func TestInvalidActionsAndReferences(t *testing.T) {
	h := newHarness(t, harnessOpts{action: stepup.Action{Code: code, Reference: func(*http.Request) string { return strings.Repeat("r", 21) }}})
	require.NoError(t, h.sim.Sim.SetBehavior(alice, unloqtest.BehaviorApprove))
	c := h.browser()
	h.loginAs(c, "u-alice", alice)
	res := h.postForm(c, "/danger", runForm())
	assert.Equal(t, http.StatusInternalServerError, res.status)
	assert.ErrorIs(t, h.lastErr(), stepup.ErrConfig)
	assert.Empty(t, h.authorizations(alice), "an invalid reference sends no push")

	next := http.NotFoundHandler()
	for _, a := range []stepup.Action{
		{Code: ""}, {Code: strings.Repeat("a", 21)}, {Code: "bad code"}, {Code: "x", MaxAge: -time.Second},
		{Code: "x", MaxAge: stepup.MaxMaxAge + time.Second},
	} {
		_, err := h.su.Wrap(a, next)
		assert.Error(t, err, "%+v", a)
		assert.Panics(t, func() { h.su.Require(a, next) })
	}
	_, err := h.su.Wrap(stepup.Action{Code: "ok"}, nil)
	assert.Error(t, err)
}

func TestReferenceAndVariablesValidated(t *testing.T) {
	cases := map[string]stepup.Action{
		"control in reference": {Code: code, Reference: func(*http.Request) string { return "a\nb" }},
		"empty reference":      {Code: code, Reference: func(*http.Request) string { return "" }},
		"bad var name":         {Code: code, Vars: func(*http.Request) map[string]string { return map[string]string{"a-b": "x"} }},
		"long var value":       {Code: code, Vars: func(*http.Request) map[string]string { return map[string]string{"a": strings.Repeat("x", 101)} }},
		"reserved var name":    {Code: code, Vars: func(*http.Request) map[string]string { return map[string]string{"email": "x@y.z"} }},
	}
	for name, a := range cases {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, harnessOpts{action: a})
			require.NoError(t, h.sim.Sim.SetBehavior(alice, unloqtest.BehaviorApprove))
			c := h.browser()
			h.loginAs(c, "u-alice", alice)
			res := h.postForm(c, "/danger", runForm())
			assert.Equal(t, http.StatusInternalServerError, res.status)
			assert.ErrorIs(t, h.lastErr(), stepup.ErrConfig)
			assert.Empty(t, h.authorizations(alice))
			assert.Zero(t, h.runCount())
		})
	}
	// A valid reference reaches the phone.
	h := newHarness(t, harnessOpts{action: stepup.Action{Code: code, Reference: func(r *http.Request) string { return "order " + r.FormValue("id") }}})
	require.NoError(t, h.sim.Sim.SetBehavior(alice, unloqtest.BehaviorApprove))
	c := h.browser()
	h.loginAs(c, "u-alice", alice)
	require.Equal(t, "done", h.postForm(c, "/danger", runForm("id", "42")).body)
	assert.Equal(t, "order 42", h.authorizations(alice)[0].Reference)
}
