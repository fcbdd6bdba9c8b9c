package revocationtest

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/session/revocation"
)

// lifetime is the until the suite gives its records: far enough that no
// record expires during a run.
const lifetime = time.Hour

// Run runs the conformance suite. newStore returns a fresh Store holding
// no records; it is called once per subtest (use t.Cleanup to close it).
func Run(t *testing.T, newStore func(t *testing.T) revocation.Store) {
	t.Helper()
	if newStore == nil {
		t.Fatal("revocationtest: newStore is required")
	}
	tests := []struct {
		name string
		fn   func(*testing.T, revocation.Store)
	}{
		{"Empty", testEmpty},
		{"RevokeLogin", testRevokeLogin},
		{"LoginScopedToUser", testLoginScopedToUser},
		{"RevokeUserBoundary", testRevokeUserBoundary},
		{"RevokeUserOtherUser", testRevokeUserOtherUser},
		{"RevokeUserMonotonic", testRevokeUserMonotonic},
		{"ZeroIssued", testZeroIssued},
		{"PastUntil", testPastUntil},
		{"Invalid", testInvalid},
		{"ManyLoginsNeverForgotten", testManyLogins},
		{"ManyUsersNeverForgotten", testManyUsers},
		{"Concurrent", testConcurrent},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			require.NotNil(t, s, "newStore returned nil")
			tc.fn(t, s)
		})
	}
}

// id returns a fresh random id, so that no two subtests share a user.
func id(prefix string) string { return prefix + "-" + rand.Text() }

func revoked(t *testing.T, s revocation.Store, user, login string, issued time.Time) bool {
	t.Helper()
	ok, err := s.Revoked(t.Context(), user, login, issued)
	require.NoError(t, err, "Revoked")
	return ok
}

func testEmpty(t *testing.T, s revocation.Store) {
	now := time.Now()
	assert.False(t, revoked(t, s, id("u"), id("l"), now), "a fresh store revokes nothing")
	assert.False(t, revoked(t, s, id("u"), id("l"), now.Add(-time.Hour)))
}

func testRevokeLogin(t *testing.T, s revocation.Store) {
	u, l, other := id("u"), id("l"), id("l")
	issued := time.Now().Add(-time.Minute)
	require.NoError(t, s.RevokeLogin(t.Context(), u, l, time.Now().Add(lifetime)))
	assert.True(t, revoked(t, s, u, l, issued), "the revoked login")
	assert.True(t, revoked(t, s, u, l, time.Now().Add(time.Hour)), "a login record holds whatever the issue time")
	assert.False(t, revoked(t, s, u, other, issued), "another login of the same user")
	// Writing it again (say, a second logout request) keeps it revoked.
	require.NoError(t, s.RevokeLogin(t.Context(), u, l, time.Now().Add(time.Minute)))
	assert.True(t, revoked(t, s, u, l, issued))
}

func testLoginScopedToUser(t *testing.T, s revocation.Store) {
	a, b, l := id("u"), id("u"), id("l")
	require.NoError(t, s.RevokeLogin(t.Context(), a, l, time.Now().Add(lifetime)))
	assert.True(t, revoked(t, s, a, l, time.Now()))
	assert.False(t, revoked(t, s, b, l, time.Now()), "a login id is scoped to its user")
	// Ids that only differ in where a separator would fall stay apart.
	require.NoError(t, s.RevokeLogin(t.Context(), "ab:c", "d", time.Now().Add(lifetime)))
	assert.False(t, revoked(t, s, "ab", "c:d", time.Now()))
	assert.False(t, revoked(t, s, "ab:", "cd", time.Now()))
	assert.True(t, revoked(t, s, "ab:c", "d", time.Now()))
}

func testRevokeUserBoundary(t *testing.T, s revocation.Store) {
	u := id("u")
	before := time.Now().Add(-time.Second).Truncate(time.Microsecond).Add(123 * time.Nanosecond)
	require.NoError(t, s.RevokeUser(t.Context(), u, before, time.Now().Add(lifetime)))
	assert.True(t, revoked(t, s, u, id("l"), before.Add(-time.Hour)), "issued long before")
	assert.True(t, revoked(t, s, u, id("l"), before.Add(-time.Nanosecond)), "issued 1 ns before")
	assert.True(t, revoked(t, s, u, id("l"), before), "issued exactly at the epoch")
	assert.False(t, revoked(t, s, u, id("l"), before.Add(time.Nanosecond)), "issued 1 ns after")
	assert.False(t, revoked(t, s, u, id("l"), time.Now()), "issued later")
}

func testRevokeUserOtherUser(t *testing.T, s revocation.Store) {
	a, b := id("u"), id("u")
	now := time.Now()
	require.NoError(t, s.RevokeUser(t.Context(), a, now, now.Add(lifetime)))
	assert.True(t, revoked(t, s, a, id("l"), now.Add(-time.Minute)))
	assert.False(t, revoked(t, s, b, id("l"), now.Add(-time.Minute)), "another user is untouched")
	assert.False(t, revoked(t, s, a+"x", id("l"), now.Add(-time.Minute)), "a user whose id extends it")
	assert.False(t, revoked(t, s, a[:len(a)-1], id("l"), now.Add(-time.Minute)), "a user whose id is a prefix")
}

