package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/internal/sqltest"
	"github.com/unloq2fa/unloq2fa/store"
	"github.com/unloq2fa/unloq2fa/store/storetest"
)

func TestSQLConformance(t *testing.T) {
	for _, b := range sqltest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			db := b.Open(t)
			storetest.Run(t, storetest.Harness{
				New: func(t *testing.T) store.UserStore {
					return newSQLStore(t, b, db, defaultSchema(t))
				},
				Seed:    seedSQL,
				RawSeed: true,
			})
		})
	}
}

func TestSQLConformanceCustomNames(t *testing.T) {
	// Mixed case (case-sensitive once quoted in PostgreSQL) and reserved
	// words: both only work if every statement quotes the identifiers.
	for _, b := range sqltest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			db := b.Open(t)
			storetest.Run(t, storetest.Harness{
				New: func(t *testing.T) store.UserStore {
					s := schema{table: sqltest.UniqueName(t, "App_Accounts_"), id: "user", email: "Mail_Address", sf: "select"}
					return newSQLStore(t, b, db, s)
				},
				Seed:    seedSQL,
				RawSeed: true,
			})
		})
	}
}

func TestSQLConformanceUnloqID(t *testing.T) {
	for _, b := range sqltest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			db := b.Open(t)
			for name, mk := range map[string]func(t *testing.T) schema{
				"default names": func(t *testing.T) schema {
					sc := defaultSchema(t)
					sc.unloq = store.DefaultUnloqIDColumn
					return sc
				},
				"custom names": func(t *testing.T) schema {
					return schema{table: sqltest.UniqueName(t, "App_Accounts_"), id: "user", email: "Mail_Address", sf: "select", unloq: "Unloq_Ref"}
				},
			} {
				t.Run(name, func(t *testing.T) {
					storetest.Run(t, storetest.Harness{
						New:     func(t *testing.T) store.UserStore { return newSQLStore(t, b, db, mk(t)) },
						Seed:    seedSQL,
						RawSeed: true,
						UnloqID: true,
					})
				})
			}
		})
	}
}

func TestNewSQLRejectsBadConfiguration(t *testing.T) {
	db, err := sql.Open("sqlite", "file:"+sqltest.UniqueName(t, "cfg_")+"?mode=memory&cache=shared")
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })

	injections := []string{
		"",
		"users; DROP TABLE users",
		"users--",
		`us"ers`,
		"users\"; DROP TABLE x; --",
		"us'ers",
		"`users`",
		"[users]",
		"1users",
		"9",
		"user name",
		"user-name",
		"public.users",
		"users\x00",
		"users\n",
		" users",
		"üsers",
		"users)",
		"users/*",
		strings.Repeat("a", 64),
	}
	options := []struct {
		name string
		opt  func(string) store.SQLOption
	}{
		{"table", store.WithTable},
		{"id column", store.WithIDColumn},
		{"email column", store.WithEmailColumn},
		{"second factor column", store.WithSecondFactorColumn},
		{"unloq id column", store.WithUnloqIDColumn},
	}
	for _, o := range options {
		for _, bad := range injections {
			t.Run(fmt.Sprintf("%s/%q", o.name, bad), func(t *testing.T) {
				s, err := store.NewSQL(db, o.opt(bad))
				require.Error(t, err)
				assert.Nil(t, s)
				assert.Contains(t, err.Error(), "store: sql: invalid "+o.name+" name")
			})
		}
	}

	others := []struct {
		name string
		db   *sql.DB
		opts []store.SQLOption
		want string
	}{
		{"nil db", nil, nil, "store: sql: nil *sql.DB"},
		{"nil option", db, []store.SQLOption{nil}, "store: sql: nil option"},
		{"unknown dialect", db, []store.SQLOption{store.WithDialect(store.Dialect(0))}, "store: sql: unknown dialect Dialect(0)"},
		{"unknown dialect 99", db, []store.SQLOption{store.WithDialect(store.Dialect(99))}, "store: sql: unknown dialect Dialect(99)"},
		{"second factor is the id", db, []store.SQLOption{store.WithSecondFactorColumn("ID")},
			`store: sql: second factor column "ID" must differ from the id column "id" and the email column "email"`},
		{"second factor is the email", db, []store.SQLOption{store.WithEmailColumn("mail"), store.WithSecondFactorColumn("mail")},
			`store: sql: second factor column "mail" must differ from the id column "id" and the email column "mail"`},
		{"unloq id is the id", db, []store.SQLOption{store.WithUnloqIDColumn("Id")},
			`store: sql: unloq id column "Id" must differ from the id, email and second factor columns`},
		{"unloq id is the email", db, []store.SQLOption{store.WithUnloqIDColumn("email")},
			`store: sql: unloq id column "email" must differ from the id, email and second factor columns`},
		{"unloq id is the second factor", db, []store.SQLOption{store.WithUnloqIDColumn("SECOND_FACTOR")},
			`store: sql: unloq id column "SECOND_FACTOR" must differ from the id, email and second factor columns`},
	}
	for _, tc := range others {
		t.Run(tc.name, func(t *testing.T) {
			s, err := store.NewSQL(tc.db, tc.opts...)
			require.EqualError(t, err, tc.want)
			assert.Nil(t, s)
		})
	}

	valid := []string{"users", "_", "_x1", "A", "Users_2FA", "select", strings.Repeat("a", 63)}
	for _, name := range valid {
		t.Run("valid/"+name, func(t *testing.T) {
			s, err := store.NewSQL(db, store.WithTable(name), store.WithIDColumn(name),
				store.WithEmailColumn(name), store.WithSecondFactorColumn("sf"))
			require.NoError(t, err)
			assert.NotNil(t, s)
		})
	}
}

