package recovery_test

import (
	"database/sql"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/handlers/recovery"
	"github.com/unloq2fa/unloq2fa/internal/sqltest"
)

// The databases are those of internal/sqltest: SQLite (a file, and
// shared-cache memory) and PostgreSQL when UNLOQ2FA_POSTGRES_DSN is set.

// newSQLStore creates a fresh, uniquely named table and a store over it;
// the table is dropped at cleanup.
func newSQLStore(t testing.TB, b sqltest.Backend, db *sql.DB) *recovery.SQLStore {
	t.Helper()
	table := sqltest.UniqueName(t, "recovery_codes_")
	s, err := recovery.NewSQLStore(db, recovery.WithDialect(b.Dialect), recovery.WithTable(table))
	require.NoError(t, err)
	require.NoError(t, s.CreateTable(t.Context()))
	t.Cleanup(func() { _, _ = db.Exec(`DROP TABLE IF EXISTS "` + table + `"`) })
	return s
}
