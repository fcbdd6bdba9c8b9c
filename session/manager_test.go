package session_test

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/securecookie"
	"github.com/gorilla/sessions"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/session"
)

func TestLoadRoundTrip(t *testing.T) {
	clock := newFakeClock()
	m := newManager(t, session.WithKeys(hashKey1, blockKey1), session.WithClock(clock.Now))

	s, err := m.Load(request())
	require.NoError(t, err)
	assert.Equal(t, session.StateAnonymous, s.State())
	require.NoError(t, s.BeginLogin("u1", "u1@example.com", true))
	loginID := s.LoginID()
	assert.Len(t, loginID, 26, "rand.Text: 128 bits in base32")
	rec := httptest.NewRecorder()
	require.NoError(t, s.Save(rec, request()))
	c := sessionCookie(rec, session.DefaultCookieName)
	require.NotNil(t, c)

	got, err := load(t, m, c)
	require.NoError(t, err)
	assert.Equal(t, session.StatePending, got.State())
	assert.Equal(t, "u1", got.UserID())
	assert.Equal(t, "u1@example.com", got.Email())
	assert.False(t, got.Was2FA())
	assert.Equal(t, loginID, got.LoginID())
	assert.Equal(t, clock.Now().Unix(), got.PasswordAt().Unix())
}

// TestUnreadableCookies: every kind of bad cookie yields an empty anonymous
// session and ErrUnreadable; the error text never echoes the cookie.
func TestUnreadableCookies(t *testing.T) {
	m := newManager(t)
	good := login(t, m, "u1", "u1@example.com", false)
	other := login(t, newManager(t, session.WithKeys(hashKey2, blockKey2)), "u1", "u1@example.com", false)
	signedOnly := login(t, newManager(t, session.WithStore(sessions.NewCookieStore(hashKey1))), "u1", "u1@example.com", false)
	otherBlock := login(t, newManager(t, session.WithKeys(hashKey1, blockKey2)), "u1", "u1@example.com", false)

	tests := []struct {
		name  string
		value string
	}{
		{"flip first byte", flipByte(good.Value, 0)},
		{"flip middle byte", flipByte(good.Value, len(good.Value)/2)},
		{"flip last byte", flipByte(good.Value, len(good.Value)-1)},
		{"truncated", good.Value[:len(good.Value)-4]},
		{"appended", good.Value + "AAAA"},
		{"garbage", "not-a-cookie"},
		{"base64 garbage", base64.URLEncoding.EncodeToString([]byte("1|2|3"))},
		{"signed by other keys", other.Value},
		{"same hash key, other block key", otherBlock.Value},
		{"signed but not encrypted", signedOnly.Value},
		{"oversized", strings.Repeat("A", 8000)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := load(t, m, &http.Cookie{Name: session.DefaultCookieName, Value: tt.value})
			require.Error(t, err)
			assert.ErrorIs(t, err, session.ErrUnreadable)
			assert.NotErrorIs(t, err, session.ErrStore)
			require.NotNil(t, s, "never a nil session")
			assert.Equal(t, session.StateAnonymous, s.State())
			assert.Empty(t, s.UserID())
			assert.Empty(t, s.LoginID())
			assert.False(t, s.Was2FA())
			assert.Regexp(t, `^session: load: `, err.Error())
			if len(tt.value) > 8 {
				assert.NotContains(t, err.Error(), tt.value[:8], "no cookie value in error text")
			}
		})
	}
	// The good cookie still works (the table did not test a broken manager).
	s, err := load(t, m, good)
	require.NoError(t, err)
	assert.Equal(t, session.StateVerified, s.State())
}

