package demo

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/unloq2fa/unloq2fa/internal/testenv"
	"github.com/unloq2fa/unloq2fa/store"
	"github.com/unloq2fa/unloq2fa/unloq"
	"github.com/unloq2fa/unloq2fa/unloq/unloqtest"
)

// postgresDSNEnv points the tests at a PostgreSQL database
// (eval "$(bash .ci/postgres.sh)" sets it).
const postgresDSNEnv = "UNLOQ2FA_POSTGRES_DSN"

// cluster is the demo run as two instances, A and B, behind a round-robin
// reverse proxy: one Redis (reached through a TCP proxy the test can cut),
// one PostgreSQL schema, one external UNLOQ simulator whose remote-logout
// webhook points at the proxy. Nothing ties a browser to an instance.
type cluster struct {
	t        *testing.T
	sim      *unloqtest.Server
	apps     map[string]*App
	direct   map[string]string // instance name → its own base URL
	lb       *roundRobin
	proxyURL string
	redis    *cutProxy
}

func randomHex(t testing.TB, n int) string {
	t.Helper()
	b := make([]byte, n)
	_, err := rand.Read(b)
	require.NoError(t, err)
	return hex.EncodeToString(b)
}

// postgresSchema creates a fresh schema in UNLOQ2FA_POSTGRES_DSN's
// database, dropped (with its tables) at cleanup, and returns a DSN whose
// connections use it.
func postgresSchema(t *testing.T) string {
	t.Helper()
	dsn := os.Getenv(postgresDSNEnv)
	testenv.Require(t, dsn != "",
		"multi-instance test: set "+postgresDSNEnv+` (e.g. eval "$(bash .ci/postgres.sh)") to run it`)
	if dsn == "" {
		return ""
	}
	admin, err := sql.Open("pgx", dsn)
	require.NoError(t, err)
	t.Cleanup(func() { _ = admin.Close() })
	require.NoError(t, admin.Ping(), "connect to %s", postgresDSNEnv)
	schema := "demo_cluster_" + randomHex(t, 6)
	_, err = admin.Exec(`CREATE SCHEMA "` + schema + `"`)
	require.NoError(t, err)
	t.Cleanup(func() { _, _ = admin.Exec(`DROP SCHEMA "` + schema + `" CASCADE`) })
	u, err := url.Parse(dsn)
	require.NoError(t, err)
	q := u.Query()
	q.Set("search_path", schema) // a run-time parameter of every pgx connection
	u.RawQuery = q.Encode()
	return u.String()
}

// redisPrefix returns a key prefix unique to this run; its keys are
// deleted at cleanup (they all expire anyway).
func redisPrefix(t *testing.T, redisURL string) string {
	t.Helper()
	prefix := "unloq2fa-test:" + t.Name() + ":" + randomHex(t, 6) + ":"
	opts, err := redis.ParseURL(redisURL)
	require.NoError(t, err)
	t.Cleanup(func() {
		c := redis.NewClient(opts)
		defer c.Close()
		ctx := context.Background()
		iter := c.Scan(ctx, 0, prefix+"*", 500).Iterator()
		for iter.Next(ctx) {
			c.Del(ctx, iter.Val())
		}
	})
	return prefix
}