func TestSQLNullAndEmptyRead(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b sqltest.Backend, db *sql.DB) {
		ctx := t.Context()
		s := newSQLStore(t, b, db, defaultSchema(t))
		insertRaw(t, db, b.Dialect, s.schema, "null-sf", "n@example.com", nil)
		insertRaw(t, db, b.Dialect, s.schema, "empty-sf", "e@example.com", "")
		insertRaw(t, db, b.Dialect, s.schema, "unloq-sf", "u@example.com", "UNLOQ")
		insertRaw(t, db, b.Dialect, s.schema, "null-email", nil, "UNLOQ")

		tests := []store.User{
			{ID: "null-sf", Email: "n@example.com", SecondFactor: ""},
			{ID: "empty-sf", Email: "e@example.com", SecondFactor: ""},
			{ID: "unloq-sf", Email: "u@example.com", SecondFactor: "UNLOQ"},
			{ID: "null-email", Email: "", SecondFactor: "UNLOQ"},
		}
		for _, want := range tests {
			got, err := s.User(ctx, want.ID)
			require.NoError(t, err, want.ID)
			assert.Equal(t, want, got)
		}
	})
}

func TestSQLClearWritesNULL(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b sqltest.Backend, db *sql.DB) {
		ctx := t.Context()
		s := newSQLStore(t, b, db, defaultSchema(t))
		insertRaw(t, db, b.Dialect, s.schema, "u1", "u1@example.com", "")

		raw := func() sql.NullString {
			t.Helper()
			var v sql.NullString
			query := fmt.Sprintf("SELECT %s FROM %s WHERE %s = %s", q(s.schema.sf), q(s.schema.table), q(s.schema.id), placeholders(b.Dialect, 1)[0])
			require.NoError(t, db.QueryRow(query, "u1").Scan(&v))
			return v
		}
		require.NoError(t, s.SetSecondFactor(ctx, "u1", store.SecondFactorUNLOQ))
		assert.Equal(t, sql.NullString{String: "UNLOQ", Valid: true}, raw())
		require.NoError(t, s.SetSecondFactor(ctx, "u1", ""))
		assert.Equal(t, sql.NullString{}, raw(), "clearing writes NULL, not ''")
	})
}

func TestSQLStoredInvalidValueFailsClosed(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b sqltest.Backend, db *sql.DB) {
		ctx := t.Context()
		s := newSQLStore(t, b, db, defaultSchema(t))
		for i, bad := range []string{"unloq", " UNLOQ", "UNLOQ ", "OTP", "yes"} {
			id := fmt.Sprintf("bad-%d", i)
			insertRaw(t, db, b.Dialect, s.schema, id, "b@example.com", bad)

			_, err := s.User(ctx, id)
			require.Error(t, err, "stored %q", bad)
			assert.ErrorIs(t, err, store.ErrInvalidSecondFactor)
			assert.NotErrorIs(t, err, store.ErrUserNotFound)
			assert.Contains(t, err.Error(), "store: sql: user: stored value: invalid second factor")

			// Writing a valid value repairs the row.
			require.NoError(t, s.SetSecondFactor(ctx, id, ""))
			u, err := s.User(ctx, id)
			require.NoError(t, err)
			assert.Equal(t, store.User{ID: id, Email: "b@example.com"}, u)
		}
	})
}

