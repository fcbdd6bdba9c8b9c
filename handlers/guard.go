package handlers

import (
	"context"
	"time"
)

// Guard holds the short-lived records the flows need beyond the session:
// push rate limits, replay records of used tokens and logins, and in-flight
// markers (one approval at a time per pending login or per settings change).
//
// NewMemoryGuard is the default, for a single process. Several instances of
// an application behind a load balancer need a shared implementation (Redis,
// SQL, ...) with the same semantics. Every method takes the request context
// first. Any error makes the handlers refuse the request (fail closed).
// Package handlers/guardtest checks an implementation against this contract.
type Guard interface {
	// Allow records one event for key and reports whether it is within
	// limit events per window (a sliding window). A refused event is not
	// recorded.
	Allow(ctx context.Context, key string, limit int, window time.Duration) (bool, error)

	// Begin marks key as in flight for at most ttl. ok is false when key is
	// already in flight; then release is nil. release ends the mark early;
	// it is safe to call more than once and never ends a later mark of the
	// same key.
	Begin(ctx context.Context, key string, ttl time.Duration) (release func(), ok bool, err error)

	// MarkUsed records key as used for ttl and reports whether this was the
	// first use within that time (an atomic test-and-set).
	MarkUsed(ctx context.Context, key string, ttl time.Duration) (first bool, err error)

	// Used reports whether key is recorded by an unexpired MarkUsed. It
	// records nothing. The handlers ask it before a push or a token
	// exchange, so that a login that was completed or logged out cannot
	// reach the phone again; MarkUsed stays the atomic check at completion.
	Used(ctx context.Context, key string) (bool, error)
}
