package recovery

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func newLimiter(t *testing.T, capacity int) *MemoryLimiter {
	t.Helper()
	l, err := NewMemoryLimiter(capacity)
	require.NoError(t, err)
	return l
}

func allow(t *testing.T, l *MemoryLimiter, key string) bool {
	t.Helper()
	ok, err := l.Allow(context.Background(), key, 3, time.Minute)
	require.NoError(t, err)
	return ok
}

func TestMemoryLimiterSlidingWindow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := newLimiter(t, 0)
		assert.True(t, allow(t, l, "k"))
		time.Sleep(20 * time.Second)
		assert.True(t, allow(t, l, "k"))
		assert.True(t, allow(t, l, "k"))
		for range 5 {
			assert.False(t, allow(t, l, "k"), "over the limit; refusals are not recorded")
		}
		assert.True(t, allow(t, l, "other"), "keys are independent")
		// The first event leaves the window after a minute: one slot frees,
		// not all three (a sliding window, not a fixed one).
		time.Sleep(41 * time.Second)
		assert.True(t, allow(t, l, "k"))
		assert.False(t, allow(t, l, "k"))
		time.Sleep(20 * time.Second)
		assert.True(t, allow(t, l, "k"))
		assert.True(t, allow(t, l, "k"))
		assert.False(t, allow(t, l, "k"))
	})
}

func TestMemoryLimiterCapacity(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := newLimiter(t, 2)
		assert.True(t, allow(t, l, "a"))
		assert.True(t, allow(t, l, "b"))
		_, err := l.Allow(context.Background(), "c", 3, time.Minute)
		assert.ErrorIs(t, err, ErrLimiterFull, "a full limiter refuses new keys (fail closed)")
		assert.True(t, allow(t, l, "a"), "known keys keep working")
		assert.Equal(t, 2, l.Len())
		time.Sleep(time.Minute + time.Second)
		assert.True(t, allow(t, l, "c"), "expired keys are swept to make room")
		assert.LessOrEqual(t, l.Len(), 2)
	})
}

func TestMemoryLimiterSweepsExpiredKeys(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := newLimiter(t, 0)
		for i := range 300 {
			_, err := l.Allow(context.Background(), string(rune('a'+i%26))+time.Duration(i).String(), 1, time.Minute)
			require.NoError(t, err)
		}
		time.Sleep(2 * time.Minute)
		for range 300 {
			allow(t, l, "k")
		}
		assert.Equal(t, 1, l.Len(), "keys whose window passed are dropped as the limiter is used")
	})
}

func TestMemoryLimiterArguments(t *testing.T) {
	_, err := NewMemoryLimiter(-1)
	require.Error(t, err)
	l := newLimiter(t, 0)
	for _, tc := range []struct {
		limit  int
		window time.Duration
	}{{0, time.Minute}, {-1, time.Minute}, {1, 0}, {1, -time.Second}} {
		ok, err := l.Allow(context.Background(), "k", tc.limit, tc.window)
		assert.Error(t, err, "limit %d window %s", tc.limit, tc.window)
		assert.False(t, ok)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ok, err := l.Allow(ctx, "k", 1, time.Minute)
	assert.ErrorIs(t, err, context.Canceled)
	assert.False(t, ok)
	assert.True(t, allow(t, l, "k"), "the canceled call recorded nothing")
}

func TestMemoryLimiterConcurrent(t *testing.T) {
	l := newLimiter(t, 0)
	var (
		wg      sync.WaitGroup
		allowed atomic.Int32
	)
	for range 64 {
		wg.Go(func() {
			ok, err := l.Allow(context.Background(), "k", 5, time.Hour)
			assert.NoError(t, err)
			if ok {
				allowed.Add(1)
			}
		})
	}
	wg.Wait()
	assert.Equal(t, int32(5), allowed.Load(), "exactly limit events admitted")
}
