package identity

import (
	"errors"
	"fmt"
	"net/mail"
	"strings"

	"github.com/unloq2fa/unloq2fa/store"
)

// Errors of Address. Callers map them to their own kinds.
var (
	// ErrNoEmail: no address function is set and the user has no e-mail.
	ErrNoEmail = errors.New("identity: the user has no e-mail address")
	// ErrRefused: the address function returned an error (wrapped too).
	ErrRefused = errors.New("identity: the address function refused the user")
	// ErrInvalid: the address is not one UNLOQ accepts.
	ErrInvalid = errors.New("identity: not an address UNLOQ accepts")
)

// MaxAddressLen bounds an UNLOQ address (the length a mail path allows).
const MaxAddressLen = 254

// Address returns user's UNLOQ address: f(user), or the user's e-mail
// when f is nil. The address is returned as written, but it must pass
// Valid once the ASCII white space around it (ignored by Same) is
// removed.
func Address(f func(store.User) (string, error), user store.User) (string, error) {
	addr := user.Email
	if f == nil {
		if addr == "" {
			return "", ErrNoEmail
		}
	} else {
		var err error
		addr, err = f(user)
		if err != nil {
			return "", fmt.Errorf("%w: %w", ErrRefused, err)
		}
	}
	if !Valid(Trim(addr)) {
		return "", ErrInvalid
	}
	return addr, nil
}

// Valid reports whether addr is a bare e-mail address, exactly as
// written: local@domain that net/mail parses back to itself, at most
// MaxAddressLen bytes, without control characters.
func Valid(addr string) bool {
	if addr == "" || len(addr) > MaxAddressLen || !strings.Contains(addr, "@") ||
		strings.ContainsFunc(addr, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return false
	}
	a, err := mail.ParseAddress(addr)
	return err == nil && a.Name == "" && a.Address == addr
}
