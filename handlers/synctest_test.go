package handlers_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/handlers"
	"github.com/unloq2fa/unloq2fa/session"
	"github.com/unloq2fa/unloq2fa/store"
	"github.com/unloq2fa/unloq2fa/unloq"
	"github.com/unloq2fa/unloq2fa/unloq/unloqtest"
)

// handlerTransport serves requests in the calling goroutine, without a
// socket, so that a test can run inside a synctest bubble (whose clock
// only moves while every goroutine of the bubble is blocked on something
// the bubble controls, which a socket is not).
type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, r)
	return rec.Result(), nil
}

// bubbleApp is the handlers with their default Guard and a simulated
// UNLOQ, both in memory, served without sockets: inside synctest.Test
// their clocks are the bubble's fake clock.
type bubbleApp struct {
	t   *testing.T
	sim *unloqtest.Simulator
	h   *handlers.Handlers
	mux *http.ServeMux
}

func newBubbleApp(t *testing.T) *bubbleApp {
	sim, err := unloqtest.New(unloqtest.WithAPIKey(testAPIKey))
	require.NoError(t, err)
	t.Cleanup(func() { _ = sim.Close() })
	client, err := unloq.NewClient(testAPIKey,
		unloq.WithBaseURL("https://unloq.test/v1"),
		unloq.WithHTTPClient(&http.Client{Transport: handlerTransport{sim}}))
	require.NoError(t, err)
	sm, err := session.NewManager(
		session.WithKeys(bytes.Repeat([]byte{7}, 32), bytes.Repeat([]byte{9}, 32)),
		session.WithInsecureDevCookies())
	require.NoError(t, err)
	users := store.NewMemory()
	require.NoError(t, users.Put(context.Background(), store.User{ID: "1", Email: alice, SecondFactor: store.SecondFactorUNLOQ}))
	require.NoError(t, users.Put(context.Background(), store.User{ID: "3", Email: carol}))
	require.NoError(t, users.Put(context.Background(), store.User{ID: "4", Email: dave}))
	_, err = client.Enroll(context.Background(), unloq.EnrollRequest{Email: alice})
	require.NoError(t, err)
	require.NoError(t, sim.Scan(alice))
	require.NoError(t, sim.SetBehavior(alice, unloqtest.BehaviorDeny))

	h, err := handlers.New(client, sm, users, handlers.WithMode(handlers.ModePush))
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		if err := h.LogIn(w, r, r.FormValue("user_id"), "/"); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	})
	h.Mount(mux.Handle)
	return &bubbleApp{t: t, sim: sim, h: h, mux: mux}
}

// browser returns a cookie-keeping client of the app.
func (a *bubbleApp) browser() *http.Client {
	jar, err := cookiejar.New(nil)
	require.NoError(a.t, err)
	return &http.Client{Jar: jar, Transport: handlerTransport{a.mux},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func (a *bubbleApp) post(c *http.Client, path string, form url.Values) int {
	req, err := http.NewRequest(http.MethodPost, "http://app.test"+path, strings.NewReader(form.Encode()))
	require.NoError(a.t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := c.Do(req)
	require.NoError(a.t, err)
	require.NoError(a.t, resp.Body.Close())
	return resp.StatusCode
}

func (a *bubbleApp) get(c *http.Client, path string) (int, string) {
	resp, err := c.Get("http://app.test" + path)
	require.NoError(a.t, err)
	defer resp.Body.Close()
	var buf bytes.Buffer
	_, err = buf.ReadFrom(resp.Body)
	require.NoError(a.t, err)
	return resp.StatusCode, buf.String()
}

// TestEnableStatusLimitsUNLOQCallsInTime: the status route asks UNLOQ at
// most once per user per 2 s and answers from the last result in
// between; the bubble's clock replaces real waiting.
func TestEnableStatusLimitsUNLOQCallsInTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := newBubbleApp(t)
		b, other := a.browser(), a.browser()
		for id, br := range map[string]*http.Client{"4": b, "3": other} {
			require.Equal(t, http.StatusSeeOther, a.post(br, "/login", url.Values{"user_id": {id}}))
			require.Equal(t, http.StatusOK, a.post(br, "/settings/2fa/enable", url.Values{}))
		}
		calls := func() int {
			n := 0
			for _, r := range a.sim.Requests() {
				if p, _, _ := strings.Cut(r.Path, "?"); p == "/v1/enrolled" {
					n++
				}
			}
			return n
		}
		statusOf := func(br *http.Client) string {
			t.Helper()
			code, body := a.get(br, "/settings/2fa/enable/status")
			require.Equal(t, http.StatusOK, code, body)
			return body
		}
		status := func() string { t.Helper(); return statusOf(b) }
		base := calls()
		for range 20 {
			assert.JSONEq(t, `{"enrolled":false}`, status())
		}
		assert.Equal(t, base+1, calls(), "one UNLOQ call for 20 polls")
		assert.JSONEq(t, `{"enrolled":false}`, statusOf(other))
		assert.Equal(t, base+2, calls(), "another user has a budget of its own")
		base++

		require.NoError(t, a.sim.Scan(dave))
		time.Sleep(time.Second)
		assert.JSONEq(t, `{"enrolled":false}`, status(), "within 2 s: the cached answer")
		assert.Equal(t, base+1, calls())
		time.Sleep(time.Second)
		assert.JSONEq(t, `{"enrolled":true}`, status(), "after 2 s UNLOQ is asked again")
		assert.Equal(t, base+2, calls())
		for range 10 {
			assert.JSONEq(t, `{"enrolled":true}`, status(), "a positive answer is kept too")
		}
		assert.Equal(t, base+2, calls())
	})
}

// TestDefaultPushBudgetFreesUp: the default budget (5 pushes per user)
// is spent for 15 minutes, then the user gets pushes again. The bubble's
// clock makes the 15 minutes pass at once.
func TestDefaultPushBudgetFreesUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := newBubbleApp(t)
		b := a.browser()
		login := func() {
			t.Helper()
			require.Equal(t, http.StatusSeeOther, a.post(b, "/login", url.Values{"user_id": {"1"}}))
		}
		login()
		for i := range handlers.DefaultPushLimit {
			require.NotEqual(t, http.StatusTooManyRequests, a.post(b, "/login/two-step", url.Values{}), "push %d", i+1)
		}
		require.Equal(t, http.StatusTooManyRequests, a.post(b, "/login/two-step", url.Values{}))

		time.Sleep(handlers.DefaultPushWindow - time.Second)
		login()
		assert.Equal(t, http.StatusTooManyRequests, a.post(b, "/login/two-step", url.Values{}),
			"still spent just before the window ends")

		time.Sleep(2 * time.Second)
		login()
		assert.NotEqual(t, http.StatusTooManyRequests, a.post(b, "/login/two-step", url.Values{}),
			"the budget is free again after %s", handlers.DefaultPushWindow)
	})
}