func newCluster(t *testing.T) *cluster {
	t.Helper()
	redisURL := testenv.RedisURL(t)
	dsn := postgresSchema(t)
	if redisURL == "" || dsn == "" {
		return nil // skipped (testenv.Require)
	}
	prefix := redisPrefix(t, redisURL)

	// Redis through a TCP proxy that can be cut.
	ru, err := url.Parse(redisURL)
	require.NoError(t, err)
	cut := newCutProxy(t, ru.Host)
	ru.Host = cut.addr()
	appRedisURL := ru.String()

	// The load balancer's address is needed by the simulator (webhook).
	front := httptest.NewUnstartedServer(nil)
	proxyURL := "http://" + front.Listener.Addr().String()
	sim := unloqtest.NewServer(t,
		unloqtest.WithLoginURL(proxyURL+loginCallbackPath),
		unloqtest.WithWebhook(unloqtest.EventLogout, proxyURL+"/uauth/logout", "", 0, 0),
		unloqtest.WithApprovalTimeout(20*time.Second),
	)

	c := &cluster{t: t, sim: sim, apps: map[string]*App{}, direct: map[string]string{}, proxyURL: proxyURL, redis: cut}
	hashKey, blockKey := []byte(randomHex(t, 32)), []byte(randomHex(t, 16))
	var backends []*url.URL
	var names []string
	for _, name := range []string{"A", "B"} {
		srv := httptest.NewUnstartedServer(nil)
		cfg := Config{
			DBPath:          dsn,
			RedisURL:        appRedisURL,
			RedisPrefix:     prefix,
			Instance:        name,
			UnloqAPIKey:     sim.Sim.APIKey(),
			UnloqWidgetKey:  sim.Sim.WidgetKey(),
			UnloqAPIURL:     sim.URL + "/v1",
			SessionHashKey:  hashKey,
			SessionBlockKey: blockKey,
			DevCookies:      true,
			BcryptCost:      bcrypt.MinCost,
		}
		app, err := New(context.Background(), cfg)
		require.NoError(t, err, "instance %s", name)
		srv.Config.Handler = app.Handler()
		srv.Start()
		t.Cleanup(func() {
			srv.Close()
			assert.NoError(t, app.Close())
		})
		c.apps[name] = app
		c.direct[name] = srv.URL
		u, err := url.Parse(srv.URL)
		require.NoError(t, err)
		backends = append(backends, u)
		names = append(names, name)
	}
	c.lb = newRoundRobin(backends, names)
	front.Config.Handler = c.lb
	front.Start()
	t.Cleanup(front.Close)
	return c
}

// roundRobin is the load balancer: request n goes to backend n mod 2. It
// logs which instance (by its X-Instance header) answered each request.
type roundRobin struct {
	*httputil.ReverseProxy
	names []string
	n     atomic.Uint64

	mu     sync.Mutex
	served []served
}

type served struct {
	method, path, want, instance string
	status                       int
}

type pickKey struct{}

func newRoundRobin(backends []*url.URL, names []string) *roundRobin {
	rr := &roundRobin{names: names}
	rr.ReverseProxy = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			i := int(rr.n.Add(1)-1) % len(backends)
			pr.SetURL(backends[i])
			pr.Out.Host = pr.In.Host // the browser's origin stays the proxy's
			pr.SetXForwarded()
			*pr.Out = *pr.Out.WithContext(context.WithValue(pr.Out.Context(), pickKey{}, names[i]))
		},
		ModifyResponse: func(resp *http.Response) error {
			want, _ := resp.Request.Context().Value(pickKey{}).(string)
			rr.mu.Lock()
			rr.served = append(rr.served, served{resp.Request.Method, resp.Request.URL.Path, want, resp.Header.Get(InstanceHeader), resp.StatusCode})
			rr.mu.Unlock()
			return nil
		},
	}
	return rr
}

// next names the instance the next request will reach.
func (rr *roundRobin) next() string { return rr.names[int(rr.n.Load())%len(rr.names)] }

func (rr *roundRobin) log() []served {
	rr.mu.Lock()
	defer rr.mu.Unlock()
	return append([]served(nil), rr.served...)
}

// cutProxy forwards TCP connections to a Redis server until cut: then it
// closes every open connection and refuses new ones, as if Redis were
// down, without touching the server other tests share.
type cutProxy struct {
	t      *testing.T
	ln     net.Listener
	target string

	mu    sync.Mutex
	down  bool
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
}

func newCutProxy(t *testing.T, target string) *cutProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &cutProxy{t: t, ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.serve()
	t.Cleanup(func() {
		_ = ln.Close()
		p.cut()
		p.wg.Wait()
	})
	return p
}

