package demo

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"
)

func TestNewServerSetsEveryTimeout(t *testing.T) {
	srv := NewServer(http.NotFoundHandler(), nil)
	assert.Positive(t, srv.ReadHeaderTimeout)
	assert.Positive(t, srv.ReadTimeout)
	assert.GreaterOrEqual(t, srv.WriteTimeout, DefaultSimApprovalTimeout+15*time.Second,
		"a blocking push must fit in the write timeout")
	assert.Positive(t, srv.IdleTimeout)
	assert.Positive(t, srv.MaxHeaderBytes)
}

func TestLoopbackAddr(t *testing.T) {
	tests := []struct {
		addr net.Addr
		want string
	}{
		{&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8080}, "127.0.0.1:8080"},
		{&net.TCPAddr{IP: net.IPv4zero, Port: 8080}, "127.0.0.1:8080"},
		{&net.TCPAddr{Port: 9000}, "127.0.0.1:9000"},
		{&net.TCPAddr{IP: net.IPv6unspecified, Port: 8080}, "[::1]:8080"},
		{&net.TCPAddr{IP: net.ParseIP("192.0.2.7"), Port: 1}, "192.0.2.7:1"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, loopbackAddr(tt.addr), tt.addr.String())
	}
}

// bannerWriter collects Run's output and signals once the banner is out.
type bannerWriter struct {
	mu    sync.Mutex
	buf   strings.Builder
	ready chan struct{}
	once  sync.Once
}

func (b *bannerWriter) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Write(p)
	if strings.Contains(b.buf.String(), "Ctrl+C") {
		b.once.Do(func() { close(b.ready) })
	}
	return len(p), nil
}

func (b *bannerWriter) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startRun runs Run(ctx, cfg) in the background and waits for its start
// banner. It returns the app's base URL, the banner, and the channel that
// receives Run's result.
func startRun(t *testing.T, ctx context.Context, cfg Config) (base, banner string, done <-chan error) {
	t.Helper()
	out := &bannerWriter{ready: make(chan struct{})}
	result := make(chan error, 1)
	go func() { result <- Run(ctx, cfg, out) }()
	select {
	case <-out.ready:
	case err := <-result:
		t.Fatalf("Run returned early: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("no start banner")
	}
	banner = out.String()
	m := regexp.MustCompile(`App:\s+(http://127\.0\.0\.1:\d+)/`).FindStringSubmatch(banner)
	require.NotNil(t, m, banner)
	return m[1], banner, result
}

func TestRunServesAndShutsDown(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	base, banner, done := startRun(t, ctx, Config{
		Addr: "127.0.0.1:0", DBPath: ":memory:", DevCookies: true,
		DemoEmail: DefaultDemoEmail, DemoPassword: DefaultDemoPassword, BcryptCost: bcrypt.MinCost,
	})
	for _, want := range []string{
		base + "/_unloq/device", DefaultDemoEmail, DefaultDemoPassword, "development", "sessions reset on restart",
	} {
		assert.Contains(t, banner, want)
	}

	for _, path := range []string{"/", "/login", "/signup", "/_unloq/device"} {
		resp, err := http.Get(base + path)
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode, path)
	}

	cancel()
	select {
	case err := <-done:
		assert.NoError(t, err)
	case <-time.After(shutdownTimeout + 5*time.Second):
		t.Fatal("Run did not shut down")
	}
	_, err := http.Get(base + "/")
	assert.Error(t, err, "the listener is closed after shutdown")
}

func TestRunRefusesApprovalTimeoutLongerThanWriteTimeout(t *testing.T) {
	cfg := Config{Addr: "127.0.0.1:0", DBPath: ":memory:", SimApprovalTimeout: writeTimeout}
	err := Run(context.Background(), cfg, io.Discard)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "approval timeout")
}

// TestRunShutdownEndsWaitingPush checks the graceful shutdown while a push
// waits on the simulated phone: the simulator answers it at once, the
// browser gets a page, and Run returns well within the shutdown deadline.
func TestRunShutdownEndsWaitingPush(t *testing.T) {
	const email, password = "bob@example.com", "bob-password"
	dbPath := filepath.Join(t.TempDir(), "demo.db")
	// An account with two-step on, prepared before the app starts.
	db, err := openDB(context.Background(), dbPath)
	require.NoError(t, err)
	users, err := newUsers(db, bcrypt.MinCost)
	require.NoError(t, err)
	_, err = users.Create(context.Background(), email, password)
	require.NoError(t, err)
	_, err = db.Exec(`UPDATE users SET second_factor = 'UNLOQ' WHERE email = ?`, email)
	require.NoError(t, err)
	require.NoError(t, db.Close())

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	base, _, done := startRun(t, ctx, Config{Addr: "127.0.0.1:0", DBPath: dbPath, DevCookies: true, BcryptCost: bcrypt.MinCost})

	// Pair bob's simulated phone through the simulator's API and control API.
	req, err := http.NewRequest(http.MethodPost, base+"/_unloq/v1/enroll", strings.NewReader(`{"email":"`+email+`"}`))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+DefaultSimAPIKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	resp, err = http.Post(base+"/_unloq/_control/profiles/"+email+"/scan", "application/json", nil)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)

	b := &browser{t: t, base: base, c: &http.Client{Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	b.c.Jar = jar
	p := b.post("/login", url.Values{"email": {email}, "password": {password}})
	require.Equal(t, http.StatusSeeOther, p.Status)
	require.Equal(t, "/login/two-step", p.Location)

	push := b.postAsync("/login/two-step", nil)
	// Wait until the push is on the phone, then stop the server.
	require.Eventually(t, func() bool {
		resp, err := http.Get(base + "/_unloq/_control/approvals?status=pending&email=" + email)
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return strings.Contains(string(body), `"id"`)
	}, 10*time.Second, 50*time.Millisecond)
	start := time.Now()
	cancel()

	p = b.wait(push)
	assert.GreaterOrEqual(t, p.Status, 500, "the waiting push ends with an error page")
	select {
	case err := <-done:
		assert.NoError(t, err)
	case <-time.After(shutdownTimeout + 5*time.Second):
		t.Fatal("Run did not shut down")
	}
	assert.Less(t, time.Since(start), shutdownTimeout, "no need to wait for the deadline")
}
