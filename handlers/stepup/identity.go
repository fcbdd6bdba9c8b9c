package stepup

import (
	"errors"

	"github.com/unloq2fa/unloq2fa/handlers"
	"github.com/unloq2fa/unloq2fa/internal/identity"
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
