package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/unloq2fa/unloq2fa/internal/sqlident"
)

// SQL is a UserStore over an existing users table reached through
// database/sql. It is safe for concurrent use; its configuration is fixed
// by NewSQL.
//
// The id column should be unique. A lookup that matches more than one row is
// an error, and so is an update, which is then rolled back.
//
// Ids are compared exactly. With SQLite an INTEGER id column works ("1"
// finds 1, "01" and "1 " find nothing). With PostgreSQL and a non-text id
// column, an id that does not parse as the column's type is an error from
// the database (fail closed), not ErrUserNotFound.
//
// SetSecondFactor writes in a short transaction. With SQLite on a file and
// more than one connection, give the database a busy timeout (for
// modernc.org/sqlite: "?_pragma=busy_timeout(5000)") so that concurrent
// writers wait instead of failing with SQLITE_BUSY.
type SQL struct {
	db      *sql.DB
	cfg     sqlConfig
	qUser   string // SELECT id, email, second_factor[, unloq_id] … WHERE id matches exactly
	qUpdate string // UPDATE … SET second_factor = … WHERE id matches exactly
	qUnloq  string // UPDATE … SET unloq_id = … WHERE id matches exactly ("" without the column)
}

var (
	_ UserStore    = (*SQL)(nil)
	_ UnloqIDStore = (*SQL)(nil)
)

// NewSQL returns a store over db. Without options it reads the table
// "users" with columns "id", "email" and "second_factor", using SQLite
// placeholders. It checks the configuration only; it does not touch the
// database (see AddSecondFactorColumn to add the column).
func NewSQL(db *sql.DB, opts ...SQLOption) (*SQL, error) {
	if db == nil {
		return nil, errors.New("store: sql: nil *sql.DB")
	}
	cfg := sqlConfig{
		dialect:  DialectSQLite,
		table:    DefaultTable,
		idCol:    DefaultIDColumn,
		emailCol: DefaultEmailColumn,
		sfCol:    DefaultSecondFactorColumn,
	}
	for _, opt := range opts {
		if opt == nil {
			return nil, errors.New("store: sql: nil option")
		}
		if err := opt(&cfg); err != nil {
			return nil, err
		}
	}
	// Identifiers are case-insensitive in SQLite (and unquoted ones in
	// PostgreSQL): compare so, to refuse writing into the id or e-mail.
	if strings.EqualFold(cfg.sfCol, cfg.idCol) || strings.EqualFold(cfg.sfCol, cfg.emailCol) {
		return nil, fmt.Errorf("store: sql: second factor column %q must differ from the id column %q and the email column %q",
			cfg.sfCol, cfg.idCol, cfg.emailCol)
	}
	if cfg.unloqCol != "" {
		for _, other := range []string{cfg.idCol, cfg.emailCol, cfg.sfCol} {
			if strings.EqualFold(cfg.unloqCol, other) {
				return nil, fmt.Errorf("store: sql: unloq id column %q must differ from the id, email and second factor columns", cfg.unloqCol)
			}
		}
	}

	// Column references in expressions are qualified with the table: SQLite
	// reads an unqualified "name" that matches no column as a string literal
	// (its double-quoted-string quirk), which would turn a misconfigured
	// column into a silent constant instead of an error.
	d := cfg.dialect
	table := sqlident.Quote(cfg.table)
	col := func(name string) string { return table + "." + sqlident.Quote(name) }
	id, email, sf := col(cfg.idCol), col(cfg.emailCol), col(cfg.sfCol)
	s := &SQL{db: db, cfg: cfg}
	unloqSel := "NULL"
	if cfg.unloqCol != "" {
		unloqSel = col(cfg.unloqCol)
	}
	s.qUser = fmt.Sprintf("SELECT %s, %s, %s, %s FROM %s WHERE %s = %s AND %s",
		id, email, sf, unloqSel, table, id, d.placeholder(1), d.exactText(id, 2))
	// The target of SET is a bare column name in both dialects.
	s.qUpdate = fmt.Sprintf("UPDATE %s SET %s = %s WHERE %s = %s AND %s",
		table, sqlident.Quote(cfg.sfCol), d.placeholder(1), id, d.placeholder(2), d.exactText(id, 3))
	if cfg.unloqCol != "" {
		s.qUnloq = fmt.Sprintf("UPDATE %s SET %s = %s WHERE %s = %s AND %s",
			table, sqlident.Quote(cfg.unloqCol), d.placeholder(1), id, d.placeholder(2), d.exactText(id, 3))
	}
	return s, nil
}

