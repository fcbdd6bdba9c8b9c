package redisguard_test

import (
	"context"
	"crypto/rand"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/handlers/guard"
	"github.com/unloq2fa/unloq2fa/handlers/guard/guardtest"
	"github.com/unloq2fa/unloq2fa/handlers/guard/redisguard"
	"github.com/unloq2fa/unloq2fa/internal/testenv"
)

// newClient connects to the test Redis, or skips (fails under CI).
func newClient(t *testing.T) *redis.Client {
	t.Helper()
	opts, err := redis.ParseURL(testenv.RedisURL(t))
	require.NoError(t, err)
	c := redis.NewClient(opts)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// testPrefix is a prefix no other test or run shares.
func testPrefix(t *testing.T) string {
	return "unloq2fa-test:" + strings.ReplaceAll(t.Name(), "/", ".") + ":" + rand.Text()[:8] + ":"
}

// cleanup deletes the keys under prefix when the test ends (they expire
// anyway).
func cleanup(t *testing.T, c *redis.Client, prefix string) {
	t.Cleanup(func() {
		ctx := context.Background()
		iter := c.Scan(ctx, 0, prefix+"*", 100).Iterator()
		for iter.Next(ctx) {
			_ = c.Del(ctx, iter.Val()).Err()
		}
	})
}

func newGuard(t *testing.T, c *redis.Client) *redisguard.Guard {
	t.Helper()
	prefix := testPrefix(t)
	g, err := redisguard.New(c, redisguard.WithPrefix(prefix))
	require.NoError(t, err)
	cleanup(t, c, prefix)
	return g
}

func TestConformance(t *testing.T) {
	c := newClient(t)
	guardtest.Run(t, guardtest.Harness{
		New: func(t *testing.T) guard.Guard { return newGuard(t, c) },
	})
}

func TestNewOptions(t *testing.T) {
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer c.Close()
	_, err := redisguard.New(nil)
	assert.Error(t, err)
	for name, opt := range map[string]redisguard.Option{
		"nil":              nil,
		"empty prefix":     redisguard.WithPrefix(""),
		"long prefix":      redisguard.WithPrefix(strings.Repeat("p", 257)),
		"zero timeout":     redisguard.WithReleaseTimeout(0),
		"nil logger":       redisguard.WithLogger(nil),
		"negative timeout": redisguard.WithReleaseTimeout(-time.Second),
	} {
		g, err := redisguard.New(c, opt)
		if assert.Error(t, err, name) {
			assert.True(t, strings.HasPrefix(err.Error(), "redisguard: "), "%s: %v", name, err)
		}
		assert.Nil(t, g, name)
	}
}

// Every key the guard writes has the prefix and an expiry.
func TestKeysHavePrefixAndTTL(t *testing.T) {
	c := newClient(t)
	prefix := testPrefix(t)
	g, err := redisguard.New(c, redisguard.WithPrefix(prefix))
	require.NoError(t, err)
	cleanup(t, c, prefix)
	ctx := context.Background()
	k := guard.Key{Kind: "push", User: "alice", ID: "x"}
	ok, err := g.Allow(ctx, k, 5, time.Minute)
	require.NoError(t, err)
	require.True(t, ok)
	_, ok, err = g.Begin(ctx, k, time.Minute)
	require.NoError(t, err)
	require.True(t, ok)
	ok, err = g.MarkUsed(ctx, k, time.Minute)
	require.NoError(t, err)
	require.True(t, ok)

	keys, err := c.Keys(ctx, prefix+"*").Result()
	require.NoError(t, err)
	assert.Len(t, keys, 3)
	for _, key := range keys {
		ttl, err := c.PTTL(ctx, key).Result()
		require.NoError(t, err)
		assert.Positive(t, ttl, "%s has no expiry", key)
		assert.LessOrEqual(t, ttl, time.Minute+time.Second, key)
	}
}

// closedAddr is a local address where nothing listens.
func closedAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return addr
}

// An unreachable Redis is an error on every call, never an allow.
func TestUnreachableRedisFailsClosed(t *testing.T) {
	c := redis.NewClient(&redis.Options{Addr: closedAddr(t), DialTimeout: 200 * time.Millisecond, MaxRetries: -1})
	defer c.Close()
	g, err := redisguard.New(c)
	require.NoError(t, err)
	ctx := context.Background()
	k := guard.Key{Kind: "push", User: "alice"}

	ok, err := g.Allow(ctx, k, 5, time.Minute)
	assert.Error(t, err)
	assert.False(t, ok)
	rel, ok, err := g.Begin(ctx, k, time.Minute)
	assert.Error(t, err)
	assert.False(t, ok)
	assert.Nil(t, rel)
	first, err := g.MarkUsed(ctx, k, time.Minute)
	assert.Error(t, err)
	assert.False(t, first)
	used, err := g.Used(ctx, k)
	if assert.Error(t, err) {
		assert.True(t, strings.HasPrefix(err.Error(), "redisguard: used: "), err.Error())
	}
	assert.False(t, used)
}

// A Redis that goes away mid-flow: the calls after it fail, and a release
// that cannot reach it does not panic or hang.
func TestRedisGoneAfterBegin(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	target := testenv.RedisURL(t)
	opts, err := redis.ParseURL(target)
	require.NoError(t, err)
	// A proxy in front of the test Redis that the test can stop.
	stop := proxy(t, l, opts.Addr)
	c := redis.NewClient(&redis.Options{Addr: l.Addr().String(), DB: opts.DB, DialTimeout: 200 * time.Millisecond, MaxRetries: -1})
	defer c.Close()
	prefix := testPrefix(t)
	g, err := redisguard.New(c, redisguard.WithPrefix(prefix), redisguard.WithReleaseTimeout(300*time.Millisecond))
	require.NoError(t, err)
	cleanup(t, newClient(t), prefix)
	ctx := context.Background()
	k := guard.Key{Kind: "inflight-login", User: "alice", ID: "l1"}

	rel, ok, err := g.Begin(ctx, k, time.Minute)
	require.NoError(t, err)
	require.True(t, ok)
	stop()

	done := make(chan struct{})
	go func() { rel(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("release hung with Redis gone")
	}
	_, ok, err = g.Begin(ctx, k, time.Minute)
	assert.Error(t, err)
	assert.False(t, ok)
	ok, err = g.Allow(ctx, k, 5, time.Minute)
	assert.Error(t, err)
	assert.False(t, ok)
	ok, err = g.MarkUsed(ctx, k, time.Minute)
	assert.Error(t, err)
	assert.False(t, ok)
}

// proxy forwards connections from l to addr until stop is called, which
// closes l and every open connection.
func proxy(t *testing.T, l net.Listener, addr string) (stop func()) {
	t.Helper()
	conns := make(chan net.Conn, 64)
	go func() {
		for {
			in, err := l.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("tcp", addr)
			if err != nil {
				_ = in.Close()
				continue
			}
			conns <- in
			conns <- out
			go func() { _, _ = copyConn(out, in) }()
			go func() { _, _ = copyConn(in, out) }()
		}
	}()
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		_ = l.Close()
		for {
			select {
			case c := <-conns:
				_ = c.Close()
			default:
				return
			}
		}
	}
	t.Cleanup(stop)
	return stop
}

func copyConn(dst, src net.Conn) (int64, error) {
	buf := make([]byte, 32<<10)
	var n int64
	for {
		m, err := src.Read(buf)
		if m > 0 {
			w, werr := dst.Write(buf[:m])
			n += int64(w)
			if werr != nil {
				return n, werr
			}
		}
		if err != nil {
			return n, err
		}
	}
}
