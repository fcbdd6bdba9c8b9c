package store

import (
	"context"
	"errors"
	"fmt"
)

// UnloqIDStore is an optional capability of a UserStore: it remembers the
// user's UNLOQ id (the unloq_id UNLOQ returns with every approval), so that
// an approval can be tied to the UNLOQ account the user paired, not only to
// an e-mail address. The handlers use it when the UserStore they are given
// also implements UnloqIDStore; User then returns the remembered id in
// User.UnloqID.
//
// Implementations follow the UserStore rules (concurrency, ctx, exact ids)
// and in addition: SetUnloqID stores the value byte for byte ("" clears it,
// NULL in SQL), changes nothing else of the user (not the e-mail, not the
// second_factor), returns ErrUserNotFound for an unknown user, and refuses
// a value ValidateUnloqID refuses with an *InvalidUnloqIDError before
// looking the user up. A store that implements the method but is not set up
// to keep the id (an SQL store without WithUnloqIDColumn) returns
// ErrUnloqIDUnsupported from SetUnloqID and always reads User.UnloqID as
// "". The storetest package checks these rules.
type UnloqIDStore interface {
	// SetUnloqID remembers unloqID for the user with exactly this id; ""
	// forgets it.
	SetUnloqID(ctx context.Context, id, unloqID string) error
}

// ErrUnloqIDUnsupported is returned by SetUnloqID of a store that is not
// configured to keep UNLOQ ids. Callers treat it as "this store does not
// have the capability".
var ErrUnloqIDUnsupported = errors.New("store: this store does not keep UNLOQ ids")

// ErrInvalidUnloqID is matched (with errors.Is) by every
// *InvalidUnloqIDError.
var ErrInvalidUnloqID = errors.New("store: invalid UNLOQ id")

// MaxUnloqIDLen is the longest UNLOQ id a store accepts, in bytes. UNLOQ's
// ids are decimal integers; the bound leaves room for other forms while
// keeping a column small.
const MaxUnloqIDLen = 128

// InvalidUnloqIDError is the typed error for an UNLOQ id that
// ValidateUnloqID refuses. errors.Is(err, ErrInvalidUnloqID) matches it.
type InvalidUnloqIDError struct {
	// Op names the operation that met the value; it may be empty.
	Op string
	// Value is the rejected value.
	Value string
}

// Error implements error.
func (e *InvalidUnloqIDError) Error() string {
	v := e.Value
	if len(v) > maxShownValue {
		v = v[:maxShownValue] + "…"
	}
	op := ""
	if e.Op != "" {
		op = e.Op + ": "
	}
	return fmt.Sprintf("store: %sinvalid UNLOQ id %q (want 1-%d printable ASCII characters, or \"\" to clear)", op, v, MaxUnloqIDLen)
}

// Is reports whether target is ErrInvalidUnloqID.
func (e *InvalidUnloqIDError) Is(target error) bool { return target == ErrInvalidUnloqID }

// ValidateUnloqID returns nil for "" (no id) and for 1 to MaxUnloqIDLen
// printable ASCII characters without space (0x21–0x7E), and an
// *InvalidUnloqIDError for anything else.
func ValidateUnloqID(v string) error {
	if validUnloqID(v) {
		return nil
	}
	return &InvalidUnloqIDError{Value: v}
}

func validUnloqID(v string) bool {
	if len(v) > MaxUnloqIDLen {
		return false
	}
	for i := 0; i < len(v); i++ {
		if v[i] < 0x21 || v[i] > 0x7e {
			return false
		}
	}
	return true
}
