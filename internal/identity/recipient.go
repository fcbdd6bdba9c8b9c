package identity

import (
	"fmt"

	"github.com/unloq2fa/unloq2fa/store"
)

// Recipient is whom UNLOQ is asked about a user (an authorisation, the
// encryption key): by UnloqID when the store remembers the user's UNLOQ
// id, else by Address.
type Recipient struct {
	Address string // the user's UNLOQ address (Address)
	UnloqID string // the remembered UNLOQ id, "" when none is known
}

// RecipientOf returns user's Recipient: the address from f (Address's
// errors), and the UNLOQ id when users keeps ids (store.UnloqIDStore) and
// knows one. A remembered id that store.ValidateUnloqID refuses is an
// error: the store is not to be trusted with whom to ask.
func RecipientOf(users store.UserStore, f func(store.User) (string, error), user store.User) (Recipient, error) {
	addr, err := Address(f, user)
	if err != nil {
		return Recipient{}, err
	}
	r := Recipient{Address: addr}
	if _, ok := users.(store.UnloqIDStore); ok && user.UnloqID != "" {
		if err := store.ValidateUnloqID(user.UnloqID); err != nil {
			return Recipient{}, fmt.Errorf("identity: remembered unloq_id: %w", err)
		}
		r.UnloqID = user.UnloqID
	}
	return r, nil
}

// Matches reports whether a reply of UNLOQ naming unloqID and email is
// about r's account. An empty unloqID or email (the reply leaves it out) is
// not checked; a non-empty one must be r's (the UNLOQ id exactly, when r
// has one; the e-mail by Same).
func (r Recipient) Matches(unloqID, email string) bool {
	if unloqID != "" && r.UnloqID != "" && unloqID != r.UnloqID {
		return false
	}
	return email == "" || Same(email, r.Address)
}
