package recovery

import (
	"context"
	"errors"
	"fmt"
)

// MaxSetSize is the largest set a CodeStore must accept in Replace, and the
// largest count WithCount allows.
const MaxSetSize = 100

// Hashed is one stored recovery code: its public identifier (the code's
// first group) and the slow hash of the whole code. The store treats Hash as
// opaque bytes.
type Hashed struct {
	ID   string
	Hash []byte
}

// Outcome is the result of CodeStore.Consume.
type Outcome int

const (
	// NoMatch: the user has no code with that id, or verify returned
	// false, or the code changed (a Replace) between the read and the
	// write. Nothing was consumed.
	NoMatch Outcome = iota + 1
	// Consumed: verify returned true for an unused code, and this call
	// marked it used. Exactly one call can get Consumed for a code.
	Consumed
	// AlreadyUsed: verify returned true for a code that was used before
	// (or by a concurrent call that won). Nothing changed.
	AlreadyUsed
)

// String returns "no match", "consumed", "already used" or "Outcome(N)".
func (o Outcome) String() string {
	switch o {
	case NoMatch:
		return "no match"
	case Consumed:
		return "consumed"
	case AlreadyUsed:
		return "already used"
	default:
		return fmt.Sprintf("Outcome(%d)", int(o))
	}
}

// CodeStore keeps each user's current set of hashed recovery codes and
// which of them were used. Every method takes the request context first;
// a canceled context is an error that changes nothing. User ids are
// compared exactly (bytes: no case folding, no trimming). Any error makes
// the Service refuse (fail closed). Package recoverytest checks an
// implementation against this contract.
type CodeStore interface {
	// Replace makes codes the user's whole set, atomically: afterwards no
	// code of an earlier set exists (used or not), and either all of codes
	// are stored, unused, or (on error) nothing changed. An empty codes
	// deletes the user's set. It rejects, changing nothing, a set larger
	// than MaxSetSize, an empty id or hash, and two codes with one id.
	Replace(ctx context.Context, userID string, codes []Hashed) error

	// Consume looks up the user's code with this id and calls verify with
	// its stored hash (at most once; not at all when there is no such
	// code). When verify returns true and the code is unused, it marks the
	// code used, unless a concurrent call did so first or a Replace changed
	// it since the read: of any number of concurrent calls for one code, at
	// most one gets Consumed. verify may be slow; implementations must not
	// hold a lock or a transaction that blocks other users while it runs.
	Consume(ctx context.Context, userID, id string, verify func(hash []byte) bool) (Outcome, error)

	// Remaining counts the user's unused codes (0 for an unknown user).
	Remaining(ctx context.Context, userID string) (int, error)
}

// checkSet validates a set for Replace; op prefixes the error.
func checkSet(op string, codes []Hashed) error {
	if len(codes) > MaxSetSize {
		return fmt.Errorf("recovery: %s: replace: %d codes, at most %d", op, len(codes), MaxSetSize)
	}
	seen := make(map[string]bool, len(codes))
	for _, c := range codes {
		if c.ID == "" || len(c.Hash) == 0 {
			return fmt.Errorf("recovery: %s: replace: empty id or hash", op)
		}
		if seen[c.ID] {
			return errors.New("recovery: " + op + ": replace: two codes share an id")
		}
		seen[c.ID] = true
	}
	return nil
}
