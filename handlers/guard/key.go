package guard

import "fmt"

// Key length limits, in bytes. Longer keys are invalid.
const (
	MaxKindLen = 64
	MaxUserLen = 256
	MaxIDLen   = 256
)

// Key names one record of a Guard.
//
// Kind says what the record is for ("push", "inflight-login", "token", ...):
// 1 to MaxKindLen ASCII letters, digits, '-', '_' or '.'. User is the id of
// the user the record is charged to; it may be empty for records that belong
// to no user. ID tells records of one kind and user apart; it may be empty
// when a user has only one record of the kind (a rate budget). User and ID
// are compared byte for byte (any bytes, no case folding or trimming) and
// hold at most MaxUserLen and MaxIDLen bytes; hash a secret (a token)
// before putting it in a Key.
//
// Implementations cap the records of one kind that one user holds, so that
// one user's traffic cannot crowd out another's.
type Key struct {
	Kind string
	User string
	ID   string
}

// Validate returns an error matching ErrInvalid when k breaks the rules
// above, else nil.
func (k Key) Validate() error {
	if reason := k.problem(); reason != "" {
		return &codedError{msg: "guard: invalid key: " + reason, code: ErrInvalid}
	}
	return nil
}

// problem describes what is wrong with k, or returns "".
func (k Key) problem() string {
	switch {
	case k.Kind == "":
		return "empty kind"
	case len(k.Kind) > MaxKindLen:
		return fmt.Sprintf("kind longer than %d bytes", MaxKindLen)
	case len(k.User) > MaxUserLen:
		return fmt.Sprintf("user longer than %d bytes", MaxUserLen)
	case len(k.ID) > MaxIDLen:
		return fmt.Sprintf("id longer than %d bytes", MaxIDLen)
	}
	for i := 0; i < len(k.Kind); i++ {
		if !kindByte(k.Kind[i]) {
			return fmt.Sprintf("kind %q has a byte other than A-Z a-z 0-9 - _ .", k.Kind)
		}
	}
	return ""
}

func kindByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.'
}
