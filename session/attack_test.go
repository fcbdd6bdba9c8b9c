package session_test

// Attack tests: session fixation and cookie substitution tricks not tried
// by the other tests.

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gorilla/sessions"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/session"
)

// TestAttackCookieFromAnotherName: a value signed with the same keys for
// another cookie name (a flash or CSRF cookie of the same app, or a second
// Manager) is not accepted as the session cookie: securecookie binds the
// name into the MAC.
func TestAttackCookieFromAnotherName(t *testing.T) {
	other := newManager(t, session.WithKeys(hashKey1, blockKey1), session.WithCookieName("other"))
	r := request()
	s, err := other.Load(r)
	require.NoError(t, err)
	require.NoError(t, s.BeginLogin("u1", "u1@example.com", false))
	rec := httptest.NewRecorder()
	require.NoError(t, s.Save(rec, r))
	c := sessionCookie(rec, "other")
	require.NotNil(t, c)

	m := newManager(t, session.WithKeys(hashKey1, blockKey1))
	got, err := load(t, m, &http.Cookie{Name: session.DefaultCookieName, Value: c.Value})
	require.ErrorIs(t, err, session.ErrUnreadable)
	assert.Equal(t, session.StateAnonymous, got.State())
	assert.Empty(t, got.UserID())
}

// TestAttackFixationOfServerSideRecord: an attacker obtains a valid
// anonymous record (any pre-login visit that stores a value) and plants
// its cookie in the victim's browser. The victim's login must not run on
// that record: it gets a new ID, the planted record is erased, and the
// attacker's cookie stays anonymous through the whole login.
func TestAttackFixationOfServerSideRecord(t *testing.T) {
	dir := t.TempDir()
	st := sessions.NewFilesystemStore(dir, hashKey1, blockKey1)
	m := newManager(t, session.WithStore(st))

	attacker, _ := step(t, m, nil, func(s *session.Session) error { s.SetFlow("x", "pre-login"); return nil })
	planted := cookieID(t, st, attacker)
	require.Equal(t, []string{"session_" + planted}, sessionFiles(t, dir))

	pending, _ := step(t, m, attacker, func(s *session.Session) error { return s.BeginLogin("victim", "v@example.com", true) })
	assert.NotEqual(t, planted, cookieID(t, st, pending), "the login got a new record ID")
	s, err := load(t, m, attacker)
	require.Error(t, err, "the planted record is gone")
	assert.Equal(t, session.StateAnonymous, s.State())

	verified, _ := step(t, m, pending, func(s *session.Session) error { return s.CompleteSecondFactor() })
	for _, c := range []*http.Cookie{attacker, pending} {
		s, _ := load(t, m, c)
		assert.NotEqual(t, session.StateVerified, s.State())
		assert.Empty(t, s.UserID())
	}
	s, err = load(t, m, verified)
	require.NoError(t, err)
	assert.Equal(t, session.StateVerified, s.State())
	assert.Len(t, sessionFiles(t, dir), 1)
}

// TestAttackReplayAfterLogout: with a server-side store, every cookie the
// browser held before logging out is dead afterwards.
func TestAttackReplayAfterLogout(t *testing.T) {
	dir := t.TempDir()
	st := sessions.NewFilesystemStore(dir, hashKey1, blockKey1)
	m := newManager(t, session.WithStore(st))
	verified, _ := step(t, m, nil, func(s *session.Session) error { return s.BeginLogin("u1", "", false) })
	withFlow, _ := step(t, m, verified, func(s *session.Session) error { s.SetFlow("k", "v"); return nil })
	step(t, m, withFlow, func(s *session.Session) error { s.Clear(); return nil })
	assert.Empty(t, sessionFiles(t, dir))
	for _, c := range []*http.Cookie{verified, withFlow} {
		s, err := load(t, m, c)
		require.Error(t, err)
		assert.Equal(t, session.StateAnonymous, s.State())
		assert.False(t, s.Was2FA())
		assert.Empty(t, s.UserID())
	}
}
