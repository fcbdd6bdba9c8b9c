package identity

// Same reports whether two addresses name the same account, as strictly
// as UNLOQ and the application can be relied on to tell people apart:
// ASCII white space around an address is ignored and ASCII letters may
// differ in case; every other byte must be equal. An empty address never
// matches.
//
// Unicode case folding (strings.EqualFold) and Unicode trimming
// (strings.TrimSpace) are deliberately not used: they take "ſam" (U+017F)
// for "sam", "K" (U+212A, the Kelvin sign) for "k" and an address with a
// trailing no-break space for the plain one, while UNLOQ and the
// application treat those as other accounts. No Unicode normalisation is
// applied either: "é" and "e"+U+0301 are different addresses here.
func Same(a, b string) bool {
	a, b = Trim(a), Trim(b)
	if a == "" || len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if x == y {
			continue
		}
		if x >= 0x80 || y >= 0x80 || lowerASCII(x) != lowerASCII(y) {
			return false
		}
	}
	return true
}

// lowerASCII lower-cases an ASCII letter and returns any other byte as is.
func lowerASCII(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + ('a' - 'A')
	}
	return c
}

// Trim removes ASCII white space (space, tab, CR, LF, VT, FF) around s,
// and nothing else.
func Trim(s string) string {
	isSpace := func(c byte) bool {
		return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'
	}
	i, j := 0, len(s)
	for i < j && isSpace(s[i]) {
		i++
	}
	for j > i && isSpace(s[j-1]) {
		j--
	}
	return s[i:j]
}
