package store

import (
	"fmt"
	"strconv"
)

// Dialect selects the SQL flavour of an SQL store: its placeholders, how an
// id is compared exactly, and how AddSecondFactorColumn looks for an
// existing column.
type Dialect int

const (
	// DialectSQLite uses "?" placeholders and pragma_table_info. It is the
	// default.
	DialectSQLite Dialect = iota + 1
	// DialectPostgres uses "$1", "$2", … placeholders and
	// information_schema.columns (in current_schema()).
	DialectPostgres
)

// String returns "sqlite", "postgres", or "Dialect(N)" for an unknown value.
func (d Dialect) String() string {
	switch d {
	case DialectSQLite:
		return "sqlite"
	case DialectPostgres:
		return "postgres"
	default:
		return "Dialect(" + strconv.Itoa(int(d)) + ")"
	}
}

// valid reports whether d is a known dialect.
func (d Dialect) valid() bool {
	return d == DialectSQLite || d == DialectPostgres
}

// placeholder returns the n-th (1-based) bind parameter.
func (d Dialect) placeholder(n int) string {
	if d == DialectPostgres {
		return "$" + strconv.Itoa(n)
	}
	return "?"
}

// exactText returns a condition that is true only when the text form of
// the (quoted) column equals the n-th parameter byte for byte, whatever the
// column's type and collation. It is used beside "col = param", which keeps
// the index in use, to rule out coercions such as SQLite's numeric affinity
// ("1 " = 1) or a case-insensitive collation.
func (d Dialect) exactText(quotedCol string, n int) string {
	if d == DialectPostgres {
		return fmt.Sprintf(`CAST(%s AS TEXT) COLLATE "C" = %s`, quotedCol, d.placeholder(n))
	}
	return fmt.Sprintf(`CAST(%s AS TEXT) = %s COLLATE BINARY`, quotedCol, d.placeholder(n))
}

// columnExistsQuery returns a query counting the columns of table named
// column, with its arguments. Table and column are bound as values, never
// spliced into the text.
func (d Dialect) columnExistsQuery(table, column string) (string, []any) {
	if d == DialectPostgres {
		// Quoted identifiers are case-sensitive in PostgreSQL: compare exactly.
		return `SELECT COUNT(*) FROM information_schema.columns ` +
			`WHERE table_schema = current_schema() AND table_name = $1 AND column_name = $2`, []any{table, column}
	}
	// SQLite identifiers are case-insensitive even when quoted.
	return `SELECT COUNT(*) FROM pragma_table_info(?) WHERE lower(name) = lower(?)`, []any{table, column}
}
