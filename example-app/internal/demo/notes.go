package demo

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Limits of the encrypted notes.
const (
	// maxNoteRunes bounds one note's text.
	maxNoteRunes = 1000
	// maxNotesPerUser bounds how many notes one account may keep, so that
	// one user cannot grow the database without bound.
	maxNotesPerUser = 50
)

// ErrTooManyNotes is returned by Notes.Add when the account already holds
// maxNotesPerUser notes.
var ErrTooManyNotes = fmt.Errorf("demo: at most %d notes per account", maxNotesPerUser)

// sealedNote is a row of the notes table.
type sealedNote struct {
	ID         int64
	Nonce      []byte
	Ciphertext []byte
	Created    time.Time
}

// Notes stores the users' encrypted notes.
type Notes struct {
	db  *database
	now func() time.Time
}

// newNotes creates the notes table (if missing) in db.
func newNotes(ctx context.Context, db *database) (*Notes, error) {
	if err := db.migrate(ctx, db.notesSchema()...); err != nil {
		return nil, fmt.Errorf("demo: create notes table: %w", err)
	}
	return &Notes{db: db, now: time.Now}, nil
}

func userKey(userID string) (int64, error) {
	n, err := strconv.ParseInt(userID, 10, 64)
	if err != nil || n <= 0 {
		return 0, errors.New("demo: notes: invalid user id")
	}
	return n, nil
}

// Add stores one sealed note of userID and returns its id, unless the
// account already holds maxNotesPerUser notes (ErrTooManyNotes). The count
// and the insert are one statement; on PostgreSQL, whose concurrent
// transactions do not see each other's inserts, the user's row is locked
// first, so concurrent requests (on any instance) cannot pass the limit
// either.
func (n *Notes) Add(ctx context.Context, userID string, nonce, ciphertext []byte) (int64, error) {
	uid, err := userKey(userID)
	if err != nil {
		return 0, err
	}
	tx, err := n.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("demo: add note: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	// The parameters of an INSERT … SELECT get no type from the target
	// columns in PostgreSQL, hence the casts there. RETURNING (SQLite
	// 3.35 and PostgreSQL) gives the new id, or no row when the limit
	// kept the insert from happening.
	insert := `INSERT INTO notes (user_id, nonce, ciphertext, created_at)
		 SELECT ?, ?, ?, ? WHERE (SELECT COUNT(*) FROM notes WHERE user_id = ?) < ?
		 RETURNING id`
	if n.db.postgres() {
		var locked int64
		if err := tx.QueryRowContext(ctx, `SELECT id FROM users WHERE id = $1 FOR UPDATE`, uid).Scan(&locked); err != nil {
			return 0, fmt.Errorf("demo: add note: %w", err)
		}
		insert = `INSERT INTO notes (user_id, nonce, ciphertext, created_at)
		 SELECT CAST(? AS BIGINT), CAST(? AS BYTEA), CAST(? AS BYTEA), CAST(? AS BIGINT)
		 WHERE (SELECT COUNT(*) FROM notes WHERE user_id = ?) < ?
		 RETURNING id`
	}
	var id int64
	err = tx.QueryRowContext(ctx, n.db.q(insert),
		uid, nonce, ciphertext, n.now().Unix(), uid, maxNotesPerUser).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, ErrTooManyNotes
	}
	if err != nil {
		return 0, fmt.Errorf("demo: add note: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("demo: add note: %w", err)
	}
	return id, nil
}

// List returns userID's sealed notes, oldest first.
func (n *Notes) List(ctx context.Context, userID string) ([]sealedNote, error) {
	uid, err := userKey(userID)
	if err != nil {
		return nil, err
	}
	rows, err := n.db.QueryContext(ctx, n.db.q(
		`SELECT id, nonce, ciphertext, created_at FROM notes WHERE user_id = ? ORDER BY id`), uid)
	if err != nil {
		return nil, fmt.Errorf("demo: list notes: %w", err)
	}
	defer rows.Close()
	var out []sealedNote
	for rows.Next() {
		var (
			s       sealedNote
			created int64
		)
		if err := rows.Scan(&s.ID, &s.Nonce, &s.Ciphertext, &created); err != nil {
			return nil, fmt.Errorf("demo: list notes: %w", err)
		}
		s.Created = time.Unix(created, 0)
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("demo: list notes: %w", err)
	}
	return out, nil
}

// Count returns how many notes userID keeps.
func (n *Notes) Count(ctx context.Context, userID string) (int, error) {
	uid, err := userKey(userID)
	if err != nil {
		return 0, err
	}
	var c int
	if err := n.db.QueryRowContext(ctx, n.db.q(`SELECT COUNT(*) FROM notes WHERE user_id = ?`), uid).Scan(&c); err != nil {
		return 0, fmt.Errorf("demo: count notes: %w", err)
	}
	return c, nil
}

// DeleteAll removes all of userID's notes and reports how many there were.
func (n *Notes) DeleteAll(ctx context.Context, userID string) (int64, error) {
	uid, err := userKey(userID)
	if err != nil {
		return 0, err
	}
	res, err := n.db.ExecContext(ctx, n.db.q(`DELETE FROM notes WHERE user_id = ?`), uid)
	if err != nil {
		return 0, fmt.Errorf("demo: delete notes: %w", err)
	}
	c, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("demo: delete notes: %w", err)
	}
	return c, nil
}
