package revocation

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func newTestMemory(t *testing.T, opts ...MemoryOption) (*Memory, *clock) {
	t.Helper()
	c := &clock{t: time.Unix(1_700_000_000, 0)}
	m, err := NewMemory(append([]MemoryOption{WithClock(c.now)}, opts...)...)
	require.NoError(t, err)
	return m, c
}

func isRevoked(t *testing.T, m *Memory, u, l string, at time.Time) bool {
	t.Helper()
	ok, err := m.Revoked(t.Context(), u, l, at)
	require.NoError(t, err)
	return ok
}

func TestMemoryExpiry(t *testing.T) {
	m, c := newTestMemory(t)
	ctx := t.Context()
	issued := c.now().Add(-time.Minute)
	require.NoError(t, m.RevokeLogin(ctx, "u", "a", c.now().Add(time.Hour)))
	require.NoError(t, m.RevokeLogin(ctx, "u", "b", c.now().Add(2*time.Hour)))
	require.NoError(t, m.RevokeUser(ctx, "v", c.now(), c.now().Add(3*time.Hour)))
	assert.Equal(t, 3, m.records)

	c.add(time.Hour) // "a" expires exactly now; the next write drops it
	require.NoError(t, m.RevokeLogin(ctx, "w", "x", c.now().Add(time.Hour)))
	assert.False(t, isRevoked(t, m, "u", "a", issued), "expired record dropped")
	assert.True(t, isRevoked(t, m, "u", "b", issued))
	assert.True(t, isRevoked(t, m, "v", "z", issued))

	c.add(3 * time.Hour)
	require.NoError(t, m.RevokeLogin(ctx, "w", "y", c.now().Add(time.Minute)))
	assert.Equal(t, 1, m.records, "only the fresh record is left")
	assert.Len(t, m.users, 1)
	assert.False(t, isRevoked(t, m, "v", "z", issued))
}

func TestMemoryPerUserCapEscalates(t *testing.T) {
	m, c := newTestMemory(t, WithMaxLoginsPerUser(3))
	ctx := t.Context()
	issued := c.now().Add(-time.Minute)
	for i := range 4 {
		require.NoError(t, m.RevokeLogin(ctx, "u", fmt.Sprint("l", i), c.now().Add(time.Duration(i+1)*time.Hour)))
	}
	u := m.users["u"]
	require.NotNil(t, u)
	assert.Empty(t, u.logins, "the login records were replaced")
	assert.True(t, u.epoch)
	assert.Equal(t, c.now().UnixNano(), u.epochAt, "every login issued so far ends")
	assert.Equal(t, c.now().Add(4*time.Hour).UnixNano(), u.epochTill, "kept as long as the longest record")
	assert.Equal(t, 1, m.records)
	for i := range 4 {
		assert.True(t, isRevoked(t, m, "u", fmt.Sprint("l", i), issued))
	}
	assert.False(t, isRevoked(t, m, "u", "new", c.now().Add(time.Nanosecond)), "a later login of the user works")
	assert.False(t, isRevoked(t, m, "other", "l0", issued), "another user is untouched")
}

func TestMemoryGlobalCap(t *testing.T) {
	m, c := newTestMemory(t, WithMaxRecords(10), WithMaxLoginsPerUser(100))
	ctx := t.Context()
	issued := c.now().Add(-time.Minute)
	for i := range 11 {
		require.NoError(t, m.RevokeLogin(ctx, fmt.Sprint("u", i), "l", c.now().Add(time.Hour)))
	}
	assert.Equal(t, 0, m.records)
	assert.Empty(t, m.users)
	assert.True(t, m.all)
	for i := range 11 {
		assert.True(t, isRevoked(t, m, fmt.Sprint("u", i), "l", issued))
	}
	assert.True(t, isRevoked(t, m, "anyone", "l", issued), "fail safe: every earlier login ends")
	assert.False(t, isRevoked(t, m, "anyone", "l", c.now().Add(time.Nanosecond)), "new logins work")
	c.add(time.Hour)
	require.NoError(t, m.RevokeLogin(ctx, "x", "y", c.now().Add(time.Hour)))
	assert.False(t, m.all, "the global epoch expires with the records it replaced")
}

// TestMemoryBounded: heavy traffic with repeated writes keeps the records
// and the expiry queue within their caps.
func TestMemoryBounded(t *testing.T) {
	m, c := newTestMemory(t, WithMaxRecords(1000), WithMaxLoginsPerUser(8))
	ctx := t.Context()
	for i := range 20000 {
		u := fmt.Sprint("u", i%300)
		if i%3 == 0 {
			require.NoError(t, m.RevokeUser(ctx, u, c.now(), c.now().Add(time.Hour)))
		} else {
			require.NoError(t, m.RevokeLogin(ctx, u, fmt.Sprint("l", i), c.now().Add(time.Hour)))
		}
		c.add(time.Second)
		require.LessOrEqual(t, m.records, 1000)
		require.LessOrEqual(t, len(m.exp), 2*m.records+65)
	}
}

func TestMemoryRevokedAllocatesNothing(t *testing.T) {
	m, c := newTestMemory(t)
	ctx := t.Context()
	require.NoError(t, m.RevokeLogin(ctx, "u", "l", c.now().Add(time.Hour)))
	require.NoError(t, m.RevokeUser(ctx, "u", c.now(), c.now().Add(time.Hour)))
	at := c.now()
	allocs := testing.AllocsPerRun(1000, func() {
		_, _ = m.Revoked(ctx, "u", "other", at.Add(time.Second))
		_, _ = m.Revoked(ctx, "nobody", "l", at)
	})
	assert.Zero(t, allocs)
}

func TestMemoryOptions(t *testing.T) {
	for name, o := range map[string]MemoryOption{
		"nil clock":  WithClock(nil),
		"per user 0": WithMaxLoginsPerUser(0),
		"records 0":  WithMaxRecords(0),
	} {
		_, err := NewMemory(o)
		assert.Error(t, err, name)
	}
}

func BenchmarkMemoryRevoked(b *testing.B) {
	m, err := NewMemory()
	require.NoError(b, err)
	ctx := b.Context()
	for i := range 10000 {
		require.NoError(b, m.RevokeLogin(ctx, fmt.Sprint("u", i), "l", time.Now().Add(time.Hour)))
	}
	at := time.Now()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			_, _ = m.Revoked(ctx, "u5000", "other", at)
		}
	})
}
