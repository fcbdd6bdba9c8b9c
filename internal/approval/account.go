package approval

import (
	"context"
	"errors"

	"github.com/unloq2fa/unloq2fa/internal/identity"
	"github.com/unloq2fa/unloq2fa/session"
	"github.com/unloq2fa/unloq2fa/store"
)

// Account returns the store's user of sess's login: NotLoggedIn for an
// anonymous session, NotVerified for a pending login, AccountChanged when
// the user is gone or the store answers for another id (ids compare
// exactly), Store when the store fails.
func (k Kinds) Account(ctx context.Context, op string, users store.UserStore, sess *session.Session) (store.User, error) {
	switch sess.State() {
	case session.StateVerified:
	case session.StateAnonymous:
		return store.User{}, k.Wrap(op, k.NotLoggedIn, nil)
	default:
		return store.User{}, k.Wrap(op, k.NotVerified, nil)
	}
	user, err := users.User(ctx, sess.UserID())
	if errors.Is(err, store.ErrUserNotFound) {
		return store.User{}, k.Wrap(op, k.AccountChanged, nil)
	}
	if err != nil {
		return store.User{}, k.Wrap(op, k.Store, err)
	}
	if user.ID != sess.UserID() { // ids compare exactly
		return store.User{}, k.Wrap(op, k.AccountChanged, nil)
	}
	return user, nil
}

// Recipient checks that the store's user is still the one the session
// logged in, and returns the recipient of the user's approvals: the user's
// UNLOQ address (identity.RecipientOf, with the address function f) must
// name the session's address sessAddr (identity.Same, the rules of the
// handlers), else AccountChanged. A user with an UNLOQ second factor whose
// address cannot be found or is not one UNLOQ accepts is refused with
// Address. A user without one and without such an address keeps its
// e-mail in the session, as the handlers do: it must match sessAddr byte
// for byte, and the recipient is the zero one (there is no one to ask).
func (k Kinds) Recipient(op string, users store.UserStore, f func(store.User) (string, error), user store.User, sessAddr string) (identity.Recipient, error) {
	rc, err := identity.RecipientOf(users, f, user)
	switch {
	case errors.Is(err, identity.ErrNoEmail), errors.Is(err, identity.ErrRefused), errors.Is(err, identity.ErrInvalid):
		if user.SecondFactor == store.SecondFactorUNLOQ {
			return identity.Recipient{}, k.Wrap(op, k.Address, err)
		}
		if user.Email != sessAddr {
			return identity.Recipient{}, k.Wrap(op, k.AccountChanged, nil)
		}
		return identity.Recipient{}, nil
	case err != nil:
		return identity.Recipient{}, k.Wrap(op, k.Store, err)
	}
	if !identity.Same(rc.Address, sessAddr) {
		return identity.Recipient{}, k.Wrap(op, k.AccountChanged, nil)
	}
	return rc, nil
}
