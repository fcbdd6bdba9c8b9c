package nexturl

import (
	"net/url"
	"strings"
)

// maxLen bounds the length of a next/return URL.
const maxLen = 2048

// Safe reports whether next is a safe place to send the browser after a
// login: a same-origin relative path. It returns next unchanged when it is.
//
// Accepted: a path that starts with exactly one "/" and holds only printable
// ASCII, with an optional query and fragment ("/dashboard?tab=2#top").
// Refused: the empty string, absolute URLs ("https://evil.com",
// "javascript:..."), scheme-relative URLs ("//evil.com"), "/\evil.com", any
// backslash, control character, raw space or non-ASCII byte, malformed
// percent-escapes, and encoded forms of the same ("/%2F%2Fevil.com",
// "/%5Cevil.com", "/%0d%0a"), checked after each of up to three rounds of
// percent-decoding.
func Safe(next string) (string, bool) {
	if next == "" || len(next) > maxLen {
		return "", false
	}
	s := next
	for round := 0; ; round++ {
		if !safePathForm(s, round == 0) {
			return "", false
		}
		if round == 3 || !strings.Contains(s, "%") {
			break
		}
		d, err := url.PathUnescape(s)
		if err != nil {
			// Malformed escapes: a browser would keep them literally, but
			// an ambiguous next is refused.
			return "", false
		}
		if d == s {
			break
		}
		s = d
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" ||
		!strings.HasPrefix(u.Path, "/") || strings.HasPrefix(u.Path, "//") {
		return "", false
	}
	return next, true
}

// safePathForm checks one form of a next value: the raw form (strict: only
// printable ASCII without spaces) or a decoded one (no control characters).
func safePathForm(s string, raw bool) bool {
	if len(s) == 0 || s[0] != '/' {
		return false
	}
	if len(s) > 1 && (s[1] == '/' || s[1] == '\\') {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == 0x7f || c == '\\' || (raw && (c == ' ' || c > 0x7f)) {
			return false
		}
	}
	return true
}