// User implements UserStore. A NULL or empty second_factor reads as ""; a
// NULL e-mail reads as "". A stored second_factor other than "" or
// SecondFactorUNLOQ is an *InvalidSecondFactorError (fail closed).
func (s *SQL) User(ctx context.Context, id string) (User, error) {
	if err := ctx.Err(); err != nil {
		return User{}, fmt.Errorf("store: sql: user: %w", err)
	}
	rows, err := s.db.QueryContext(ctx, s.qUser, id, id)
	if err != nil {
		return User{}, fmt.Errorf("store: sql: user: %w", err)
	}
	defer rows.Close()

	var (
		u     User
		found int
	)
	for rows.Next() {
		var gotID, email, sf, unloqID sql.NullString
		if err := rows.Scan(&gotID, &email, &sf, &unloqID); err != nil {
			return User{}, fmt.Errorf("store: sql: user: scan: %w", err)
		}
		found++
		u = User{ID: gotID.String, Email: email.String, SecondFactor: sf.String, UnloqID: unloqID.String}
	}
	if err := rows.Err(); err != nil {
		return User{}, fmt.Errorf("store: sql: user: %w", err)
	}
	if err := rows.Close(); err != nil {
		return User{}, fmt.Errorf("store: sql: user: %w", err)
	}
	switch {
	case found == 0:
		return User{}, ErrUserNotFound
	case found > 1:
		return User{}, fmt.Errorf("store: sql: user: %d rows share one id; the id column must be unique", found)
	case u.ID != id:
		// Unreachable with the exact comparison in the query; kept so that
		// a driver or collation surprise can never return another user.
		return User{}, ErrUserNotFound
	case !validSecondFactor(u.SecondFactor):
		return User{}, &InvalidSecondFactorError{Op: "sql: user: stored value", Value: u.SecondFactor}
	case !validUnloqID(u.UnloqID):
		return User{}, &InvalidUnloqIDError{Op: "sql: user: stored value", Value: u.UnloqID}
	}
	return u, nil
}

// SetSecondFactor implements UserStore. "" writes NULL. It reports
// ErrUserNotFound when no row matched, and rolls back (with an error) when
// more than one did.
func (s *SQL) SetSecondFactor(ctx context.Context, id, value string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("store: sql: set second factor: %w", err)
	}
	if !validSecondFactor(value) {
		return &InvalidSecondFactorError{Op: "sql: set second factor", Value: value}
	}
	return s.update(ctx, "set second factor", s.qUpdate, value, id)
}

// SetUnloqID implements UnloqIDStore. "" writes NULL. Without
// WithUnloqIDColumn it returns ErrUnloqIDUnsupported (after checking ctx
// and the value). It reports ErrUserNotFound when no row matched, and
// rolls back (with an error) when more than one did.
func (s *SQL) SetUnloqID(ctx context.Context, id, unloqID string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("store: sql: set unloq id: %w", err)
	}
	if !validUnloqID(unloqID) {
		return &InvalidUnloqIDError{Op: "sql: set unloq id", Value: unloqID}
	}
	if s.qUnloq == "" {
		return ErrUnloqIDUnsupported
	}
	return s.update(ctx, "set unloq id", s.qUnloq, unloqID, id)
}

// update runs q (an UPDATE taking the value, then the id twice) in a short
// transaction; "" writes NULL. It commits only when exactly one row
// changed.
func (s *SQL) update(ctx context.Context, op, q, value, id string) error {
	var arg any // NULL clears
	if value != "" {
		arg = value
	}

	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: sql: %s: begin: %w", op, err)
	}
	committed := false
	defer func() {
		if !committed {
			_ = tx.Rollback() // the error that made us give up matters more
		}
	}()
	res, err := tx.ExecContext(ctx, q, arg, id, id)
	if err != nil {
		return fmt.Errorf("store: sql: %s: %w", op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("store: sql: %s: rows affected: %w", op, err)
	}
	switch {
	case n == 0:
		return ErrUserNotFound
	case n > 1:
		return fmt.Errorf("store: sql: %s: %d rows share one id; the id column must be unique (rolled back)", op, n)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: sql: %s: commit: %w", op, err)
	}
	committed = true
	return nil
}
