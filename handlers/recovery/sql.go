package recovery

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/unloq2fa/unloq2fa/internal/sqlident"
	"github.com/unloq2fa/unloq2fa/store"
)

// DefaultSQLTable is the SQLStore's default table name.
const DefaultSQLTable = "unloq2fa_recovery_codes"

// SQLStore is a CodeStore over database/sql, in a table of its own (see
// CreateTable) with one row per code:
//
//	user_id TEXT, code_id TEXT, hash BLOB (BYTEA), used INTEGER,
//	PRIMARY KEY (user_id, code_id)
//
// It works with SQLite (store.DialectSQLite, the default) and PostgreSQL
// (store.DialectPostgres). It is safe for concurrent use.
//
// Consume reads the row, runs verify with no transaction open, then marks
// the row used with one conditional UPDATE (…WHERE used = 0 AND hash = the
// hash read), which the database applies atomically: concurrent uses of
// one code have exactly one winner, and a Replace in between makes the
// UPDATE match nothing. Replace deletes and inserts in one transaction;
// with PostgreSQL it first takes a SHARE ROW EXCLUSIVE lock on the table
// so that concurrent Replace calls for one user run one after the other
// (Replace is rare: enabling two-step or regenerating codes).
//
// With SQLite on a file and more than one connection, give the database a
// busy timeout (for modernc.org/sqlite: "?_pragma=busy_timeout(5000)") so
// that concurrent writers wait instead of failing with SQLITE_BUSY.
type SQLStore struct {
	db      *sql.DB
	dialect store.Dialect
	table   string // quoted

	qSelect, qConsume, qUsedSame, qDelete, qInsert, qRemaining, qLock string
}

var _ CodeStore = (*SQLStore)(nil)

// SQLOption configures NewSQLStore. Options validate their argument and
// return an error that NewSQLStore reports.
type SQLOption func(*sqlConfig) error

type sqlConfig struct {
	dialect store.Dialect
	table   string
}

// WithDialect selects the placeholder style and column types:
// store.DialectSQLite (the default) or store.DialectPostgres.
func WithDialect(d store.Dialect) SQLOption {
	return func(c *sqlConfig) error {
		if d != store.DialectSQLite && d != store.DialectPostgres {
			return fmt.Errorf("recovery: sql store: unknown dialect %s", d)
		}
		c.dialect = d
		return nil
	}
}

// WithTable sets the table (default DefaultSQLTable). The name must match
// ^[A-Za-z_][A-Za-z0-9_]*$ and be at most 63 bytes; it is quoted in every
// statement.
func WithTable(name string) SQLOption {
	return func(c *sqlConfig) error {
		if !sqlident.Valid(name) {
			return fmt.Errorf("recovery: sql store: invalid table name %q: want ^[A-Za-z_][A-Za-z0-9_]*$, at most 63 bytes", name)
		}
		c.table = name
		return nil
	}
}

// NewSQLStore returns a store over db. It checks the configuration only;
// CreateTable creates the table.
func NewSQLStore(db *sql.DB, opts ...SQLOption) (*SQLStore, error) {
	if db == nil {
		return nil, errors.New("recovery: sql store: nil *sql.DB")
	}
	cfg := sqlConfig{dialect: store.DialectSQLite, table: DefaultSQLTable}
	for _, opt := range opts {
		if opt == nil {
			return nil, errors.New("recovery: sql store: nil option")
		}
		if err := opt(&cfg); err != nil {
			return nil, err
		}
	}
	t := sqlident.Quote(cfg.table) // validated: no quote inside
	ph := func(n int) string {
		if cfg.dialect == store.DialectPostgres {
			return fmt.Sprintf("$%d", n)
		}
		return "?"
	}
	s := &SQLStore{db: db, dialect: cfg.dialect, table: t}
	s.qSelect = fmt.Sprintf("SELECT hash, used FROM %s WHERE user_id = %s AND code_id = %s", t, ph(1), ph(2))
	s.qConsume = fmt.Sprintf("UPDATE %s SET used = 1 WHERE user_id = %s AND code_id = %s AND hash = %s AND used = 0",
		t, ph(1), ph(2), ph(3))
	s.qUsedSame = fmt.Sprintf("SELECT used FROM %s WHERE user_id = %s AND code_id = %s AND hash = %s",
		t, ph(1), ph(2), ph(3))
	s.qDelete = fmt.Sprintf("DELETE FROM %s WHERE user_id = %s", t, ph(1))
	s.qInsert = fmt.Sprintf("INSERT INTO %s (user_id, code_id, hash, used) VALUES (%s, %s, %s, 0)", t, ph(1), ph(2), ph(3))
	s.qRemaining = fmt.Sprintf("SELECT COUNT(*) FROM %s WHERE user_id = %s AND used = 0", t, ph(1))
	if cfg.dialect == store.DialectPostgres {
		s.qLock = fmt.Sprintf("LOCK TABLE %s IN SHARE ROW EXCLUSIVE MODE", t)
	}
	return s, nil
}

