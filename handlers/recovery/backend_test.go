package recovery_test

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // driver "pgx"
	"github.com/stretchr/testify/require"
	_ "modernc.org/sqlite" // driver "sqlite"

	"github.com/unloq2fa/unloq2fa/handlers/recovery"
	"github.com/unloq2fa/unloq2fa/internal/testenv"
	"github.com/unloq2fa/unloq2fa/store"
)

// postgresDSNEnv names the variable that enables the PostgreSQL tests.
const postgresDSNEnv = "UNLOQ2FA_POSTGRES_DSN"

// backend is a database the SQL store is tested against.
type backend struct {
	name    string
	dialect store.Dialect
	open    func(t testing.TB) *sql.DB
}

// backends lists SQLite (a file, and shared-cache memory) and PostgreSQL.
func backends() []backend {
	return []backend{
		{name: "sqlite-file", dialect: store.DialectSQLite, open: openSQLiteFile},
		{name: "sqlite-memory", dialect: store.DialectSQLite, open: openSQLiteMemory},
		{name: "postgres", dialect: store.DialectPostgres, open: openPostgres},
	}
}

// uniqueName returns prefix plus 12 random hex digits.
func uniqueName(t testing.TB, prefix string) string {
	t.Helper()
	var b [6]byte
	_, err := rand.Read(b[:])
	require.NoError(t, err)
	return prefix + hex.EncodeToString(b[:])
}

// openSQLiteFile opens a new SQLite database file with WAL and a busy
// timeout, so that concurrent connections wait for each other.
func openSQLiteFile(t testing.TB) *sql.DB {
	t.Helper()
	path := filepath.Join(t.TempDir(), "codes.db")
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)")
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	require.NoError(t, db.Ping())
	return db
}

// openSQLiteMemory opens a new shared-cache in-memory SQLite database on a
// single connection.
func openSQLiteMemory(t testing.TB) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+uniqueName(t, "mem_")+"?mode=memory&cache=shared")
	require.NoError(t, err)
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { _ = db.Close() })
	require.NoError(t, db.Ping())
	return db
}

// openPostgres connects to UNLOQ2FA_POSTGRES_DSN; without it the test is
// skipped, except in CI (CI=true), where it fails.
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

// newSQLStore creates a fresh, uniquely named table and a store over it;
// the table is dropped at cleanup.
func newSQLStore(t testing.TB, b backend, db *sql.DB) *recovery.SQLStore {
	t.Helper()
	table := uniqueName(t, "recovery_codes_")
	s, err := recovery.NewSQLStore(db, recovery.WithDialect(b.dialect), recovery.WithTable(table))
	require.NoError(t, err)
	require.NoError(t, s.CreateTable(t.Context()))
	t.Cleanup(func() { _, _ = db.Exec(`DROP TABLE IF EXISTS "` + table + `"`) })
	return s
}
