// Package csp adds the one Content-Security-Policy rule the library's own
// responses need (no framing) without touching the policy a host
// application already set on the response.
package csp
