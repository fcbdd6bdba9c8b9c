package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/internal/sqltest"
	"github.com/unloq2fa/unloq2fa/store"
)

// columns lists a table's column names, in order, from the driver.
func columns(t *testing.T, db *sql.DB, table string) []string {
	t.Helper()
	rows, err := db.Query("SELECT * FROM " + q(table) + " WHERE 1 = 0")
	require.NoError(t, err)
	defer rows.Close()
	cols, err := rows.Columns()
	require.NoError(t, err)
	return cols
}

func TestAddSecondFactorColumn(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b sqltest.Backend, db *sql.DB) {
		ctx := t.Context()
		tests := []struct {
			name    string
			sc      schema
			columns string // format with the quoted id, email, sf names
			want    []string
		}{
			{"lacks the column", defaultSchema(t), "%[1]s TEXT PRIMARY KEY, %[2]s TEXT",
				[]string{"id", "email", "second_factor"}},
			{"has the column", defaultSchema(t), textColumns,
				[]string{"id", "email", "second_factor"}},
			{"custom names lack the column",
				schema{table: sqltest.UniqueName(t, "Members_"), id: "member_id", email: "Mail", sf: "MFA"},
				"%[1]s TEXT PRIMARY KEY, %[2]s TEXT", []string{"member_id", "Mail", "MFA"}},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				createTable(t, db, tc.sc, tc.columns)
				s, err := store.NewSQL(db, tc.sc.options(b.Dialect)...)
				require.NoError(t, err)
				insertRaw0 := fmt.Sprintf("INSERT INTO %s (%s, %s) VALUES ('u1', 'u1@example.com')", q(tc.sc.table), q(tc.sc.id), q(tc.sc.email))
				_, err = db.Exec(insertRaw0)
				require.NoError(t, err)

				require.NoError(t, s.AddSecondFactorColumn(ctx), "first run")
				require.NoError(t, s.AddSecondFactorColumn(ctx), "second run is a no-op")
				assert.Equal(t, tc.want, columns(t, db, tc.sc.table))

				// The existing row reads as "no second factor" and can be set.
				u, err := s.User(ctx, "u1")
				require.NoError(t, err)
				assert.Equal(t, store.User{ID: "u1", Email: "u1@example.com"}, u)
				require.NoError(t, s.SetSecondFactor(ctx, "u1", store.SecondFactorUNLOQ))
				u, err = s.User(ctx, "u1")
				require.NoError(t, err)
				assert.Equal(t, store.SecondFactorUNLOQ, u.SecondFactor)
				require.NoError(t, s.AddSecondFactorColumn(ctx), "third run keeps the data")
				u, err = s.User(ctx, "u1")
				require.NoError(t, err)
				assert.Equal(t, store.SecondFactorUNLOQ, u.SecondFactor)
			})
		}

		t.Run("missing table", func(t *testing.T) {
			s, err := store.NewSQL(db, store.WithDialect(b.Dialect), store.WithTable(sqltest.UniqueName(t, "absent_")))
			require.NoError(t, err)
			err = s.AddSecondFactorColumn(ctx)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "store: sql: add second factor column: ")
		})

		t.Run("canceled context", func(t *testing.T) {
			sc := defaultSchema(t)
			createTable(t, db, sc, "%[1]s TEXT PRIMARY KEY, %[2]s TEXT")
			s, err := store.NewSQL(db, sc.options(b.Dialect)...)
			require.NoError(t, err)
			canceled, cancel := context.WithCancel(ctx)
			cancel()
			assert.ErrorIs(t, s.AddSecondFactorColumn(canceled), context.Canceled)
			assert.Equal(t, []string{"id", "email"}, columns(t, db, sc.table), "nothing added")
		})

		t.Run("closed db", func(t *testing.T) {
			closed := b.Open(t)
			s, err := store.NewSQL(closed, store.WithDialect(b.Dialect), store.WithTable(sqltest.UniqueName(t, "closed_")))
			require.NoError(t, err)
			require.NoError(t, closed.Close())
			err = s.AddSecondFactorColumn(ctx)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "store: sql: add second factor column: ")
		})
	})
}

