package session_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/securecookie"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/session"
)

// oldReleaseCookie encodes values the way the previous release wrote its
// cookies: securecookie codecs from the key pairs with the default gob
// serializer and the cookie's max age.
func oldReleaseCookie(t *testing.T, values map[any]any, pairs ...[]byte) *http.Cookie {
	t.Helper()
	codecs := securecookie.CodecsFromPairs(pairs...)
	for _, c := range codecs {
		c.(*securecookie.SecureCookie).MaxAge(int(session.DefaultMaxAge / time.Second))
	}
	v, err := securecookie.EncodeMulti(session.DefaultCookieName, values, codecs...)
	require.NoError(t, err)
	return &http.Cookie{Name: session.DefaultCookieName, Value: v}
}

// TestOldGobCookiesStillLoad: cookies written by the previous release
// (gob) keep working, under the current keys and under rotated ones.
func TestOldGobCookiesStillLoad(t *testing.T) {
	pwAt := time.Now().Add(-time.Hour).Unix()
	values := map[any]any{
		"was_2fa": true, "uid": "u1", "email": "u1@example.com",
		"pw_at": pwAt, "login_id": "LID1", "f:next": "/x",
	}
	current := newManager(t, session.WithKeys(hashKey1, blockKey1))
	rotated := newManager(t, session.WithKeys(hashKey2, blockKey2, hashKey1, blockKey1))
	c := oldReleaseCookie(t, values, hashKey1, blockKey1)
	for name, m := range map[string]*session.Manager{"current keys": current, "rotated keys": rotated} {
		t.Run(name, func(t *testing.T) {
			for range 2 { // the second load is a cache hit
				s, err := load(t, m, c)
				require.NoError(t, err)
				assert.Equal(t, session.StateVerified, s.State())
				assert.Equal(t, "u1", s.UserID())
				assert.Equal(t, "u1@example.com", s.Email())
				assert.Equal(t, "LID1", s.LoginID())
				assert.Equal(t, time.Unix(pwAt, 0), s.PasswordAt())
				assert.Equal(t, "/x", s.Flow("next"))
			}
		})
	}
	// Tampered old cookies are still refused.
	_, err := load(t, current, &http.Cookie{Name: c.Name, Value: flipByte(c.Value, 10)})
	require.ErrorIs(t, err, session.ErrUnreadable)
}

// TestNewCookiesAreCompactNotGob: what the Manager writes is the compact
// format, which gob cannot read, under the current keys after rotation.
func TestNewCookiesAreCompactNotGob(t *testing.T) {
	m := newManager(t, session.WithKeys(hashKey2, blockKey2, hashKey1, blockKey1))
	c := login(t, m, "u1", "u1@example.com", false)

	raw := securecookie.New(hashKey2, blockKey2).SetSerializer(securecookie.NopEncoder{})
	var plain []byte
	require.NoError(t, raw.Decode(session.DefaultCookieName, c.Value, &plain))
	require.NotEmpty(t, plain)
	assert.Equal(t, byte(0x81), plain[0], "format marker")

	var values map[any]any
	gobErr := securecookie.GobEncoder{}.Deserialize(plain, &values)
	assert.Error(t, gobErr, "new cookies are not gob")

	oldKeys := securecookie.New(hashKey1, blockKey1).SetSerializer(securecookie.NopEncoder{})
	assert.Error(t, oldKeys.Decode(session.DefaultCookieName, c.Value, &plain), "written with the first pair only")
}

// TestPendingCookieIsSmall: the pending login's cookie is small and
// bounded, so pending requests stay cheap.
func TestPendingCookieIsSmall(t *testing.T) {
	m := newManager(t)
	uuid := "0b6f3c1e-8d2a-4e7b-9a51-3f0c2d7e9b14"
	email := strings.Repeat("e", 52) + "@example.com" // 64 bytes
	c := login(t, m, uuid, email, true)
	s, err := load(t, m, c)
	require.NoError(t, err)
	require.Equal(t, session.StatePending, s.State())
	t.Logf("pending cookie: %d bytes", len(c.Value))
	assert.LessOrEqual(t, len(c.Value), 448, "pending cookie too large")

	// The same values in gob, as the previous release wrote them.
	gobCookie := oldReleaseCookie(t, map[any]any{
		"was_2fa": false, "uid": uuid, "email": email, "pw_at": time.Now().Unix(), "login_id": s.LoginID(),
	}, hashKey1, blockKey1)
	t.Logf("the same in gob: %d bytes", len(gobCookie.Value))
	assert.Less(t, len(c.Value), len(gobCookie.Value)*3/4)

	// The largest login the codec accepts still fits a cookie.
	big := login(t, m, strings.Repeat("u", 1000), strings.Repeat("e", 1000), true)
	assert.LessOrEqual(t, len(big.Value), 4096)
}
