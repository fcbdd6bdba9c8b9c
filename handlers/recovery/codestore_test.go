package recovery_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/handlers/recovery"
	"github.com/unloq2fa/unloq2fa/handlers/recovery/recoverytest"
	"github.com/unloq2fa/unloq2fa/internal/sqltest"
	"github.com/unloq2fa/unloq2fa/store"
)

func TestMemoryStoreConformance(t *testing.T) {
	recoverytest.Run(t, recoverytest.Harness{
		New: func(t *testing.T) recovery.CodeStore { return recovery.NewMemoryStore() },
	})
}

func TestSQLStoreConformance(t *testing.T) {
	for _, b := range sqltest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			db := b.Open(t)
			recoverytest.Run(t, recoverytest.Harness{
				New: func(t *testing.T) recovery.CodeStore { return newSQLStore(t, b, db) },
			})
		})
	}
}

func TestSQLStoreCreateTableIsIdempotent(t *testing.T) {
	for _, b := range sqltest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			db := b.Open(t)
			s := newSQLStore(t, b, db)
			ctx := context.Background()
			require.NoError(t, s.Replace(ctx, "alice", []recovery.Hashed{{ID: "a001", Hash: []byte("h")}}))
			require.NoError(t, s.CreateTable(ctx), "second CreateTable")
			n, err := s.Remaining(ctx, "alice")
			require.NoError(t, err)
			assert.Equal(t, 1, n, "CreateTable must keep existing rows")
		})
	}
}

func TestSQLStoreWithoutTableFailsClosed(t *testing.T) {
	db := sqltest.OpenSQLiteMemory(t)
	s, err := recovery.NewSQLStore(db, recovery.WithTable(sqltest.UniqueName(t, "missing_")))
	require.NoError(t, err)
	ctx := context.Background()
	called := false
	out, err := s.Consume(ctx, "alice", "a001", func([]byte) bool { called = true; return true })
	require.Error(t, err)
	assert.NotEqual(t, recovery.Consumed, out)
	assert.False(t, called)
	_, err = s.Remaining(ctx, "alice")
	require.Error(t, err)
	require.Error(t, s.Replace(ctx, "alice", []recovery.Hashed{{ID: "a001", Hash: []byte("h")}}))
}

func TestSQLStoreDefaultTable(t *testing.T) {
	db := sqltest.OpenSQLiteMemory(t)
	s, err := recovery.NewSQLStore(db)
	require.NoError(t, err)
	require.NoError(t, s.CreateTable(context.Background()))
	var n int
	require.NoError(t, db.QueryRow(`SELECT COUNT(*) FROM "`+recovery.DefaultSQLTable+`"`).Scan(&n))
	assert.Zero(t, n)
}

func TestNewSQLStoreRejectsBadConfiguration(t *testing.T) {
	db, err := sql.Open("sqlite", "file:"+sqltest.UniqueName(t, "cfg_")+"?mode=memory&cache=shared")
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })

	for _, bad := range []string{
		"", "codes; DROP TABLE users", `co"des`, "co'des", "1codes", "codes\x00", " codes",
		"cödes", "public.codes", "codes--", strings.Repeat("a", 64),
	} {
		t.Run(fmt.Sprintf("table %q", bad), func(t *testing.T) {
			s, err := recovery.NewSQLStore(db, recovery.WithTable(bad))
			require.Error(t, err)
			assert.Nil(t, s)
			assert.Contains(t, err.Error(), "recovery: sql store: invalid table name")
		})
	}
	others := []struct {
		name string
		db   *sql.DB
		opts []recovery.SQLOption
		want string
	}{
		{"nil db", nil, nil, "recovery: sql store: nil *sql.DB"},
		{"nil option", db, []recovery.SQLOption{nil}, "recovery: sql store: nil option"},
		{"unknown dialect", db, []recovery.SQLOption{recovery.WithDialect(store.Dialect(0))}, "recovery: sql store: unknown dialect Dialect(0)"},
	}
	for _, tc := range others {
		t.Run(tc.name, func(t *testing.T) {
			s, err := recovery.NewSQLStore(tc.db, tc.opts...)
			require.EqualError(t, err, tc.want)
			assert.Nil(t, s)
		})
	}
	for _, good := range []string{"codes", "_", "Recovery_Codes_2", "select", strings.Repeat("a", 63)} {
		s, err := recovery.NewSQLStore(db, recovery.WithTable(good))
		require.NoError(t, err, good)
		require.NotNil(t, s)
	}
}
