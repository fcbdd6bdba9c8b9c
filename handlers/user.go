package handlers

import (
	"context"

	"github.com/unloq2fa/unloq2fa/store"
)

// user reads the user id from the store and checks what it returned: a
// second_factor other than exactly store.SecondFactorUNLOQ or "" (say
// "unloq" or " UNLOQ" from an application's own UserStore) is a CodeStore
// wrapping a *store.InvalidSecondFactorError. An unknown value must never
// be taken for "no second factor": that would log the user straight in.
func (h *Handlers) user(ctx context.Context, op, id string) (store.User, error) {
	u, err := h.users.User(ctx, id)
	if err != nil {
		return store.User{}, wrap(op, CodeStore, err)
	}
	if store.ValidateSecondFactor(u.SecondFactor) != nil {
		return store.User{}, wrap(op, CodeStore, &store.InvalidSecondFactorError{Op: "user store returned", Value: u.SecondFactor})
	}
	return u, nil
}

func hasUNLOQ(u store.User) bool { return u.SecondFactor == store.SecondFactorUNLOQ }