func TestAddSecondFactorColumnSQLiteIgnoresCase(t *testing.T) {
	// SQLite identifiers are case-insensitive even when quoted, so an
	// existing "Second_Factor" is the column; adding another would fail.
	db := sqltest.OpenSQLiteFile(t)
	sc := defaultSchema(t)
	createTable(t, db, schema{table: sc.table, id: "id", email: "email", sf: "Second_Factor"}, textColumns)
	s, err := store.NewSQL(db, sc.options(store.DialectSQLite)...)
	require.NoError(t, err)
	require.NoError(t, s.AddSecondFactorColumn(t.Context()))
	require.NoError(t, s.AddSecondFactorColumn(t.Context()))
	assert.Equal(t, []string{"id", "email", "Second_Factor"}, columns(t, db, sc.table))
}

func TestAddUnloqIDColumn(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b sqltest.Backend, db *sql.DB) {
		ctx := t.Context()
		for _, name := range []string{store.DefaultUnloqIDColumn, "Unloq_Ref"} {
			t.Run(name, func(t *testing.T) {
				sc := defaultSchema(t)
				createTable(t, db, sc, textColumns)
				insertRaw(t, db, b.Dialect, sc, "u1", "u1@example.com", store.SecondFactorUNLOQ)

				// The table lacks the column: a store that does not ask for
				// it keeps working and keeps no ids.
				plain, err := store.NewSQL(db, sc.options(b.Dialect)...)
				require.NoError(t, err)
				assert.ErrorIs(t, plain.SetUnloqID(ctx, "u1", "42"), store.ErrUnloqIDUnsupported)
				err = plain.AddUnloqIDColumn(ctx)
				require.Error(t, err, "no column configured")
				assert.Contains(t, err.Error(), "store: sql: add unloq id column: no column configured")

				sc.unloq = name
				s, err := store.NewSQL(db, sc.options(b.Dialect)...)
				require.NoError(t, err)
				_, err = s.User(ctx, "u1")
				require.Error(t, err, "the column is configured but missing: fail closed")
				assert.NotErrorIs(t, err, store.ErrUserNotFound)

				require.NoError(t, s.AddUnloqIDColumn(ctx), "first run")
				require.NoError(t, s.AddUnloqIDColumn(ctx), "second run is a no-op")
				assert.Equal(t, []string{"id", "email", "second_factor", name}, columns(t, db, sc.table))

				u, err := s.User(ctx, "u1")
				require.NoError(t, err)
				assert.Equal(t, store.User{ID: "u1", Email: "u1@example.com", SecondFactor: store.SecondFactorUNLOQ}, u)
				require.NoError(t, s.SetUnloqID(ctx, "u1", "0042"))
				require.NoError(t, s.AddUnloqIDColumn(ctx), "third run keeps the data")
				u, err = s.User(ctx, "u1")
				require.NoError(t, err)
				assert.Equal(t, store.User{ID: "u1", Email: "u1@example.com", SecondFactor: store.SecondFactorUNLOQ, UnloqID: "0042"}, u)

				// The store without the option still reads no id.
				u, err = plain.User(ctx, "u1")
				require.NoError(t, err)
				assert.Empty(t, u.UnloqID)
			})
		}

		t.Run("canceled context", func(t *testing.T) {
			sc := defaultSchema(t)
			createTable(t, db, sc, textColumns)
			sc.unloq = store.DefaultUnloqIDColumn
			s, err := store.NewSQL(db, sc.options(b.Dialect)...)
			require.NoError(t, err)
			canceled, cancel := context.WithCancel(ctx)
			cancel()
			assert.ErrorIs(t, s.AddUnloqIDColumn(canceled), context.Canceled)
			assert.Equal(t, []string{"id", "email", "second_factor"}, columns(t, db, sc.table), "nothing added")
		})
	})
}

func TestSQLRefusesInvalidStoredUnloqID(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b sqltest.Backend, db *sql.DB) {
		sc := defaultSchema(t)
		sc.unloq = store.DefaultUnloqIDColumn
		st := newSQLStore(t, b, db, sc)
		for i, bad := range []string{" 42", "42\n", "４２"} {
			id := fmt.Sprintf("raw-%d", i)
			insertRaw(t, db, b.Dialect, sc, id, "raw@example.com", store.SecondFactorUNLOQ)
			ps := placeholders(b.Dialect, 2)
			_, err := db.Exec(fmt.Sprintf("UPDATE %s SET %s = %s WHERE %s = %s", q(sc.table), q(sc.unloq), ps[0], q(sc.id), ps[1]), bad, id)
			require.NoError(t, err)
			_, err = st.User(t.Context(), id)
			assert.ErrorIs(t, err, store.ErrInvalidUnloqID, "stored %q", bad)
		}
	})
}
