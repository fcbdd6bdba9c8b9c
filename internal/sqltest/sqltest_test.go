package sqltest_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/internal/sqltest"
)

// TestBackendsOpen: each backend opens a working, separate database.
func TestBackendsOpen(t *testing.T) {
	for _, b := range sqltest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			db := b.Open(t)
			table := sqltest.UniqueName(t, "probe_")
			assert.Regexp(t, `^probe_[0-9a-f]{12}$`, table)
			_, err := db.ExecContext(t.Context(), `CREATE TABLE "`+table+`" (v INTEGER)`)
			require.NoError(t, err)
			t.Cleanup(func() { _, _ = db.Exec(`DROP TABLE IF EXISTS "` + table + `"`) })
			var n int
			require.NoError(t, db.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM "`+table+`"`).Scan(&n))
			assert.Zero(t, n, "a fresh table")
		})
	}
	assert.NotEqual(t, sqltest.UniqueName(t, "x"), sqltest.UniqueName(t, "x"))
}
