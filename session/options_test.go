package session_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gorilla/sessions"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/session"
)

func TestNewManagerValidation(t *testing.T) {
	zero32 := make([]byte, 32)
	store := sessions.NewCookieStore(hashKey1, blockKey1)
	tests := []struct {
		name    string
		opts    []session.Option
		wantErr string
	}{
		{"no store", nil, "need WithKeys or WithStore"},
		{"valid keys", []session.Option{session.WithKeys(hashKey1, blockKey1)}, ""},
		{"valid store", []session.Option{session.WithStore(store)}, ""},
		{"short hash key", []session.Option{session.WithKeys(hashKey1[:31], blockKey1)}, "hash key has 31 bytes"},
		{"nil hash key", []session.Option{session.WithKeys(nil, blockKey1)}, "hash key has 0 bytes"},
		{"block key 15", []session.Option{session.WithKeys(hashKey1, blockKey1[:15])}, "block key has 15 bytes"},
		{"block key 0", []session.Option{session.WithKeys(hashKey1, nil)}, "block key has 0 bytes"},
		{"block key 24 ok", []session.Option{session.WithKeys(hashKey1, bytes.Repeat([]byte{7}, 24))}, ""},
		{"zero hash key", []session.Option{session.WithKeys(zero32, blockKey1)}, "hash key is all zero"},
		{"zero block key", []session.Option{session.WithKeys(hashKey1, zero32)}, "block key is all zero"},
		{"hash equals block", []session.Option{session.WithKeys(hashKey1, hashKey1)}, "same key is used twice"},
		{"previous repeats current", []session.Option{session.WithKeys(hashKey1, blockKey1, hashKey1, blockKey2)}, "same key is used twice"},
		{"odd previous", []session.Option{session.WithKeys(hashKey1, blockKey1, hashKey2)}, "must come in pairs"},
		{"bad previous block", []session.Option{session.WithKeys(hashKey1, blockKey1, hashKey2, []byte("short"))}, "previous pair 1: block key"},
		{"keys and store", []session.Option{session.WithKeys(hashKey1, blockKey1), session.WithStore(store)}, "store already set"},
		{"store and keys", []session.Option{session.WithStore(store), session.WithKeys(hashKey1, blockKey1)}, "store already set"},
		{"nil store", []session.Option{session.WithStore(nil)}, "nil store"},
		{"bad cookie name", []session.Option{session.WithKeys(hashKey1, blockKey1), session.WithCookieName("a b")}, "invalid cookie name"},
		{"empty cookie name", []session.Option{session.WithKeys(hashKey1, blockKey1), session.WithCookieName("")}, "invalid cookie name"},
		{"short pending ttl", []session.Option{session.WithKeys(hashKey1, blockKey1), session.WithPendingTTL(time.Millisecond)}, "shorter than one second"},
		{"short max age", []session.Option{session.WithKeys(hashKey1, blockKey1), session.WithMaxAge(0)}, "shorter than one second"},
		{"ttl above max age", []session.Option{session.WithKeys(hashKey1, blockKey1), session.WithMaxAge(time.Minute)}, "exceeds max age"},
		{"samesite none insecure", []session.Option{session.WithKeys(hashKey1, blockKey1), session.WithSameSite(http.SameSiteNoneMode), session.WithInsecureDevCookies()}, "SameSite=None requires Secure"},
		{"samesite default", []session.Option{session.WithKeys(hashKey1, blockKey1), session.WithSameSite(http.SameSiteDefaultMode)}, "unsupported mode"},
		{"bad path", []session.Option{session.WithKeys(hashKey1, blockKey1), session.WithCookiePath("app")}, "invalid path"},
		{"bad domain", []session.Option{session.WithKeys(hashKey1, blockKey1), session.WithCookieDomain("a;b")}, "invalid domain"},
		{"nil clock", []session.Option{session.WithKeys(hashKey1, blockKey1), session.WithClock(nil)}, "nil clock"},
		{"__Host- with domain", []session.Option{session.WithKeys(hashKey1, blockKey1), session.WithCookieName("__Host-s"), session.WithCookieDomain("example.com")}, `"__Host-" cookie`},
		{"__Host- insecure", []session.Option{session.WithKeys(hashKey1, blockKey1), session.WithCookieName("__Host-s"), session.WithInsecureDevCookies()}, `"__Host-" cookie`},
		{"__Host- ok", []session.Option{session.WithKeys(hashKey1, blockKey1), session.WithCookieName("__Host-s")}, ""},
		{"__Secure- insecure", []session.Option{session.WithKeys(hashKey1, blockKey1), session.WithCookieName("__Secure-s"), session.WithInsecureDevCookies()}, `"__Secure-" cookie`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := session.NewManager(tt.opts...)
			if tt.wantErr == "" {
				require.NoError(t, err)
				require.NotNil(t, m)
				return
			}
			require.Error(t, err)
			assert.Nil(t, m)
			assert.Contains(t, err.Error(), tt.wantErr)
			assert.Regexp(t, `^session: `, err.Error())
		})
	}
}

