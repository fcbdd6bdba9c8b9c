package sqltest

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

	"github.com/unloq2fa/unloq2fa/internal/testenv"
	"github.com/unloq2fa/unloq2fa/store"
)

// PostgresDSNEnv names the variable that enables the PostgreSQL tests;
// `eval "$(bash .ci/postgres.sh)"` sets it.
const PostgresDSNEnv = "UNLOQ2FA_POSTGRES_DSN"

// Backend is a database a SQL store is tested against.
type Backend struct {
	Name    string
	Dialect store.Dialect
	// Open returns a fresh connection pool, closed at cleanup. It skips
	// (or, under CI=true, fails) t when the backend is unavailable.
	Open func(t testing.TB) *sql.DB
}

// Backends lists SQLite (a file, and shared-cache memory) and PostgreSQL.
func Backends() []Backend {
	return []Backend{
		{Name: "sqlite-file", Dialect: store.DialectSQLite, Open: OpenSQLiteFile},
		{Name: "sqlite-memory", Dialect: store.DialectSQLite, Open: OpenSQLiteMemory},
		{Name: "postgres", Dialect: store.DialectPostgres, Open: OpenPostgres},
	}
}

// UniqueName returns prefix plus 12 random hex digits: a table name no
// other test run uses.
func UniqueName(t testing.TB, prefix string) string {
	t.Helper()
	var b [6]byte
	_, err := rand.Read(b[:])
	require.NoError(t, err)
	return prefix + hex.EncodeToString(b[:])
}

// OpenSQLiteFile opens a new SQLite database file in a temporary
// directory. WAL and a busy timeout let concurrent connections wait for
// each other.
func OpenSQLiteFile(t testing.TB) *sql.DB {
	t.Helper()
	path := filepath.Join(t.TempDir(), "test.db")
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)")
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	require.NoError(t, db.Ping())
	return db
}

// OpenSQLiteMemory opens a new, uniquely named, shared-cache in-memory
// SQLite database on a single connection.
func OpenSQLiteMemory(t testing.TB) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+UniqueName(t, "mem_")+"?mode=memory&cache=shared")
	require.NoError(t, err)
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { _ = db.Close() })
	require.NoError(t, db.Ping())
	return db
}

// OpenPostgres connects to UNLOQ2FA_POSTGRES_DSN. Without it the test is
// skipped, except under CI=true, where it fails: CI installs PostgreSQL.
func OpenPostgres(t testing.TB) *sql.DB {
	t.Helper()
	dsn := os.Getenv(PostgresDSNEnv)
	testenv.Require(t, dsn != "",
		"PostgreSQL tests: set "+PostgresDSNEnv+` (e.g. eval "$(bash .ci/postgres.sh)") to run them`)
	if dsn == "" {
		return nil
	}
	db, err := sql.Open("pgx", dsn)
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	require.NoError(t, db.Ping(), "connect to %s", PostgresDSNEnv)
	return db
}
