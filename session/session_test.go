package session_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/session"
)

func TestNilSessionIsAnonymous(t *testing.T) {
	var s *session.Session
	assert.Equal(t, session.StateAnonymous, s.State())
	assert.Empty(t, s.UserID())
	assert.Empty(t, s.Email())
	assert.Empty(t, s.LoginID())
	assert.False(t, s.Was2FA())
	assert.True(t, s.PasswordAt().IsZero())
	assert.Empty(t, s.Flow("k"))
	s.SetFlow("k", "v")
	s.DeleteFlow("k")
	s.Clear()
	assert.NoError(t, s.Save(httptest.NewRecorder(), request()))
	assert.Error(t, s.BeginLogin("u", "", false))
	assert.ErrorIs(t, s.CompleteSecondFactor(), session.ErrNotPending)
}

func TestStateString(t *testing.T) {
	assert.Equal(t, "anonymous", session.StateAnonymous.String())
	assert.Equal(t, "pending", session.StatePending.String())
	assert.Equal(t, "pending_expired", session.StatePendingExpired.String())
	assert.Equal(t, "verified", session.StateVerified.String())
	assert.Equal(t, "State(9)", session.State(9).String())
}

// TestPendingExpiry: the pending state lasts PendingTTL after the password
// step, measured on the manager's clock.
func TestPendingExpiry(t *testing.T) {
	tests := []struct {
		name    string
		ttl     time.Duration
		elapsed time.Duration
		want    session.State
	}{
		{"fresh", 0, 0, session.StatePending},
		{"just before default", 0, session.DefaultPendingTTL - time.Second, session.StatePending},
		{"at default", 0, session.DefaultPendingTTL, session.StatePendingExpired},
		{"long after", 0, 2 * time.Hour, session.StatePendingExpired},
		{"custom ttl before", time.Minute, 59 * time.Second, session.StatePending},
		{"custom ttl after", time.Minute, time.Minute + time.Second, session.StatePendingExpired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := newFakeClock()
			opts := []session.Option{session.WithKeys(hashKey1, blockKey1), session.WithClock(clock.Now)}
			if tt.ttl > 0 {
				opts = append(opts, session.WithPendingTTL(tt.ttl))
			}
			m := newManager(t, opts...)
			c := login(t, m, "u1", "", true)
			clock.Advance(tt.elapsed)
			s, err := load(t, m, c)
			require.NoError(t, err)
			assert.Equal(t, tt.want, s.State())
			assert.False(t, s.Was2FA())
			assert.Equal(t, "u1", s.UserID())

			err = s.CompleteSecondFactor()
			if tt.want == session.StatePending {
				require.NoError(t, err)
				assert.Equal(t, session.StateVerified, s.State())
			} else {
				require.ErrorIs(t, err, session.ErrNotPending)
				assert.Contains(t, err.Error(), "pending_expired")
				assert.Equal(t, session.StatePendingExpired, s.State(), "no state change")
			}
		})
	}
}

// TestBeginLoginRenews: every old value is dropped and a new LoginID minted.
func TestBeginLoginRenews(t *testing.T) {
	m := newManager(t)
	c := login(t, m, "u1", "u1@example.com", false)
	req := request(c)
	s, err := m.Load(req)
	require.NoError(t, err)
	s.SetFlow("next", "/dashboard")
	oldID := s.LoginID()

	require.NoError(t, s.BeginLogin("u2", "u2@example.com", true))
	assert.NotEqual(t, oldID, s.LoginID())
	assert.Empty(t, s.Flow("next"), "flow values are dropped")
	assert.Equal(t, "u2", s.UserID())
	assert.Equal(t, "u2@example.com", s.Email())
	assert.Equal(t, session.StatePending, s.State())

	rec := httptest.NewRecorder()
	require.NoError(t, s.Save(rec, req))
	got, err := load(t, m, sessionCookie(rec, session.DefaultCookieName))
	require.NoError(t, err)
	assert.Equal(t, s.LoginID(), got.LoginID())
	assert.Empty(t, got.Flow("next"))
	assert.Equal(t, session.StatePending, got.State())

	// Without a second factor the login is complete at once.
	require.NoError(t, got.BeginLogin("u3", "", false))
	assert.Equal(t, session.StateVerified, got.State())
	assert.True(t, got.Was2FA())

	assert.Error(t, got.BeginLogin("", "", false), "empty user id")
}

