package session_test

import (
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/gorilla/securecookie"
	"github.com/gorilla/sessions"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/session"
)

// sessionFiles lists the FilesystemStore records in dir.
func sessionFiles(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "session_*"))
	require.NoError(t, err)
	for i := range m {
		m[i] = filepath.Base(m[i])
	}
	return m
}

// cookieID decodes the record ID a FilesystemStore put in c.
func cookieID(t *testing.T, st *sessions.FilesystemStore, c *http.Cookie) string {
	t.Helper()
	var id string
	require.NoError(t, securecookie.DecodeMulti(c.Name, c.Value, &id, st.Codecs...))
	require.NotEmpty(t, id)
	return id
}

// step loads the session of cookie, applies do, saves, and returns the new
// cookie (or the old one when nothing was set).
func step(t *testing.T, m *session.Manager, cookie *http.Cookie, do func(*session.Session) error) (*http.Cookie, *httptest.ResponseRecorder) {
	t.Helper()
	req := request()
	if cookie != nil {
		req = request(cookie)
	}
	s, err := m.Load(req)
	require.NoError(t, err)
	require.NoError(t, do(s))
	rec := httptest.NewRecorder()
	require.NoError(t, s.Save(rec, req))
	if c := sessionCookie(rec, session.DefaultCookieName); c != nil {
		return &http.Cookie{Name: c.Name, Value: c.Value}, rec
	}
	return cookie, rec
}

func TestFilesystemStore(t *testing.T) {
	dir := t.TempDir()
	st := sessions.NewFilesystemStore(dir, hashKey1, blockKey1)
	m := newManager(t, session.WithStore(st))

	// Password step: one record.
	c1, _ := step(t, m, nil, func(s *session.Session) error { return s.BeginLogin("u1", "u1@example.com", true) })
	id1 := cookieID(t, st, c1)
	assert.Equal(t, []string{"session_" + id1}, sessionFiles(t, dir))
	s, err := load(t, m, c1)
	require.NoError(t, err)
	assert.Equal(t, session.StatePending, s.State())
	assert.Equal(t, "u1@example.com", s.Email())

	// A flow update keeps the record ID.
	c2, _ := step(t, m, c1, func(s *session.Session) error { s.SetFlow("k", "v"); return nil })
	assert.Equal(t, id1, cookieID(t, st, c2))
	assert.Equal(t, []string{"session_" + id1}, sessionFiles(t, dir))

	// Second factor: renewal gives a new ID and erases the old record.
	c3, _ := step(t, m, c2, func(s *session.Session) error { return s.CompleteSecondFactor() })
	id3 := cookieID(t, st, c3)
	assert.NotEqual(t, id1, id3, "renewal must change the session ID")
	assert.Equal(t, []string{"session_" + id3}, sessionFiles(t, dir), "old record erased")
	s, err = load(t, m, c3)
	require.NoError(t, err)
	assert.Equal(t, session.StateVerified, s.State())
	assert.Empty(t, s.Flow("k"))

	// The old cookie is dead (no fixation): unreadable, anonymous.
	s, err = load(t, m, c1)
	require.ErrorIs(t, err, session.ErrUnreadable)
	assert.Equal(t, session.StateAnonymous, s.State())
	assert.NotContains(t, err.Error(), id1, "no session ID in error text")

	// A new password login over a live session renews it too.
	c4, _ := step(t, m, c3, func(s *session.Session) error { return s.BeginLogin("u2", "", false) })
	id4 := cookieID(t, st, c4)
	assert.NotEqual(t, id3, id4)
	assert.Equal(t, []string{"session_" + id4}, sessionFiles(t, dir))

	// Renewing twice in one request erases the original record.
	c5, _ := step(t, m, c4, func(s *session.Session) error {
		if err := s.BeginLogin("u3", "", true); err != nil {
			return err
		}
		return s.CompleteSecondFactor()
	})
	id5 := cookieID(t, st, c5)
	assert.Equal(t, []string{"session_" + id5}, sessionFiles(t, dir))

	// Logout erases the record and deletes the cookie.
	_, rec := step(t, m, c5, func(s *session.Session) error { s.Clear(); return nil })
	del := sessionCookie(rec, session.DefaultCookieName)
	require.NotNil(t, del)
	assert.Equal(t, -1, del.MaxAge)
	assert.Empty(t, sessionFiles(t, dir))
	// The response carries one Set-Cookie, not the store's deletion cookie of
	// an erased record plus ours.
	assert.Len(t, setCookieLines(rec), 1)
}