// TestUnreadableSessionSaveOverwritesBadCookie: after an unreadable cookie,
// a login on the anonymous session replaces the bad cookie with a good one.
func TestUnreadableSessionSaveOverwritesBadCookie(t *testing.T) {
	m := newManager(t)
	good := login(t, m, "u1", "", false)
	bad := &http.Cookie{Name: session.DefaultCookieName, Value: flipByte(good.Value, 10)}
	req := request(bad)
	s, err := m.Load(req)
	require.ErrorIs(t, err, session.ErrUnreadable)
	require.NoError(t, s.BeginLogin("u2", "", true))
	rec := httptest.NewRecorder()
	require.NoError(t, s.Save(rec, req))
	c := sessionCookie(rec, session.DefaultCookieName)
	require.NotNil(t, c)
	assert.NotEqual(t, bad.Value, c.Value)
	got, err := load(t, m, c)
	require.NoError(t, err)
	assert.Equal(t, "u2", got.UserID())
	assert.Equal(t, session.StatePending, got.State())
}

// TestUnreadableSessionClearDeletesCookie: Clear+Save on an unreadable
// session sends a deletion cookie.
func TestUnreadableSessionClearDeletesCookie(t *testing.T) {
	m := newManager(t)
	req := request(&http.Cookie{Name: session.DefaultCookieName, Value: "garbage"})
	s, err := m.Load(req)
	require.ErrorIs(t, err, session.ErrUnreadable)
	s.Clear()
	rec := httptest.NewRecorder()
	require.NoError(t, s.Save(rec, req))
	c := sessionCookie(rec, session.DefaultCookieName)
	require.NotNil(t, c)
	assert.Equal(t, -1, c.MaxAge, "Max-Age=0 deletes the cookie")
}

// TestWrongTypesInValidCookie: a cookie signed with our keys but holding
// values of the wrong types (or an incomplete login) is not trusted.
func TestWrongTypesInValidCookie(t *testing.T) {
	store := sessions.NewCookieStore(hashKey1, blockKey1)
	m := newManager(t, session.WithStore(store))
	now := time.Now().Unix()
	tests := []struct {
		name   string
		values map[any]any
		ok     bool
	}{
		{"complete", map[any]any{"uid": "u", "was_2fa": true, "pw_at": now, "login_id": "L"}, true},
		{"was_2fa as string", map[any]any{"uid": "u", "was_2fa": "true", "pw_at": now, "login_id": "L"}, false},
		{"pw_at as int", map[any]any{"uid": "u", "was_2fa": true, "pw_at": int(now), "login_id": "L"}, false},
		{"uid as int", map[any]any{"uid": 7, "was_2fa": true, "pw_at": now, "login_id": "L"}, false},
		{"empty uid", map[any]any{"uid": "", "was_2fa": true, "pw_at": now, "login_id": "L"}, false},
		{"missing login id", map[any]any{"uid": "u", "was_2fa": true, "pw_at": now}, false},
		{"missing was_2fa", map[any]any{"uid": "u", "pw_at": now, "login_id": "L"}, false},
		{"email as bool", map[any]any{"uid": "u", "was_2fa": true, "pw_at": now, "login_id": "L", "email": true}, false},
		{"was_2fa without user", map[any]any{"was_2fa": true}, false},
		{"flows only", map[any]any{"f:x": "y"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			enc, err := securecookie.EncodeMulti(session.DefaultCookieName, tt.values, store.Codecs...)
			require.NoError(t, err)
			s, err := load(t, m, &http.Cookie{Name: session.DefaultCookieName, Value: enc})
			if tt.ok {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, session.ErrUnreadable)
			assert.Equal(t, session.StateAnonymous, s.State())
			assert.Empty(t, s.UserID())
		})
	}
}

