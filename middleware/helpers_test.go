package middleware_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/sessions"
	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/middleware"
	"github.com/unloq2fa/unloq2fa/session"
	"github.com/unloq2fa/unloq2fa/unloq/unloqtest"
)

var (
	hashKey  = bytes.Repeat([]byte{0x5a}, 32)
	blockKey = bytes.Repeat([]byte{0xa5}, 32)
)

// newFakeClock is the simulator's settable clock, at a fixed start.
func newFakeClock() *unloqtest.FakeClock {
	return unloqtest.NewFakeClock(time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC))
}

// countingStore wraps a store and counts decodes (Get and New).
type countingStore struct {
	sessions.Store
	mu       sync.Mutex
	decodes  int
	failSave error
}

func (c *countingStore) Get(r *http.Request, name string) (*sessions.Session, error) {
	c.mu.Lock()
	c.decodes++
	c.mu.Unlock()
	return c.Store.Get(r, name)
}

func (c *countingStore) New(r *http.Request, name string) (*sessions.Session, error) {
	c.mu.Lock()
	c.decodes++
	c.mu.Unlock()
	return c.Store.New(r, name)
}

func (c *countingStore) Save(r *http.Request, w http.ResponseWriter, s *sessions.Session) error {
	if c.failSave != nil {
		return c.failSave
	}
	return c.Store.Save(r, w, s)
}

func (c *countingStore) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.decodes
}

// env is a session manager over a counting cookie store with a fake clock.
type env struct {
	clock *unloqtest.FakeClock
	store *countingStore
	sm    *session.Manager
}

func newEnv(t testing.TB, opts ...session.Option) *env {
	t.Helper()
	e := &env{clock: newFakeClock(), store: &countingStore{Store: sessions.NewCookieStore(hashKey, blockKey)}}
	opts = append([]session.Option{session.WithStore(e.store), session.WithClock(e.clock.Now)}, opts...)
	sm, err := session.NewManager(opts...)
	require.NoError(t, err)
	e.sm = sm
	return e
}

// cookie logs uid in and returns the session cookie: pending when
// need2FA, verified otherwise.
func (e *env) cookie(t testing.TB, uid string, need2FA bool) *http.Cookie {
	t.Helper()
	return loginCookie(t, e.sm, uid, need2FA)
}

func loginCookie(t testing.TB, sm *session.Manager, uid string, need2FA bool) *http.Cookie {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/login", nil)
	s, err := sm.Load(r)
	require.NoError(t, err)
	require.NoError(t, s.BeginLogin(uid, uid+"@example.com", need2FA))
	rec := httptest.NewRecorder()
	require.NoError(t, s.Save(rec, r))
	cs := rec.Result().Cookies()
	require.Len(t, cs, 1)
	return &http.Cookie{Name: cs[0].Name, Value: cs[0].Value}
}

func (e *env) middleware(t testing.TB, opts ...middleware.Option) *middleware.Middleware {
	t.Helper()
	m, err := middleware.New(e.sm, opts...)
	require.NoError(t, err)
	return m
}

// app is the wrapped application: it reports what it saw in headers.
func app() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		uid, ok := middleware.UserID(r)
		w.Header().Set("X-App", "reached")
		w.Header().Set("X-Reason", string(middleware.ReasonFrom(r.Context())))
		if ok {
			w.Header().Set("X-User", uid)
		}
		if session.FromContext(r.Context()) != nil {
			w.Header().Set("X-Attached", "yes")
		}
		_, _ = w.Write([]byte("app"))
	})
}

// do serves one request with the optional cookie and accept header.
func do(h http.Handler, method, target string, c *http.Cookie, accept string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, nil)
	if c != nil {
		r.AddCookie(c)
	}
	if accept != "" {
		r.Header.Set("Accept", accept)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}

// deletedCookie reports whether rec deletes the session cookie.
func deletedCookie(rec *httptest.ResponseRecorder) bool {
	for _, c := range rec.Result().Cookies() {
		if c.Name == session.DefaultCookieName && c.MaxAge < 0 {
			return true
		}
	}
	return false
}
func filepathGlob(dir string) ([]string, error) {
	return filepath.Glob(filepath.Join(dir, "session_*"))
}

// replaceWithDir turns a session record into a directory, so that reading
// it fails with an I/O error (not "does not exist").
func replaceWithDir(p string) error {
	if err := os.Remove(p); err != nil {
		return err
	}
	return os.Mkdir(p, 0o700)
}
