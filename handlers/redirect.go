package handlers

import "github.com/unloq2fa/unloq2fa/internal/nexturl"

// SafeNext reports whether next is a safe place to send the browser after a
// login: a same-origin relative path. It returns next unchanged when it is.
//
// Accepted: a path that starts with exactly one "/" and holds only printable
// ASCII, with an optional query and fragment ("/dashboard?tab=2#top").
// Refused: the empty string, absolute URLs ("https://evil.com",
// "javascript:..."), scheme-relative URLs ("//evil.com"), "/\evil.com", any
// backslash, control character, raw space or non-ASCII byte, malformed
// percent-escapes, and encoded forms of the same ("/%2F%2Fevil.com",
// "/%5Cevil.com", "/%0d%0a"), checked after each of up to three rounds of
// percent-decoding. The middleware applies the same rule to the next it
// puts in the login link.
func SafeNext(next string) (string, bool) { return nexturl.Safe(next) }

// nextOr returns next when it is safe, else fallback.
func nextOr(next, fallback string) string {
	if n, ok := SafeNext(next); ok {
		return n
	}
	return fallback
}