func TestSQLDuplicateIDsFailClosed(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b sqltest.Backend, db *sql.DB) {
		ctx := t.Context()
		sc := defaultSchema(t)
		createTable(t, db, sc, "%s TEXT, %s TEXT, %s TEXT") // no unique id
		s, err := store.NewSQL(db, sc.options(b.Dialect)...)
		require.NoError(t, err)
		insertRaw(t, db, b.Dialect, sc, "dup", "one@example.com", nil)
		insertRaw(t, db, b.Dialect, sc, "dup", "two@example.com", nil)

		_, err = s.User(ctx, "dup")
		require.Error(t, err)
		assert.NotErrorIs(t, err, store.ErrUserNotFound)
		assert.Contains(t, err.Error(), "2 rows share one id")

		err = s.SetSecondFactor(ctx, "dup", store.SecondFactorUNLOQ)
		require.Error(t, err)
		assert.NotErrorIs(t, err, store.ErrUserNotFound)
		assert.Contains(t, err.Error(), "rolled back")

		var n int
		query := fmt.Sprintf("SELECT COUNT(*) FROM %s WHERE %s IS NOT NULL", q(sc.table), q(sc.sf))
		require.NoError(t, db.QueryRow(query).Scan(&n))
		assert.Zero(t, n, "the update was rolled back")
	})
}

func TestSQLIntegerIDColumn(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b sqltest.Backend, db *sql.DB) {
		ctx := t.Context()
		sc := defaultSchema(t)
		createTable(t, db, sc, "%s INTEGER PRIMARY KEY, %s TEXT, %s TEXT")
		s, err := store.NewSQL(db, sc.options(b.Dialect)...)
		require.NoError(t, err)
		insertRaw(t, db, b.Dialect, sc, 1, "one@example.com", nil)
		insertRaw(t, db, b.Dialect, sc, 10, "ten@example.com", "UNLOQ")

		u, err := s.User(ctx, "1")
		require.NoError(t, err)
		assert.Equal(t, store.User{ID: "1", Email: "one@example.com"}, u)
		u, err = s.User(ctx, "10")
		require.NoError(t, err)
		assert.Equal(t, store.User{ID: "10", Email: "ten@example.com", SecondFactor: "UNLOQ"}, u)
		_, err = s.User(ctx, "2")
		assert.ErrorIs(t, err, store.ErrUserNotFound)

		// Numeric look-alikes never reach user 1. SQLite reports them as
		// not found; PostgreSQL may refuse to parse some (an error, which
		// fails closed just as well).
		for _, id := range []string{"01", "1 ", " 1", "+1", "1.0", "1e0", "0x1", "abc", ""} {
			_, err := s.User(ctx, id)
			require.Error(t, err, "User(%q)", id)
			err = s.SetSecondFactor(ctx, id, store.SecondFactorUNLOQ)
			require.Error(t, err, "SetSecondFactor(%q)", id)
			if b.Dialect == store.DialectSQLite {
				assert.ErrorIs(t, err, store.ErrUserNotFound, "SetSecondFactor(%q)", id)
			}
		}
		u, err = s.User(ctx, "1")
		require.NoError(t, err)
		assert.Equal(t, "", u.SecondFactor, "look-alike writes left user 1 alone")

		require.NoError(t, s.SetSecondFactor(ctx, "1", store.SecondFactorUNLOQ))
		u, err = s.User(ctx, "1")
		require.NoError(t, err)
		assert.Equal(t, store.SecondFactorUNLOQ, u.SecondFactor)
	})
}

func TestSQLCaseInsensitiveCollationStillExact(t *testing.T) {
	// A NOCASE id column would match "ALICE" for "alice"; the store must not.
	for _, b := range sqltest.Backends()[:2] { // SQLite only: COLLATE NOCASE is SQLite's
		t.Run(b.Name, func(t *testing.T) {
			db := b.Open(t)
			ctx := t.Context()
			sc := defaultSchema(t)
			createTable(t, db, sc, "%s TEXT COLLATE NOCASE PRIMARY KEY, %s TEXT, %s TEXT")
			s, err := store.NewSQL(db, sc.options(b.Dialect)...)
			require.NoError(t, err)
			insertRaw(t, db, b.Dialect, sc, "alice", "a@example.com", nil)

			_, err = s.User(ctx, "ALICE")
			assert.ErrorIs(t, err, store.ErrUserNotFound)
			assert.ErrorIs(t, s.SetSecondFactor(ctx, "ALICE", store.SecondFactorUNLOQ), store.ErrUserNotFound)
			u, err := s.User(ctx, "alice")
			require.NoError(t, err)
			assert.Equal(t, store.User{ID: "alice", Email: "a@example.com"}, u)
		})
	}
}

