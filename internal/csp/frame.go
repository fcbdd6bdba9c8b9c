package csp

import (
	"net/http"
	"strings"
)

// HeaderName is the header of an enforced policy (a Report-Only policy
// enforces nothing and is left alone).
const HeaderName = "Content-Security-Policy"

// noFraming is the policy added when none of h's forbids framing.
const noFraming = "frame-ancestors 'none'"

// DenyFraming makes sure the response whose header is h may not be framed,
// keeping any policy the host set: when no policy in h already forbids
// framing (frame-ancestors 'none'), the separate policy
// "frame-ancestors 'none'" is added. Browsers enforce every policy of a
// response, each on its own, so the host's policy stays in force as it is
// (its script-src, style-src, nonces…) and the added one only forbids
// framing; a host's looser frame-ancestors is overridden.
func DenyFraming(h http.Header) {
	for _, v := range h.Values(HeaderName) {
		if forbidsFraming(v) {
			return
		}
	}
	h.Add(HeaderName, noFraming)
}

// forbidsFraming reports whether one of the policies in the header value v
// (comma-separated) forbids framing: its first frame-ancestors directive
// (browsers ignore repeated ones) is exactly 'none'.
func forbidsFraming(v string) bool {
	for _, policy := range strings.Split(v, ",") {
		for _, d := range strings.Split(policy, ";") {
			f := strings.Fields(d)
			if len(f) == 0 || !strings.EqualFold(f[0], "frame-ancestors") {
				continue
			}
			if len(f) == 2 && strings.EqualFold(f[1], "'none'") {
				return true
			}
			break // the first frame-ancestors of a policy decides
		}
	}
	return false
}