func TestWithKeysCopiesKeys(t *testing.T) {
	h := bytes.Clone(hashKey1)
	b := bytes.Clone(blockKey1)
	m := newManager(t, session.WithKeys(h, b))
	c := login(t, m, "u1", "u1@example.com", false)
	// The caller wipes its key buffers; the manager must not care.
	for i := range h {
		h[i] = 0
	}
	for i := range b {
		b[i] = 0
	}
	s, err := load(t, m, c)
	require.NoError(t, err)
	assert.Equal(t, "u1", s.UserID())
	assert.Equal(t, session.DefaultPendingTTL, m.PendingTTL())
}

// cookieAttrs parses the single Set-Cookie line of rec.
func cookieAttrs(t *testing.T, rec *httptest.ResponseRecorder, name string) *http.Cookie {
	t.Helper()
	lines := setCookieLines(rec)
	require.Len(t, lines, 1, "exactly one Set-Cookie line")
	c := sessionCookie(rec, name)
	require.NotNil(t, c)
	return c
}

// TestSecureDefaultsOverrideStoreOptions: whatever the store's Options say,
// the cookie carries HttpOnly, Secure, SameSite=Lax, Path=/ and the
// manager's Max-Age, on login, on renewal and on flow updates.
func TestSecureDefaultsOverrideStoreOptions(t *testing.T) {
	insecure := func(o *sessions.Options) {
		o.Path = "/weak"
		o.Domain = "evil.example"
		o.MaxAge = 86400 * 365
		o.Secure = false
		o.HttpOnly = false
		o.SameSite = http.SameSiteNoneMode
		o.Partitioned = true
	}
	cookieStore := sessions.NewCookieStore(hashKey1, blockKey1)
	insecure(cookieStore.Options)
	fsStore := sessions.NewFilesystemStore(t.TempDir(), hashKey1, blockKey1)
	insecure(fsStore.Options)

	stores := map[string]sessions.Store{"cookie": cookieStore, "filesystem": fsStore}
	for name, st := range stores {
		t.Run(name, func(t *testing.T) {
			m := newManager(t, session.WithStore(st))
			steps := []struct {
				name string
				do   func(s *session.Session) error
			}{
				{"begin login", func(s *session.Session) error { return s.BeginLogin("u1", "a@b.c", true) }},
				{"set flow", func(s *session.Session) error { s.SetFlow("k", "v"); return nil }},
				{"complete", func(s *session.Session) error { return s.CompleteSecondFactor() }},
			}
			var cookie *http.Cookie
			for _, step := range steps {
				var req *http.Request
				if cookie == nil {
					req = request()
				} else {
					req = request(cookie)
				}
				s, err := m.Load(req)
				require.NoError(t, err)
				require.NoError(t, step.do(s), step.name)
				rec := httptest.NewRecorder()
				require.NoError(t, s.Save(rec, req))
				c := cookieAttrs(t, rec, session.DefaultCookieName)
				assert.True(t, c.HttpOnly, "%s: HttpOnly", step.name)
				assert.True(t, c.Secure, "%s: Secure", step.name)
				assert.Equal(t, http.SameSiteLaxMode, c.SameSite, "%s: SameSite", step.name)
				assert.Equal(t, "/", c.Path, "%s: Path", step.name)
				assert.Empty(t, c.Domain, "%s: Domain", step.name)
				assert.False(t, c.Partitioned, "%s: Partitioned", step.name)
				assert.Equal(t, int(session.DefaultMaxAge/time.Second), c.MaxAge, "%s: Max-Age", step.name)
				cookie = &http.Cookie{Name: c.Name, Value: c.Value}
			}
			s, err := load(t, m, cookie)
			require.NoError(t, err)
			assert.Equal(t, session.StateVerified, s.State())
		})
	}
}

func TestCookieSettingsOptions(t *testing.T) {
	m := newManager(t,
		session.WithKeys(hashKey1, blockKey1),
		session.WithCookieName("app_sess"),
		session.WithInsecureDevCookies(),
		session.WithSameSite(http.SameSiteStrictMode),
		session.WithCookiePath("/app"),
		session.WithCookieDomain("example.com"),
		session.WithMaxAge(2*time.Hour),
		session.WithPendingTTL(5*time.Minute),
	)
	assert.Equal(t, 5*time.Minute, m.PendingTTL())
	s, err := m.Load(request())
	require.NoError(t, err)
	require.NoError(t, s.BeginLogin("u1", "", false))
	rec := httptest.NewRecorder()
	require.NoError(t, s.Save(rec, request()))
	c := cookieAttrs(t, rec, "app_sess")
	assert.True(t, c.HttpOnly)
	assert.False(t, c.Secure)
	assert.Equal(t, http.SameSiteStrictMode, c.SameSite)
	assert.Equal(t, "/app", c.Path)
	assert.Equal(t, "example.com", c.Domain)
	assert.Equal(t, 7200, c.MaxAge)
}