func testRevokeUserMonotonic(t *testing.T, s revocation.Store) {
	u := id("u")
	now := time.Now()
	later, earlier := now, now.Add(-10*time.Minute)
	require.NoError(t, s.RevokeUser(t.Context(), u, later, now.Add(lifetime)))
	require.NoError(t, s.RevokeUser(t.Context(), u, earlier, now.Add(2*lifetime)))
	assert.True(t, revoked(t, s, u, id("l"), later.Add(-time.Second)), "an earlier epoch must not undo a later one")
	assert.True(t, revoked(t, s, u, id("l"), later))
	// A login record and an epoch of the same user both hold.
	l := id("l")
	require.NoError(t, s.RevokeLogin(t.Context(), u, l, now.Add(lifetime)))
	assert.True(t, revoked(t, s, u, l, now.Add(time.Hour)))
	assert.True(t, revoked(t, s, u, id("l"), later), "the epoch survives a login record")
	assert.False(t, revoked(t, s, u, id("l"), later.Add(time.Second)))
}

func testZeroIssued(t *testing.T, s revocation.Store) {
	u := id("u")
	assert.False(t, revoked(t, s, u, id("l"), time.Time{}), "no records: nothing is revoked")
	require.NoError(t, s.RevokeUser(t.Context(), u, time.Now(), time.Now().Add(lifetime)))
	assert.True(t, revoked(t, s, u, id("l"), time.Time{}), "a login without an issue time is covered by every epoch")
}

func testPastUntil(t *testing.T, s revocation.Store) {
	u, l := id("u"), id("l")
	past := time.Now().Add(-time.Second)
	require.NoError(t, s.RevokeLogin(t.Context(), u, l, past))
	require.NoError(t, s.RevokeUser(t.Context(), u, time.Now(), past))
	assert.False(t, revoked(t, s, u, l, time.Now().Add(-time.Minute)), "a record that expired before it was written keeps nothing")
}

func testInvalid(t *testing.T, s revocation.Store) {
	ctx := t.Context()
	until := time.Now().Add(lifetime)
	for name, err := range map[string]error{
		"login, empty user":  s.RevokeLogin(ctx, "", id("l"), until),
		"login, empty login": s.RevokeLogin(ctx, id("u"), "", until),
		"user, empty user":   s.RevokeUser(ctx, "", time.Now(), until),
	} {
		assert.ErrorIs(t, err, revocation.ErrInvalid, name)
	}
	assert.False(t, revoked(t, s, "", "", time.Now().Add(-time.Minute)), "an invalid write records nothing")
	assert.False(t, revoked(t, s, "", id("l"), time.Now().Add(-time.Minute)))
}

// testManyLogins: one user logs out of many logins; a cap may end more of
// the user's logins, but never brings a revoked one back, and never
// touches another user.
func testManyLogins(t *testing.T, s revocation.Store) {
	u, other := id("u"), id("u")
	start := time.Now()
	const n = 300
	logins := make([]string, n)
	for i := range logins {
		logins[i] = id("l")
		require.NoError(t, s.RevokeLogin(t.Context(), u, logins[i], time.Now().Add(lifetime)))
	}
	for i, l := range logins {
		require.True(t, revoked(t, s, u, l, start), "login %d of %d came back", i, n)
	}
	assert.False(t, revoked(t, s, other, logins[0], start), "another user")
	assert.False(t, revoked(t, s, other, id("l"), start), "another user")
}

// testManyUsers: many users log out; no record is forgotten.
func testManyUsers(t *testing.T, s revocation.Store) {
	start := time.Now().Add(-time.Minute)
	const n = 300
	users := make([]string, n)
	for i := range users {
		users[i] = id("u")
		if i%2 == 0 {
			require.NoError(t, s.RevokeUser(t.Context(), users[i], time.Now(), time.Now().Add(lifetime)))
		} else {
			require.NoError(t, s.RevokeLogin(t.Context(), users[i], "login", time.Now().Add(lifetime)))
		}
	}
	for i, u := range users {
		require.True(t, revoked(t, s, u, "login", start), "user %d of %d came back", i, n)
	}
}

// testConcurrent: writers and readers at once; each write is visible to
// its writer as soon as it returns.
func testConcurrent(t *testing.T, s revocation.Store) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			u := id(fmt.Sprint("u", w))
			for i := range 40 {
				l := id("l")
				var err error
				if i%5 == 4 {
					err = s.RevokeUser(ctx, u, time.Now(), time.Now().Add(lifetime))
				} else {
					err = s.RevokeLogin(ctx, u, l, time.Now().Add(lifetime))
				}
				if err != nil {
					errs <- err
					return
				}
				ok, err := s.Revoked(ctx, u, l, start)
				if err != nil {
					errs <- err
					return
				}
				if !ok {
					errs <- errors.New("a write was not visible to its writer")
					return
				}
			}
		}()
	}
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fresh := id("u")
			for range 200 {
				ok, err := s.Revoked(ctx, fresh, "l", start)
				if err != nil {
					errs <- err
					return
				}
				if ok {
					errs <- errors.New("a user nobody revoked was reported revoked")
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		assert.NoError(t, err)
	}
}
