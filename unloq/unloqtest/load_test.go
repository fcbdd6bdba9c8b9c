package unloqtest_test

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/unloq"
	"github.com/unloq2fa/unloq2fa/unloq/unloqtest"
)

// loadClient returns a client whose connections close after each call, so
// that finished calls leave no idle connection goroutines behind.
func loadClient(t testing.TB, srv *unloqtest.Server) (*unloq.Client, *http.Transport) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DisableKeepAlives = true
	tr.MaxConnsPerHost = 0
	t.Cleanup(tr.CloseIdleConnections)
	return srv.Client(t, unloq.WithHTTPClient(&http.Client{Transport: tr}), unloq.WithApprovalTimeout(time.Minute)), tr
}

// waitGoroutines waits until the goroutine count is back to at most max.
func waitGoroutines(t *testing.T, max int) int {
	t.Helper()
	var n int
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		runtime.GC()
		if n = runtime.NumGoroutine(); n <= max {
			return n
		}
		time.Sleep(20 * time.Millisecond)
	}
	buf := make([]byte, 1<<20)
	t.Fatalf("goroutines did not return to baseline: %d > %d\n%s", n, max, buf[:runtime.Stack(buf, true)])
	return n
}

func heapAlloc() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc + m.StackInuse
}

// TestLoadThousandPendingApprovals holds 1,000 concurrent blocked
// /v1/authenticate calls, then answers them (half approve, half deny) and
// checks every caller gets the right answer and that no goroutine is left.
func TestLoadThousandPendingApprovals(t *testing.T) {
	const n = 1000
	start := time.Now()
	srv := unloqtest.NewServer(t, unloqtest.WithApprovalTimeout(time.Minute))
	c, _ := loadClient(t, srv)
	const email = "load@example.test"
	enrollScanned(t, srv, c, email)

	baseline := waitGoroutines(t, runtime.NumGoroutine())
	before := heapAlloc()

	type result struct {
		token string
		err   error
	}
	results := make(chan result, n)
	lctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for i := 0; i < n; i++ {
		go func() {
			res, err := c.Authenticate(lctx, unloq.AuthenticateRequest{Email: email, IP: "192.0.2.1"})
			r := result{err: err}
			if res != nil {
				r.token = res.Token
			}
			results <- r
		}()
	}
	var pending []unloqtest.Approval
	require.Eventually(t, func() bool {
		pending = srv.Sim.Approvals(email, unloqtest.StatusPending)
		return len(pending) == n
	}, 30*time.Second, 10*time.Millisecond, "all calls must be pending at once")
	held := time.Since(start)
	perApproval := float64(int64(heapAlloc())-int64(before)) / n
	t.Logf("%d approvals pending after %v; memory per pending call (heap+stacks, client and server in one process): %.1f KiB; goroutines %d (baseline %d)",
		n, held.Round(time.Millisecond), perApproval/1024, runtime.NumGoroutine(), baseline)

	var wg sync.WaitGroup
	for i, a := range pending {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i%2 == 0 {
				assert.NoError(t, srv.Sim.Approve(a.ID))
			} else {
				assert.NoError(t, srv.Sim.Deny(a.ID))
			}
		}()
	}
	wg.Wait()

	approved, denied := 0, 0
	tokens := map[string]bool{}
	for i := 0; i < n; i++ {
		r := <-results
		switch {
		case r.err == nil:
			approved++
			assert.False(t, tokens[r.token], "tokens are unique")
			tokens[r.token] = true
		case unloq.IsDenied(r.err):
			denied++
		default:
			t.Errorf("unexpected result: %v", r.err)
		}
	}
	assert.Equal(t, n/2, approved)
	assert.Equal(t, n/2, denied)
	assert.Empty(t, srv.Sim.Approvals(email, unloqtest.StatusPending))

	after := waitGoroutines(t, baseline+2)
	t.Logf("all %d answered; goroutines back to %d; total %v", n, after, time.Since(start).Round(time.Millisecond))
}

