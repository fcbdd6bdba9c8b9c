package demo

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/mail"
	"strconv"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

// Password rules. bcrypt reads at most 72 bytes, so longer passwords are
// refused rather than silently truncated.
const (
	minPasswordLen = 8
	maxPasswordLen = 72
	maxEmailLen    = 254
)

// Errors returned by Users.
var (
	ErrEmailTaken     = errors.New("demo: an account with this e-mail address already exists")
	ErrBadCredentials = errors.New("demo: wrong e-mail address or password")
	ErrInvalidEmail   = errors.New("demo: enter a valid e-mail address")
	ErrShortPassword  = fmt.Errorf("demo: the password needs at least %d characters", minPasswordLen)
	ErrLongPassword   = fmt.Errorf("demo: the password may have at most %d bytes", maxPasswordLen)
)

// User is a row of the users table, without the password hash.
type User struct {
	ID           string
	Email        string
	SecondFactor string
}

// Users is the app's own account store: sign-up and password checks.
// Second-factor state is read and written through store.SQL on the same table.
type Users struct {
	db        *database
	cost      int
	dummyHash []byte // compared against when the e-mail is unknown
}

func newUsers(db *database, cost int) (*Users, error) {
	if cost == 0 {
		cost = bcrypt.DefaultCost
	}
	dummy, err := bcrypt.GenerateFromPassword([]byte("not a real password"), cost)
	if err != nil {
		return nil, fmt.Errorf("demo: bcrypt: %w", err)
	}
	return &Users{db: db, cost: cost, dummyHash: dummy}, nil
}

// normalizeEmail trims and lower-cases an address and checks that it is a
// plain address ("a@b.example", no display name).
func normalizeEmail(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" || len(s) > maxEmailLen {
		return "", ErrInvalidEmail
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return "", ErrInvalidEmail
	}
	return s, nil
}

func checkPassword(p string) error {
	switch {
	case len([]rune(p)) < minPasswordLen:
		return ErrShortPassword
	case len(p) > maxPasswordLen:
		return ErrLongPassword
	}
	return nil
}

// Create adds an account with a bcrypt hash of password.
func (u *Users) Create(ctx context.Context, email, password string) (User, error) {
	email, err := normalizeEmail(email)
	if err != nil {
		return User{}, err
	}
	if err := checkPassword(password); err != nil {
		return User{}, err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), u.cost)
	if err != nil {
		return User{}, fmt.Errorf("demo: hash password: %w", err)
	}
	// One statement on both SQLite and PostgreSQL: no row comes back when
	// the address is taken, even by a concurrent sign-up on another
	// instance.
	var id int64
	err = u.db.QueryRowContext(ctx, u.db.q(
		`INSERT INTO users (email, password_hash) VALUES (?, ?) ON CONFLICT(email) DO NOTHING RETURNING id`),
		email, string(hash)).Scan(&id)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return User{}, ErrEmailTaken
	case err != nil:
		return User{}, fmt.Errorf("demo: create user: %w", err)
	}
	return User{ID: strconv.FormatInt(id, 10), Email: email}, nil
}

// Authenticate checks an e-mail address and password. Unknown addresses
// cost the same bcrypt comparison as known ones, so the response time does
// not reveal which accounts exist.
func (u *Users) Authenticate(ctx context.Context, email, password string) (User, error) {
	email, err := normalizeEmail(email)
	if err != nil || len(password) > maxPasswordLen {
		_ = bcrypt.CompareHashAndPassword(u.dummyHash, []byte(password))
		return User{}, ErrBadCredentials
	}
	var (
		id     int64
		hash   string
		second sql.NullString
	)
	err = u.db.QueryRowContext(ctx, u.db.q(
		`SELECT id, password_hash, second_factor FROM users WHERE email = ?`), email).
		Scan(&id, &hash, &second)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		_ = bcrypt.CompareHashAndPassword(u.dummyHash, []byte(password))
		return User{}, ErrBadCredentials
	case err != nil:
		return User{}, fmt.Errorf("demo: look up user: %w", err)
	}
	if bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) != nil {
		return User{}, ErrBadCredentials
	}
	return User{ID: strconv.FormatInt(id, 10), Email: email, SecondFactor: second.String}, nil
}

// ByID returns the account with the given id, or sql.ErrNoRows.
func (u *Users) ByID(ctx context.Context, id string) (User, error) {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return User{}, sql.ErrNoRows
	}
	return u.one(ctx, "id", n)
}

// ByEmail returns the account with the given e-mail address, or sql.ErrNoRows.
func (u *Users) ByEmail(ctx context.Context, email string) (User, error) {
	email, err := normalizeEmail(email)
	if err != nil {
		return User{}, sql.ErrNoRows
	}
	return u.one(ctx, "email", email)
}

// one returns the account whose column (id or email, both unique) is
// value, or sql.ErrNoRows.
func (u *Users) one(ctx context.Context, column string, value any) (User, error) {
	var (
		id     int64
		email  string
		second sql.NullString
	)
	err := u.db.QueryRowContext(ctx, u.db.q(
		`SELECT id, email, second_factor FROM users WHERE `+column+` = ?`), value).Scan(&id, &email, &second)
	if err != nil {
		return User{}, err
	}
	return User{ID: strconv.FormatInt(id, 10), Email: email, SecondFactor: second.String}, nil
}

// EnsureDemo creates the demo account unless it exists. It reports whether
// it created it.
func (u *Users) EnsureDemo(ctx context.Context, email, password string) (bool, error) {
	_, err := u.Create(ctx, email, password)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, ErrEmailTaken):
		return false, nil
	default:
		return false, err
	}
}
