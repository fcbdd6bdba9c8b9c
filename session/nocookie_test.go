package session_test

import (
	"strings"
	"testing"

	"github.com/gorilla/sessions"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/session"
)

// TestNoCookieNoStoreWork: a request without a cookie of the session's
// name is anonymous without asking the store; one with the cookie is
// decoded, also when other cookies surround it or share part of its name.
func TestNoCookieNoStoreWork(t *testing.T) {
	cs := &countingStore{Store: sessions.NewCookieStore(hashKey1, blockKey1)}
	m := newManager(t, session.WithStore(cs))
	good := login(t, m, "u1", "", false)
	require.Zero(t, cs.decodes())

	cases := []struct {
		name    string
		header  string
		decodes int
		user    string
	}{
		{"no cookie header", "", 0, ""},
		{"other cookies", "a=1; b=2", 0, ""},
		{"name as a prefix of another", "x" + session.DefaultCookieName + "=1; " + session.DefaultCookieName + "x=2", 1, ""},
		{"name only in a value", "a=" + session.DefaultCookieName, 1, ""},
		{"session cookie among others", "a=1; " + session.DefaultCookieName + "=" + good.Value + "; b=2", 1, "u1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := cs.decodes()
			r := request()
			if c.header != "" {
				r.Header.Set("Cookie", c.header)
			}
			s, err := m.Load(r)
			require.NoError(t, err)
			assert.Equal(t, c.user, s.UserID())
			assert.Equal(t, c.decodes, cs.decodes()-before, "store loads")
			// An anonymous session without a cookie still works in full.
			s.SetFlow("k", "v")
			assert.Equal(t, "v", s.Flow("k"))
		})
	}
	// The same with WithKeys: nothing to count, but the answers agree.
	km := newManager(t)
	kgood := login(t, km, "u2", "", false)
	for _, h := range []string{"", "a=1", "x" + session.DefaultCookieName + "=1", "a=1; " + session.DefaultCookieName + "=" + kgood.Value} {
		r := request()
		if h != "" {
			r.Header.Set("Cookie", h)
		}
		s, err := km.Load(r)
		require.NoError(t, err)
		if strings.HasSuffix(h, kgood.Value) {
			assert.Equal(t, "u2", s.UserID())
		} else {
			assert.Equal(t, session.StateAnonymous, s.State())
		}
	}
}
