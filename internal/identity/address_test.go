package identity_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/internal/identity"
	"github.com/unloq2fa/unloq2fa/store"
)

func TestAddress(t *testing.T) {
	sam := store.User{ID: "7", Email: "sam@example.com"}

	got, err := identity.Address(nil, sam)
	require.NoError(t, err)
	assert.Equal(t, "sam@example.com", got, "default: the e-mail")

	_, err = identity.Address(nil, store.User{ID: "7"})
	assert.ErrorIs(t, err, identity.ErrNoEmail)

	_, err = identity.Address(nil, store.User{ID: "7", Email: "sam"})
	assert.ErrorIs(t, err, identity.ErrInvalid, "a username is no address")

	mapped := func(u store.User) (string, error) { return u.ID + "@users.example.com", nil }
	got, err = identity.Address(mapped, store.User{ID: "7"})
	require.NoError(t, err)
	assert.Equal(t, "7@users.example.com", got, "the function's address, without an e-mail")

	got, err = identity.Address(func(store.User) (string, error) { return " a@example.com\t", nil }, sam)
	require.NoError(t, err)
	assert.Equal(t, " a@example.com\t", got, "returned as written; the space is ignored by Same")

	boom := errors.New("no")
	_, err = identity.Address(func(store.User) (string, error) { return "", boom }, sam)
	assert.ErrorIs(t, err, identity.ErrRefused)
	assert.ErrorIs(t, err, boom, "the function's error is kept")

	for _, bad := range []string{"", "frank", "Sam <sam@example.com>", "sam@example.com\x00", "a b@example.com",
		strings.Repeat("a", identity.MaxAddressLen) + "@example.com", "<sam@example.com>"} {
		_, err = identity.Address(func(store.User) (string, error) { return bad, nil }, sam)
		assert.ErrorIs(t, err, identity.ErrInvalid, "%q", bad)
		assert.False(t, identity.Valid(bad), "%q", bad)
	}
	assert.True(t, identity.Valid("sam@example.com"))
}

// noIDs is a UserStore without the UnloqIDStore capability.
type noIDs struct{ store.UserStore }

func TestRecipient(t *testing.T) {
	mem := store.NewMemory()
	u := store.User{ID: "7", Email: "sam@example.com", UnloqID: "42"}

	r, err := identity.RecipientOf(mem, nil, u)
	require.NoError(t, err)
	assert.Equal(t, identity.Recipient{Address: "sam@example.com", UnloqID: "42"}, r)

	r, err = identity.RecipientOf(noIDs{mem}, nil, u)
	require.NoError(t, err)
	assert.Equal(t, identity.Recipient{Address: "sam@example.com"}, r, "a store without ids is asked by address")

	_, err = identity.RecipientOf(mem, nil, store.User{ID: "7", Email: "sam@example.com", UnloqID: "4 2"})
	assert.Error(t, err, "a malformed remembered id is not used")
	_, err = identity.RecipientOf(mem, nil, store.User{ID: "7", Email: "sam"})
	assert.ErrorIs(t, err, identity.ErrInvalid)

	r = identity.Recipient{Address: "sam@example.com", UnloqID: "42"}
	assert.True(t, r.Matches("42", "SAM@example.com"))
	assert.True(t, r.Matches("", ""), "left-out fields are not checked")
	assert.False(t, r.Matches("43", "sam@example.com"))
	assert.False(t, r.Matches("42", "mallory@example.com"))
	assert.False(t, r.Matches("", "\u017fam@example.com"))
	assert.True(t, identity.Recipient{Address: "sam@example.com"}.Matches("43", "sam@example.com"), "no id known: the e-mail decides")
}
