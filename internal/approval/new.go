package approval

import (
	"errors"
	"fmt"

	"github.com/unloq2fa/unloq2fa/handlers/guard"
	"github.com/unloq2fa/unloq2fa/session"
	"github.com/unloq2fa/unloq2fa/store"
	"github.com/unloq2fa/unloq2fa/unloq"
)

// CheckNew refuses the nil arguments of a package's New; prefix names the
// package in the error.
func CheckNew(prefix string, client *unloq.Client, sm *session.Manager, users store.UserStore) error {
	switch {
	case client == nil:
		return errors.New(prefix + ": new: nil unloq client")
	case sm == nil:
		return errors.New(prefix + ": new: nil session manager")
	case users == nil:
		return errors.New(prefix + ": new: nil user store")
	}
	return nil
}

// OrMemoryGuard returns g, or a new guard.Memory when g is nil (no
// WithGuard): enough for one instance of an application.
func OrMemoryGuard(prefix string, g guard.Guard) (guard.Guard, error) {
	if g != nil {
		return g, nil
	}
	m, err := guard.NewMemory()
	if err != nil {
		return nil, fmt.Errorf("%s: new: %w", prefix, err)
	}
	return m, nil
}
