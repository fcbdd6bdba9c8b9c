package guard_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/handlers/guard"
	"github.com/unloq2fa/unloq2fa/handlers/guard/guardtest"
)

func newMemory(t testing.TB, opts ...guard.MemoryOption) *guard.Memory {
	t.Helper()
	m, err := guard.NewMemory(opts...)
	require.NoError(t, err)
	return m
}

func TestMemoryConformance(t *testing.T) {
	guardtest.Run(t, guardtest.Harness{
		New:      func(t *testing.T) guard.Guard { return newMemory(t) },
		Synctest: true,
	})
}

func TestMemoryConformanceRealTime(t *testing.T) {
	guardtest.Run(t, guardtest.Harness{
		New: func(t *testing.T) guard.Guard { return newMemory(t) },
	})
}

// The suite also holds with caps so small that every subtest hits them:
// eviction only ever takes replay records the suite no longer reads.
func TestMemoryConformanceSmallCaps(t *testing.T) {
	guardtest.Run(t, guardtest.Harness{
		New: func(t *testing.T) guard.Guard {
			return newMemory(t, guard.WithMaxPerUser(40), guard.WithMaxRecords(200))
		},
		Synctest: true,
	})
}

func TestNewMemoryOptions(t *testing.T) {
	for name, opt := range map[string]guard.MemoryOption{
		"nil":                 nil,
		"max per user 0":      guard.WithMaxPerUser(0),
		"max per user -1":     guard.WithMaxPerUser(-1),
		"max records 0":       guard.WithMaxRecords(0),
		"kind max 0":          guard.WithKindMax("push", 0),
		"kind max empty kind": guard.WithKindMax("", 5),
		"kind max bad kind":   guard.WithKindMax("a:b", 5),
	} {
		m, err := guard.NewMemory(opt)
		assert.Error(t, err, name)
		assert.Nil(t, m, name)
		if err != nil {
			assert.Regexp(t, `^guard: `, err.Error(), name)
		}
	}
}

var ctx = context.Background()

func markUsed(t *testing.T, g guard.Guard, k guard.Key, ttl time.Duration) bool {
	t.Helper()
	first, err := g.MarkUsed(ctx, k, ttl)
	require.NoError(t, err)
	return first
}

func used(t *testing.T, g guard.Guard, k guard.Key) bool {
	t.Helper()
	u, err := g.Used(ctx, k)
	require.NoError(t, err)
	return u
}

// A user over the per-user cap of a kind evicts their own oldest replay
// records, never another user's or another kind's.
func TestMemoryPerUserCapEvictsOldestReplayRecord(t *testing.T) {
	m := newMemory(t, guard.WithMaxPerUser(3))
	bob := guard.Key{Kind: "login-done", User: "bob", ID: "b"}
	aliceToken := guard.Key{Kind: "token", User: "alice", ID: "t"}
	require.True(t, markUsed(t, m, bob, time.Hour))
	require.True(t, markUsed(t, m, aliceToken, time.Hour))
	for i := range 10 {
		require.True(t, markUsed(t, m, guard.Key{Kind: "login-done", User: "alice", ID: fmt.Sprint(i)}, time.Hour))
	}
	for i := range 10 {
		assert.Equal(t, i >= 7, used(t, m, guard.Key{Kind: "login-done", User: "alice", ID: fmt.Sprint(i)}), "record %d", i)
	}
	assert.True(t, used(t, m, bob), "another user's record was evicted")
	assert.True(t, used(t, m, aliceToken), "a record of another kind was evicted")
	assert.Equal(t, 5, m.Len())
}

// In-flight markers and rate records are never evicted: over the cap the
// user is refused with ErrFull, and only that user, for that kind.
func TestMemoryPerUserCapRefusesMarkersAndBudgets(t *testing.T) {
	m := newMemory(t, guard.WithMaxPerUser(2), guard.WithKindMax("push", 1))
	for i := range 2 {
		_, ok, err := m.Begin(ctx, guard.Key{Kind: "inflight-login", User: "alice", ID: fmt.Sprint(i)}, time.Hour)
		require.NoError(t, err)
		require.True(t, ok)
	}
	_, ok, err := m.Begin(ctx, guard.Key{Kind: "inflight-login", User: "alice", ID: "2"}, time.Hour)
	require.ErrorIs(t, err, guard.ErrFull)
	assert.False(t, ok)
	assert.Regexp(t, `^guard: memory: begin: full`, err.Error())
	for i := range 2 {
		_, ok, err := m.Begin(ctx, guard.Key{Kind: "inflight-login", User: "alice", ID: fmt.Sprint(i)}, time.Hour)
		require.NoError(t, err)
		assert.False(t, ok, "marker %d was evicted", i)
	}
	rel, ok, err := m.Begin(ctx, guard.Key{Kind: "inflight-login", User: "bob", ID: "0"}, time.Hour)
	require.NoError(t, err, "another user was refused")
	require.True(t, ok)
	rel()
	_, ok, err = m.Begin(ctx, guard.Key{Kind: "inflight-user", User: "alice"}, time.Hour)
	require.NoError(t, err, "another kind was refused")
	require.True(t, ok)

	ok, err = m.Allow(ctx, guard.Key{Kind: "push", User: "alice", ID: "a"}, 5, time.Hour)
	require.NoError(t, err)
	require.True(t, ok)
	ok, err = m.Allow(ctx, guard.Key{Kind: "push", User: "alice", ID: "b"}, 5, time.Hour)
	require.ErrorIs(t, err, guard.ErrFull, "WithKindMax")
	assert.False(t, ok)
	ok, err = m.Allow(ctx, guard.Key{Kind: "push", User: "alice", ID: "a"}, 5, time.Hour)
	require.NoError(t, err, "the budget that exists still works")
	assert.True(t, ok)
}