// TestCompleteSecondFactorRenews: LoginID changes, flows are dropped, the
// user and password time are kept.
func TestCompleteSecondFactorRenews(t *testing.T) {
	clock := newFakeClock()
	m := newManager(t, session.WithKeys(hashKey1, blockKey1), session.WithClock(clock.Now))
	c := login(t, m, "u1", "u1@example.com", true)
	pwAt := clock.Now()
	clock.Advance(time.Minute)

	req := request(c)
	s, err := m.Load(req)
	require.NoError(t, err)
	s.SetFlow("push", "in-flight")
	before := s.LoginID()
	require.NoError(t, s.CompleteSecondFactor())
	assert.NotEqual(t, before, s.LoginID())
	assert.NotEmpty(t, s.LoginID())
	assert.Empty(t, s.Flow("push"))
	assert.Equal(t, "u1", s.UserID())
	assert.Equal(t, "u1@example.com", s.Email())
	assert.Equal(t, pwAt.Unix(), s.PasswordAt().Unix())
	assert.True(t, s.Was2FA())

	rec := httptest.NewRecorder()
	require.NoError(t, s.Save(rec, req))
	got, err := load(t, m, sessionCookie(rec, session.DefaultCookieName))
	require.NoError(t, err)
	assert.Equal(t, session.StateVerified, got.State())
	assert.Equal(t, s.LoginID(), got.LoginID())
	assert.Empty(t, got.Flow("push"))
}

// TestCompleteSecondFactorOnlyFromPending: from anonymous, verified or
// expired it fails with ErrNotPending and changes nothing.
func TestCompleteSecondFactorOnlyFromPending(t *testing.T) {
	clock := newFakeClock()
	m := newManager(t, session.WithKeys(hashKey1, blockKey1), session.WithClock(clock.Now))
	verified := login(t, m, "u1", "", false)
	pending := login(t, m, "u2", "", true)
	clock.Advance(session.DefaultPendingTTL)

	tests := []struct {
		name   string
		cookie *http.Cookie
		state  session.State
	}{
		{"anonymous", nil, session.StateAnonymous},
		{"verified", verified, session.StateVerified},
		{"expired", pending, session.StatePendingExpired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := request()
			if tt.cookie != nil {
				req = request(tt.cookie)
			}
			s, err := m.Load(req)
			require.NoError(t, err)
			lid := s.LoginID()
			err = s.CompleteSecondFactor()
			require.ErrorIs(t, err, session.ErrNotPending)
			assert.Equal(t, tt.state, s.State())
			assert.Equal(t, lid, s.LoginID())
			rec := httptest.NewRecorder()
			require.NoError(t, s.Save(rec, req))
			assert.Empty(t, setCookieLines(rec), "nothing to save")
		})
	}
}

// TestSaveOnlyWhenChanged: Save sets no cookie unless something changed.
func TestSaveOnlyWhenChanged(t *testing.T) {
	m := newManager(t)
	c := login(t, m, "u1", "", false)
	tests := []struct {
		name    string
		cookie  *http.Cookie
		change  func(*session.Session)
		written bool
	}{
		{"anonymous, untouched", nil, func(*session.Session) {}, false},
		{"verified, untouched", c, func(*session.Session) {}, false},
		{"verified, only reads", c, func(s *session.Session) { _ = s.State(); _ = s.Flow("x"); _ = s.UserID() }, false},
		{"delete missing flow", c, func(s *session.Session) { s.DeleteFlow("x") }, false},
		{"set flow", c, func(s *session.Session) { s.SetFlow("x", "1") }, true},
		{"anonymous set flow", nil, func(s *session.Session) { s.SetFlow("x", "1") }, true},
		{"clear", c, func(s *session.Session) { s.Clear() }, true},
		{"failed complete", c, func(s *session.Session) { _ = s.CompleteSecondFactor() }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := request()
			if tt.cookie != nil {
				req = request(tt.cookie)
			}
			s, err := m.Load(req)
			require.NoError(t, err)
			tt.change(s)
			rec := httptest.NewRecorder()
			require.NoError(t, s.Save(rec, req))
			if tt.written {
				assert.Len(t, setCookieLines(rec), 1)
			} else {
				assert.Empty(t, setCookieLines(rec))
			}
			// A second Save without changes writes nothing more.
			rec2 := httptest.NewRecorder()
			require.NoError(t, s.Save(rec2, req))
			assert.Empty(t, setCookieLines(rec2))
		})
	}
}

