package handlers_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/handlers"
	"github.com/unloq2fa/unloq2fa/unloq/unloqtest"
)

func TestMemoryGuardAllowSlidingWindow(t *testing.T) {
	clk := unloqtest.NewFakeClock(time.Unix(1_700_000_000, 0))
	g := handlers.NewMemoryGuard(handlers.GuardClock(clk.Now))
	ctx := context.Background()
	allow := func(key string) bool {
		ok, err := g.Allow(ctx, key, 3, time.Minute)
		require.NoError(t, err)
		return ok
	}
	for i := range 3 {
		assert.True(t, allow("u1"), "event %d", i)
		clk.Advance(10 * time.Second)
	}
	assert.False(t, allow("u1"))
	assert.True(t, allow("u2"), "keys are independent")
	clk.Advance(31 * time.Second) // the first event leaves the window
	assert.True(t, allow("u1"))
	assert.False(t, allow("u1"), "refused events are not counted, but the window is full again")

	_, err := g.Allow(ctx, "u", 0, time.Minute)
	assert.Error(t, err)
	_, err = g.Allow(ctx, "u", 1, 0)
	assert.Error(t, err)
}

func TestMemoryGuardBegin(t *testing.T) {
	clk := unloqtest.NewFakeClock(time.Unix(1_700_000_000, 0))
	g := handlers.NewMemoryGuard(handlers.GuardClock(clk.Now))
	ctx := context.Background()
	rel, ok, err := g.Begin(ctx, "k", time.Minute)
	require.NoError(t, err)
	require.True(t, ok)
	_, ok, err = g.Begin(ctx, "k", time.Minute)
	require.NoError(t, err)
	assert.False(t, ok, "in flight")
	rel()
	rel2, ok, err := g.Begin(ctx, "k", time.Minute)
	require.NoError(t, err)
	assert.True(t, ok, "released")

	// An old release never ends a newer mark.
	rel()
	_, ok, _ = g.Begin(ctx, "k", time.Minute)
	assert.False(t, ok)

	// Marks expire.
	clk.Advance(time.Minute)
	rel3, ok, _ := g.Begin(ctx, "k", time.Minute)
	assert.True(t, ok, "expired mark")
	rel2()
	_, ok, _ = g.Begin(ctx, "k", time.Minute)
	assert.False(t, ok, "rel2 belongs to an expired mark")
	rel3()
}

func TestMemoryGuardMarkUsed(t *testing.T) {
	clk := unloqtest.NewFakeClock(time.Unix(1_700_000_000, 0))
	g := handlers.NewMemoryGuard(handlers.GuardClock(clk.Now))
	ctx := context.Background()
	used, err := g.Used(ctx, "t")
	require.NoError(t, err)
	assert.False(t, used)
	assert.Zero(t, g.Len(), "Used records nothing")
	first, err := g.MarkUsed(ctx, "t", time.Minute)
	require.NoError(t, err)
	assert.True(t, first)
	used, _ = g.Used(ctx, "t")
	assert.True(t, used)
	first, _ = g.MarkUsed(ctx, "t", time.Minute)
	assert.False(t, first)
	clk.Advance(time.Minute)
	used, _ = g.Used(ctx, "t")
	assert.False(t, used, "expired record")
	first, _ = g.MarkUsed(ctx, "t", time.Minute)
	assert.True(t, first, "expired record")
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = g.Used(cctx, "t")
	assert.ErrorIs(t, err, context.Canceled)
}

func TestMemoryGuardConcurrentMarkUsed(t *testing.T) {
	g := handlers.NewMemoryGuard()
	var firsts atomic.Int32
	var wg sync.WaitGroup
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if ok, err := g.MarkUsed(context.Background(), "same", time.Minute); err == nil && ok {
				firsts.Add(1)
			}
		}()
	}
	wg.Wait()
	assert.Equal(t, int32(1), firsts.Load())
}

func TestMemoryGuardCapacityAndSweep(t *testing.T) {
	clk := unloqtest.NewFakeClock(time.Unix(1_700_000_000, 0))
	g := handlers.NewMemoryGuard(handlers.GuardClock(clk.Now), handlers.GuardCapacity(10))
	ctx := context.Background()
	for i := range 10 {
		ok, err := g.MarkUsed(ctx, fmt.Sprint("k", i), time.Minute)
		require.NoError(t, err)
		require.True(t, ok)
	}
	_, err := g.MarkUsed(ctx, "k10", time.Minute)
	assert.ErrorIs(t, err, handlers.ErrGuardFull, "full: fail closed")
	first, err := g.MarkUsed(ctx, "k3", time.Minute)
	require.NoError(t, err, "known keys still answer")
	assert.False(t, first)

	clk.Advance(time.Minute)
	ok, err := g.MarkUsed(ctx, "k10", time.Minute)
	require.NoError(t, err, "expired records are swept")
	assert.True(t, ok)
	assert.Equal(t, 1, g.Len())
}

func TestMemoryGuardCanceledContext(t *testing.T) {
	g := handlers.NewMemoryGuard()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := g.Allow(ctx, "k", 1, time.Minute)
	assert.ErrorIs(t, err, context.Canceled)
	_, _, err = g.Begin(ctx, "k", time.Minute)
	assert.ErrorIs(t, err, context.Canceled)
	_, err = g.MarkUsed(ctx, "k", time.Minute)
	assert.ErrorIs(t, err, context.Canceled)
}

// brokenGuard fails every call.
type brokenGuard struct{ only string }

var errBackend = errors.New("guard backend down")

func (b brokenGuard) Allow(context.Context, string, int, time.Duration) (bool, error) {
	if b.only != "" && b.only != "allow" {
		return true, nil
	}
	return false, errBackend
}

func (b brokenGuard) Begin(context.Context, string, time.Duration) (func(), bool, error) {
	if b.only != "" && b.only != "begin" {
		return func() {}, true, nil
	}
	return nil, false, errBackend
}

func (b brokenGuard) MarkUsed(context.Context, string, time.Duration) (bool, error) {
	if b.only != "" && b.only != "mark" {
		return true, nil
	}
	return false, errBackend
}

func (b brokenGuard) Used(context.Context, string) (bool, error) {
	if b.only != "" && b.only != "used" {
		return false, nil
	}
	return false, errBackend
}

func TestGuardErrorsFailClosed(t *testing.T) {
	for _, only := range []string{"allow", "begin", "mark", "used"} {
		t.Run(only, func(t *testing.T) {
			e := newEnv(t, withHandlerOpts(handlers.WithGuard(brokenGuard{only: only})))
			e.behave(alice, unloqtest.BehaviorApprove)
			b := e.browser()
			b.login("1", "/x")
			before := b.state()
			r := b.post("/login/two-step", nil)
			assert.Equal(t, http.StatusServiceUnavailable, r.code, r.String())
			b.assertPendingUnchanged(before)
			if only != "mark" {
				assert.Zero(t, e.countRequests("/v1/authenticate"), "no push without the guard")
			}
			if only == "used" {
				assert.Zero(t, e.countRequests("/v1/token"), "no token exchange without the guard")
			}
			if only != "begin" {
				r = b.get("/uauth/login?token=" + e.token(alice))
				assert.Equal(t, http.StatusServiceUnavailable, r.code, r.String())
				b.assertPendingUnchanged(before)
			}
			ev, ok := e.events.last(handlers.EventFailed)
			require.True(t, ok)
			assert.ErrorIs(t, ev.Err, handlers.ErrGuard)
			assert.ErrorIs(t, ev.Err, errBackend)
		})
	}
}
