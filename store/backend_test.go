package store_test

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // driver "pgx"
	"github.com/stretchr/testify/require"
	_ "modernc.org/sqlite" // driver "sqlite"

	"github.com/unloq2fa/unloq2fa/internal/testenv"
	"github.com/unloq2fa/unloq2fa/store"
)

// postgresDSNEnv names the variable that enables the PostgreSQL tests.
const postgresDSNEnv = "UNLOQ2FA_POSTGRES_DSN"

// backend is a database the SQL store is tested against.
type backend struct {
	name    string
	dialect store.Dialect
	// open returns a fresh connection pool, closed at cleanup. It skips
	// (or, in CI, fails) t when the backend is unavailable.
	open func(t testing.TB) *sql.DB
}

// backends lists SQLite (a file, and shared-cache memory) and PostgreSQL.
func backends() []backend {
	return []backend{
		{name: "sqlite-file", dialect: store.DialectSQLite, open: openSQLiteFile},
		{name: "sqlite-memory", dialect: store.DialectSQLite, open: openSQLiteMemory},
		{name: "postgres", dialect: store.DialectPostgres, open: openPostgres},
	}
}

// forEachBackend runs fn as a subtest per backend.
func forEachBackend(t *testing.T, fn func(t *testing.T, b backend, db *sql.DB)) {
	t.Helper()
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			fn(t, b, b.open(t))
		})
	}
}

// uniqueName returns prefix plus 12 random hex digits: a table name no other
// test run uses.
func uniqueName(t testing.TB, prefix string) string {
	t.Helper()
	var b [6]byte
	_, err := rand.Read(b[:])
	require.NoError(t, err)
	return prefix + hex.EncodeToString(b[:])
}

// openSQLiteFile opens a new SQLite database file in a temporary directory.
// WAL and a busy timeout let concurrent connections wait for each other.
func openSQLiteFile(t testing.TB) *sql.DB {
	t.Helper()
	path := filepath.Join(t.TempDir(), "users.db")
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)")
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	require.NoError(t, db.Ping())
	return db
}

// openSQLiteMemory opens a new, uniquely named, shared-cache in-memory
// SQLite database on a single connection.
func openSQLiteMemory(t testing.TB) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+uniqueName(t, "mem_")+"?mode=memory&cache=shared")
	require.NoError(t, err)
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { _ = db.Close() })
	require.NoError(t, db.Ping())
	return db
}

// openPostgres connects to UNLOQ2FA_POSTGRES_DSN. Without it the test is
// skipped, except in CI (CI=true), where it fails: CI installs PostgreSQL.
func openPostgres(t testing.TB) *sql.DB {
	t.Helper()
	dsn := os.Getenv(postgresDSNEnv)
	testenv.Require(t, dsn != "",
		"PostgreSQL tests: set "+postgresDSNEnv+` (e.g. eval "$(bash .ci/postgres.sh)") to run them`)
	db, err := sql.Open("pgx", dsn)
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	require.NoError(t, db.Ping(), "connect to %s", postgresDSNEnv)
	return db
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
	return schema{table: uniqueName(t, "unloq2fa_users_"), id: "id", email: "email", sf: "second_factor"}
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
func newSQLStore(t testing.TB, b backend, db *sql.DB, s schema) *seededSQL {
	t.Helper()
	cols := textColumns
	if s.unloq != "" {
		cols += ", " + q(s.unloq) + " TEXT"
	}
	createTable(t, db, s, cols)
	st, err := store.NewSQL(db, s.options(b.dialect)...)
	require.NoError(t, err)
	return &seededSQL{SQL: st, db: db, dialect: b.dialect, schema: s}
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
