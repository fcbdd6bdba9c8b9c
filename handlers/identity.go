package handlers

import "github.com/unloq2fa/unloq2fa/internal/identity"

// sameEmail reports whether two UNLOQ addresses name the same person; the
// rules (ASCII case and ASCII white space only, no Unicode folding) are
// identity.Same's, shared with the stepup and encryptionkey packages.
func sameEmail(a, b string) bool { return identity.Same(a, b) }
