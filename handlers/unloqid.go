package handlers

import (
	"context"
	"errors"

	"github.com/unloq2fa/unloq2fa/store"
	"github.com/unloq2fa/unloq2fa/unloq"
)

// unloqIDs returns the store's UnloqIDStore capability, or nil.
func (h *Handlers) unloqIDs() store.UnloqIDStore {
	us, _ := h.users.(store.UnloqIDStore)
	return us
}

// knownUnloqID is the UNLOQ id the store remembers for userID ("" when the
// store does not keep ids or knows none yet).
func (h *Handlers) knownUnloqID(ctx context.Context, op, userID string) (string, error) {
	if h.unloqIDs() == nil {
		return "", nil
	}
	u, err := h.user(ctx, op, userID)
	if err != nil {
		return "", err
	}
	return u.UnloqID, nil
}

// bindUnloqID ties the checked token td of approval a to the UNLOQ account
// the store remembers for the user, when the store keeps UNLOQ ids:
//
//   - logins and turning two-step off: a token whose unloq_id differs from
//     the remembered one (or has none) is CodeWrongUser, even when its
//     e-mail matches; when none is remembered yet, the token's is
//     remembered;
//   - turning two-step on: the token's unloq_id is remembered, replacing
//     an older one (the user, fully logged in, pairs the UNLOQ account
//     that now holds the address).
//
// A store that does not keep ids (no UnloqIDStore, or
// store.ErrUnloqIDUnsupported) binds on the e-mail alone. Any other store
// error fails the approval (CodeStore).
func (h *Handlers) bindUnloqID(ctx context.Context, a approval, td *unloq.TokenData) error {
	us := h.unloqIDs()
	if us == nil {
		return nil
	}
	got := string(td.UnloqID)
	if a.flow != FlowEnroll {
		known, err := h.knownUnloqID(ctx, a.op, a.userID)
		if err != nil {
			return err
		}
		if known != "" {
			if got != known {
				return wrap(a.op, CodeWrongUser, errors.New("the token is for another UNLOQ account (unloq_id)"))
			}
			return nil
		}
	}
	if got == "" {
		return nil // nothing to remember; the e-mail matched
	}
	if err := store.ValidateUnloqID(got); err != nil {
		return wrap(a.op+": token", CodeUnavailable, errors.New("unusable unloq_id in the reply"))
	}
	err := us.SetUnloqID(ctx, a.userID, got)
	if err != nil && !errors.Is(err, store.ErrUnloqIDUnsupported) {
		return wrap(a.op, CodeStore, err)
	}
	return nil
}
