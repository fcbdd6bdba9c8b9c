package guard

import (
	"context"
	"time"
)

// Guard holds the short-lived records the login and settings flows need
// beyond the session: rate limits, replay records of used tokens and
// completed logins, and in-flight markers (one approval at a time).
//
// Every record is charged to a Key: a kind, the user it belongs to and an id
// within them. Allow, Begin and MarkUsed keep separate records: the same Key
// given to two of them never interferes. Every method takes the request
// context first and fails with an error matching ErrInvalid, recording
// nothing, on an invalid Key (see Key.Validate) or a limit, window or ttl
// that is not positive. Callers
// treat any error as a refusal (fail closed).
//
// Memory is the implementation for a single process; package redisguard
// shares the records between instances. Package guardtest checks an
// implementation against this contract.
type Guard interface {
	// Allow records one event for k and reports whether it is within limit
	// events per window (a sliding window: the events of the last window,
	// whenever they happened). A refused event is not recorded.
	Allow(ctx context.Context, k Key, limit int, window time.Duration) (bool, error)

	// Begin marks k as in flight for at most ttl. ok is false when k is
	// already in flight; then release is nil. release ends the mark early:
	// it is safe to call more than once and from any goroutine, works after
	// ctx is canceled, and never ends a later mark of the same key (after a
	// release or after expiry).
	Begin(ctx context.Context, k Key, ttl time.Duration) (release func(), ok bool, err error)

	// MarkUsed records k as used for ttl and reports whether this was the
	// first use within that time (an atomic test-and-set).
	MarkUsed(ctx context.Context, k Key, ttl time.Duration) (first bool, err error)

	// Used reports whether k is recorded by an unexpired MarkUsed. It
	// records nothing.
	Used(ctx context.Context, k Key) (bool, error)
}
