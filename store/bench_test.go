package store_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/internal/sqltest"
	"github.com/unloq2fa/unloq2fa/store"
)

const benchUsers = 1000

// benchSQLite returns a SQLite store (a temporary file) with benchUsers
// users, ids "u0"…, and those ids.
func benchSQLite(b *testing.B) (*seededSQL, []string) {
	b.Helper()
	db := sqltest.OpenSQLiteFile(b)
	s := newSQLStore(b, sqltest.Backend{Name: "sqlite-file", Dialect: store.DialectSQLite}, db, defaultSchema(b))
	tx, err := db.Begin()
	require.NoError(b, err)
	ids := make([]string, benchUsers)
	for i := range ids {
		ids[i] = fmt.Sprintf("u%d", i)
		var sf any // every other user has UNLOQ on
		if i%2 == 0 {
			sf = store.SecondFactorUNLOQ
		}
		_, err := tx.Exec(`INSERT INTO "`+s.schema.table+`" (id, email, second_factor) VALUES (?, ?, ?)`,
			ids[i], ids[i]+"@example.com", sf)
		require.NoError(b, err)
	}
	require.NoError(b, tx.Commit())
	return s, ids
}

func BenchmarkSQLUser(b *testing.B) {
	s, ids := benchSQLite(b)
	ctx := b.Context()
	i := 0
	for b.Loop() {
		u, err := s.User(ctx, ids[i%len(ids)])
		if err != nil || u.ID != ids[i%len(ids)] {
			b.Fatalf("User(%q) = %+v, %v", ids[i%len(ids)], u, err)
		}
		i++
	}
}

func BenchmarkSQLUserParallel(b *testing.B) {
	s, ids := benchSQLite(b)
	ctx := b.Context()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, err := s.User(ctx, ids[i%len(ids)]); err != nil {
				b.Error(err)
				return
			}
			i++
		}
	})
}

func BenchmarkSQLSetSecondFactor(b *testing.B) {
	s, ids := benchSQLite(b)
	ctx := b.Context()
	values := [2]string{store.SecondFactorUNLOQ, ""}
	i := 0
	for b.Loop() {
		if err := s.SetSecondFactor(ctx, ids[i%len(ids)], values[i%2]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func BenchmarkMemoryUser(b *testing.B) {
	ctx := b.Context()
	m := store.NewMemory()
	ids := make([]string, benchUsers)
	for i := range ids {
		ids[i] = fmt.Sprintf("u%d", i)
		require.NoError(b, m.Put(ctx, store.User{ID: ids[i], Email: ids[i] + "@example.com"}))
	}
	i := 0
	for b.Loop() {
		if _, err := m.User(ctx, ids[i%len(ids)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