// TestDisconnectCancelsApprovals checks that callers giving up cancel
// their approvals and leave no goroutine behind, and that Close ends calls
// still blocked.
func TestDisconnectCancelsApprovals(t *testing.T) {
	const n = 50
	srv := unloqtest.NewServer(t, unloqtest.WithApprovalTimeout(time.Minute))
	c, _ := loadClient(t, srv)
	const email = "gone@example.test"
	enrollScanned(t, srv, c, email)
	baseline := waitGoroutines(t, runtime.NumGoroutine())

	cctx, cancel := context.WithCancel(context.Background())
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		go func() {
			_, err := c.Authenticate(cctx, unloq.AuthenticateRequest{Email: email})
			errs <- err
		}()
	}
	require.Eventually(t, func() bool { return len(srv.Sim.Approvals(email, unloqtest.StatusPending)) == n },
		10*time.Second, 5*time.Millisecond)
	cancel()
	for i := 0; i < n; i++ {
		require.Error(t, <-errs)
	}
	require.Eventually(t, func() bool { return len(srv.Sim.Approvals(email, unloqtest.StatusCancelled)) == n },
		10*time.Second, 5*time.Millisecond, "a disconnect cancels the approval")
	waitGoroutines(t, baseline+2)

	// Close ends blocked calls with SERVER.SHUTDOWN.
	done := make(chan error, 1)
	go func() {
		_, err := c.Authenticate(context.Background(), unloq.AuthenticateRequest{Email: email})
		done <- err
	}()
	_, err := srv.Sim.WaitForApproval(ctx(t), email)
	require.NoError(t, err)
	require.NoError(t, srv.Sim.Close())
	err = <-done
	assert.Equal(t, "SERVER.SHUTDOWN", apiErr(t, err).Code)
	assert.Equal(t, http.StatusServiceUnavailable, apiErr(t, err).HTTPStatus)
}

func BenchmarkAuthenticateAutoApprove(b *testing.B) {
	srv := unloqtest.NewServer(b)
	c := srv.Client(b)
	const email = "bench@example.test"
	enrollScanned(b, srv, c, email)
	require.NoError(b, srv.Sim.SetBehavior(email, unloqtest.BehaviorApprove))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := c.Authenticate(context.Background(), unloq.AuthenticateRequest{Email: email}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPendingApprovals measures holding b.N blocked calls at once and
// answering them.
func BenchmarkPendingApprovals(b *testing.B) {
	srv := unloqtest.NewServer(b, unloqtest.WithApprovalTimeout(time.Minute))
	c, _ := loadClient(b, srv)
	const email = "bench@example.test"
	enrollScanned(b, srv, c, email)
	b.ReportAllocs()
	b.ResetTimer()
	errs := make(chan error, b.N)
	for i := 0; i < b.N; i++ {
		go func() {
			_, err := c.Authenticate(context.Background(), unloq.AuthenticateRequest{Email: email})
			errs <- err
		}()
	}
	answered := 0
	for answered < b.N {
		for _, a := range srv.Sim.Approvals(email, unloqtest.StatusPending) {
			if srv.Sim.Approve(a.ID) == nil {
				answered++
			}
		}
		time.Sleep(time.Millisecond)
	}
	for i := 0; i < b.N; i++ {
		if err := <-errs; err != nil {
			b.Fatal(err)
		}
	}
}

// TestPendingApprovalServerMemory holds 1,000 blocked calls over raw TCP
// connections (no client goroutines, no client buffers), so the memory
// measured is the simulator's and net/http's server side per pending call.
func TestPendingApprovalServerMemory(t *testing.T) {
	const n = 1000
	srv := unloqtest.NewServer(t, unloqtest.WithApprovalTimeout(time.Minute))
	c, _ := loadClient(t, srv)
	const email = "raw@example.test"
	enrollScanned(t, srv, c, email)
	baseline := waitGoroutines(t, runtime.NumGoroutine())
	before := heapAlloc()

	addr := strings.TrimPrefix(srv.URL, "http://")
	body := `{"email":"` + email + `"}`
	req := "POST /v1/authenticate HTTP/1.1\r\nHost: " + addr + "\r\nAuthorization: Bearer " + srv.Sim.APIKey() +
		"\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body
	conns := make([]net.Conn, 0, n)
	defer func() {
		for _, cn := range conns {
			cn.Close()
		}
	}()
	for i := 0; i < n; i++ {
		cn, err := net.Dial("tcp", addr)
		require.NoError(t, err)
		conns = append(conns, cn)
		_, err = io.WriteString(cn, req)
		require.NoError(t, err)
	}
	require.Eventually(t, func() bool { return len(srv.Sim.Approvals(email, unloqtest.StatusPending)) == n },
		30*time.Second, 10*time.Millisecond)
	per := float64(int64(heapAlloc())-int64(before)) / n
	perG := float64(runtime.NumGoroutine()-baseline) / n
	t.Logf("server side per pending approval: %.1f KiB heap+stacks, %.1f goroutines (net/http's connection and background-read goroutines; the simulator adds none)", per/1024, perG)
	assert.LessOrEqual(t, perG, 2.01, "the simulator starts no goroutine per approval")

	for _, a := range srv.Sim.Approvals(email, unloqtest.StatusPending) {
		require.NoError(t, srv.Sim.Approve(a.ID))
	}
	for _, cn := range conns {
		require.NoError(t, cn.SetReadDeadline(time.Now().Add(10*time.Second)))
		resp, err := http.ReadResponse(bufio.NewReader(cn), nil)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode)
		cn.Close()
	}
	conns = nil
	waitGoroutines(t, baseline+2)
}
