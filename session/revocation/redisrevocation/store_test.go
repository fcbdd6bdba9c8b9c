package redisrevocation_test

import (
	"context"
	"crypto/rand"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/unloq2fa/unloq2fa/internal/testenv"
	"github.com/unloq2fa/unloq2fa/session/revocation"
	"github.com/unloq2fa/unloq2fa/session/revocation/redisrevocation"
	"github.com/unloq2fa/unloq2fa/session/revocation/revocationtest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// client returns a Redis client for the test server (closed at cleanup).
func client(t *testing.T, addr string) *redis.Client {
	t.Helper()
	opts := &redis.Options{Addr: addr, DialTimeout: 500 * time.Millisecond, MaxRetries: -1}
	if addr == "" {
		u := testenv.RedisURL(t)
		var err error
		opts, err = redis.ParseURL(u)
		require.NoError(t, err)
	}
	c := redis.NewClient(opts)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// prefix is unique per test, so that tests and parallel runs never share
// keys.
func prefix(t *testing.T) string {
	return "unloq2fa-test:" + t.Name() + ":" + rand.Text() + ":"
}

// cleanup deletes the test's keys (never FLUSHDB: the server is shared).
func cleanup(t *testing.T, c *redis.Client, p string) {
	t.Cleanup(func() {
		ctx := context.Background()
		iter := c.Scan(ctx, 0, p+"*", 500).Iterator()
		for iter.Next(ctx) {
			_ = c.Del(ctx, iter.Val()).Err()
		}
	})
}

func newStore(t *testing.T, c *redis.Client, p string, opts ...redisrevocation.Option) *redisrevocation.Store {
	t.Helper()
	s, err := redisrevocation.New(c, append([]redisrevocation.Option{redisrevocation.WithPrefix(p)}, opts...)...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func ready(t *testing.T, s *redisrevocation.Store) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	require.NoError(t, s.WaitReady(ctx))
}

func TestConformance(t *testing.T) {
	c := client(t, "")
	revocationtest.Run(t, func(t *testing.T) revocation.Store {
		p := prefix(t)
		cleanup(t, c, p)
		s := newStore(t, c, p)
		ready(t, s)
		return s
	})
}

func TestConformanceTinyCap(t *testing.T) {
	c := client(t, "")
	revocationtest.Run(t, func(t *testing.T) revocation.Store {
		p := prefix(t)
		cleanup(t, c, p)
		s := newStore(t, c, p, redisrevocation.WithMaxLoginsPerUser(2))
		ready(t, s)
		return s
	})
}

// waitRevoked polls s until the login is reported revoked and returns how
// long that took.
func waitRevoked(t *testing.T, s revocation.Store, u, l string, issued time.Time, start time.Time) time.Duration {
	t.Helper()
	for {
		ok, err := s.Revoked(t.Context(), u, l, issued)
		require.NoError(t, err)
		if ok {
			return time.Since(start)
		}
		if time.Since(start) > 5*time.Second {
			t.Fatal("the revocation did not reach the other instance within 5 s")
		}
		time.Sleep(100 * time.Microsecond)
	}
}

// TestPropagation: two instances on one Redis; a revocation written on A
// reaches B within one second (the figure is logged).
func TestPropagation(t *testing.T) {
	c1, c2 := client(t, ""), client(t, "")
	p := prefix(t)
	cleanup(t, c1, p)
	a, b := newStore(t, c1, p), newStore(t, c2, p)
	ready(t, a)
	ready(t, b)
	issued := time.Now()
	var worst time.Duration
	var total time.Duration
	const rounds = 20
	for i := range rounds {
		u := "user-" + rand.Text()
		start := time.Now()
		if i%2 == 0 {
			require.NoError(t, a.RevokeUser(t.Context(), u, time.Now(), time.Now().Add(time.Hour)))
		} else {
			require.NoError(t, a.RevokeLogin(t.Context(), u, "login", time.Now().Add(time.Hour)))
		}
		d := waitRevoked(t, b, u, "login", issued, start)
		total += d
		worst = max(worst, d)
	}
	t.Logf("propagation A→B over %d revocations: mean %v, worst %v (target < 1s)", rounds, total/rounds, worst)
	assert.Less(t, worst, time.Second)
}

// TestStartupSync: a store started after the revocations finds them.
func TestStartupSync(t *testing.T) {
	c := client(t, "")
	p := prefix(t)
	cleanup(t, c, p)
	a := newStore(t, c, p)
	ready(t, a)
	issued := time.Now()
	require.NoError(t, a.RevokeUser(t.Context(), "u1", time.Now(), time.Now().Add(time.Hour)))
	require.NoError(t, a.RevokeLogin(t.Context(), "u2", "l2", time.Now().Add(time.Hour)))

	b := newStore(t, c, p)
	ready(t, b)
	for u, l := range map[string]string{"u1": "any", "u2": "l2"} {
		ok, err := b.Revoked(t.Context(), u, l, issued)
		require.NoError(t, err)
		assert.True(t, ok, u)
	}
	ok, err := b.Revoked(t.Context(), "u2", "other", issued)
	require.NoError(t, err)
	assert.False(t, ok)
}

// TestKeysHaveTTL: every key the store writes expires.
func TestKeysHaveTTL(t *testing.T) {
	c := client(t, "")
	p := prefix(t)
	cleanup(t, c, p)
	s := newStore(t, c, p, redisrevocation.WithMaxLoginsPerUser(3))
	ready(t, s)
	ctx := t.Context()
	require.NoError(t, s.RevokeUser(ctx, "u1", time.Now(), time.Now().Add(time.Hour)))
	for i := range 5 { // the 4th is over the cap: an epoch; the 5th a new record
		require.NoError(t, s.RevokeLogin(ctx, "u2", "l"+rand.Text(), time.Now().Add(time.Duration(i+1)*time.Minute)))
	}
	require.NoError(t, s.RevokeLogin(ctx, "u3", "l", time.Now().Add(time.Minute)))
	keys, err := c.Keys(ctx, p+"*").Result()
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{p + "u:u1", p + "u:u2", p + "l:u2", p + "l:u3"}, keys)
	for _, k := range keys {
		ttl, err := c.PTTL(ctx, k).Result()
		require.NoError(t, err)
		assert.Positive(t, ttl, k)
		assert.LessOrEqual(t, ttl, time.Hour+time.Second, k)
	}
	ttl, err := c.PTTL(ctx, p+"u:u2").Result()
	require.NoError(t, err)
	assert.Greater(t, ttl, 3*time.Minute+50*time.Second, "the epoch lives as long as the longest record it replaced (4 min)")
}

// TestUnreachableFailsClosed: with nothing listening, the store never
// becomes ready; Revoked and writes fail with ErrUnavailable.
func TestUnreachableFailsClosed(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close()) // a closed port
	c := client(t, addr)
	s := newStore(t, c, "unloq2fa-test:unreachable:")
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	assert.ErrorIs(t, s.WaitReady(ctx), revocation.ErrUnavailable)
	_, err = s.Revoked(t.Context(), "u", "l", time.Now())
	assert.ErrorIs(t, err, revocation.ErrUnavailable)
	assert.ErrorIs(t, s.RevokeLogin(t.Context(), "u", "l", time.Now().Add(time.Hour)), revocation.ErrUnavailable)
	assert.ErrorIs(t, s.RevokeUser(t.Context(), "u", time.Now(), time.Now().Add(time.Hour)), revocation.ErrUnavailable)
}

// proxy is a TCP proxy to Redis that the test can cut and restore.
type proxy struct {
	l      net.Listener
	target string
	mu     sync.Mutex
	conns  []net.Conn
	down   bool
	wg     sync.WaitGroup
}

func newProxy(t *testing.T, target string) *proxy {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &proxy{l: l, target: target}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(func() {
		_ = l.Close()
		p.cut(true)
		p.wg.Wait()
	})
	return p
}

func (p *proxy) accept() {
	defer p.wg.Done()
	for {
		in, err := p.l.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if p.down {
			p.mu.Unlock()
			_ = in.Close()
			continue
		}
		out, err := net.Dial("tcp", p.target)
		if err != nil {
			p.mu.Unlock()
			_ = in.Close()
			continue
		}
		p.conns = append(p.conns, in, out)
		p.wg.Add(2)
		p.mu.Unlock()
		go func() { defer p.wg.Done(); _, _ = io.Copy(out, in); _ = out.Close() }()
		go func() { defer p.wg.Done(); _, _ = io.Copy(in, out); _ = in.Close() }()
	}
}

// cut closes every connection; with down set, new ones are refused.
func (p *proxy) cut(down bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = down
	for _, c := range p.conns {
		_ = c.Close()
	}
	p.conns = nil
}

// TestConnectionLossFailsClosed: when the connection to Redis is lost,
// Revoked fails within two ping intervals; after reconnection the store
// resynchronises, including revocations written while it was cut off.
func TestConnectionLossFailsClosed(t *testing.T) {
	direct := client(t, "")
	px := newProxy(t, direct.Options().Addr)
	viaProxy := client(t, px.l.Addr().String())
	p := prefix(t)
	cleanup(t, direct, p)
	writer := newStore(t, direct, p)
	s := newStore(t, viaProxy, p, redisrevocation.WithPingInterval(50*time.Millisecond))
	ready(t, writer)
	ready(t, s)
	issued := time.Now()

	px.cut(true)
	start := time.Now()
	var err error
	for time.Since(start) < 2*time.Second {
		if _, err = s.Revoked(t.Context(), "u", "l", issued); err != nil {
			break
		}
		time.Sleep(time.Millisecond)
	}
	require.ErrorIs(t, err, revocation.ErrUnavailable, "Revoked must fail once the connection is lost")
	t.Logf("unavailable %v after the connection was cut", time.Since(start))

	// Written while s is cut off: s must see it once back.
	require.NoError(t, writer.RevokeUser(t.Context(), "u", time.Now(), time.Now().Add(time.Hour)))
	_, err = s.Revoked(t.Context(), "u", "l", issued)
	assert.ErrorIs(t, err, revocation.ErrUnavailable)

	px.mu.Lock()
	px.down = false
	px.mu.Unlock()
	deadline := time.Now().Add(5 * time.Second)
	for {
		ok, err := s.Revoked(t.Context(), "u", "l", issued)
		if err == nil {
			assert.True(t, ok, "a revocation written during the outage is seen after the resync")
			break
		}
		require.True(t, time.Now().Before(deadline), "the store did not come back: %v", err)
		time.Sleep(10 * time.Millisecond)
	}
}

func TestOptions(t *testing.T) {
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer c.Close()
	for name, o := range map[string]redisrevocation.Option{
		"empty prefix": redisrevocation.WithPrefix(""),
		"glob prefix":  redisrevocation.WithPrefix("a*"),
		"cap 0":        redisrevocation.WithMaxLoginsPerUser(0),
		"ping":         redisrevocation.WithPingInterval(time.Millisecond),
		"nil logger":   redisrevocation.WithLogger(nil),
	} {
		_, err := redisrevocation.New(c, o)
		assert.Error(t, err, name)
	}
	_, err := redisrevocation.New(nil)
	assert.Error(t, err)
}