func TestSQLSystemErrorsAreNotNotFound(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b sqltest.Backend, _ *sql.DB) {
		ctx := t.Context()
		tests := []struct {
			name     string
			setup    func(t *testing.T) *store.SQL
			userOnly bool // SetSecondFactor does not use the broken part
		}{
			{"closed db", func(t *testing.T) *store.SQL {
				// A pool of its own (closing it must not stop the cleanup of
				// another test's table), over a database that has the user.
				db := b.Open(t)
				s := newSQLStore(t, b, db, defaultSchema(t))
				insertRaw(t, db, b.Dialect, s.schema, "u1", "u1@example.com", nil)
				_, err := s.User(ctx, "u1")
				require.NoError(t, err)
				_, err = db.Exec("DROP TABLE " + q(s.schema.table))
				require.NoError(t, err)
				require.NoError(t, db.Close())
				return s.SQL
			}, false},
			{"missing table", func(t *testing.T) *store.SQL {
				s, err := store.NewSQL(b.Open(t), store.WithDialect(b.Dialect), store.WithTable(sqltest.UniqueName(t, "missing_")))
				require.NoError(t, err)
				return s
			}, false},
			{"missing column", func(t *testing.T) *store.SQL {
				db := b.Open(t)
				sc := defaultSchema(t)
				createTable(t, db, sc, "%[1]s TEXT PRIMARY KEY, %[2]s TEXT")
				s, err := store.NewSQL(db, sc.options(b.Dialect)...)
				require.NoError(t, err)
				return s
			}, false},
			{"misconfigured id column", func(t *testing.T) *store.SQL {
				return misconfigured(t, b, store.WithIDColumn("user_id"))
			}, false},
			{"misconfigured email column", func(t *testing.T) *store.SQL {
				return misconfigured(t, b, store.WithEmailColumn("mail"))
			}, true},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				s := tc.setup(t)
				for _, id := range []string{"u1", "nobody"} {
					_, err := s.User(ctx, id)
					require.Error(t, err)
					assert.NotErrorIs(t, err, store.ErrUserNotFound, "User(%q): %v", id, err)
					assert.True(t, strings.HasPrefix(err.Error(), "store: sql: user: "), err.Error())
					if tc.userOnly {
						continue
					}

					err = s.SetSecondFactor(ctx, id, store.SecondFactorUNLOQ)
					require.Error(t, err)
					assert.NotErrorIs(t, err, store.ErrUserNotFound, "SetSecondFactor(%q): %v", id, err)
					assert.True(t, strings.HasPrefix(err.Error(), "store: sql: set second factor: "), err.Error())
				}
			})
		}
	})
}

func TestSQLDeadlineExceeded(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b sqltest.Backend, db *sql.DB) {
		s := newSQLStore(t, b, db, defaultSchema(t))
		insertRaw(t, db, b.Dialect, s.schema, "u1", "u1@example.com", nil)
		ctx, cancel := context.WithTimeout(context.Background(), 0)
		defer cancel()
		_, err := s.User(ctx, "u1")
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		assert.NotErrorIs(t, err, store.ErrUserNotFound)
		err = s.SetSecondFactor(ctx, "u1", store.SecondFactorUNLOQ)
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		err = s.AddSecondFactorColumn(ctx)
		assert.ErrorIs(t, err, context.DeadlineExceeded)
	})
}

// misconfigured returns a store whose option names a column that the
// (default, seeded) table lacks. SQLite would read an unknown double-quoted
// name as a string literal; the store must still get an error.
func misconfigured(t *testing.T, b sqltest.Backend, opt store.SQLOption) *store.SQL {
	t.Helper()
	db := b.Open(t)
	sc := defaultSchema(t)
	createTable(t, db, sc, textColumns)
	insertRaw(t, db, b.Dialect, sc, "u1", "u1@example.com", nil)
	s, err := store.NewSQL(db, append(sc.options(b.Dialect), opt)...)
	require.NoError(t, err)
	return s
}
