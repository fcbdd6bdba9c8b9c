package encryptionkey

import (
	"errors"

	"github.com/unloq2fa/unloq2fa/handlers"
	"github.com/unloq2fa/unloq2fa/internal/identity"
	"github.com/unloq2fa/unloq2fa/unloq"
)

// WithUNLOQAddress sets how a user's UNLOQ address is found (default: the
// user's e-mail). Pass the function given to handlers.WithUNLOQAddress
// (for example handlers.VirtualAddress's): the session holds the address
// the login was approved for, and a key is asked for only when the
// store's user still maps to it. A user whose address cannot be found or
// is not one UNLOQ accepts is refused with ErrAddress.
func WithUNLOQAddress(f handlers.AddressFunc) Option {
	return func(c *config) error {
		if f == nil {
			return errors.New("encryptionkey: unloq address: nil function")
		}
		c.address = f
		return nil
	}
}

// request addresses a key request to rc: by UNLOQ id when the store
// remembers one, else by address.
func request(rc identity.Recipient) unloq.EncryptionRequest {
	if rc.UnloqID != "" {
		return unloq.EncryptionRequest{UnloqID: unloq.ID(rc.UnloqID)}
	}
	return unloq.EncryptionRequest{Email: rc.Address}
}
