package storetest

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/store"
)

// unloqIDTests returns the subtests of the optional store.UnloqIDStore
// capability that apply to h.
func unloqIDTests(h Harness) []struct {
	name string
	fn   func(*testing.T, Harness)
} {
	type test = struct {
		name string
		fn   func(*testing.T, Harness)
	}
	if !h.UnloqID {
		return []test{{"UnloqIDUnsupported", testUnloqIDUnsupported}}
	}
	return []test{
		{"UnloqIDReadBack", testUnloqIDReadBack},
		{"UnloqIDSetAndClear", testUnloqIDSetAndClear},
		{"UnloqIDUnknownUser", testUnloqIDUnknownUser},
		{"UnloqIDInvalid", testUnloqIDInvalid},
		{"UnloqIDCanceledContext", testUnloqIDCanceledContext},
	}
}

// unloqIDStore returns s as a store.UnloqIDStore, failing t when it is not
// one.
func unloqIDStore(t *testing.T, s store.UserStore) store.UnloqIDStore {
	t.Helper()
	us, ok := s.(store.UnloqIDStore)
	require.True(t, ok, "Harness.UnloqID is set but %T does not implement store.UnloqIDStore", s)
	return us
}

// testUnloqIDUnsupported (without Harness.UnloqID): a store that has the
// method anyway must say it keeps no ids, change nothing, and read none.
func testUnloqIDUnsupported(t *testing.T, h Harness) {
	s := fixture(t, h, alice, bob)
	us, ok := s.(store.UnloqIDStore)
	if !ok {
		// Nothing to check: the store does not offer the capability, and
		// the handlers then bind on the e-mail alone.
		requireUser(t, s, alice)
		return
	}
	for _, id := range []string{alice.ID, bob.ID, "nobody"} {
		err := us.SetUnloqID(context.Background(), id, "12345")
		require.ErrorIs(t, err, store.ErrUnloqIDUnsupported,
			"%T implements store.UnloqIDStore: set Harness.UnloqID (and seed User.UnloqID) to check it, "+
				"or make SetUnloqID(%q) return store.ErrUnloqIDUnsupported", s, id)
	}
	requireUser(t, s, alice)
	requireUser(t, s, bob)
}

// unloqUsers have UNLOQ ids that only survive when kept byte for byte: a
// store that keeps them as numbers, trims or folds them fails.
var unloqUsers = []store.User{
	{ID: "u-1", Email: "u1@example.com", SecondFactor: store.SecondFactorUNLOQ, UnloqID: "12345"},
	{ID: "u-2", Email: "u2@example.com", SecondFactor: store.SecondFactorUNLOQ, UnloqID: "0012345"},
	{ID: "u-3", Email: "u3@example.com", UnloqID: "1e3"},
	{ID: "u-4", Email: "u4@example.com", UnloqID: "AbC-xYz_09"},
	{ID: "u-5", Email: "u5@example.com", SecondFactor: store.SecondFactorUNLOQ}, // none yet
	{ID: "u-6", Email: "u6@example.com", UnloqID: strings.Repeat("9", store.MaxUnloqIDLen)},
}

func testUnloqIDReadBack(t *testing.T, h Harness) {
	s := fixture(t, h, unloqUsers...)
	unloqIDStore(t, s)
	for _, u := range unloqUsers {
		requireUser(t, s, u)
	}
}

