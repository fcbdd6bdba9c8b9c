package handlers

import (
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"fmt"
	"strings"

	"github.com/unloq2fa/unloq2fa/internal/identity"
	"github.com/unloq2fa/unloq2fa/store"
)

// AddressFunc maps a user to the address the user is enrolled with at
// UNLOQ. It must be deterministic (the same user always maps to the same
// address) and injective (two users never share an address): the address
// is who the user is to UNLOQ. An error refuses the user (CodeAddress).
type AddressFunc func(store.User) (string, error)

// WithUNLOQAddress sets how a user's UNLOQ address is found (default: the
// user's e-mail, store.User.Email). It is used wherever the handlers talk
// to UNLOQ about the user or check whose an approval is: enrollment, the
// enrollment status, the two-step push and widget, the token check and
// turning two-step off. VirtualAddress gives one for applications whose
// users have no e-mail address, or should stay pseudonymous to UNLOQ.
//
// Whatever f returns (and, by default, the e-mail) is checked before UNLOQ
// is called: it must be a plain address (local@domain, as net/mail parses
// it, without a display name; ASCII white space around it is ignored) of at
// most 254 bytes; anything else is CodeAddress.
func WithUNLOQAddress(f AddressFunc) Option {
	return func(c *config) error {
		if f == nil {
			return errors.New("handlers: WithUNLOQAddress: nil function")
		}
		c.acct.address = f
		return nil
	}
}

// address returns user's UNLOQ address (identity.Address): CodeNoEmail for
// a user without an e-mail (default mapping), CodeAddress for one that
// UNLOQ would refuse or that the configured AddressFunc refuses.
func (h *Handlers) address(op string, user store.User) (string, error) {
	addr, err := identity.Address(h.cfg.acct.address, user)
	switch {
	case errors.Is(err, identity.ErrNoEmail):
		return "", wrap(op, CodeNoEmail, nil)
	case err != nil:
		return "", wrap(op, CodeAddress, err)
	}
	return addr, nil
}

// VirtualAddress returns an AddressFunc that derives a virtual UNLOQ
// address from the user id: "{id}@{domain}". UNLOQ never sends mail to a
// virtual profile, so the domain only has to be one the application
// controls (it is never looked up); it must be a DNS name of ASCII
// letters, digits and hyphens, with at least two labels, and is used in
// lower case.
//
// The local part is the id itself when the id is 1–64 characters of
// [a-z0-9_-]. Any other id (upper case, dots, "+", non-ASCII, too long)
// is encoded, so that addresses stay ASCII, valid and distinct even where
// UNLOQ ignores letter case: "x." followed by the id's bytes in lower-case
// base32 (no padding) when that fits in 64 characters, else "h." followed
// by the base32 SHA-256 of the id. A raw id never contains a dot, so it can
// never collide with an encoded one. The mapping is deterministic: keep
// the domain fixed once users have enrolled.
func VirtualAddress(domain string) (AddressFunc, error) {
	d, err := virtualDomain(domain)
	if err != nil {
		return nil, err
	}
	return func(u store.User) (string, error) {
		if u.ID == "" {
			return "", errors.New("handlers: virtual address: empty user id")
		}
		return virtualLocal(u.ID) + "@" + d, nil
	}, nil
}

// maxLocalLen is the longest local part of an address.
const maxLocalLen = 64

var lowerBase32 = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// virtualLocal is the local part VirtualAddress derives from id.
func virtualLocal(id string) string {
	if len(id) <= maxLocalLen && safeLocal(id) {
		return id
	}
	if enc := "x." + lowerBase32.EncodeToString([]byte(id)); len(enc) <= maxLocalLen {
		return enc
	}
	sum := sha256.Sum256([]byte(id))
	return "h." + lowerBase32.EncodeToString(sum[:])
}

// safeLocal reports whether s is non-empty and only [a-z0-9_-].
func safeLocal(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// virtualDomain checks a VirtualAddress domain and returns it in lower case.
func virtualDomain(domain string) (string, error) {
	bad := func(why string) error {
		return fmt.Errorf("handlers: VirtualAddress: domain %q: %s", domain, why)
	}
	d := strings.ToLower(domain)
	if d != strings.Map(func(r rune) rune {
		if r > 0x7f {
			return -1
		}
		return r
	}, d) {
		return "", bad("must be ASCII")
	}
	if len(d) == 0 || len(d) > 253 {
		return "", bad("must be 1–253 characters")
	}
	labels := strings.Split(d, ".")
	if len(labels) < 2 {
		return "", bad("needs at least two labels")
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return "", bad("each label must be 1–63 characters, not starting or ending with '-'")
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return "", bad("labels may hold letters, digits and '-' only")
			}
		}
	}
	return d, nil
}

// loginAddress is the address a login of user keeps in its session: the
// UNLOQ address. A user with two-step on must have one (CodeNoEmail,
// CodeAddress); for a user without, the e-mail is kept when there is none.
func (h *Handlers) loginAddress(op string, user store.User, need bool) (string, error) {
	addr, err := h.address(op, user)
	if err != nil {
		if need {
			return "", err
		}
		return user.Email, nil
	}
	return addr, nil
}

// sameAccount checks that user's UNLOQ address is still addr (the
// pending login's): CodeWrongUser when it changed, including to none that
// UNLOQ accepts.
func (h *Handlers) sameAccount(op string, user store.User, addr string) error {
	want, err := h.address(op, user)
	if err != nil || !sameEmail(want, addr) {
		return wrap(op, CodeWrongUser, nil)
	}
	return nil
}
