package session_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/sessions"
	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/session"
	"github.com/unloq2fa/unloq2fa/unloq/unloqtest"
)

// Test keys: distinct, non-zero, of the right lengths.
var (
	hashKey1  = bytes.Repeat([]byte{0x11}, 32)
	blockKey1 = bytes.Repeat([]byte{0x22}, 32)
	hashKey2  = bytes.Repeat([]byte{0x33}, 64)
	blockKey2 = bytes.Repeat([]byte{0x44}, 16)
)

// newFakeClock is the simulator's settable clock, at a fixed start.
func newFakeClock() *unloqtest.FakeClock {
	return unloqtest.NewFakeClock(time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC))
}

func newManager(t testing.TB, opts ...session.Option) *session.Manager {
	t.Helper()
	if len(opts) == 0 {
		opts = []session.Option{session.WithKeys(hashKey1, blockKey1)}
	}
	m, err := session.NewManager(opts...)
	require.NoError(t, err)
	return m
}

// request returns a GET request carrying the given cookies.
func request(cookies ...*http.Cookie) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	for _, c := range cookies {
		r.AddCookie(c)
	}
	return r
}

// sessionCookie returns the cookie named name set by rec, or nil.
func sessionCookie(rec *httptest.ResponseRecorder, name string) *http.Cookie {
	for _, c := range rec.Result().Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// setCookieLines returns the Set-Cookie header lines of rec.
func setCookieLines(rec *httptest.ResponseRecorder) []string {
	return rec.Result().Header.Values("Set-Cookie")
}

// login runs BeginLogin on a fresh request and returns the cookie.
func login(t testing.TB, m *session.Manager, uid, email string, need2FA bool) *http.Cookie {
	t.Helper()
	s, err := m.Load(request())
	require.NoError(t, err)
	require.NoError(t, s.BeginLogin(uid, email, need2FA))
	rec := httptest.NewRecorder()
	require.NoError(t, s.Save(rec, request()))
	c := sessionCookie(rec, session.DefaultCookieName)
	require.NotNil(t, c, "BeginLogin+Save must set the cookie")
	return c
}

// load decodes cookie c with m.
func load(t testing.TB, m *session.Manager, c *http.Cookie) (*session.Session, error) {
	t.Helper()
	return m.Load(request(c))
}

// countingStore wraps a store and counts decodes (Get and New).
type countingStore struct {
	sessions.Store
	mu    sync.Mutex
	gets  int
	news  int
	saves int
}

func (c *countingStore) Get(r *http.Request, name string) (*sessions.Session, error) {
	c.mu.Lock()
	c.gets++
	c.mu.Unlock()
	return c.Store.Get(r, name)
}

func (c *countingStore) New(r *http.Request, name string) (*sessions.Session, error) {
	c.mu.Lock()
	c.news++
	c.mu.Unlock()
	return c.Store.New(r, name)
}

func (c *countingStore) Save(r *http.Request, w http.ResponseWriter, s *sessions.Session) error {
	c.mu.Lock()
	c.saves++
	c.mu.Unlock()
	return c.Store.Save(r, w, s)
}

func (c *countingStore) decodes() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gets + c.news
}

// flipByte returns v with the byte at i changed to another base64url
// character.
func flipByte(v string, i int) string {
	b := []byte(v)
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}