// At the global cap a new record evicts the oldest replay record of any
// user; with no replay record left, it is refused.
func TestMemoryGlobalCap(t *testing.T) {
	m := newMemory(t, guard.WithMaxRecords(4))
	for i := range 3 {
		require.True(t, markUsed(t, m, guard.Key{Kind: "token", User: fmt.Sprint("u", i), ID: "t"}, time.Hour))
	}
	rel, ok, err := m.Begin(ctx, guard.Key{Kind: "inflight-login", User: "x"}, time.Hour)
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, 4, m.Len())
	ok, err = m.Allow(ctx, guard.Key{Kind: "push", User: "y"}, 5, time.Hour)
	require.NoError(t, err)
	require.True(t, ok)
	assert.False(t, used(t, m, guard.Key{Kind: "token", User: "u0", ID: "t"}), "the oldest replay record goes first")
	assert.True(t, used(t, m, guard.Key{Kind: "token", User: "u1", ID: "t"}))
	assert.Equal(t, 4, m.Len())
	for i := range 2 {
		_, ok, err := m.Begin(ctx, guard.Key{Kind: "inflight-login", User: fmt.Sprint("z", i)}, time.Hour)
		require.NoError(t, err)
		require.True(t, ok)
	}
	_, ok, err = m.Begin(ctx, guard.Key{Kind: "inflight-login", User: "w"}, time.Hour)
	require.ErrorIs(t, err, guard.ErrFull, "only markers and budgets left")
	assert.False(t, ok)
	rel()
	_, ok, err = m.Begin(ctx, guard.Key{Kind: "inflight-login", User: "w"}, time.Hour)
	require.NoError(t, err, "a release makes room")
	assert.True(t, ok)
}

// Records expire in order and free their place: nothing is left behind,
// whatever mix of ttls and windows made them.
func TestMemoryExpiryFreesEverything(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := newMemory(t, guard.WithMaxRecords(50), guard.WithMaxPerUser(50))
		ttls := []time.Duration{time.Second, 3 * time.Second, 2 * time.Second, 5 * time.Second}
		for i := range 40 {
			ttl := ttls[i%len(ttls)]
			k := guard.Key{Kind: "k", User: fmt.Sprint("u", i%3), ID: fmt.Sprint(i)}
			switch i % 3 {
			case 0:
				markUsed(t, m, k, ttl)
			case 1:
				_, _, err := m.Begin(ctx, k, ttl)
				require.NoError(t, err)
			case 2:
				_, err := m.Allow(ctx, k, 2, ttl)
				require.NoError(t, err)
			}
			time.Sleep(10 * time.Millisecond)
		}
		assert.Equal(t, 40, m.Len())
		time.Sleep(2 * time.Second)
		assert.Equal(t, 20, m.Len(), "the records of 1 s and 2 s expired, the others stand")
		time.Sleep(3 * time.Second)
		assert.Zero(t, m.Len())
		// The place is free again: 50 markers fit.
		for i := range 50 {
			_, ok, err := m.Begin(ctx, guard.Key{Kind: "k", User: "u", ID: fmt.Sprint(i)}, time.Minute)
			require.NoError(t, err)
			require.True(t, ok)
		}
	})
}

// A rate record lives one window after its last admitted event.
func TestMemoryRateRecordRearms(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := newMemory(t)
		k := guard.Key{Kind: "push", User: "alice"}
		for range 3 {
			ok, err := m.Allow(ctx, k, 10, time.Minute)
			require.NoError(t, err)
			require.True(t, ok)
			time.Sleep(40 * time.Second)
		}
		assert.Equal(t, 1, m.Len(), "the last event is 40 s old")
		time.Sleep(21 * time.Second)
		assert.Zero(t, m.Len())
	})
}

func TestMemoryCanceledContext(t *testing.T) {
	m := newMemory(t)
	c, cancel := context.WithCancel(ctx)
	cancel()
	k := guard.Key{Kind: "k"}
	ok, err := m.Allow(c, k, 1, time.Minute)
	assert.ErrorIs(t, err, context.Canceled)
	assert.False(t, ok)
	rel, ok, err := m.Begin(c, k, time.Minute)
	assert.ErrorIs(t, err, context.Canceled)
	assert.False(t, ok)
	assert.Nil(t, rel)
	ok, err = m.MarkUsed(c, k, time.Minute)
	assert.ErrorIs(t, err, context.Canceled)
	assert.False(t, ok)
	ok, err = m.Used(c, k)
	assert.ErrorIs(t, err, context.Canceled)
	assert.False(t, ok)
	assert.Zero(t, m.Len())
}

func TestKeyValidate(t *testing.T) {
	assert.NoError(t, guard.Key{Kind: "inflight-login", User: "", ID: ""}.Validate())
	err := guard.Key{User: "u"}.Validate()
	require.ErrorIs(t, err, guard.ErrInvalid)
	assert.Equal(t, "guard: invalid key: empty kind", err.Error())
	assert.True(t, errors.Is(guard.Key{Kind: "a b"}.Validate(), guard.ErrInvalid))
}
