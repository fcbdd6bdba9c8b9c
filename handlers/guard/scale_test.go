package guard_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/handlers/guard"
)

// loginFlow runs one login's Guard traffic for user and checks every
// answer.
func loginFlow(t *testing.T, g guard.Guard, user string) {
	t.Helper()
	done := guard.Key{Kind: "login-done", User: user, ID: "login-1"}
	assert.False(t, used(t, g, done), "a fresh login is not done")
	ok, err := g.Allow(ctx, guard.Key{Kind: "push", User: user}, 5, 15*time.Minute)
	require.NoError(t, err)
	assert.True(t, ok, "push budget")
	rel, ok, err := g.Begin(ctx, guard.Key{Kind: "inflight-login", User: user, ID: "login-1"}, 2*time.Minute)
	require.NoError(t, err)
	require.True(t, ok, "in-flight marker")
	_, ok, err = g.Begin(ctx, guard.Key{Kind: "inflight-login", User: user, ID: "login-1"}, 2*time.Minute)
	require.NoError(t, err)
	assert.False(t, ok, "a second push while one is in flight")
	token := guard.Key{Kind: "token", User: user, ID: "token-hash"}
	assert.True(t, markUsed(t, g, token, 10*time.Minute), "token first use")
	assert.False(t, markUsed(t, g, token, 10*time.Minute), "token replay")
	rel()
	assert.True(t, markUsed(t, g, done, 11*time.Minute), "login completes once")
	assert.True(t, used(t, g, done), "login is done")
	assert.False(t, markUsed(t, g, done, 11*time.Minute), "login completes only once")
}

// One user holding a million records (the per-user cap raised so they
// can) leaves the guard full, and another user's login still works.
func TestMemoryMillionRecordsOfOneUserLeaveOthersWorking(t *testing.T) {
	const n = 1_000_000
	m := newMemory(t, guard.WithMaxPerUser(2*n), guard.WithMaxRecords(n))
	for i := range n {
		require.True(t, markUsed(t, m, guard.Key{Kind: "login-done", User: "mallory", ID: strconv.Itoa(i)}, time.Hour))
	}
	require.Equal(t, n, m.Len())
	loginFlow(t, m, "bob")
	assert.Equal(t, n, m.Len(), "the guard stays at its cap")
}

// With the default caps, a flood of one user's records keeps only the
// newest of them, and another user's login works.
func TestMemoryFloodOfOneUserIsCapped(t *testing.T) {
	m := newMemory(t)
	for i := range 20 * guard.DefaultMaxPerUser {
		require.True(t, markUsed(t, m, guard.Key{Kind: "login-done", User: "mallory", ID: strconv.Itoa(i)}, time.Hour))
	}
	assert.Equal(t, guard.DefaultMaxPerUser, m.Len())
	loginFlow(t, m, "bob")
}
