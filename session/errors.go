package session

import (
	"context"
	"errors"
	"io/fs"
	"net"

	"github.com/gorilla/securecookie"
)

var (
	// ErrUnreadable reports a session cookie that could not be used: it was
	// tampered with, signed by unknown keys, expired, malformed, or it
	// points to a server-side record that no longer exists. The session
	// returned with it is empty (anonymous); saving that session later
	// overwrites the bad cookie.
	ErrUnreadable = errors.New("session: unreadable session")

	// ErrNotPending reports a call to [Session.CompleteSecondFactor] on a
	// session that is not waiting for its second factor (anonymous,
	// already verified, or pending but expired).
	ErrNotPending = errors.New("session: no pending second factor")

	// ErrStore reports a failure of the underlying [sessions.Store] other
	// than an unreadable cookie (an I/O error of a FilesystemStore, a
	// database or network error of a third-party store). Loading fails
	// closed: the session returned with it is anonymous.
	ErrStore = errors.New("session: store failure")

	// ErrRevocation reports that the revocation store could not say
	// whether the session's login was ended (a shared backend that is
	// unreachable or not yet synchronised). Loading fails closed: the
	// session returned with it is anonymous, and the cookie is left alone
	// (the failure may be transient). Also returned by [Manager.EndLogin],
	// [Manager.LogOutEverywhere] and [Manager.LogOutOthers] when the
	// revocation could not be recorded.
	ErrRevocation = errors.New("session: revocation store failure")
)

// opError is the error type returned by Load and Save. Its text never holds
// the cookie value, the session ID or a file name derived from it; the
// underlying error stays reachable through errors.Is / errors.As.
type opError struct {
	op    string // "load", "save", "end login", ...
	kind  error  // ErrUnreadable, ErrStore or ErrRevocation
	cause error  // may be nil
}

func (e *opError) Error() string {
	msg := "session: " + e.op + ": " + trimPrefix(e.kind.Error())
	if d := describe(e.cause); d != "" {
		msg += ": " + d
	}
	return msg
}

func (e *opError) Unwrap() []error {
	if e.cause == nil {
		return []error{e.kind}
	}
	return []error{e.kind, e.cause}
}

func trimPrefix(s string) string {
	const p = "session: "
	if len(s) >= len(p) && s[:len(p)] == p {
		return s[len(p):]
	}
	return s
}

// describe returns a text for cause that is safe to log: securecookie's own
// messages (which never include the value), the operation and errno of a
// file-system error without the path (which embeds the session ID), and
// nothing for errors of unknown origin.
func describe(cause error) string {
	if cause == nil {
		return ""
	}
	var pe *fs.PathError
	if errors.As(cause, &pe) {
		return pe.Op + ": " + pe.Err.Error()
	}
	var sc securecookie.Error
	var ce constError
	if errors.As(cause, &sc) || errors.As(cause, &ce) {
		return cause.Error()
	}
	return ""
}

// classifyLoad maps an error of Store.New to ErrStore when the store itself
// failed (an I/O error other than a missing record, a network or context
// error, a misconfigured codec) and to ErrUnreadable otherwise: the cookie,
// or the record it names, cannot be used.
func classifyLoad(err error) error {
	if isStoreFailure(err) {
		return &opError{op: "load", kind: ErrStore, cause: err}
	}
	return &opError{op: "load", kind: ErrUnreadable, cause: err}
}

func isStoreFailure(err error) bool {
	var pe *fs.PathError
	var ne net.Error
	var sc securecookie.Error
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return false
	case errors.As(err, &pe), errors.As(err, &ne),
		errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return true
	case errors.As(err, &sc):
		return !sc.IsDecode() && (sc.IsInternal() || sc.IsUsage())
	default:
		return false
	}
}
