package store_test

import (
	"database/sql"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/internal/sqltest"
	"github.com/unloq2fa/unloq2fa/store"
)

// The databases are those of internal/sqltest: SQLite (a file, and
// shared-cache memory) and PostgreSQL when UNLOQ2FA_POSTGRES_DSN is set.

// forEachBackend runs fn as a subtest per backend.
func forEachBackend(t *testing.T, fn func(t *testing.T, b sqltest.Backend, db *sql.DB)) {
	t.Helper()
	for _, b := range sqltest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			fn(t, b, b.Open(t))
		})
	}
}

// q double-quotes an identifier the test chose itself.
func q(name string) string { return `"` + name + `"` }

// placeholders returns n bind parameters in the dialect's style.
func placeholders(d store.Dialect, n int) []any {
	ps := make([]any, n)
	for i := range ps {
		if d == store.DialectPostgres {
			ps[i] = fmt.Sprintf("$%d", i+1)
		} else {
			ps[i] = "?"
		}
	}
	return ps
}

// schema names a users table and its columns.
type schema struct {
	table, id, email, sf string
	unloq                string // "" = no UNLOQ id column
}

// defaultSchema uses the store's default column names and a unique table.
func defaultSchema(t testing.TB) schema {
	return schema{table: sqltest.UniqueName(t, "unloq2fa_users_"), id: "id", email: "email", sf: "second_factor"}
}

// options returns the NewSQL options for s.
func (s schema) options(d store.Dialect) []store.SQLOption {
	opts := []store.SQLOption{
		store.WithDialect(d), store.WithTable(s.table), store.WithIDColumn(s.id),
		store.WithEmailColumn(s.email), store.WithSecondFactorColumn(s.sf),
	}
	if s.unloq != "" {
		opts = append(opts, store.WithUnloqIDColumn(s.unloq))
	}
	return opts
}

// createTable creates s.table with the given column definitions (a format
// string taking the quoted id, email and second factor column names) and
// drops it at cleanup.
func createTable(t testing.TB, db *sql.DB, s schema, columns string) {
	t.Helper()
	ddl := fmt.Sprintf("CREATE TABLE %s (%s)", q(s.table), fmt.Sprintf(columns, q(s.id), q(s.email), q(s.sf)))
	_, err := db.Exec(ddl)
	require.NoError(t, err, ddl)
	t.Cleanup(func() { _, _ = db.Exec("DROP TABLE IF EXISTS " + q(s.table)) })
}

// textColumns is the usual layout: a text primary key and two text columns.
const textColumns = "%s TEXT PRIMARY KEY, %s TEXT, %s TEXT"

// insertRaw inserts a row; a nil email or sf inserts NULL.
func insertRaw(t testing.TB, db *sql.DB, d store.Dialect, s schema, id any, email, sf any) {
	t.Helper()
	stmt := fmt.Sprintf("INSERT INTO %s (%s, %s, %s) VALUES (%s, %s, %s)",
		append([]any{q(s.table), q(s.id), q(s.email), q(s.sf)}, placeholders(d, 3)...)...)
	_, err := db.Exec(stmt, id, email, sf)
	require.NoError(t, err, stmt)
}

// nullable maps "" to NULL.
func nullable(v string) any {
	if v == "" {
		return nil
	}
	return v
}

// seededSQL is the store a harness returns, with what Seed needs.
type seededSQL struct {
	*store.SQL
	db      *sql.DB
	dialect store.Dialect
	schema  schema
}

// newSQLStore creates a fresh table and a store over it.
func newSQLStore(t testing.TB, b sqltest.Backend, db *sql.DB, s schema) *seededSQL {
	t.Helper()
	cols := textColumns
	if s.unloq != "" {
		cols += ", " + q(s.unloq) + " TEXT"
	}
	createTable(t, db, s, cols)
	st, err := store.NewSQL(db, s.options(b.Dialect)...)
	require.NoError(t, err)
	return &seededSQL{SQL: st, db: db, dialect: b.Dialect, schema: s}
}

// seedSQL is a storetest Seed function for seededSQL stores.
func seedSQL(t *testing.T, s store.UserStore, u store.User) {
	t.Helper()
	ss, ok := s.(*seededSQL)
	require.True(t, ok, "store is %T, not *seededSQL", s)
	insertRaw(t, ss.db, ss.dialect, ss.schema, u.ID, nullable(u.Email), nullable(u.SecondFactor))
	if u.UnloqID != "" {
		require.NotEmpty(t, ss.schema.unloq, "seeding an UNLOQ id into a table without the column")
		ps := placeholders(ss.dialect, 2)
		stmt := fmt.Sprintf("UPDATE %s SET %s = %s WHERE %s = %s", q(ss.schema.table), q(ss.schema.unloq), ps[0], q(ss.schema.id), ps[1])
		_, err := ss.db.Exec(stmt, u.UnloqID, u.ID)
		require.NoError(t, err, stmt)
	}
}
