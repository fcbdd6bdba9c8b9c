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
