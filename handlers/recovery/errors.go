package recovery

import "strconv"

// Kind says why a verification (or another Service call) failed.
type Kind int

const (
	// KindMalformed: the typed text is not shaped like a recovery code.
	// Nothing was looked up and no attempt was counted.
	KindMalformed Kind = iota + 1
	// KindWrong: no code of the user's current set matches.
	KindWrong
	// KindUsed: the code matches one of the user's codes that was already
	// used. Each code works once.
	KindUsed
	// KindLimited: too many attempts for this user in the current window;
	// the code was not checked.
	KindLimited
	// KindUnavailable: the code store, the limiter, the random source or
	// the context failed, or a stored hash is unreadable. Nothing was
	// accepted and nothing changed (fail closed).
	KindUnavailable
)

// String returns a short name of the kind.
func (k Kind) String() string {
	switch k {
	case KindMalformed:
		return "malformed"
	case KindWrong:
		return "wrong"
	case KindUsed:
		return "used"
	case KindLimited:
		return "limited"
	case KindUnavailable:
		return "unavailable"
	default:
		return "Kind(" + strconv.Itoa(int(k)) + ")"
	}
}

// Error is the one error type the package returns from Service and
// Normalize. Match a kind with errors.Is against the sentinels below (only
// Kind is compared) or read it with errors.As. The error text never
// contains a code or a hash.
type Error struct {
	// Kind says what went wrong.
	Kind Kind
	// Op is the operation: "verify", "generate", "remaining", "delete" or
	// "normalize".
	Op string
	// Err is the underlying error, if any (a store or context error for
	// KindUnavailable).
	Err error
}

// Sentinels for errors.Is.
var (
	ErrMalformed   = &Error{Kind: KindMalformed}
	ErrWrong       = &Error{Kind: KindWrong}
	ErrUsed        = &Error{Kind: KindUsed}
	ErrLimited     = &Error{Kind: KindLimited}
	ErrUnavailable = &Error{Kind: KindUnavailable}
)

// Error implements error.
func (e *Error) Error() string {
	msg := "recovery: "
	if e.Op != "" {
		msg += e.Op + ": "
	}
	switch e.Kind {
	case KindMalformed:
		msg += "not a recovery code (want three groups of four letters or digits)"
	case KindWrong:
		msg += "wrong recovery code"
	case KindUsed:
		msg += "recovery code already used"
	case KindLimited:
		msg += "too many attempts"
	case KindUnavailable:
		msg += "unavailable"
	default:
		msg += e.Kind.String()
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is an *Error of the same Kind.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Kind == e.Kind
}
