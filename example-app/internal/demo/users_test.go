package demo

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"
)

func newTestUsers(t *testing.T) (*Users, *sql.DB) {
	t.Helper()
	db, err := openDB(context.Background(), ":memory:")
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	u, err := newUsers(db, bcrypt.MinCost)
	require.NoError(t, err)
	return u, db.DB
}

func TestUsersCreate(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name, email, password string
		wantErr               error
		wantEmail             string
	}{
		{name: "ok", email: "alice@example.com", password: "correct horse", wantEmail: "alice@example.com"},
		{name: "normalized", email: "  Bob@Example.COM ", password: "correct horse", wantEmail: "bob@example.com"},
		{name: "empty email", email: "", password: "correct horse", wantErr: ErrInvalidEmail},
		{name: "not an address", email: "alice", password: "correct horse", wantErr: ErrInvalidEmail},
		{name: "display name", email: "Alice <alice@example.com>", password: "correct horse", wantErr: ErrInvalidEmail},
		{name: "too long email", email: strings.Repeat("a", 250) + "@example.com", password: "correct horse", wantErr: ErrInvalidEmail},
		{name: "short password", email: "c@example.com", password: "short", wantErr: ErrShortPassword},
		{name: "long password", email: "c@example.com", password: strings.Repeat("p", 73), wantErr: ErrLongPassword},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			users, _ := newTestUsers(t)
			u, err := users.Create(ctx, tt.email, tt.password)
			if tt.wantErr != nil {
				assert.ErrorIs(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.wantEmail, u.Email)
			assert.NotEmpty(t, u.ID)
			assert.Empty(t, u.SecondFactor)
		})
	}
}

func TestUsersStoresBcryptHash(t *testing.T) {
	ctx := context.Background()
	users, db := newTestUsers(t)
	u, err := users.Create(ctx, "alice@example.com", "correct horse")
	require.NoError(t, err)
	var hash string
	var second sql.NullString
	require.NoError(t, db.QueryRowContext(ctx, `SELECT password_hash, second_factor FROM users WHERE id = ?`, u.ID).Scan(&hash, &second))
	assert.NotContains(t, hash, "correct horse")
	assert.NoError(t, bcrypt.CompareHashAndPassword([]byte(hash), []byte("correct horse")))
	assert.False(t, second.Valid, "second_factor starts NULL")

	_, err = users.Create(ctx, "ALICE@example.com", "another password")
	assert.ErrorIs(t, err, ErrEmailTaken)
}

func TestUsersAuthenticate(t *testing.T) {
	ctx := context.Background()
	users, db := newTestUsers(t)
	created, err := users.Create(ctx, "alice@example.com", "correct horse")
	require.NoError(t, err)
	_, err = db.ExecContext(ctx, `UPDATE users SET second_factor = 'UNLOQ' WHERE id = ?`, created.ID)
	require.NoError(t, err)

	tests := []struct {
		name, email, password string
		ok                    bool
	}{
		{"right", "alice@example.com", "correct horse", true},
		{"case and space in email", " Alice@Example.com", "correct horse", true},
		{"wrong password", "alice@example.com", "wrong horse", false},
		{"unknown user", "nobody@example.com", "correct horse", false},
		{"invalid email", "not-an-email", "correct horse", false},
		{"overlong password", "alice@example.com", strings.Repeat("x", 100), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := users.Authenticate(ctx, tt.email, tt.password)
			if !tt.ok {
				assert.ErrorIs(t, err, ErrBadCredentials)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, created.ID, u.ID)
			assert.Equal(t, "UNLOQ", u.SecondFactor)
		})
	}
}

func TestUsersLookups(t *testing.T) {
	ctx := context.Background()
	users, _ := newTestUsers(t)
	created, err := users.Create(ctx, "alice@example.com", "correct horse")
	require.NoError(t, err)

	u, err := users.ByID(ctx, created.ID)
	require.NoError(t, err)
	assert.Equal(t, "alice@example.com", u.Email)
	u, err = users.ByEmail(ctx, "ALICE@example.com")
	require.NoError(t, err)
	assert.Equal(t, created.ID, u.ID)

	_, err = users.ByID(ctx, "999")
	assert.ErrorIs(t, err, sql.ErrNoRows)
	_, err = users.ByID(ctx, "not-a-number")
	assert.ErrorIs(t, err, sql.ErrNoRows)
	_, err = users.ByEmail(ctx, "nobody@example.com")
	assert.ErrorIs(t, err, sql.ErrNoRows)
}

func TestEnsureDemoIsIdempotent(t *testing.T) {
	ctx := context.Background()
	users, _ := newTestUsers(t)
	created, err := users.EnsureDemo(ctx, DefaultDemoEmail, DefaultDemoPassword)
	require.NoError(t, err)
	assert.True(t, created)
	created, err = users.EnsureDemo(ctx, DefaultDemoEmail, DefaultDemoPassword)
	require.NoError(t, err)
	assert.False(t, created)
	_, err = users.Authenticate(ctx, DefaultDemoEmail, DefaultDemoPassword)
	assert.NoError(t, err)
}

func TestOpenDBFileSurvivesReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "demo.db")
	db, err := openDB(ctx, path)
	require.NoError(t, err)
	users, err := newUsers(db, bcrypt.MinCost)
	require.NoError(t, err)
	_, err = users.Create(ctx, "alice@example.com", "correct horse")
	require.NoError(t, err)
	require.NoError(t, db.Close())

	db, err = openDB(ctx, path) // the schema statement is idempotent
	require.NoError(t, err)
	defer db.Close()
	users, err = newUsers(db, bcrypt.MinCost)
	require.NoError(t, err)
	_, err = users.Authenticate(ctx, "alice@example.com", "correct horse")
	assert.NoError(t, err)
}
