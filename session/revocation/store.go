package revocation

import (
	"context"
	"errors"
	"time"
)

// Store records ended logins. Implementations are safe for concurrent use.
//
// Times are compared with nanosecond precision. A record may be kept longer
// than asked (that only ends logins that have expired anyway), never
// shorter; a Store may also end more logins than asked when a cap is
// reached, never fewer. A write whose until is not in the future records
// nothing. The revocationtest package checks these rules.
type Store interface {
	// RevokeLogin ends the login loginID of userID. The record is kept
	// until until, the natural expiry of that login.
	RevokeLogin(ctx context.Context, userID, loginID string, until time.Time) error

	// RevokeUser ends every login of userID issued at or before before.
	// The record is kept until until, when every such login has expired
	// anyway. A later call with an earlier before never undoes an earlier
	// call with a later one.
	RevokeUser(ctx context.Context, userID string, before, until time.Time) error

	// Revoked reports whether the login loginID of userID, issued at
	// issued, was ended. It is called on every request that carries a
	// login: implementations answer from memory. A non-nil error means the
	// store cannot tell, and the caller must refuse access.
	Revoked(ctx context.Context, userID, loginID string, issued time.Time) (bool, error)
}

// ErrUnavailable is matched (errors.Is) by the errors of a Store that
// cannot currently vouch for its records (a shared backend that lost its
// connection or has not synchronised yet).
var ErrUnavailable = errors.New("revocation: store unavailable")

// ErrInvalid is matched by the errors of a write with an empty user id or
// an empty login id.
var ErrInvalid = errors.New("revocation: invalid record")
