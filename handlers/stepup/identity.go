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

// recipient is whom UNLOQ is asked: the UNLOQ id the store remembers for
// the user when it keeps ids and knows one (UNLOQ's own handle on the
// paired account), else the user's UNLOQ address.
type recipient struct {
	addr    string
	unloqID string
}

func (r recipient) request() unloq.AuthorizeRequest {
	if r.unloqID != "" {
		return unloq.AuthorizeRequest{UnloqID: unloq.ID(r.unloqID)}
	}
	return unloq.AuthorizeRequest{Email: r.addr}
}

// sameIdentity checks that the store's user is still the one the session
// logged in: the user's UNLOQ address (identity.Address) must name the
// session's address (identity.Same, the rules of the handlers). A user
// without an UNLOQ second factor and without an UNLOQ address keeps its
// e-mail in the session, as the handlers do, and must match it byte for
// byte. It returns the recipient of the user's approvals.
func (s *StepUp) sameIdentity(op string, user store.User, sessAddr string) (recipient, error) {
	addr, err := identity.Address(s.cfg.address, user)
	if err != nil {
		if user.SecondFactor == store.SecondFactorUNLOQ {
			return recipient{}, wrap(op, ErrAddress, err)
		}
		if user.Email != sessAddr {
			return recipient{}, wrap(op, ErrAccountChanged, nil)
		}
		return recipient{}, nil
	}
	if !identity.Same(addr, sessAddr) {
		return recipient{}, wrap(op, ErrAccountChanged, nil)
	}
	rc := recipient{addr: addr}
	if _, ok := s.users.(store.UnloqIDStore); ok && user.UnloqID != "" {
		if err := store.ValidateUnloqID(user.UnloqID); err != nil {
			return recipient{}, wrap(op, ErrStore, err)
		}
		rc.unloqID = user.UnloqID
	}
	return rc, nil
}

// checkReply refuses an approval whose reply names another UNLOQ account
// than the one asked (by unloq_id, or by address in the user data). Fields
// the reply leaves out are not checked.
func checkReply(op string, rc recipient, res *unloq.ApprovalResult) error {
	if res == nil {
		return nil
	}
	ids := []unloq.ID{res.UnloqID}
	if res.User != nil {
		ids = append(ids, res.User.UnloqID)
		if res.User.Email != "" && !identity.Same(res.User.Email, rc.addr) {
			return wrap(op, ErrAccountChanged, errors.New("the approval is for another UNLOQ account (e-mail)"))
		}
	}
	for _, id := range ids {
		if rc.unloqID != "" && id != "" && string(id) != rc.unloqID {
			return wrap(op, ErrAccountChanged, errors.New("the approval is for another UNLOQ account (unloq_id)"))
		}
	}
	return nil
}
