package store

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestCheckIdentifier: the names sqlident.Valid refuses are refused with
// an error naming what they were for.
func TestCheckIdentifier(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
	}{
		{"users", true},
		{"select", true},
		{strings.Repeat("x", 63), true},
		{strings.Repeat("x", 64), false},
		{"", false},
		{"1users", false},
		{"users;", false},
		{`us"ers`, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := checkIdentifier("table", tc.name)
			if tc.ok {
				assert.NoError(t, err)
			} else {
				assert.ErrorContains(t, err, "store: sql: invalid table name")
			}
		})
	}
}
