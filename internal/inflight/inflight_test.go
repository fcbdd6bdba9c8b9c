package inflight_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/internal/inflight"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func TestMemoryOneInFlight(t *testing.T) {
	clk := &clock{t: time.Unix(1_700_000_000, 0)}
	m := inflight.NewMemory(0, clk.now)
	ctx := context.Background()

	rel, ok, err := m.Begin(ctx, "k", time.Minute)
	require.NoError(t, err)
	require.True(t, ok)
	_, ok, err = m.Begin(ctx, "k", time.Minute)
	require.NoError(t, err)
	assert.False(t, ok, "the second Begin of a key in flight is refused")

	_, ok, err = m.Begin(ctx, "other", time.Minute)
	require.NoError(t, err)
	assert.True(t, ok, "keys are independent")

	rel()
	rel2, ok, err := m.Begin(ctx, "k", time.Minute)
	require.NoError(t, err)
	require.True(t, ok, "free again after release")
	rel() // a stale release must not end the new mark
	_, ok, err = m.Begin(ctx, "k", time.Minute)
	require.NoError(t, err)
	assert.False(t, ok, "a stale release did not end the later mark")
	rel2()

	_, ok, err = m.Begin(ctx, "ttl", time.Second)
	require.NoError(t, err)
	require.True(t, ok)
	clk.add(time.Second)
	_, ok, err = m.Begin(ctx, "ttl", time.Second)
	require.NoError(t, err)
	assert.True(t, ok, "a mark expires with its ttl")
}

func TestMemoryBounded(t *testing.T) {
	clk := &clock{t: time.Unix(1_700_000_000, 0)}
	m := inflight.NewMemory(2, clk.now)
	ctx := context.Background()
	for _, k := range []string{"a", "b"} {
		_, ok, err := m.Begin(ctx, k, time.Minute)
		require.NoError(t, err)
		require.True(t, ok)
	}
	_, ok, err := m.Begin(ctx, "c", time.Minute)
	assert.ErrorIs(t, err, inflight.ErrFull)
	assert.False(t, ok)
	clk.add(time.Minute)
	_, ok, err = m.Begin(ctx, "c", time.Minute)
	require.NoError(t, err)
	assert.True(t, ok, "expired marks are swept when full")
	assert.Equal(t, 1, m.Len())
}

func TestMemoryRefusesBadInput(t *testing.T) {
	m := inflight.NewMemory(0, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, ok, err := m.Begin(ctx, "k", time.Minute)
	assert.ErrorIs(t, err, context.Canceled)
	assert.False(t, ok)
	_, ok, err = m.Begin(context.Background(), "k", 0)
	assert.Error(t, err)
	assert.False(t, ok)
}
