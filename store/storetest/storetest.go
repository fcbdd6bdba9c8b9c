package storetest

import (
	"context"

	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/store"
)

// Harness connects the suite to an implementation.
type Harness struct {
	// New returns a fresh, empty store. It is called once per subtest; use
	// t.Cleanup to release what it opens.
	New func(t *testing.T) store.UserStore
	// Seed adds u to s (a store New returned), failing t on error.
	// u.SecondFactor is "" or store.SecondFactorUNLOQ, unless RawSeed.
	Seed func(t *testing.T, s store.UserStore, u store.User)
	// RawSeed reports that Seed writes u.SecondFactor as given, even a
	// value the store would refuse to write (as a database column can hold
	// anything the application or an administrator put there). The suite
	// then also checks that such a value is never returned by User.
	RawSeed bool
	// UnloqID reports that the store keeps UNLOQ ids: it implements
	// store.UnloqIDStore, is set up to keep them, and Seed writes
	// u.UnloqID. The suite then checks the capability (exact bytes, no
	// effect on the other fields, unknown users, invalid values). Without
	// it, a store that implements store.UnloqIDStore must answer
	// store.ErrUnloqIDUnsupported and read every UnloqID as "".
	UnloqID bool
}

// Run runs the conformance suite against the implementation h describes.
func Run(t *testing.T, h Harness) {
	t.Helper()
	if h.New == nil || h.Seed == nil {
		t.Fatal("storetest: Harness.New and Harness.Seed are required")
	}
	tests := []struct {
		name string
		fn   func(*testing.T, Harness)
	}{
		{"UnknownID", testUnknownID},
		{"ReadBack", testReadBack},
		{"SetAndClear", testSetAndClear},
		{"SetUnknownID", testSetUnknownID},
		{"InvalidValue", testInvalidValue},
		{"CanceledContext", testCanceledContext},
		{"Concurrent", testConcurrent},
		{"ExactIDs", testExactIDs},
		{"ExactEmails", testExactEmails},
	}
	if h.RawSeed {
		tests = append(tests, struct {
			name string
			fn   func(*testing.T, Harness)
		}{"InvalidStoredValue", testInvalidStoredValue})
	}
	tests = append(tests, unloqIDTests(h)...)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, h) })
	}
}

// fixture returns a fresh store seeded with users.
func fixture(t *testing.T, h Harness, users ...store.User) store.UserStore {
	t.Helper()
	s := h.New(t)
	require.NotNil(t, s, "Harness.New returned nil")
	for _, u := range users {
		h.Seed(t, s, u)
	}
	return s
}

// requireUser asserts that id reads back as want.
func requireUser(t *testing.T, s store.UserStore, want store.User) {
	t.Helper()
	got, err := s.User(context.Background(), want.ID)
	require.NoError(t, err, "User(%q)", want.ID)
	requireValidSecondFactor(t, got)
	require.Equal(t, want, got, "User(%q)", want.ID)
}

// requireValidSecondFactor fails t when u's second factor is neither ""
// nor exactly store.SecondFactorUNLOQ: the handlers refuse any other value
// (fail closed), so the user could not log in.
func requireValidSecondFactor(t *testing.T, u store.User) {
	t.Helper()
	require.NoError(t, store.ValidateSecondFactor(u.SecondFactor),
		"User(%q) returned second factor %q; only %q and %q are valid", u.ID, u.SecondFactor, "", store.SecondFactorUNLOQ)
}

var (
	alice = store.User{ID: "alice-1", Email: "alice@example.com", SecondFactor: ""}
	bob   = store.User{ID: "bob-2", Email: "bob@example.com", SecondFactor: store.SecondFactorUNLOQ}
)

func testUnknownID(t *testing.T, h Harness) {
	s := fixture(t, h, alice)
	for _, id := range []string{"nobody", "", "alice", "alice-10"} {
		_, err := s.User(context.Background(), id)
		assert.ErrorIs(t, err, store.ErrUserNotFound, "User(%q)", id)
	}
	empty := fixture(t, h)
	_, err := empty.User(context.Background(), alice.ID)
	assert.ErrorIs(t, err, store.ErrUserNotFound, "User on an empty store")
}

func testReadBack(t *testing.T, h Harness) {
	carol := store.User{ID: "c-3", Email: "Carol.Ünïcode+2fa@example.org", SecondFactor: ""}
	s := fixture(t, h, alice, bob, carol)
	for _, u := range []store.User{alice, bob, carol} {
		requireUser(t, s, u)
	}
}