// TestDefaultsAsDocumented backs the README's Defaults table for the
// quickstart's Manager (WithKeys and nothing else): cookie "__Host-unloq2fa",
// HttpOnly, Secure, SameSite=Lax, Path "/", no Domain, 12 h; a pending
// login that expires after 10 minutes; a login that ends 12 h after the
// password step. The literals are the documented values, not the constants.
func TestDefaultsAsDocumented(t *testing.T) {
	clock := newFakeClock()
	m := newManager(t, session.WithKeys(hashKey1, blockKey1), session.WithClock(clock.Now))
	assert.Equal(t, 10*time.Minute, m.PendingTTL())

	s, err := m.Load(request())
	require.NoError(t, err)
	require.NoError(t, s.BeginLogin("u1", "u1@example.com", true))
	rec := httptest.NewRecorder()
	require.NoError(t, s.Save(rec, request()))
	c := cookieAttrs(t, rec, "__Host-unloq2fa")
	assert.True(t, c.HttpOnly, "HttpOnly")
	assert.True(t, c.Secure, "Secure")
	assert.Equal(t, http.SameSiteLaxMode, c.SameSite, "SameSite")
	assert.Equal(t, "/", c.Path, "Path")
	assert.Empty(t, c.Domain, "host-only cookie")
	assert.Equal(t, 12*60*60, c.MaxAge, "Max-Age: 12 h")
	cookie := &http.Cookie{Name: c.Name, Value: c.Value}

	// Pending for 10 minutes, then expired.
	clock.Advance(10*time.Minute - time.Second)
	s, err = load(t, m, cookie)
	require.NoError(t, err)
	assert.Equal(t, session.StatePending, s.State())
	clock.Advance(time.Second)
	s, err = load(t, m, cookie)
	require.NoError(t, err)
	assert.Equal(t, session.StatePendingExpired, s.State())

	// A verified login ends 12 h after the password step.
	clock = newFakeClock()
	m = newManager(t, session.WithKeys(hashKey1, blockKey1), session.WithClock(clock.Now))
	cookie = login(t, m, "u1", "", false)
	clock.Advance(12*time.Hour - time.Second)
	s, err = load(t, m, cookie)
	require.NoError(t, err)
	assert.Equal(t, session.StateVerified, s.State())
	clock.Advance(time.Second)
	s, err = load(t, m, cookie)
	require.NoError(t, err)
	assert.Equal(t, session.StateAnonymous, s.State())
}

// TestDefaultCookieName: a Secure cookie with Path "/" and no domain is
// named "__Host-unloq2fa" by default; any other keeps "unloq2fa"; an
// explicit name wins, but a "__Host-" name is refused where the browser
// would refuse the cookie.
func TestDefaultCookieName(t *testing.T) {
	name := func(opts ...session.Option) string {
		t.Helper()
		m := newManager(t, append([]session.Option{session.WithKeys(hashKey1, blockKey1)}, opts...)...)
		s, err := m.Load(request())
		require.NoError(t, err)
		require.NoError(t, s.BeginLogin("u1", "u1@example.com", false))
		rec := httptest.NewRecorder()
		require.NoError(t, s.Save(rec, request()))
		cs := rec.Result().Cookies()
		require.Len(t, cs, 1)
		return cs[0].Name
	}
	assert.Equal(t, "__Host-unloq2fa", name())
	assert.Equal(t, session.DefaultCookieName, name())
	assert.Equal(t, "unloq2fa", name(session.WithInsecureDevCookies()))
	assert.Equal(t, session.DevCookieName, name(session.WithCookiePath("/app")))
	assert.Equal(t, "unloq2fa", name(session.WithCookieDomain("example.com")))
	assert.Equal(t, "app_sess", name(session.WithCookieName("app_sess")))
	assert.Equal(t, "app_sess", name(session.WithCookieName("app_sess"), session.WithInsecureDevCookies()))
	assert.Equal(t, "__Host-x", name(session.WithCookieName("__Host-x")))
	for _, opts := range [][]session.Option{
		{session.WithInsecureDevCookies()},
		{session.WithCookieDomain("example.com")},
		{session.WithCookiePath("/app")},
	} {
		_, err := session.NewManager(append([]session.Option{session.WithKeys(hashKey1, blockKey1), session.WithCookieName("__Host-x")}, opts...)...)
		assert.ErrorContains(t, err, `"__Host-" cookie`)
	}
}