// TestKeyRotation: cookies of the previous pair still decode; new cookies
// use the new pair only.
func TestKeyRotation(t *testing.T) {
	oldM := newManager(t, session.WithKeys(hashKey1, blockKey1))
	oldCookie := login(t, oldM, "u1", "u1@example.com", false)

	rotated := newManager(t, session.WithKeys(hashKey2, blockKey2, hashKey1, blockKey1))
	newOnly := newManager(t, session.WithKeys(hashKey2, blockKey2))

	// Old cookie still decodes with the rotated manager.
	s, err := load(t, rotated, oldCookie)
	require.NoError(t, err)
	assert.Equal(t, "u1", s.UserID())
	assert.Equal(t, session.StateVerified, s.State())

	// Without the previous pair it does not.
	_, err = load(t, newOnly, oldCookie)
	assert.ErrorIs(t, err, session.ErrUnreadable)

	// A cookie written by the rotated manager uses the new pair.
	newCookie := login(t, rotated, "u2", "", false)
	_, err = load(t, oldM, newCookie)
	assert.ErrorIs(t, err, session.ErrUnreadable, "the old keys must not decode new cookies")
	s, err = load(t, newOnly, newCookie)
	require.NoError(t, err)
	assert.Equal(t, "u2", s.UserID())

	// Re-saving an old session (a flow update) re-encodes it with the new pair.
	req := request(oldCookie)
	s, err = rotated.Load(req)
	require.NoError(t, err)
	s.SetFlow("k", "v")
	rec := httptest.NewRecorder()
	require.NoError(t, s.Save(rec, req))
	resaved := sessionCookie(rec, session.DefaultCookieName)
	require.NotNil(t, resaved)
	s, err = load(t, newOnly, resaved)
	require.NoError(t, err)
	assert.Equal(t, "v", s.Flow("k"))
}

// TestAbsoluteLifetime: a login older than MaxAge (counted from the password
// step) is anonymous, even if the store still returns it.
func TestAbsoluteLifetime(t *testing.T) {
	clock := newFakeClock()
	m := newManager(t, session.WithKeys(hashKey1, blockKey1), session.WithClock(clock.Now), session.WithMaxAge(time.Hour))
	c := login(t, m, "u1", "", false)

	clock.Advance(time.Hour - time.Second)
	s, err := load(t, m, c)
	require.NoError(t, err)
	assert.Equal(t, session.StateVerified, s.State())

	clock.Advance(time.Second)
	s, err = load(t, m, c)
	require.NoError(t, err)
	assert.Equal(t, session.StateAnonymous, s.State())
	assert.Empty(t, s.UserID())
	// Saving it deletes the cookie.
	rec := httptest.NewRecorder()
	require.NoError(t, s.Save(rec, request(c)))
	got := sessionCookie(rec, session.DefaultCookieName)
	require.NotNil(t, got)
	assert.Equal(t, -1, got.MaxAge)
}

// TestOneDecodePerRequest: Attach decodes once; Load, Attach and FromContext
// on the attached request reuse the session.
func TestOneDecodePerRequest(t *testing.T) {
	cs := &countingStore{Store: sessions.NewCookieStore(hashKey1, blockKey1)}
	m := newManager(t, session.WithStore(cs))
	c := login(t, m, "u1", "", false)
	require.Zero(t, cs.decodes(), "a request without the cookie decodes nothing")

	r, s, err := m.Attach(request(c))
	require.NoError(t, err)
	assert.Equal(t, 1, cs.decodes())
	assert.Same(t, s, session.FromContext(r.Context()))

	for range 3 {
		got, err := m.Load(r)
		require.NoError(t, err)
		assert.Same(t, s, got)
	}
	r2, got, err := m.Attach(r)
	require.NoError(t, err)
	assert.Same(t, r, r2, "no new request for an attached session")
	assert.Same(t, s, got)
	assert.Equal(t, 1, cs.decodes(), "one decode per request")

	// A derived context still finds the session.
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	assert.Same(t, s, session.FromContext(ctx))
	got, err = m.Load(r.WithContext(ctx))
	require.NoError(t, err)
	assert.Same(t, s, got)
	assert.Equal(t, 1, cs.decodes())

	// The attached context keeps the parent's values, deadline and cancellation.
	type k struct{}
	parent, cancelParent := context.WithCancel(context.WithValue(context.Background(), k{}, "v"))
	r3, _, err := m.Attach(request(c).WithContext(parent))
	require.NoError(t, err)
	assert.Equal(t, "v", r3.Context().Value(k{}))
	cancelParent()
	<-r3.Context().Done()
	assert.ErrorIs(t, r3.Context().Err(), context.Canceled)
	assert.Equal(t, 2, cs.decodes(), "a new request decodes again")

	// An unreadable cookie: the error comes back from later Loads too.
	r4, s4, err := m.Attach(request(&http.Cookie{Name: session.DefaultCookieName, Value: "bad"}))
	require.ErrorIs(t, err, session.ErrUnreadable)
	got, err = m.Load(r4)
	assert.ErrorIs(t, err, session.ErrUnreadable)
	assert.Same(t, s4, got)
	assert.Equal(t, 3, cs.decodes())
}