func TestFlows(t *testing.T) {
	m := newManager(t)
	c := login(t, m, "u1", "", true)
	req := request(c)
	s, err := m.Load(req)
	require.NoError(t, err)
	s.SetFlow("next", "/settings")
	s.SetFlow("push", "1")
	s.DeleteFlow("push")
	rec := httptest.NewRecorder()
	require.NoError(t, s.Save(rec, req))

	req2 := request(sessionCookie(rec, session.DefaultCookieName))
	got, err := m.Load(req2)
	require.NoError(t, err)
	assert.Equal(t, "/settings", got.Flow("next"))
	assert.Empty(t, got.Flow("push"))
	assert.Equal(t, session.StatePending, got.State(), "flows do not disturb the login values")
	// Setting the same value again is not a change.
	got.SetFlow("next", "/settings")
	rec2 := httptest.NewRecorder()
	require.NoError(t, got.Save(rec2, req2))
	assert.Empty(t, setCookieLines(rec2))
	// Flows cannot overwrite login values.
	got.SetFlow("uid", "admin")
	assert.Equal(t, "u1", got.UserID())
}

// TestClearLogsOut: Clear drops everything and the save deletes the cookie.
func TestClearLogsOut(t *testing.T) {
	m := newManager(t)
	c := login(t, m, "u1", "", false)
	req := request(c)
	s, err := m.Load(req)
	require.NoError(t, err)
	s.Clear()
	assert.Equal(t, session.StateAnonymous, s.State())
	assert.Empty(t, s.UserID())
	assert.Empty(t, s.LoginID())
	rec := httptest.NewRecorder()
	require.NoError(t, s.Save(rec, req))
	got := sessionCookie(rec, session.DefaultCookieName)
	require.NotNil(t, got)
	assert.Equal(t, -1, got.MaxAge)
	assert.True(t, got.HttpOnly)
	assert.True(t, got.Secure)
}

// TestSaveReplacesEarlierSetCookie: saving twice in one response leaves one
// authoritative Set-Cookie for the session (other cookies untouched).
func TestSaveReplacesEarlierSetCookie(t *testing.T) {
	m := newManager(t)
	req := request()
	s, err := m.Load(req)
	require.NoError(t, err)
	rec := httptest.NewRecorder()
	http.SetCookie(rec, &http.Cookie{Name: "other", Value: "keep"})
	http.SetCookie(rec, &http.Cookie{Name: session.DefaultCookieName + "x", Value: "keep"})
	s.Clear()
	require.NoError(t, s.Save(rec, req))
	require.NoError(t, s.BeginLogin("u1", "", false))
	require.NoError(t, s.Save(rec, req))
	var ours []string
	for _, l := range setCookieLines(rec) {
		if strings.HasPrefix(l, session.DefaultCookieName+"=") {
			ours = append(ours, l)
		}
	}
	require.Len(t, ours, 1)
	assert.Len(t, setCookieLines(rec), 3)
	got, err := load(t, m, sessionCookie(rec, session.DefaultCookieName))
	require.NoError(t, err)
	assert.Equal(t, "u1", got.UserID())
}

// TestConcurrentUse: the goroutines serving one request may share its
// session (run with -race).
func TestConcurrentUse(t *testing.T) {
	m := newManager(t)
	c := login(t, m, "u1", "", true)
	req := request(c)
	r, s, err := m.Attach(req)
	require.NoError(t, err)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				_ = session.FromContext(r.Context()).State()
				_ = s.UserID()
				s.SetFlow("k", strings.Repeat("x", i))
				_ = s.Flow("k")
				_ = s.LoginID()
			}
		}()
	}
	wg.Wait()
	require.NoError(t, s.Save(httptest.NewRecorder(), r))
}
