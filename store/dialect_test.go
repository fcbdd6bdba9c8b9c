package store

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestDialect(t *testing.T) {
	tests := []struct {
		d       Dialect
		name    string
		valid   bool
		p1, p3  string
		catalog string
	}{
		{DialectSQLite, "sqlite", true, "?", "?", "pragma_table_info(?)"},
		{DialectPostgres, "postgres", true, "$1", "$3", "information_schema.columns"},
		{Dialect(0), "Dialect(0)", false, "", "", ""},
		{Dialect(7), "Dialect(7)", false, "", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.name, tc.d.String())
			assert.Equal(t, tc.valid, tc.d.valid())
			if !tc.valid {
				return
			}
			assert.Equal(t, tc.p1, tc.d.placeholder(1))
			assert.Equal(t, tc.p3, tc.d.placeholder(3))
			q, args := tc.d.columnExistsQuery("Users", "second_factor")
			assert.Contains(t, q, tc.catalog)
			assert.NotContains(t, q, "Users", "names are bound, never spliced")
			assert.Equal(t, []any{"Users", "second_factor"}, args)
		})
	}
}