func TestFromContextNil(t *testing.T) {
	assert.Nil(t, session.FromContext(context.Background()))
	var nilCtx context.Context // a nil context must not panic
	assert.Nil(t, session.FromContext(nilCtx))
}

// TestSeparateManagersDoNotShareSessions: an attached session of another
// Manager (other cookie) is not returned by Load.
func TestSeparateManagersDoNotShareSessions(t *testing.T) {
	a := newManager(t, session.WithKeys(hashKey1, blockKey1), session.WithCookieName("a"))
	b := newManager(t, session.WithKeys(hashKey2, blockKey2), session.WithCookieName("b"))
	r, sa, err := a.Attach(request())
	require.NoError(t, err)
	sb, err := b.Load(r)
	require.NoError(t, err)
	assert.NotSame(t, sa, sb)
}

// anyCookie is a cookie of the session's name: without one, the store is
// not asked at all.
var anyCookie = &http.Cookie{Name: session.DefaultCookieName, Value: "id"}

// errStore fails every operation.
type errStore struct{ err error }

func (e errStore) Get(r *http.Request, name string) (*sessions.Session, error) { return e.New(r, name) }
func (e errStore) New(_ *http.Request, name string) (*sessions.Session, error) {
	return sessions.NewSession(e, name), e.err
}
func (e errStore) Save(*http.Request, http.ResponseWriter, *sessions.Session) error { return e.err }

// nilStore returns no session at all.
type nilStore struct{ errStore }

func (nilStore) New(*http.Request, string) (*sessions.Session, error) { return nil, nil }

func TestStoreFailuresFailClosed(t *testing.T) {
	netErr := &netError{}
	tests := []struct {
		name  string
		store sessions.Store
		kind  error
	}{
		{"network error", errStore{err: netErr}, session.ErrStore},
		{"deadline", errStore{err: context.DeadlineExceeded}, session.ErrStore},
		{"nil session", nilStore{errStore{err: netErr}}, session.ErrStore},
		{"unknown error", errStore{err: errors.New("weird")}, session.ErrUnreadable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newManager(t, session.WithStore(tt.store))
			s, err := m.Load(request(anyCookie))
			require.ErrorIs(t, err, tt.kind)
			require.NotNil(t, s)
			assert.Equal(t, session.StateAnonymous, s.State())
			// Saving fails closed too.
			require.NoError(t, s.BeginLogin("u", "", false))
			rec := httptest.NewRecorder()
			err = s.Save(rec, request())
			assert.ErrorIs(t, err, session.ErrStore)
			assert.Empty(t, setCookieLines(rec))
		})
	}
}

// TestClearDeletesCookieWhenStoreFails: logging out fails closed. A store
// that cannot erase the record still leaves the browser without a cookie.
func TestClearDeletesCookieWhenStoreFails(t *testing.T) {
	m := newManager(t, session.WithStore(errStore{err: &netError{}}))
	s, err := m.Load(request(anyCookie))
	require.ErrorIs(t, err, session.ErrStore)
	s.Clear()
	rec := httptest.NewRecorder()
	require.ErrorIs(t, s.Save(rec, request()), session.ErrStore)
	lines := setCookieLines(rec)
	require.Len(t, lines, 1)
	assert.Contains(t, lines[0], session.DefaultCookieName+"=;")
	assert.Contains(t, lines[0], "Max-Age=0")
}

type netError struct{}

func (*netError) Error() string   { return "dial tcp: connection refused" }
func (*netError) Timeout() bool   { return false }
func (*netError) Temporary() bool { return false }
