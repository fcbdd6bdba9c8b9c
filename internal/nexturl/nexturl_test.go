package nexturl

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// The full table and the fuzz target are handlers' TestSafeNext and
// FuzzSafeNext (through handlers.SafeNext); these are the boundaries.
func TestSafe(t *testing.T) {
	for next, want := range map[string]bool{
		"/":                               true,
		"/dashboard?tab=2#x":              true,
		"":                                false,
		"dashboard":                       false,
		"//evil.example":                  false,
		"/\\evil.example":                 false,
		"/%5Cevil.example":                false,
		"/%252F%252Fevil":                 false,
		"https://evil":                    false,
		"/a\x00":                          false,
		"/" + strings.Repeat("a", maxLen): false, // too long
	} {
		got, ok := Safe(next)
		assert.Equal(t, want, ok, "%q", next)
		if ok {
			assert.Equal(t, next, got)
		}
	}
}
