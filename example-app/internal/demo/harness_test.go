package demo

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/unloq2fa/unloq2fa/unloq/unloqtest"
)

// testApp is the whole demo app served on 127.0.0.1 by an httptest server,
// with its embedded simulator reached over that server's loopback URL.
type testApp struct {
	t   testing.TB
	app *App
	sim *unloqtest.Simulator
	srv *httptest.Server
	URL string
}

func newTestApp(t testing.TB, mutate func(*Config)) *testApp {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	self := "http://" + srv.Listener.Addr().String()
	cfg := Config{
		DBPath:             ":memory:",
		SelfURL:            self,
		DevCookies:         true,
		BcryptCost:         bcrypt.MinCost,
		SimApprovalTimeout: 20 * time.Second,
		DemoEmail:          DefaultDemoEmail,
		DemoPassword:       DefaultDemoPassword,
	}
	if mutate != nil {
		mutate(&cfg)
	}
	app, err := New(context.Background(), cfg)
	require.NoError(t, err)
	srv.Config.Handler = app.Handler()
	srv.Start()
	t.Cleanup(func() {
		_ = app.sim.Close() // unblock any approval still waiting
		srv.Close()
		_ = app.Close()
	})
	return &testApp{t: t, app: app, sim: app.Simulator(), srv: srv, URL: self}
}

// secondFactor reads the user's second_factor through the store the
// handlers write.
func (a *testApp) secondFactor(email string) string {
	a.t.Helper()
	u, err := a.app.Users().ByEmail(context.Background(), email)
	require.NoError(a.t, err)
	su, err := a.app.Store().User(context.Background(), u.ID)
	require.NoError(a.t, err)
	return su.SecondFactor
}

// answerNext waits for the next pending approval of email on the
// simulated phone and answers it. If the app answers the request in
// flight (done) before any approval shows up, the test fails with that
// answer.
func (a *testApp) answerNext(email string, approve bool, done <-chan page) unloqtest.Approval {
	a.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	type got struct {
		ap  unloqtest.Approval
		err error
	}
	ch := make(chan got, 1)
	go func() {
		ap, err := a.sim.WaitForApproval(ctx, email)
		ch <- got{ap, err}
	}()
	var g got
	select {
	case g = <-ch:
	case p := <-done:
		a.t.Fatalf("the app answered (HTTP %d) before an approval reached the phone:\n%s", p.Status, p.Body)
	}
	require.NoError(a.t, g.err)
	if approve {
		require.NoError(a.t, a.sim.Approve(g.ap.ID))
	} else {
		require.NoError(a.t, a.sim.Deny(g.ap.ID))
	}
	return g.ap
}

// browser is a cookie-keeping HTTP client that does not follow redirects,
// so each step's redirect can be checked.
type browser struct {
	t    testing.TB
	base string
	c    *http.Client
}

func (a *testApp) browser() *browser {
	jar, err := cookiejar.New(nil)
	require.NoError(a.t, err)
	return &browser{t: a.t, base: a.URL, c: &http.Client{
		Jar:     jar,
		Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}}
}

// page is a response with its body read.
type page struct {
	Status   int
	Location string
	Header   http.Header
	Body     string
}

func (b *browser) do(req *http.Request) page {
	b.t.Helper()
	resp, err := b.c.Do(req)
	require.NoError(b.t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(b.t, err)
	return page{Status: resp.StatusCode, Location: resp.Header.Get("Location"), Header: resp.Header, Body: string(body)}
}

func (b *browser) url(path string) string {
	if strings.HasPrefix(path, "http://") || strings.HasPrefix(path, "https://") {
		return path
	}
	return b.base + path
}

func (b *browser) get(path string) page {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodGet, b.url(path), nil)
	require.NoError(b.t, err)
	req.Header.Set("Accept", "text/html")
	return b.do(req)
}

func (b *browser) getJSON(path string, v any) page {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodGet, b.url(path), nil)
	require.NoError(b.t, err)
	req.Header.Set("Accept", "application/json")
	p := b.do(req)
	if v != nil && p.Status == http.StatusOK {
		require.NoError(b.t, json.Unmarshal([]byte(p.Body), v), p.Body)
	}
	return p
}

// post submits a form the way a same-origin browser form does.
func (b *browser) post(path string, form url.Values) page {
	b.t.Helper()
	return b.postWith(path, form, map[string]string{"Origin": b.base, "Sec-Fetch-Site": "same-origin"})
}

func (b *browser) postWith(path string, form url.Values, headers map[string]string) page {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.url(path), strings.NewReader(form.Encode()))
	require.NoError(b.t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "text/html")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	return b.do(req)
}

// postAsync submits a form whose answer waits for the phone.
func (b *browser) postAsync(path string, form url.Values) <-chan page {
	return b.postAsyncAccept(path, form, "text/html")
}

// postAsyncAccept is postAsync with the given Accept header (an API client
// sends application/json).
func (b *browser) postAsyncAccept(path string, form url.Values, accept string) <-chan page {
	ch := make(chan page, 1)
	go func() {
		req, err := http.NewRequest(http.MethodPost, b.url(path), strings.NewReader(form.Encode()))
		if err != nil {
			ch <- page{Status: -1, Body: err.Error()}
			return
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Accept", accept)
		req.Header.Set("Origin", b.base)
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		resp, err := b.c.Do(req)
		if err != nil {
			ch <- page{Status: -1, Body: err.Error()}
			return
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		ch <- page{Status: resp.StatusCode, Location: resp.Header.Get("Location"), Header: resp.Header, Body: string(body)}
	}()
	return ch
}

func (b *browser) wait(ch <-chan page) page {
	b.t.Helper()
	select {
	case p := <-ch:
		require.NotEqual(b.t, -1, p.Status, p.Body)
		return p
	case <-time.After(30 * time.Second):
		b.t.Fatal("no answer from the app")
		return page{}
	}
}