func testSetAndClear(t *testing.T, h Harness) {
	ctx := context.Background()
	s := fixture(t, h, alice, bob)

	steps := []struct {
		name  string
		id    string
		value string
	}{
		{"enable", alice.ID, store.SecondFactorUNLOQ},
		{"enable again", alice.ID, store.SecondFactorUNLOQ},
		{"clear", alice.ID, ""},
		{"clear again", alice.ID, ""},
		{"clear other", bob.ID, ""},
		{"enable other", bob.ID, store.SecondFactorUNLOQ},
	}
	want := map[string]store.User{alice.ID: alice, bob.ID: bob}
	for _, st := range steps {
		require.NoError(t, s.SetSecondFactor(ctx, st.id, st.value), st.name)
		u := want[st.id]
		u.SecondFactor = st.value
		want[st.id] = u
		for _, w := range want {
			requireUser(t, s, w)
		}
	}
}

func testSetUnknownID(t *testing.T, h Harness) {
	ctx := context.Background()
	s := fixture(t, h, alice)
	for _, id := range []string{"nobody", "", "ALICE-1"} {
		for _, v := range []string{store.SecondFactorUNLOQ, ""} {
			err := s.SetSecondFactor(ctx, id, v)
			assert.ErrorIs(t, err, store.ErrUserNotFound, "SetSecondFactor(%q, %q)", id, v)
			_, err = s.User(ctx, id)
			assert.ErrorIs(t, err, store.ErrUserNotFound, "User(%q) after a set on a missing user", id)
		}
	}
	requireUser(t, s, alice)
}

func testInvalidValue(t *testing.T, h Harness) {
	ctx := context.Background()
	s := fixture(t, h, alice, bob)
	bad := []string{"unloq", "Unloq", " UNLOQ", "UNLOQ ", "UNLOQ\n", "OTP", "EMAIL", "TOTP", "0", "true", "NULL", "x", "UNLOQUNLOQ"}
	for _, id := range []string{alice.ID, bob.ID, "nobody"} {
		for _, v := range bad {
			err := s.SetSecondFactor(ctx, id, v)
			require.Error(t, err, "SetSecondFactor(%q, %q)", id, v)
			assert.ErrorIs(t, err, store.ErrInvalidSecondFactor, "SetSecondFactor(%q, %q)", id, v)
			var typed *store.InvalidSecondFactorError
			if assert.ErrorAs(t, err, &typed, "SetSecondFactor(%q, %q)", id, v) {
				assert.Equal(t, v, typed.Value)
			}
			assert.NotErrorIs(t, err, store.ErrUserNotFound, "invalid value must be reported before lookup")
		}
	}
	requireUser(t, s, alice)
	requireUser(t, s, bob)
}

func testCanceledContext(t *testing.T, h Harness) {
	s := fixture(t, h, alice, bob)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()

	for _, id := range []string{alice.ID, "nobody"} {
		_, err := s.User(ctx, id)
		require.Error(t, err, "User(%q) with a canceled context", id)
		assert.ErrorIs(t, err, context.Canceled, "User(%q)", id)
		assert.NotErrorIs(t, err, store.ErrUserNotFound, "User(%q)", id)
	}
	for _, c := range []struct{ id, value string }{
		{alice.ID, store.SecondFactorUNLOQ}, {bob.ID, ""}, {"nobody", store.SecondFactorUNLOQ},
	} {
		err := s.SetSecondFactor(ctx, c.id, c.value)
		require.Error(t, err, "SetSecondFactor(%q, %q) with a canceled context", c.id, c.value)
		assert.ErrorIs(t, err, context.Canceled, "SetSecondFactor(%q)", c.id)
		assert.NotErrorIs(t, err, store.ErrUserNotFound, "SetSecondFactor(%q)", c.id)
	}
	// Nothing changed.
	requireUser(t, s, alice)
	requireUser(t, s, bob)
}

func testConcurrent(t *testing.T, h Harness) {
	const (
		users   = 4
		workers = 8
		rounds  = 25
	)
	seeded := make([]store.User, users)
	for i := range seeded {
		seeded[i] = store.User{ID: fmt.Sprintf("conc-%d", i), Email: fmt.Sprintf("conc%d@example.com", i)}
	}
	s := fixture(t, h, seeded...)

	ctx := context.Background()
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		errs = append(errs, err)
	}
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := 0; r < rounds; r++ {
				u := seeded[(w+r)%users]
				value := ""
				if (w+r)%2 == 0 {
					value = store.SecondFactorUNLOQ
				}
				if err := s.SetSecondFactor(ctx, u.ID, value); err != nil {
					fail(fmt.Errorf("SetSecondFactor(%q, %q): %w", u.ID, value, err))
					return
				}
				got, err := s.User(ctx, u.ID)
				if err != nil {
					fail(fmt.Errorf("User(%q): %w", u.ID, err))
					return
				}
				if got.ID != u.ID || got.Email != u.Email || store.ValidateSecondFactor(got.SecondFactor) != nil {
					fail(fmt.Errorf("User(%q) = %+v, want id and e-mail of %+v and a valid second factor", u.ID, got, u))
					return
				}
			}
		}()
	}
	wg.Wait()
	require.Empty(t, errs)

	// A final, sequential write wins.
	for _, u := range seeded {
		require.NoError(t, s.SetSecondFactor(ctx, u.ID, store.SecondFactorUNLOQ))
		u.SecondFactor = store.SecondFactorUNLOQ
		requireUser(t, s, u)
	}
}