func (p *cutProxy) addr() string { return p.ln.Addr().String() }

func (p *cutProxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		down := p.down
		p.mu.Unlock()
		if down {
			_ = c.Close()
			continue
		}
		up, err := net.DialTimeout("tcp", p.target, 2*time.Second)
		if err != nil {
			_ = c.Close()
			continue
		}
		p.mu.Lock()
		if p.down {
			p.mu.Unlock()
			_ = c.Close()
			_ = up.Close()
			continue
		}
		p.conns[c], p.conns[up] = struct{}{}, struct{}{}
		p.mu.Unlock()
		pipe := func(dst, src net.Conn) {
			defer p.wg.Done()
			_, _ = io.Copy(dst, src)
			_ = dst.Close()
			_ = src.Close()
			p.mu.Lock()
			delete(p.conns, dst)
			delete(p.conns, src)
			p.mu.Unlock()
		}
		p.wg.Add(2)
		go pipe(c, up)
		go pipe(up, c)
	}
}

// cut closes every connection and refuses new ones until restore.
func (p *cutProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = true
	for c := range p.conns {
		_ = c.Close()
	}
}

func (p *cutProxy) restore() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = false
}

// browser returns a cookie-keeping client of the load balancer.
func (c *cluster) browser() *browser {
	jar, err := cookiejar.New(nil)
	require.NoError(c.t, err)
	return &browser{t: c.t, base: c.proxyURL, c: &http.Client{
		Jar:           jar,
		Timeout:       30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// with returns c for the (sub)test t.
func (c *cluster) with(t *testing.T) *cluster {
	cc := *c
	cc.t = t
	return &cc
}

// lineUp makes the load balancer's next request reach instance name: while
// it would go to the other instance, a request without cookies is spent on
// the public start page.
func (c *cluster) lineUp(name string) {
	c.t.Helper()
	for c.lb.next() != name {
		resp, err := http.Get(c.proxyURL + "/")
		require.NoError(c.t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		require.Equal(c.t, http.StatusOK, resp.StatusCode)
	}
}

// on makes the request of f (one request) reach instance name, and checks
// that it did.
func (c *cluster) on(name string, b *browser, f func() page) page {
	c.t.Helper()
	c.lineUp(name)
	p := f()
	require.Equal(c.t, name, p.Header.Get(InstanceHeader), "the load balancer sent the request to the wrong instance")
	return p
}

// twoStepUser creates an account with two-step verification on, paired
// with the simulator, whose phone approves every push at once.
func (c *cluster) twoStepUser(email, password string) {
	c.t.Helper()
	ctx := context.Background()
	app := c.apps["A"]
	u, err := app.Users().Create(ctx, email, password)
	require.NoError(c.t, err)
	_, err = c.sim.Client(c.t).Enroll(ctx, unloq.EnrollRequest{Email: email})
	require.NoError(c.t, err)
	require.NoError(c.t, c.sim.Sim.Scan(email))
	require.NoError(c.t, app.Store().SetSecondFactor(ctx, u.ID, store.SecondFactorUNLOQ))
	require.NoError(c.t, c.sim.Sim.SetBehavior(email, unloqtest.BehaviorApprove))
}

// passwordStep posts the password; the login is then pending.
func passwordStep(t *testing.T, b *browser, email, password string) page {
	t.Helper()
	p := b.post("/login", url.Values{"email": {email}, "password": {password}, "next": {"/dashboard"}})
	require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
	require.Equal(t, "/login/two-step", p.Location)
	return p
}

// cookieHeader is the browser's cookie for the load balancer, to send
// elsewhere (a copy, as an attacker would hold it).
func (c *cluster) cookieHeader(b *browser) string {
	c.t.Helper()
	u, err := url.Parse(c.proxyURL)
	require.NoError(c.t, err)
	var parts []string
	for _, ck := range b.c.Jar.Cookies(u) {
		parts = append(parts, ck.Name+"="+ck.Value)
	}
	require.NotEmpty(c.t, parts, "the browser holds a session cookie")
	return strings.Join(parts, "; ")
}

// getWith sends GET path with a copied Cookie header straight to
// instance name, bypassing the load balancer.
func (c *cluster) getWith(name, path, cookie string) (int, string) {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodGet, c.direct[name]+path, nil)
	require.NoError(c.t, err)
	req.Header.Set("Cookie", cookie)
	req.Header.Set("Accept", "text/html")
	resp, err := (&http.Client{
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}).Do(req)
	require.NoError(c.t, err)
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	require.Equal(c.t, name, resp.Header.Get(InstanceHeader))
	return resp.StatusCode, resp.Header.Get("Location")
}

// tokenCalls counts the simulator's POST /v1/token calls.
func (c *cluster) tokenCalls() int {
	n := 0
	for _, r := range c.sim.Sim.Requests() {
		if r.Method == http.MethodPost && strings.HasPrefix(r.Path, "/v1/token") {
			n++
		}
	}
	return n
}

// TestTwoInstancesBehaveAsOne runs the demo as two instances behind a
// round-robin load balancer, sharing one Redis (-redis), one PostgreSQL
// database (-db postgres://…), the session keys and one external UNLOQ
// simulator, and checks that the security guarantees hold across them.
func TestTwoInstancesBehaveAsOne(t *testing.T) {
	c := newCluster(t)
	if c == nil {
		return
	}
	const password = "cluster-password"

	t.Run("the load balancer alternates", func(t *testing.T) {
		c := c.with(t)
		b := c.browser()
		var got []string
		for range 6 {
			p := b.get("/")
			require.Equal(t, http.StatusOK, p.Status)
			got = append(got, p.Header.Get(InstanceHeader))
		}
		for i := 1; i < len(got); i++ {
			assert.NotEqual(t, got[i-1], got[i], "round robin: %v", got)
		}
		assert.ElementsMatch(t, []string{"A", "A", "A", "B", "B", "B"}, got)
	})

	t.Run("an account created on one instance logs in on the other", func(t *testing.T) {
		c := c.with(t)
		b := c.browser()
		const email = "signup@example.com"
		p := c.on("A", b, func() page { return b.post("/signup", url.Values{"email": {email}, "password": {password}}) })
		require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
		require.Equal(t, http.StatusSeeOther, c.on("B", b, func() page { return b.post("/logout", nil) }).Status)
		p = c.on("A", b, func() page {
			return b.post("/login", url.Values{"email": {email}, "password": {password}, "next": {"/dashboard"}})
		})
		require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
		assert.Equal(t, "/dashboard", p.Location)
		assert.Equal(t, http.StatusOK, c.on("B", b, func() page { return b.get("/dashboard") }).Status)
	})

	t.Run("the push budget is shared", func(t *testing.T) {
		c := c.with(t)
		const email = "budget@example.com"
		c.twoStepUser(email, password)
		// Each push from a new login, on A and B in turn: every one of
		// them reaches the phone until the user's budget (demoPushLimit a
		// minute) is spent, although each instance alone saw only half.
		instance := func(i int) string { return []string{"A", "B"}[i%2] }
		for i := range demoPushLimit {
			b := c.browser()
			passwordStep(t, b, email, password)
			p := c.on(instance(i), b, func() page { return b.post("/login/two-step", nil) })
			require.Equal(t, http.StatusSeeOther, p.Status, "push %d on %s: %s", i+1, instance(i), p.Body)
			require.Equal(t, "/dashboard", p.Location)
		}
		require.Len(t, c.sim.Sim.Approvals(email, ""), demoPushLimit)
		// One push more is refused, whichever instance gets it, and never
		// reaches the phone.
		for _, name := range []string{"A", "B"} {
			b := c.browser()
			passwordStep(t, b, email, password)
			p := c.on(name, b, func() page { return b.post("/login/two-step", nil) })
			assert.Equal(t, http.StatusTooManyRequests, p.Status, "push %d on %s", demoPushLimit+1, name)
			assert.Contains(t, p.Body, "Too many requests")
		}
		assert.Len(t, c.sim.Sim.Approvals(email, ""), demoPushLimit, "no refused push reached the phone")
	})

	t.Run("a token redeemed on A is refused on B", func(t *testing.T) {
		c := c.with(t)
		const email = "token@example.com"
		c.twoStepUser(email, password)
		b := c.browser()
		passwordStep(t, b, email, password)
		pending := c.cookieHeader(b) // a copy of the pending login's cookie

		// The widget asks the simulator for an approval; the phone
		// approves and the browser is sent to /uauth/login?token=….
		form := url.Values{"key": {c.sim.Sim.WidgetKey()}, "email": {email}}
		resp, err := http.PostForm(c.sim.URL+"/widget/authenticate", form)
		require.NoError(t, err)
		var env struct {
			Result struct {
				Token    string `json:"token"`
				LoginURL string `json:"login_url"`
			} `json:"result"`
		}
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&env))
		resp.Body.Close()
		require.NotEmpty(t, env.Result.Token)
		assert.Equal(t, c.proxyURL+loginCallbackPath, env.Result.LoginURL)
		callback := loginCallbackPath + "?token=" + url.QueryEscape(env.Result.Token)

		p := c.on("A", b, func() page { return b.get(callback) })
		require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
		require.Equal(t, "/dashboard", p.Location)
		calls := c.tokenCalls()

		// The same token with the copied pending cookie, on B: refused by
		// B itself, from the record A left in Redis (UNLOQ is not even
		// asked), and the copy stays locked out.
		status, _ := c.getWith("B", callback, pending)
		assert.GreaterOrEqual(t, status, 400, "the replayed token is refused")
		assert.Equal(t, calls, c.tokenCalls(), "B refused the login without asking UNLOQ")
		status, loc := c.getWith("B", "/dashboard", pending)
		assert.NotEqual(t, http.StatusOK, status)
		assert.Equal(t, "/login/two-step", loc, "the copy is still only a pending login")

		// The same token on a new pending login, on B: refused too.
		b2 := c.browser()
		passwordStep(t, b2, email, password)
		p = c.on("B", b2, func() page { return b2.get(callback) })
		assert.GreaterOrEqual(t, p.Status, 400, p.Body)
		assertRedirect(t, c.on("A", b2, func() page { return b2.get("/dashboard") }), "/login/two-step")
		// The login that redeemed it works on both instances.
		assert.Equal(t, http.StatusOK, c.on("B", b, func() page { return b.get("/dashboard") }).Status)
		assert.Equal(t, http.StatusOK, c.on("A", b, func() page { return b.get("/dashboard") }).Status)
	})

	t.Run("logout on A kills the same cookie on B", func(t *testing.T) {
		c := c.with(t)
		const email = "logout@example.com"
		c.twoStepUser(email, password)
		b := c.browser()
		passwordStep(t, b, email, password)
		p := b.post("/login/two-step", nil)
		require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
		copied := c.cookieHeader(b)
		for _, name := range []string{"A", "B"} {
			status, _ := c.getWith(name, "/dashboard", copied)
			require.Equal(t, http.StatusOK, status, "the verified cookie opens %s", name)
		}
		p = c.on("A", b, func() page { return b.post("/logout", nil) })
		require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
		for _, name := range []string{"B", "A"} {
			status, loc := c.getWith(name, "/dashboard", copied)
			assertRedirect(t, page{Status: status, Location: loc}, "/login?next=%2Fdashboard", "the copied cookie is dead on %s", name)
		}
	})

	t.Run("UNLOQ's remote logout delivered to A ends the session on B", func(t *testing.T) {
		c := c.with(t)
		const email = "remote@example.com"
		c.twoStepUser(email, password)
		b := c.browser()
		passwordStep(t, b, email, password)
		p := b.post("/login/two-step", nil)
		require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
		cookie := c.cookieHeader(b)
		status, _ := c.getWith("B", "/dashboard", cookie)
		require.Equal(t, http.StatusOK, status)

		// Poll B, bypassing the load balancer, while the simulator
		// delivers the signed webhook to the load balancer, lined up so
		// that A receives it.
		c.lineUp("A")
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		ended := make(chan time.Time, 1)
		start := time.Now()
		go func() {
			client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			for ctx.Err() == nil {
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, c.direct["B"]+"/dashboard", nil)
				req.Header.Set("Cookie", cookie)
				resp, err := client.Do(req)
				if err != nil {
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					ended <- time.Now()
					return
				}
				time.Sleep(time.Millisecond)
			}
		}()
		require.NoError(t, c.sim.Sim.RemoteLogout(ctx, email, ""))
		delivered := time.Since(start)
		var propagation time.Duration
		select {
		case at := <-ended:
			propagation = at.Sub(start)
		case <-time.After(time.Second):
			t.Fatal("B still lets the session in a second after the remote logout")
		}
		t.Logf("remote logout: webhook answered by A after %v; session refused on B %v after the delivery began", delivered, propagation)
		assert.Less(t, propagation, time.Second)

		var hook []served
		for _, s := range c.lb.log() {
			if s.path == "/uauth/logout" {
				hook = append(hook, s)
			}
		}
		require.Len(t, hook, 1)
		assert.Equal(t, served{http.MethodPost, "/uauth/logout", "A", "A", http.StatusOK}, hook[0])
		status, loc := c.getWith("A", "/dashboard", cookie)
		assertRedirect(t, page{Status: status, Location: loc}, "/login?next=%2Fdashboard", "ended on A too")
	})

	t.Run("without Redis every protected request fails closed", func(t *testing.T) {
		c := c.with(t)
		const email = "outage@example.com"
		c.twoStepUser(email, password)
		b := c.browser()
		passwordStep(t, b, email, password)
		require.Equal(t, http.StatusSeeOther, b.post("/login/two-step", nil).Status)
		verified := c.cookieHeader(b)
		bp := c.browser()
		passwordStep(t, bp, email, password)
		approvals := len(c.sim.Sim.Approvals(email, ""))

		c.redis.cut()
		cutAt := time.Now()
		require.Eventually(t, func() bool {
			s1, _ := c.getWith("A", "/dashboard", verified)
			s2, _ := c.getWith("B", "/dashboard", verified)
			return s1 == http.StatusServiceUnavailable && s2 == http.StatusServiceUnavailable
		}, 3*time.Second, 5*time.Millisecond)
		t.Logf("Redis cut: both instances refuse with 503 after %v", time.Since(cutAt))

		for range 3 {
			for _, name := range []string{"A", "B"} {
				for _, path := range []string{"/dashboard", "/settings", "/notes"} {
					status, _ := c.getWith(name, path, verified)
					assert.Equal(t, http.StatusServiceUnavailable, status, "%s %s without Redis", name, path)
				}
				// A pending login cannot push: the two-step route (open to
				// pending logins, so not behind the middleware's check)
				// cannot vouch for the session either, answers 503 with a
				// page that says so, and sends nothing to the phone.
				p := c.on(name, bp, func() page { return bp.post("/login/two-step", nil) })
				assert.Equal(t, http.StatusServiceUnavailable, p.Status, "push on %s without Redis", name)
				assert.Contains(t, p.Body, "temporarily unavailable", "push on %s without Redis", name)
				assert.Empty(t, p.Header.Values("Set-Cookie"), "no state change on %s", name)
			}
		}
		assert.Len(t, c.sim.Sim.Approvals(email, ""), approvals, "no push reached the phone")

		c.redis.restore()
		require.Eventually(t, func() bool {
			s1, _ := c.getWith("A", "/dashboard", verified)
			s2, _ := c.getWith("B", "/dashboard", verified)
			return s1 == http.StatusOK && s2 == http.StatusOK
		}, 10*time.Second, 20*time.Millisecond, "both instances recover when Redis is back")
		p := c.on("A", bp, func() page { return bp.post("/login/two-step", nil) })
		assert.Equal(t, http.StatusSeeOther, p.Status, p.Body)
	})

	// Every request through the load balancer reached the instance it
	// was sent to, and no response lacked the instance header.
	for _, s := range c.lb.log() {
		assert.Equal(t, s.want, s.instance, "%s %s", s.method, s.path)
	}
}

