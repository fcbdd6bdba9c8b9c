package guard

import "errors"

// Errors a Guard returns, matched with errors.Is.
var (
	// ErrInvalid: an invalid Key, or a limit, window or ttl that is not
	// positive. It is a bug in the caller.
	ErrInvalid = errors.New("guard: invalid argument")
	// ErrFull: Memory refused a new record that it may not evict to make
	// room (a rate record or an in-flight marker) because the user already
	// holds the most records of that kind, or the guard holds its most
	// records and none of them is a replay record it could evict.
	ErrFull = errors.New("guard: full")
)

// codedError is an error with its own text that matches one of the errors
// above.
type codedError struct {
	msg  string
	code error
}

func (e *codedError) Error() string        { return e.msg }
func (e *codedError) Is(target error) bool { return target == e.code }