// CreateTable creates the table unless it exists; running it again is a
// no-op. The columns are TEXT (default binary collation in SQLite), so user
// ids compare byte for byte.
func (s *SQLStore) CreateTable(ctx context.Context) error {
	blob := "BLOB"
	if s.dialect == store.DialectPostgres {
		blob = "BYTEA"
	}
	ddl := fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s ("+
		"user_id TEXT NOT NULL, code_id TEXT NOT NULL, hash %s NOT NULL, used INTEGER NOT NULL DEFAULT 0, "+
		"PRIMARY KEY (user_id, code_id))", s.table, blob)
	if _, err := s.db.ExecContext(ctx, ddl); err != nil {
		return fmt.Errorf("recovery: sql store: create table: %w", err)
	}
	return nil
}

// Replace implements CodeStore.
func (s *SQLStore) Replace(ctx context.Context, userID string, codes []Hashed) (err error) {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("recovery: sql store: replace: %w", err)
	}
	if err := checkSet("sql store", codes); err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("recovery: sql store: replace: begin: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback() // the error that made us give up matters more
		}
	}()
	if s.qLock != "" {
		if _, err := tx.ExecContext(ctx, s.qLock); err != nil {
			return fmt.Errorf("recovery: sql store: replace: lock: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, s.qDelete, userID); err != nil {
		return fmt.Errorf("recovery: sql store: replace: delete: %w", err)
	}
	for _, c := range codes {
		if _, err := tx.ExecContext(ctx, s.qInsert, userID, c.ID, c.Hash); err != nil {
			return fmt.Errorf("recovery: sql store: replace: insert: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("recovery: sql store: replace: commit: %w", err)
	}
	return nil
}

// Consume implements CodeStore.
func (s *SQLStore) Consume(ctx context.Context, userID, id string, verify func([]byte) bool) (Outcome, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("recovery: sql store: consume: %w", err)
	}
	var (
		hash []byte
		used int64
	)
	err := s.db.QueryRowContext(ctx, s.qSelect, userID, id).Scan(&hash, &used)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return NoMatch, nil
	case err != nil:
		return 0, fmt.Errorf("recovery: sql store: consume: read: %w", err)
	}
	if !verify(bytes.Clone(hash)) {
		return NoMatch, nil
	}
	if used != 0 {
		return AlreadyUsed, nil
	}
	res, err := s.db.ExecContext(ctx, s.qConsume, userID, id, hash)
	if err != nil {
		return 0, fmt.Errorf("recovery: sql store: consume: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("recovery: sql store: consume: rows affected: %w", err)
	}
	if n == 1 {
		return Consumed, nil
	}
	if n > 1 {
		// The primary key makes this unreachable; refuse all the same.
		return 0, fmt.Errorf("recovery: sql store: consume: %d rows share one code", n)
	}
	// Lost a race: used by a concurrent call, or replaced meanwhile.
	err = s.db.QueryRowContext(ctx, s.qUsedSame, userID, id, hash).Scan(&used)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return NoMatch, nil
	case err != nil:
		return 0, fmt.Errorf("recovery: sql store: consume: re-read: %w", err)
	case used != 0:
		return AlreadyUsed, nil
	}
	// Unused and unchanged, yet the UPDATE matched nothing: refuse.
	return 0, errors.New("recovery: sql store: consume: the code could not be marked used")
}

// Remaining implements CodeStore.
func (s *SQLStore) Remaining(ctx context.Context, userID string) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("recovery: sql store: remaining: %w", err)
	}
	var n int
	if err := s.db.QueryRowContext(ctx, s.qRemaining, userID).Scan(&n); err != nil {
		return 0, fmt.Errorf("recovery: sql store: remaining: %w", err)
	}
	return n, nil
}