func TestFilesystemStoreFailures(t *testing.T) {
	t.Run("unreadable record is a store failure", func(t *testing.T) {
		dir := t.TempDir()
		st := sessions.NewFilesystemStore(dir, hashKey1, blockKey1)
		m := newManager(t, session.WithStore(st))
		c, _ := step(t, m, nil, func(s *session.Session) error { return s.BeginLogin("u1", "", false) })
		id := cookieID(t, st, c)
		// Replace the record by a directory: reading it fails with EISDIR.
		p := filepath.Join(dir, "session_"+id)
		require.NoError(t, os.Remove(p))
		require.NoError(t, os.Mkdir(p, 0o700))
		s, err := load(t, m, c)
		require.ErrorIs(t, err, session.ErrStore)
		assert.Equal(t, session.StateAnonymous, s.State())
		assert.NotContains(t, err.Error(), id)
		assert.NotContains(t, err.Error(), dir)
	})
	t.Run("tampered record is unreadable", func(t *testing.T) {
		dir := t.TempDir()
		st := sessions.NewFilesystemStore(dir, hashKey1, blockKey1)
		m := newManager(t, session.WithStore(st))
		c, _ := step(t, m, nil, func(s *session.Session) error { return s.BeginLogin("u1", "", true) })
		p := filepath.Join(dir, "session_"+cookieID(t, st, c))
		data, err := os.ReadFile(p)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(p, []byte(flipByte(string(data), len(data)/2)), 0o600))
		s, err := load(t, m, c)
		require.ErrorIs(t, err, session.ErrUnreadable)
		assert.Equal(t, session.StateAnonymous, s.State())
	})
	t.Run("save failure", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "gone")
		require.NoError(t, os.Mkdir(dir, 0o700))
		st := sessions.NewFilesystemStore(dir, hashKey1, blockKey1)
		m := newManager(t, session.WithStore(st))
		s, err := m.Load(request())
		require.NoError(t, err)
		require.NoError(t, os.Remove(dir))
		require.NoError(t, s.BeginLogin("u1", "", false))
		rec := httptest.NewRecorder()
		err = s.Save(rec, request())
		require.ErrorIs(t, err, session.ErrStore)
		assert.ErrorIs(t, err, os.ErrNotExist)
		assert.NotContains(t, err.Error(), dir, "no file name (it embeds the session ID) in error text")
		assert.Empty(t, setCookieLines(rec), "no cookie for a session that was not stored")
	})
}

// memStore is a minimal server-side store in the style of third-party
// stores (Redis, SQL): the cookie holds a signed ID, the values live in a
// map.
type memStore struct {
	codecs  []securecookie.Codec
	Options *sessions.Options
	mu      sync.Mutex
	records map[string]map[any]any
}

func newMemStore() *memStore {
	return &memStore{
		codecs:  securecookie.CodecsFromPairs(hashKey2, blockKey2),
		Options: &sessions.Options{Path: "/", MaxAge: 3600},
		records: map[string]map[any]any{},
	}
}

func (s *memStore) Get(r *http.Request, name string) (*sessions.Session, error) {
	return sessions.GetRegistry(r).Get(s, name)
}

func (s *memStore) New(r *http.Request, name string) (*sessions.Session, error) {
	sess := sessions.NewSession(s, name)
	opts := *s.Options
	sess.Options = &opts
	sess.IsNew = true
	c, err := r.Cookie(name)
	if err != nil {
		return sess, nil
	}
	if err := securecookie.DecodeMulti(name, c.Value, &sess.ID, s.codecs...); err != nil {
		return sess, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if v, ok := s.records[sess.ID]; ok {
		for k, x := range v {
			sess.Values[k] = x
		}
		sess.IsNew = false
	}
	return sess, nil
}

func (s *memStore) Save(_ *http.Request, w http.ResponseWriter, sess *sessions.Session) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sess.Options.MaxAge <= 0 {
		delete(s.records, sess.ID)
		http.SetCookie(w, sessions.NewCookie(sess.Name(), "", sess.Options))
		return nil
	}
	if sess.ID == "" {
		sess.ID = strings.ToLower(rand.Text())
	}
	v := make(map[any]any, len(sess.Values))
	for k, x := range sess.Values {
		v[k] = x
	}
	s.records[sess.ID] = v
	enc, err := securecookie.EncodeMulti(sess.Name(), sess.ID, s.codecs...)
	if err != nil {
		return err
	}
	http.SetCookie(w, sessions.NewCookie(sess.Name(), enc, sess.Options))
	return nil
}

func (s *memStore) ids() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for id := range s.records {
		out = append(out, id)
	}
	return out
}

func TestThirdPartyStore(t *testing.T) {
	st := newMemStore()
	m := newManager(t, session.WithStore(st))
	c1, rec := step(t, m, nil, func(s *session.Session) error { return s.BeginLogin("u1", "", true) })
	attrs := sessionCookie(rec, session.DefaultCookieName)
	assert.Equal(t, 43200, attrs.MaxAge, "manager's Max-Age, not the store's")
	assert.True(t, attrs.HttpOnly)
	ids := st.ids()
	require.Len(t, ids, 1)

	c2, _ := step(t, m, c1, func(s *session.Session) error { return s.CompleteSecondFactor() })
	ids2 := st.ids()
	require.Len(t, ids2, 1)
	assert.NotEqual(t, ids[0], ids2[0], "renewal gives a new record ID")

	s, err := load(t, m, c2)
	require.NoError(t, err)
	assert.Equal(t, session.StateVerified, s.State())
	s, err = load(t, m, c1)
	require.NoError(t, err, "this store reports a missing record as a new session")
	assert.Equal(t, session.StateAnonymous, s.State(), "the old ID grants nothing")
}
