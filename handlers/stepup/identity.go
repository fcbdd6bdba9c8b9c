package stepup

import (
	"errors"

	"github.com/unloq2fa/unloq2fa/handlers"
	"github.com/unloq2fa/unloq2fa/internal/identity"
	"github.com/unloq2fa/unloq2fa/store"
	"github.com/unloq2fa/unloq2fa/unloq"
)

// WithUNLOQAddress sets how a user's UNLOQ address is found (default: the
// user's e-mail). Pass the function given to handlers.WithUNLOQAddress
// (for example handlers.VirtualAddress's): the session holds the address
// the login was approved for, and a step-up is asked only when the store's
// user still maps to it. A user with UNLOQ whose address cannot be found
// or is not one UNLOQ accepts is refused with ErrAddress.
func WithUNLOQAddress(f handlers.AddressFunc) Option {
	return func(c *config) error {
		if f == nil {
			return errors.New("stepup: unloq address: nil function")
		}
		c.address = f
		return nil
	}
}

// request addresses an authorisation to rc: by UNLOQ id when the store
// remembers one (UNLOQ's own handle on the paired account), else by
// address.
func request(rc identity.Recipient) unloq.AuthorizeRequest {
	if rc.UnloqID != "" {
		return unloq.AuthorizeRequest{UnloqID: unloq.ID(rc.UnloqID)}
	}
	return unloq.AuthorizeRequest{Email: rc.Address}
}

// sameIdentity checks that the store's user is still the one the session
// logged in: the user's UNLOQ address must name the session's address
// (identity.Same, the rules of the handlers). A user without an UNLOQ
// second factor and without an UNLOQ address keeps its e-mail in the
// session, as the handlers do, and must match it byte for byte. It returns
// the recipient of the user's approvals.
func (s *StepUp) sameIdentity(op string, user store.User, sessAddr string) (identity.Recipient, error) {
	rc, err := identity.RecipientOf(s.users, s.cfg.address, user)
	switch {
	case errors.Is(err, identity.ErrNoEmail), errors.Is(err, identity.ErrRefused), errors.Is(err, identity.ErrInvalid):
		if user.SecondFactor == store.SecondFactorUNLOQ {
			return identity.Recipient{}, wrap(op, ErrAddress, err)
		}
		if user.Email != sessAddr {
			return identity.Recipient{}, wrap(op, ErrAccountChanged, nil)
		}
		return identity.Recipient{}, nil
	case err != nil:
		return identity.Recipient{}, wrap(op, ErrStore, err)
	}
	if !identity.Same(rc.Address, sessAddr) {
		return identity.Recipient{}, wrap(op, ErrAccountChanged, nil)
	}
	return rc, nil
}

// checkReply refuses an approval whose reply names another UNLOQ account
// than the one asked (identity.Recipient.Matches).
func checkReply(op string, rc identity.Recipient, res *unloq.ApprovalResult) error {
	if res == nil {
		return nil
	}
	ok := rc.Matches(string(res.UnloqID), "")
	if res.User != nil {
		ok = ok && rc.Matches(string(res.User.UnloqID), res.User.Email)
	}
	if !ok {
		return wrap(op, ErrAccountChanged, errors.New("the approval is for another UNLOQ account"))
	}
	return nil
}
