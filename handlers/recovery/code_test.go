package recovery

import (
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var codeShape = regexp.MustCompile(`^[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{4}$`)

func TestAlphabet(t *testing.T) {
	require.Len(t, Alphabet, 32, "5 bits per symbol")
	seen := map[rune]bool{}
	for _, r := range Alphabet {
		assert.False(t, seen[r], "repeated symbol %q", r)
		seen[r] = true
		assert.True(t, isSymbol(byte(r)), "%q", r)
	}
	for _, r := range "ilou" {
		assert.False(t, seen[r], "ambiguous symbol %q in the alphabet", r)
	}
	for c := 0; c < 256; c++ {
		assert.Equal(t, strings.IndexByte(Alphabet, byte(c)) >= 0, isSymbol(byte(c)), "isSymbol(%q)", c)
	}
}

func TestNewCodeFormatAndEntropy(t *testing.T) {
	const n = 20_000
	seen := make(map[string]bool, n)
	var counts [CodeLen][32]int
	for range n {
		c, err := newCode()
		require.NoError(t, err)
		s := c.String()
		require.Regexp(t, codeShape, s)
		require.Equal(t, s[:IDLen], c.id, "the id is the first group")
		require.False(t, seen[s], "a code repeated after %d draws", len(seen))
		seen[s] = true
		back, ok := parse(s)
		require.True(t, ok)
		require.Equal(t, c, back)
		for i, r := range []byte(c.id + c.secret) {
			counts[i][strings.IndexByte(Alphabet, r)]++
		}
	}
	// Every symbol at every position, close to uniform: n/32 = 625 each,
	// standard deviation about 25, so ±200 only fails for a biased draw.
	for pos := range counts {
		for sym, got := range counts[pos] {
			assert.InDelta(t, n/32, got, 200, "symbol %q at position %d", Alphabet[sym], pos)
		}
	}
}

func TestNewSetHasDistinctIDs(t *testing.T) {
	for range 50 {
		set, err := newSet(MaxSetSize)
		require.NoError(t, err)
		require.Len(t, set, MaxSetSize)
		ids := map[string]bool{}
		for _, c := range set {
			require.False(t, ids[c.id], "repeated id in one set")
			ids[c.id] = true
		}
	}
}

func TestNormalize(t *testing.T) {
	accept := []struct{ in, want string }{
		{"abcd-efgh-jkmn", "abcd-efgh-jkmn"},
		{"ABCD-EFGH-JKMN", "abcd-efgh-jkmn"},
		{"AbCd-eFgH-jKmN", "abcd-efgh-jkmn"},
		{"abcdefghjkmn", "abcd-efgh-jkmn"},
		{"abcd efgh jkmn", "abcd-efgh-jkmn"},
		{"  abcd - efgh - jkmn  ", "abcd-efgh-jkmn"},
		{"\tabcd--efgh\t-jkmn", "abcd-efgh-jkmn"},
		{"ab cd ef gh jk mn", "abcd-efgh-jkmn"},
		{"a-b-c-d-e-f-g-h-j-k-m-n", "abcd-efgh-jkmn"},
		{"0123-4567-89vw", "0123-4567-89vw"},
		{"xyz0-pqrs-tvwx", "xyz0-pqrs-tvwx"},
		// Crockford's reading of the letters left out: o is 0, i and l are 1.
		{"obcd-efgh-jkmn", "0bcd-efgh-jkmn"},
		{"Obcd-efgh-jkmn", "0bcd-efgh-jkmn"},
		{"ibcd-efgh-jkmn", "1bcd-efgh-jkmn"},
		{"Ibcd-efgh-jkmn", "1bcd-efgh-jkmn"},
		{"lbcd-efgh-jkmn", "1bcd-efgh-jkmn"},
		{"Lbcd-efgh-jkmn", "1bcd-efgh-jkmn"},
		{strings.Repeat(" ", 50) + "abcdefghjkmn", "abcd-efgh-jkmn"},
	}
	for _, tc := range accept {
		got, err := Normalize(tc.in)
		require.NoError(t, err, "Normalize(%q)", tc.in)
		assert.Equal(t, tc.want, got, "Normalize(%q)", tc.in)
	}

	reject := []struct{ name, in string }{
		{"empty", ""},
		{"only separators", " - - "},
		{"too short", "abcd-efgh-jkm"},
		{"too long", "abcd-efgh-jkmnp"},
		{"u is not a symbol", "abcd-efgh-jkmu"},
		{"U is not a symbol", "ABCD-EFGH-JKMU"},
		{"underscore", "abcd_efgh_jkmn"},
		{"dot", "abcd.efgh.jkmn"},
		{"slash", "abcd/efgh/jkmn"},
		{"newline", "abcd-efgh-jkmn\n"},
		{"carriage return", "abcd-efgh-jkmn\r"},
		{"NUL", "abcd-efgh-jkmn\x00"},
		{"NUL inside", "abcd-ef\x00gh-jkmn"},
		{"plus", "+abcd-efgh-jkmn"},
		{"too much padding", strings.Repeat(" ", 60) + "abcdefghjkmn"},
		{"two codes", "abcd-efgh-jkmn abcd-efgh-jkmn"},
		// Unicode look-alikes: refused, never folded.
		{"Cyrillic a", "\u0430bcd-efgh-jkmn"},
		{"Cyrillic e", "abcd-\u0435fgh-jkmn"},
		{"Cyrillic k", "abcd-efgh-j\u043amn"},
		{"Greek omicron", "\u03bfbcd-efgh-jkmn"},
		{"Greek capital Kappa", "abcd-efgh-j\u039amn"},
		{"fullwidth a", "\uff41bcd-efgh-jkmn"},
		{"fullwidth digit one", "\uff11bcd-efgh-jkmn"},
		{"mathematical bold a", "\U0001d41abcd-efgh-jkmn"},
		{"Kelvin sign (lowers to k)", "abcd-efgh-j\u212amn"},
		{"dotless i (uppers to I)", "\u0131bcd-efgh-jkmn"},
		{"long s (folds to s)", "abcd-efgh-jkm\u017f"},
		{"superscript two", "\u00b2bcd-efgh-jkmn"},
		{"Arabic-Indic digit", "\u0661bcd-efgh-jkmn"},
		{"no-break space", "abcd\u00a0efgh\u00a0jkmn"},
		{"en dash", "abcd\u2013efgh\u2013jkmn"},
		{"non-breaking hyphen", "abcd\u2011efgh\u2011jkmn"},
		{"minus sign", "abcd\u2212efgh\u2212jkmn"},
		{"ideographic space", "abcd\u3000efgh\u3000jkmn"},
		{"zero-width space", "abcd\u200befgh-jkmn"},
		{"byte order mark", "\ufeffabcd-efgh-jkmn"},
		{"combining acute", "abcd-e\u0301fgh-jkmn"},
		{"invalid UTF-8", "abcd-efgh-jkm\xff"},
		{"Latin-1 byte", "abcd-efgh-jkm\xe9"},
	}
	for _, tc := range reject {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Normalize(tc.in)
			require.Error(t, err, "Normalize(%q) = %q", tc.in, got)
			assert.ErrorIs(t, err, ErrMalformed)
			assert.Empty(t, got)
			assert.NotContains(t, err.Error(), "efgh", "error text must not echo the input")
		})
	}
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"abcd-efgh-jkmn", "ABCD EFGH JKMN", "obcd-efgh-jkml", "\u0430bcd-efgh-jkmn", "abcd\u00a0efgh jkmn", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, err := Normalize(in)
		if err != nil {
			require.ErrorIs(t, err, ErrMalformed)
			return
		}
		require.Regexp(t, codeShape, out)
		for i := 0; i < len(in); i++ {
			require.Less(t, in[i], byte(utf8.RuneSelf), "accepted a non-ASCII byte in %q", in)
		}
		again, err := Normalize(out)
		require.NoError(t, err)
		require.Equal(t, out, again, "the canonical form is a fixed point")
	})
}
