package session_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/sessions"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/session"
	"github.com/unloq2fa/unloq2fa/session/revocation"
)

// save saves s and returns the cookie it set (nil if none).
func save(t *testing.T, s *session.Session) (*http.Cookie, []string) {
	t.Helper()
	rec := httptest.NewRecorder()
	require.NoError(t, s.Save(rec, request()))
	return sessionCookie(rec, session.DefaultCookieName), setCookieLines(rec)
}

// TestCopiedCookieDeadAfterLogout: with the default cookie store and no
// revocation option, a copy of the cookie taken before logout opens
// nothing afterwards.
func TestCopiedCookieDeadAfterLogout(t *testing.T) {
	for _, need2FA := range []bool{false, true} {
		t.Run(map[bool]string{false: "verified", true: "pending"}[need2FA], func(t *testing.T) {
			m := newManager(t)
			c := login(t, m, "u1", "a@example.com", need2FA)
			copied := *c

			s, err := load(t, m, c)
			require.NoError(t, err)
			require.Equal(t, "u1", s.UserID())
			require.NoError(t, m.EndLogin(t.Context(), s))
			assert.Equal(t, session.StateAnonymous, s.State(), "EndLogin clears the session")
			_, lines := save(t, s)
			require.NotEmpty(t, lines, "the cookie is deleted")

			again, err := load(t, m, &copied)
			require.NoError(t, err, "a revoked login is not an error")
			assert.Equal(t, session.StateAnonymous, again.State(), "the copied cookie is dead")
			assert.Empty(t, again.UserID())
			assert.False(t, again.Was2FA())

			other := login(t, m, "u1", "a@example.com", need2FA)
			s2, err := load(t, m, other)
			require.NoError(t, err)
			assert.Equal(t, "u1", s2.UserID(), "a new login of the same user works")
		})
	}
}

func TestLogOutEverywhere(t *testing.T) {
	clk := newFakeClock()
	m := newManager(t, session.WithKeys(hashKey1, blockKey1), session.WithClock(clk.Now))
	a1 := login(t, m, "u1", "a@example.com", false)
	a2 := login(t, m, "u1", "a@example.com", true)
	b := login(t, m, "u2", "b@example.com", false)
	clk.Advance(time.Millisecond)

	require.NoError(t, m.LogOutEverywhere(t.Context(), "u1"))
	for name, c := range map[string]*http.Cookie{"verified": a1, "pending": a2} {
		s, err := load(t, m, c)
		require.NoError(t, err)
		assert.Equal(t, session.StateAnonymous, s.State(), name)
	}
	s, err := load(t, m, b)
	require.NoError(t, err)
	assert.Equal(t, "u2", s.UserID(), "another user keeps the session")

	clk.Advance(time.Millisecond)
	fresh := login(t, m, "u1", "a@example.com", false)
	s, err = load(t, m, fresh)
	require.NoError(t, err)
	assert.Equal(t, session.StateVerified, s.State(), "a login after the epoch works")

	assert.ErrorIs(t, m.LogOutEverywhere(t.Context(), ""), session.ErrRevocation)
}

// TestLogOutOthersKeepsCurrent: the session of the request that asked
// survives (renewed, with its flow values), every other one ends, and so
// does the old cookie of the current session.
func TestLogOutOthersKeepsCurrent(t *testing.T) {
	clk := newFakeClock()
	m := newManager(t, session.WithKeys(hashKey1, blockKey1), session.WithClock(clk.Now))
	other := login(t, m, "u1", "a@example.com", false)
	cur := login(t, m, "u1", "a@example.com", false)

	s, err := load(t, m, cur)
	require.NoError(t, err)
	s.SetFlow("k", "v")
	oldID, oldIAT := s.LoginID(), s.IssuedAt()
	require.NoError(t, m.LogOutOthers(t.Context(), s))
	assert.NotEqual(t, oldID, s.LoginID(), "renewed")
	assert.True(t, s.IssuedAt().After(oldIAT))
	assert.Equal(t, session.StateVerified, s.State())
	renewed, _ := save(t, s)
	require.NotNil(t, renewed)

	s, err = load(t, m, renewed)
	require.NoError(t, err)
	assert.Equal(t, session.StateVerified, s.State(), "the current session survives")
	assert.Equal(t, "v", s.Flow("k"), "flow values are kept")
	for name, c := range map[string]*http.Cookie{"other": other, "old cookie of the current session": cur} {
		s, err := load(t, m, c)
		require.NoError(t, err)
		assert.Equal(t, session.StateAnonymous, s.State(), name)
	}

	anon, err := m.Load(request())
	require.NoError(t, err)
	assert.ErrorIs(t, m.LogOutOthers(t.Context(), anon), session.ErrRevocation)
	assert.ErrorIs(t, m.LogOutOthers(t.Context(), nil), session.ErrRevocation)
}

