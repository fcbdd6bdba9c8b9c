package recovery

import (
	"crypto/rand"
	"fmt"
)

// Alphabet is the set of symbols a recovery code is made of: the digits and
// the lowercase letters without i, l, o and u (Crockford's base32), so that
// no two symbols look alike on paper and every symbol carries 5 bits.
const Alphabet = "0123456789abcdefghjkmnpqrstvwxyz"

// Shape of a code: three groups of four symbols, "xxxx-xxxx-xxxx".
const (
	// GroupLen is the number of symbols in a group.
	GroupLen = 4
	// Groups is the number of groups in a code.
	Groups = 3
	// IDLen is the length of the code's public identifier: its first
	// group. It selects the one stored record to compare against, so a
	// verification costs one slow hash, not one per code. It is not
	// secret and adds nothing to the code's strength.
	IDLen = GroupLen
	// SecretLen is the number of secret symbols: the last two groups, 40
	// random bits.
	SecretLen = GroupLen * (Groups - 1)
	// CodeLen is the number of symbols in a code, separators not counted.
	CodeLen = IDLen + SecretLen
	// maxTypedLen bounds what Parse looks at: a code with generous
	// spacing fits easily, anything longer is not a code.
	maxTypedLen = 64
)

// code is a parsed recovery code: CodeLen symbols of Alphabet.
type code struct {
	id     string // the first IDLen symbols
	secret string // the remaining SecretLen symbols
}

// String formats the code as the person sees it: "xxxx-xxxx-xxxx".
func (c code) String() string {
	s := c.id + c.secret
	out := make([]byte, 0, CodeLen+Groups-1)
	for i := 0; i < len(s); i++ {
		if i > 0 && i%GroupLen == 0 {
			out = append(out, '-')
		}
		out = append(out, s[i])
	}
	return string(out)
}

// newCode draws a code from crypto/rand. Each symbol takes the low 5 bits
// of one random byte; 256 is a multiple of 32, so every symbol is uniform.
func newCode() (code, error) {
	var b [CodeLen]byte
	if _, err := rand.Read(b[:]); err != nil {
		return code{}, fmt.Errorf("recovery: read random: %w", err)
	}
	for i := range b {
		b[i] = Alphabet[b[i]&31]
	}
	return code{id: string(b[:IDLen]), secret: string(b[IDLen:])}, nil
}

// newSet draws n codes whose ids differ from each other.
func newSet(n int) ([]code, error) {
	set := make([]code, 0, n)
	seen := make(map[string]bool, n)
	for len(set) < n {
		c, err := newCode()
		if err != nil {
			return nil, err
		}
		if seen[c.id] {
			continue // 1 in 2^20 per pair: draw again
		}
		seen[c.id] = true
		set = append(set, c)
	}
	return set, nil
}

// parse normalises what a person typed into a code. It accepts ASCII only:
// spaces, tabs and hyphens anywhere are ignored, upper case is read as
// lower case, and, as in Crockford's base32, "o" is read as "0" and "i" and
// "l" as "1". Everything else is refused, in particular every non-ASCII
// character: a Unicode look-alike (a Cyrillic "а", a fullwidth "１", a
// non-breaking space or an en dash) is an error, never folded into the
// ASCII symbol it resembles.
func parse(typed string) (code, bool) {
	if len(typed) > maxTypedLen {
		return code{}, false
	}
	var b [CodeLen]byte
	n := 0
	for i := 0; i < len(typed); i++ {
		c := typed[i]
		switch {
		case c == ' ' || c == '\t' || c == '-':
			continue
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		}
		switch c {
		case 'o':
			c = '0'
		case 'i', 'l':
			c = '1'
		}
		if !isSymbol(c) || n == CodeLen {
			return code{}, false
		}
		b[n] = c
		n++
	}
	if n != CodeLen {
		return code{}, false
	}
	return code{id: string(b[:IDLen]), secret: string(b[IDLen:])}, true
}

// isSymbol reports whether c is in Alphabet.
func isSymbol(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'z' && c != 'i' && c != 'l' && c != 'o' && c != 'u'
}

// Normalize returns the canonical form ("xxxx-xxxx-xxxx") of a typed code,
// or an error matching ErrMalformed. The rules are parse's: ASCII only;
// spaces, tabs and hyphens ignored; case ignored; o read as 0, i and l as
// 1; anything else refused.
func Normalize(typed string) (string, error) {
	c, ok := parse(typed)
	if !ok {
		return "", &Error{Kind: KindMalformed, Op: "normalize"}
	}
	return c.String(), nil
}