func testExactIDs(t *testing.T, h Harness) {
	ctx := context.Background()
	one := store.User{ID: "1", Email: "one@example.com"}
	abc := store.User{ID: "abc", Email: "abc@example.com"}
	mixed := store.User{ID: "MiXeD", Email: "mixed@example.com"}
	uni := store.User{ID: "é", Email: "e-acute@example.com"}
	s := fixture(t, h, one, abc, mixed, uni)

	lookalikes := []string{
		"1 ", " 1", "01", "+1", "1.0", "1e0", "\t1", "1\n",
		"ABC", "Abc", "abc ", " abc", "ab", "abcd",
		"mixed", "MIXED", "Mixed",
		"É", "e\u0301", // upper case; decomposed form of é
	}
	for _, id := range lookalikes {
		_, err := s.User(ctx, id)
		assert.ErrorIs(t, err, store.ErrUserNotFound, "User(%q)", id)
		err = s.SetSecondFactor(ctx, id, store.SecondFactorUNLOQ)
		assert.ErrorIs(t, err, store.ErrUserNotFound, "SetSecondFactor(%q)", id)
	}
	// None of the look-alike writes touched the real users.
	for _, u := range []store.User{one, abc, mixed, uni} {
		requireUser(t, s, u)
	}
	// The exact ids still work.
	for _, u := range []store.User{one, abc, mixed, uni} {
		require.NoError(t, s.SetSecondFactor(ctx, u.ID, store.SecondFactorUNLOQ))
		u.SecondFactor = store.SecondFactorUNLOQ
		requireUser(t, s, u)
	}
}

// testExactEmails checks that e-mails are kept and returned byte for byte.
// The handlers tell people apart by e-mail (ASCII case aside): a store that
// folded, trimmed or normalised addresses could hand one user another
// one's address, for instance "ſam@…" (U+017F) or "sam@…" with a Kelvin
// sign for "k", which Unicode folding takes for "sam@…".
func testExactEmails(t *testing.T, h Harness) {
	users := []store.User{
		{ID: "e-1", Email: "sam.kirk@example.com"},
		{ID: "e-2", Email: "\u017fam.kirk@example.com"},               // long s
		{ID: "e-3", Email: "sam.\u212airk@example.com"},               // Kelvin sign
		{ID: "e-4", Email: "SAM.KIRK@EXAMPLE.COM"},                    // ASCII upper case
		{ID: "e-5", Email: "\uff53\uff41\uff4d.kirk@example.com"},     // fullwidth letters
		{ID: "e-6", Email: "s\u00e9@example.com"},                     // precomposed é
		{ID: "e-7", Email: "se\u0301@example.com"},                    // e + combining acute
		{ID: "e-8", Email: "sam.kirk@example.com\u00a0"},              // trailing no-break space
		{ID: "e-9", Email: "sam.kirk@example.com.", SecondFactor: ""}, // trailing dot
	}
	s := fixture(t, h, users...)
	for _, u := range users {
		requireUser(t, s, u)
	}
}

// testInvalidStoredValue (only with Harness.RawSeed) checks that a stored
// second_factor other than "" or store.SecondFactorUNLOQ is reported as an
// *store.InvalidSecondFactorError, never returned as if it were valid.
func testInvalidStoredValue(t *testing.T, h Harness) {
	bad := []string{"unloq", "Unloq", " UNLOQ", "UNLOQ ", "TOTP", "0", "true"}
	users := make([]store.User, len(bad))
	for i, v := range bad {
		users[i] = store.User{ID: fmt.Sprintf("raw-%d", i), Email: fmt.Sprintf("raw%d@example.com", i), SecondFactor: v}
	}
	s := fixture(t, h, users...)
	for _, u := range users {
		got, err := s.User(context.Background(), u.ID)
		require.Error(t, err, "User(%q) with stored second factor %q returned %+v", u.ID, u.SecondFactor, got)
		assert.ErrorIs(t, err, store.ErrInvalidSecondFactor, "User(%q)", u.ID)
		var typed *store.InvalidSecondFactorError
		if assert.ErrorAs(t, err, &typed, "User(%q)", u.ID) {
			assert.Equal(t, u.SecondFactor, typed.Value)
		}
		assert.NotErrorIs(t, err, store.ErrUserNotFound, "User(%q)", u.ID)
	}
}
