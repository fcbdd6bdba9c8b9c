package store

import (
	"fmt"

	"github.com/unloq2fa/unloq2fa/internal/sqlident"
)

// checkIdentifier returns an error naming what (e.g. "table") when name is
// not a valid identifier (sqlident.Valid).
func checkIdentifier(what, name string) error {
	if !sqlident.Valid(name) {
		return fmt.Errorf("store: sql: invalid %s name %q: want ^[A-Za-z_][A-Za-z0-9_]*$, at most %d bytes", what, name, sqlident.MaxLen)
	}
	return nil
}
