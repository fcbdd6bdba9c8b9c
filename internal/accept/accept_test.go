package accept

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestPrefersJSON(t *testing.T) {
	tests := []struct {
		accept string
		want   bool
	}{
		{"", false},
		{"*/*", false},
		{"text/html", false},
		{"application/json", true},
		{"APPLICATION/JSON", true},
		{"application/problem+json", true},
		{"application/vnd.api+json;q=0.9, text/html;q=0.8", true},
		{"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", false}, // a browser
		{"application/json, text/plain, */*", true},                                // fetch/axios
		{"text/html, application/json", false},                                     // tie: first listed wins
		{"application/json, text/html", true},
		{"text/html;q=0.5, */*, application/json;q=0.8", true}, // JSON 0.8 beats HTML 0.5
		{"application/xhtml+xml, application/json;q=0.9", false},
		{"application/json;q=0", false},
		{"application/json;q=0.x", false}, // malformed q counts as 0
		{"application/json;q=1.5", false},
		{"application/*", false}, // JSON must be named
		{"text/*;q=0.1, application/json;q=0.2", true},
		{"application/json;q=0.5, application/json;q=0.9, text/html;q=0.8", true},
	}
	for _, tt := range tests {
		t.Run(tt.accept, func(t *testing.T) {
			assert.Equal(t, tt.want, PrefersJSON(tt.accept))
		})
	}
}

// FuzzPrefersJSON: any header is parsed without panicking, and JSON is
// never chosen unless the header names a JSON type.
func FuzzPrefersJSON(f *testing.F) {
	for _, s := range []string{"", "*/*", "application/json;q=0.9, text/html;q=0.8", "a/b+json", ";;,,q=1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		if PrefersJSON(header) && !containsJSON(header) {
			t.Fatalf("PrefersJSON(%q) = true without a JSON type", header)
		}
	})
}

func containsJSON(s string) bool {
	for i := 0; i+4 <= len(s); i++ {
		if (s[i]|0x20) == 'j' && (s[i+1]|0x20) == 's' && (s[i+2]|0x20) == 'o' && (s[i+3]|0x20) == 'n' {
			return true
		}
	}
	return false
}
