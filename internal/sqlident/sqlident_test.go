package sqlident_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/internal/sqlident"
)

var identifierRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func TestValid(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
	}{
		{"users", true},
		{"_", true},
		{"_1", true},
		{"Users_2FA", true},
		{"select", true},
		{strings.Repeat("x", 63), true},
		{strings.Repeat("x", 64), false},
		{"", false},
		{"1users", false},
		{"users;", false},
		{`us"ers`, false},
		{"us ers", false},
		{"us-ers", false},
		{"us.ers", false},
		{"üsers", false},
		{"users\x00", false},
		{"users\n", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.ok, sqlident.Valid(tc.name))
			if tc.ok {
				assert.Equal(t, `"`+tc.name+`"`, sqlident.Quote(tc.name))
			}
		})
	}
}

func FuzzValid(f *testing.F) {
	for _, s := range []string{"users", "", "1a", `a"b`, "a;b", "é", strings.Repeat("a", 64), "_x9"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		ok := sqlident.Valid(name)
		require.Equal(t, identifierRE.MatchString(name) && len(name) <= sqlident.MaxLen, ok, "%q", name)
		if ok {
			quoted := sqlident.Quote(name)
			require.Equal(t, 2, strings.Count(quoted, `"`), "%q", quoted)
			require.NotContainsf(t, quoted, ";", "%q", quoted)
		}
	})
}
