package store

import (
	"database/sql"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	_ "modernc.org/sqlite" // driver "sqlite"
)

func TestSQLStatements(t *testing.T) {
	// The statements NewSQL builds: quoted, table-qualified identifiers and
	// an exact text comparison beside the indexable one.
	tests := []struct {
		name      string
		opts      []SQLOption
		user, upd string
		unloq     string // the UNLOQ id update, "" without the column
	}{
		{"sqlite defaults", nil,
			`SELECT "users"."id", "users"."email", "users"."second_factor", NULL FROM "users" WHERE "users"."id" = ? AND CAST("users"."id" AS TEXT) = ? COLLATE BINARY`,
			`UPDATE "users" SET "second_factor" = ? WHERE "users"."id" = ? AND CAST("users"."id" AS TEXT) = ? COLLATE BINARY`, ""},
		{"postgres custom", []SQLOption{WithDialect(DialectPostgres), WithTable("Accounts"), WithIDColumn("uid"), WithEmailColumn("mail"), WithSecondFactorColumn("mfa")},
			`SELECT "Accounts"."uid", "Accounts"."mail", "Accounts"."mfa", NULL FROM "Accounts" WHERE "Accounts"."uid" = $1 AND CAST("Accounts"."uid" AS TEXT) COLLATE "C" = $2`,
			`UPDATE "Accounts" SET "mfa" = $1 WHERE "Accounts"."uid" = $2 AND CAST("Accounts"."uid" AS TEXT) COLLATE "C" = $3`, ""},
		{"sqlite unloq id", []SQLOption{WithUnloqIDColumn("unloq_id")},
			`SELECT "users"."id", "users"."email", "users"."second_factor", "users"."unloq_id" FROM "users" WHERE "users"."id" = ? AND CAST("users"."id" AS TEXT) = ? COLLATE BINARY`,
			`UPDATE "users" SET "second_factor" = ? WHERE "users"."id" = ? AND CAST("users"."id" AS TEXT) = ? COLLATE BINARY`,
			`UPDATE "users" SET "unloq_id" = ? WHERE "users"."id" = ? AND CAST("users"."id" AS TEXT) = ? COLLATE BINARY`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := NewSQL(new(sql.DB), tc.opts...) // never used: NewSQL does not touch the database
			require.NoError(t, err)
			assert.Equal(t, tc.user, s.qUser)
			assert.Equal(t, tc.upd, s.qUpdate)
			assert.Equal(t, tc.unloq, s.qUnloq)
		})
	}
}

func TestSQLiteStatementsUseTheIndex(t *testing.T) {
	// The exact-text condition sits beside "id = ?" so that lookups and
	// updates still search the primary key instead of scanning the table.
	db, err := sql.Open("sqlite", "file:"+t.Name()+"?mode=memory&cache=shared")
	require.NoError(t, err)
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { _ = db.Close() })
	_, err = db.Exec(`CREATE TABLE users (id TEXT PRIMARY KEY, email TEXT, second_factor TEXT)`)
	require.NoError(t, err)
	s, err := NewSQL(db)
	require.NoError(t, err)

	for _, stmt := range []string{s.qUser, s.qUpdate} {
		rows, err := db.Query("EXPLAIN QUERY PLAN "+stmt, "a", "b", "c")
		require.NoError(t, err)
		var plan []string
		for rows.Next() {
			var id, parent, notused int
			var detail string
			require.NoError(t, rows.Scan(&id, &parent, &notused, &detail))
			plan = append(plan, detail)
		}
		require.NoError(t, rows.Err())
		require.NoError(t, rows.Close())
		require.NotEmpty(t, plan)
		assert.Contains(t, plan[0], "USING INDEX", "%s: %v", stmt, plan)
		assert.NotContains(t, plan[0], "SCAN", "%s: %v", stmt, plan)
	}
}