// TestLegacyCookieWithoutIAT: a cookie written by the previous release
// (no "iat") stays valid and is covered by LogOutEverywhere.
func TestLegacyCookieWithoutIAT(t *testing.T) {
	clk := newFakeClock()
	st := sessions.NewCookieStore(hashKey1, blockKey1)
	m := newManager(t, session.WithStore(st), session.WithClock(clk.Now))
	raw := sessions.NewSession(st, session.DefaultCookieName)
	raw.Values = map[any]any{"uid": "u1", "email": "a@example.com", "was_2fa": true,
		"pw_at": clk.Now().Unix(), "login_id": "legacy-login"}
	rec := httptest.NewRecorder()
	require.NoError(t, st.Save(request(), rec, raw))
	c := sessionCookie(rec, session.DefaultCookieName)
	require.NotNil(t, c)

	s, err := load(t, m, c)
	require.NoError(t, err)
	assert.Equal(t, session.StateVerified, s.State(), "a legacy cookie stays valid")
	assert.Equal(t, clk.Now().Unix(), s.IssuedAt().Unix(), "issued at the password step")

	clk.Advance(time.Second)
	require.NoError(t, m.LogOutEverywhere(t.Context(), "u1"))
	s, err = load(t, m, c)
	require.NoError(t, err)
	assert.Equal(t, session.StateAnonymous, s.State(), "log out everywhere covers legacy cookies")

	// An "iat" of the wrong type is not trusted.
	raw.Values["iat"] = "yesterday"
	rec = httptest.NewRecorder()
	require.NoError(t, st.Save(request(), rec, raw))
	_, err = load(t, m, sessionCookie(rec, session.DefaultCookieName))
	assert.ErrorIs(t, err, session.ErrUnreadable)
}

// flaky is a revocation store whose Revoked fails while down is set.
type flaky struct {
	revocation.Store
	down atomic.Bool
}

var errDown = errors.New("backend down")

func (f *flaky) Revoked(ctx context.Context, u, l string, at time.Time) (bool, error) {
	if f.down.Load() {
		return false, errDown
	}
	return f.Store.Revoked(ctx, u, l, at)
}

func (f *flaky) RevokeLogin(ctx context.Context, u, l string, until time.Time) error {
	if f.down.Load() {
		return errDown
	}
	return f.Store.RevokeLogin(ctx, u, l, until)
}

func (f *flaky) RevokeUser(ctx context.Context, u string, before, until time.Time) error {
	if f.down.Load() {
		return errDown
	}
	return f.Store.RevokeUser(ctx, u, before, until)
}

func newFlaky(t *testing.T) *flaky {
	mem, err := revocation.NewMemory()
	require.NoError(t, err)
	return &flaky{Store: mem}
}

// TestRevocationFailureFailsClosed: when the store cannot answer, the
// session is anonymous, the error is typed, and the cookie is left alone.
func TestRevocationFailureFailsClosed(t *testing.T) {
	f := newFlaky(t)
	m := newManager(t, session.WithKeys(hashKey1, blockKey1), session.WithRevocation(f))
	c := login(t, m, "u1", "a@example.com", false)
	f.down.Store(true)

	s, err := load(t, m, c)
	require.ErrorIs(t, err, session.ErrRevocation)
	assert.ErrorIs(t, err, errDown, "the cause stays reachable")
	assert.NotContains(t, err.Error(), c.Value)
	assert.Equal(t, session.StateAnonymous, s.State())
	assert.Empty(t, s.UserID())
	_, lines := save(t, s)
	assert.Empty(t, lines, "no state change: the cookie is kept")

	// Writes fail typed; EndLogin still clears the session.
	_, _ = load(t, m, c)
	f.down.Store(false)
	s2, err := load(t, m, c)
	require.NoError(t, err)
	f.down.Store(true)
	err = m.EndLogin(t.Context(), s2)
	assert.ErrorIs(t, err, session.ErrRevocation)
	assert.Equal(t, session.StateAnonymous, s2.State())
	assert.ErrorIs(t, m.LogOutEverywhere(t.Context(), "u1"), session.ErrRevocation)

	f.down.Store(false)
	s, err = load(t, m, c)
	require.NoError(t, err)
	assert.Equal(t, session.StateVerified, s.State(), "back once the store answers")
}

func TestWithRevocationNil(t *testing.T) {
	_, err := session.NewManager(session.WithKeys(hashKey1, blockKey1), session.WithRevocation(nil))
	assert.Error(t, err)
}

// TestRevocationRace: logins, loads and logouts at once (run with -race).
func TestRevocationRace(t *testing.T) {
	m := newManager(t)
	done := make(chan struct{})
	for i := range 4 {
		go func() {
			defer func() { done <- struct{}{} }()
			for range 50 {
				c := login(t, m, "u"+string(rune('0'+i%2)), "a@example.com", false)
				s, err := load(t, m, c)
				if !assert.NoError(t, err) {
					return
				}
				if s.UserID() == "" {
					continue // ended meanwhile by another goroutine's LogOutOthers
				}
				if i%2 == 0 {
					assert.NoError(t, m.EndLogin(t.Context(), s))
				} else {
					assert.NoError(t, m.LogOutOthers(t.Context(), s))
				}
			}
		}()
	}
	for range 4 {
		<-done
	}
}
