package approval

import "strings"

// Kinds are one package's sentinel errors for the shared steps, and Wrap,
// which makes its typed error of an operation, a kind and a cause.
type Kinds struct {
	NotLoggedIn, NotVerified, AccountChanged, Address, Store error
	Denied, Canceled, Timeout, Config, Unavailable           error
	Wrap                                                     func(op string, kind, cause error) error
}

// Message is the text of a package's typed error: "prefix: op: kind", the
// kind's own "prefix: " left out, then ": cause" when there is one.
func Message(prefix, op string, kind, cause error) string {
	msg := prefix + ": " + op + ": " + strings.TrimPrefix(kind.Error(), prefix+": ")
	if cause != nil {
		msg += ": " + cause.Error()
	}
	return msg
}

// Unwrap returns what a package's typed error unwraps to: the kind, and
// the cause when there is one.
func Unwrap(kind, cause error) []error {
	if cause == nil {
		return []error{kind}
	}
	return []error{kind, cause}
}