// TestRedisUnreachableAtStart: with -redis pointing at nothing, the app
// does not start, and says why.
func TestRedisUnreachableAtStart(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close()) // nothing listens there now
	start := time.Now()
	_, err = New(context.Background(), Config{
		DBPath: ":memory:", SelfURL: "http://127.0.0.1:1",
		RedisURL: "redis://" + addr + "/0", RedisTimeout: time.Second,
	})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "demo: redis redis://"+addr+"/0 is unreachable")
	assert.Less(t, time.Since(start), 5*time.Second)
}

// TestNotesOnPostgres: the notes SQL runs on PostgreSQL, and the per-user
// cap holds under concurrent adds (from any number of instances: the
// user's row is locked).
func TestNotesOnPostgres(t *testing.T) {
	dsn := postgresSchema(t)
	if dsn == "" {
		return
	}
	ctx := context.Background()
	db, err := openDB(ctx, dsn)
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	require.True(t, db.postgres())
	users, err := newUsers(db, bcrypt.MinCost)
	require.NoError(t, err)
	u, err := users.Create(ctx, "notes@example.com", "notes-password")
	require.NoError(t, err)
	_, err = users.Create(ctx, "NOTES@example.com", "notes-password")
	assert.ErrorIs(t, err, ErrEmailTaken)
	got, err := users.Authenticate(ctx, "notes@example.com", "notes-password")
	require.NoError(t, err)
	assert.Equal(t, u, got)

	notes, err := newNotes(ctx, db)
	require.NoError(t, err)
	_, err = newNotes(ctx, db) // idempotent
	require.NoError(t, err)

	var wg sync.WaitGroup
	var added, refused atomic.Int32
	var idsMu sync.Mutex
	ids := map[int64]bool{} // the ids Add returned
	for i := range maxNotesPerUser + 10 {
		wg.Go(func() {
			id, err := notes.Add(ctx, u.ID, []byte{byte(i), 1}, []byte{0, byte(i), 2})
			switch {
			case err == nil:
				added.Add(1)
				idsMu.Lock()
				ids[id] = true
				idsMu.Unlock()
			case errors.Is(err, ErrTooManyNotes):
				refused.Add(1)
			default:
				t.Errorf("add: %v", err)
			}
		})
	}
	wg.Wait()
	assert.Equal(t, int32(maxNotesPerUser), added.Load())
	assert.Equal(t, int32(10), refused.Load())
	n, err := notes.Count(ctx, u.ID)
	require.NoError(t, err)
	assert.Equal(t, maxNotesPerUser, n)
	list, err := notes.List(ctx, u.ID)
	require.NoError(t, err)
	require.Len(t, list, maxNotesPerUser)
	for _, s := range list {
		assert.True(t, ids[s.ID], "Add returned the id of row %d", s.ID)
	}
	assert.Len(t, list[0].Nonce, 2)
	assert.Len(t, list[0].Ciphertext, 3)
	deleted, err := notes.DeleteAll(ctx, u.ID)
	require.NoError(t, err)
	assert.Equal(t, int64(maxNotesPerUser), deleted)
}