func testUnloqIDSetAndClear(t *testing.T, h Harness) {
	ctx := context.Background()
	s := fixture(t, h, unloqUsers...)
	us := unloqIDStore(t, s)
	want := map[string]store.User{}
	for _, u := range unloqUsers {
		want[u.ID] = u
	}
	check := func(step string) {
		t.Helper()
		for _, u := range want {
			got, err := s.User(ctx, u.ID)
			require.NoError(t, err, "%s: User(%q)", step, u.ID)
			require.Equal(t, u, got, "%s: User(%q)", step, u.ID)
		}
	}
	steps := []struct {
		name, id, value string
	}{
		{"first id", "u-5", "777"},
		{"same id again", "u-5", "777"},
		{"leading zeros kept", "u-5", "000777"},
		{"replace", "u-1", "54321"},
		{"clear", "u-2", ""},
		{"clear again", "u-2", ""},
		{"longest", "u-3", strings.Repeat("8", store.MaxUnloqIDLen)},
	}
	for _, st := range steps {
		require.NoError(t, us.SetUnloqID(ctx, st.id, st.value), st.name)
		u := want[st.id]
		u.UnloqID = st.value // and nothing else: e-mail and second factor stay
		want[st.id] = u
		check(st.name)
	}
	// Setting the second factor leaves the UNLOQ id alone.
	for _, v := range []string{"", store.SecondFactorUNLOQ} {
		require.NoError(t, s.SetSecondFactor(ctx, "u-1", v))
		u := want["u-1"]
		u.SecondFactor = v
		want["u-1"] = u
		check("set second factor " + v)
	}
}

func testUnloqIDUnknownUser(t *testing.T, h Harness) {
	ctx := context.Background()
	s := fixture(t, h, unloqUsers[0], unloqUsers[4])
	us := unloqIDStore(t, s)
	for _, id := range []string{"nobody", "", "U-1", "u-1 ", " u-1", "u-10", "u"} {
		for _, v := range []string{"999", ""} {
			err := us.SetUnloqID(ctx, id, v)
			assert.ErrorIs(t, err, store.ErrUserNotFound, "SetUnloqID(%q, %q)", id, v)
			_, err = s.User(ctx, id)
			assert.ErrorIs(t, err, store.ErrUserNotFound, "User(%q) after a set on a missing user", id)
		}
	}
	requireUser(t, s, unloqUsers[0])
	requireUser(t, s, unloqUsers[4])
}

func testUnloqIDInvalid(t *testing.T, h Harness) {
	ctx := context.Background()
	s := fixture(t, h, unloqUsers[0], unloqUsers[4])
	us := unloqIDStore(t, s)
	bad := []string{
		" 1", "1 ", "1\n", "\t1", "1 2", "\x00", "１２３", "ıd", "12\x7f",
		strings.Repeat("9", store.MaxUnloqIDLen+1),
	}
	for _, id := range []string{unloqUsers[0].ID, unloqUsers[4].ID, "nobody"} {
		for _, v := range bad {
			err := us.SetUnloqID(ctx, id, v)
			require.Error(t, err, "SetUnloqID(%q, %q)", id, v)
			assert.ErrorIs(t, err, store.ErrInvalidUnloqID, "SetUnloqID(%q, %q)", id, v)
			var typed *store.InvalidUnloqIDError
			if assert.ErrorAs(t, err, &typed, "SetUnloqID(%q, %q)", id, v) {
				assert.Equal(t, v, typed.Value)
			}
			assert.NotErrorIs(t, err, store.ErrUserNotFound, "an invalid value must be reported before the lookup")
		}
	}
	requireUser(t, s, unloqUsers[0])
	requireUser(t, s, unloqUsers[4])
}

func testUnloqIDCanceledContext(t *testing.T, h Harness) {
	s := fixture(t, h, unloqUsers[0], unloqUsers[4])
	us := unloqIDStore(t, s)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, id := range []string{unloqUsers[0].ID, unloqUsers[4].ID, "nobody"} {
		err := us.SetUnloqID(ctx, id, "4242")
		require.Error(t, err, "SetUnloqID(%q) with a canceled context", id)
		assert.ErrorIs(t, err, context.Canceled, "SetUnloqID(%q)", id)
		assert.NotErrorIs(t, err, store.ErrUserNotFound, "SetUnloqID(%q)", id)
	}
	requireUser(t, s, unloqUsers[0])
	requireUser(t, s, unloqUsers[4])
}
