package store

import (
	"context"
	"errors"
	"fmt"
)

// SecondFactorUNLOQ is the second_factor value of a user who has enrolled in
// UNLOQ two-step verification. The only other accepted value is "" (NULL in
// SQL), meaning no second factor.
const SecondFactorUNLOQ = "UNLOQ"

// User is what unloq2fa needs to know about one of the application's users.
type User struct {
	// ID is the application's user id, compared exactly.
	ID string
	// Email is the address UNLOQ knows the user by, returned byte for byte
	// as stored: the handlers compare it exactly (ASCII letter case and
	// ASCII space around aside), so a store must not fold, trim or
	// normalise it.
	Email string
	// SecondFactor is SecondFactorUNLOQ or "".
	SecondFactor string
	// UnloqID is the user's UNLOQ id as remembered by a store that
	// implements UnloqIDStore, byte for byte; "" when none is known (and
	// always "" for a store without that capability).
	UnloqID string
}

// UserStore reads and writes the users' second_factor.
//
// Implementations must be safe for concurrent use, honour ctx (a canceled
// context is an error wrapping ctx.Err()), return ErrUserNotFound only for a
// user that does not exist, and accept only "" and SecondFactorUNLOQ as
// values (anything else is an ErrInvalidSecondFactor and changes nothing).
// The storetest package checks these rules.
type UserStore interface {
	// User returns the user with exactly this id, or ErrUserNotFound.
	User(ctx context.Context, id string) (User, error)
	// SetSecondFactor sets the user's second_factor; "" clears it (NULL in
	// SQL). It returns ErrUserNotFound if no user has this id.
	SetSecondFactor(ctx context.Context, id, value string) error
}

// ErrUserNotFound reports that no user has the requested id. System errors
// are never reported as ErrUserNotFound.
var ErrUserNotFound = errors.New("store: user not found")

// ErrInvalidSecondFactor is matched (with errors.Is) by every
// *InvalidSecondFactorError: a second_factor value other than "" or
// SecondFactorUNLOQ was written, or was found in the database.
var ErrInvalidSecondFactor = errors.New("store: invalid second factor")

// InvalidSecondFactorError is the typed error for a second_factor value
// other than "" or SecondFactorUNLOQ. errors.Is(err, ErrInvalidSecondFactor)
// matches it.
type InvalidSecondFactorError struct {
	// Op names the operation that met the value ("set second factor",
	// "user", ...); it may be empty.
	Op string
	// Value is the rejected value.
	Value string
}

// maxShownValue bounds how much of a rejected value the error text repeats.
const maxShownValue = 32

// Error implements error.
func (e *InvalidSecondFactorError) Error() string {
	v := e.Value
	if len(v) > maxShownValue {
		v = v[:maxShownValue] + "…"
	}
	op := ""
	if e.Op != "" {
		op = e.Op + ": "
	}
	return fmt.Sprintf("store: %sinvalid second factor %q (want %q or %q)", op, v, "", SecondFactorUNLOQ)
}

// Is reports whether target is ErrInvalidSecondFactor.
func (e *InvalidSecondFactorError) Is(target error) bool {
	return target == ErrInvalidSecondFactor
}

// ValidateSecondFactor returns nil for "" and SecondFactorUNLOQ and an
// *InvalidSecondFactorError for anything else. The comparison is exact:
// "unloq" and " UNLOQ" are rejected.
func ValidateSecondFactor(value string) error {
	if validSecondFactor(value) {
		return nil
	}
	return &InvalidSecondFactorError{Value: value}
}

// validSecondFactor reports whether value is "" or SecondFactorUNLOQ.
func validSecondFactor(value string) bool {
	return value == "" || value == SecondFactorUNLOQ
}
