package middleware_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gorilla/sessions"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/middleware"
	"github.com/unloq2fa/unloq2fa/session"
)

const browserAccept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"

type cookieKind int

const (
	noCookie cookieKind = iota
	verifiedCookie
	pendingCookie
	expiredCookie
	tamperedCookie
	foreignCookie
)

func (e *env) cookieOf(t *testing.T, k cookieKind) *http.Cookie {
	switch k {
	case verifiedCookie:
		return e.cookie(t, "u1", false)
	case pendingCookie:
		return e.cookie(t, "u1", true)
	case expiredCookie:
		c := e.cookie(t, "u1", true)
		e.clock.Advance(session.DefaultPendingTTL + time.Second)
		return c
	case tamperedCookie:
		c := e.cookie(t, "u1", false)
		b := []byte(c.Value)
		b[len(b)/2] ^= 0x01 // flip a bit: still base64, wrong MAC
		if b[len(b)/2] == '=' || b[len(b)/2] < '0' {
			b[len(b)/2] = 'A'
		}
		c.Value = string(b)
		return c
	case foreignCookie:
		other, err := session.NewManager(session.WithKeys(bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)))
		require.NoError(t, err)
		return loginCookie(t, other, "u1", false)
	}
	return nil
}

func TestWrap(t *testing.T) {
	tests := []struct {
		name      string
		kind      cookieKind
		method    string
		accept    string
		status    int
		location  string
		reached   bool
		reason    middleware.Reason
		user      string
		deletes   bool
		jsonError string
	}{
		{"anonymous passes", noCookie, "GET", browserAccept, 200, "", true, middleware.ReasonAnonymous, "", false, ""},
		{"anonymous POST passes", noCookie, "POST", "", 200, "", true, middleware.ReasonAnonymous, "", false, ""},
		{"verified passes", verifiedCookie, "GET", browserAccept, 200, "", true, middleware.ReasonNone, "u1", false, ""},
		{"verified API passes", verifiedCookie, "GET", "application/json", 200, "", true, middleware.ReasonNone, "u1", false, ""},
		{"pending GET redirects", pendingCookie, "GET", browserAccept, 302, "/login/two-step", false, "", "", false, ""},
		{"pending HEAD redirects", pendingCookie, "HEAD", "", 302, "/login/two-step", false, "", "", false, ""},
		{"pending POST redirects 303", pendingCookie, "POST", "", 303, "/login/two-step", false, "", "", false, ""},
		{"pending API 401", pendingCookie, "GET", "application/json", 401, "", false, "", "", false, "two-step verification required"},
		{"expired GET to login", expiredCookie, "GET", browserAccept, 302, "/login", false, "", "", true, ""},
		{"expired POST to login", expiredCookie, "POST", "", 303, "/login", false, "", "", true, ""},
		{"expired API 401", expiredCookie, "GET", "application/json", 401, "", false, "", "", true, "two-step verification expired, log in again"},
		{"tampered is anonymous", tamperedCookie, "GET", browserAccept, 200, "", true, middleware.ReasonUnreadable, "", true, ""},
		{"foreign keys is anonymous", foreignCookie, "GET", browserAccept, 200, "", true, middleware.ReasonUnreadable, "", true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			c := e.cookieOf(t, tt.kind)
			h := e.middleware(t).Wrap(app())
			rec := do(h, tt.method, "/dashboard?tab=1", c, tt.accept)
			res := rec.Result()
			assert.Equal(t, tt.status, res.StatusCode)
			assert.Equal(t, tt.location, res.Header.Get("Location"))
			assert.Equal(t, tt.reached, res.Header.Get("X-App") == "reached")
			assert.Equal(t, tt.deletes, deletedCookie(rec), "session cookie deleted")
			if tt.reached {
				assert.Equal(t, string(tt.reason), res.Header.Get("X-Reason"))
				assert.Equal(t, tt.user, res.Header.Get("X-User"))
				if tt.kind == noCookie {
					// No cookie, no session work: nothing is attached.
					assert.Empty(t, res.Header.Get("X-Attached"), "no session decoded without a cookie")
				} else {
					assert.Equal(t, "yes", res.Header.Get("X-Attached"), "session attached for the app")
				}
				if !tt.deletes {
					assert.Empty(t, res.Cookies(), "no cookie written for a passing request")
				}
			} else {
				assert.Equal(t, "no-store", res.Header.Get("Cache-Control"))
			}
			if tt.jsonError != "" {
				assert.Equal(t, "application/json; charset=utf-8", res.Header.Get("Content-Type"))
				var body map[string]string
				require.NoError(t, json.NewDecoder(res.Body).Decode(&body))
				assert.Equal(t, tt.jsonError, body["error"])
				wantReason, wantRedirect := "pending", "/login/two-step"
				if tt.kind == expiredCookie {
					wantReason, wantRedirect = "pending_expired", "/login"
				}
				assert.Equal(t, map[string]string{"error": tt.jsonError, "reason": wantReason, "redirect": wantRedirect}, body)
			}
			assert.LessOrEqual(t, e.store.count(), 1+1, "one decode per request (+1 for making the cookie)")
		})
	}
}

// TestExpiredSessionIsCleared: after the redirect to /login, the cleared
// cookie makes the user anonymous, so /login is reachable.
func TestExpiredSessionIsCleared(t *testing.T) {
	e := newEnv(t)
	c := e.cookieOf(t, expiredCookie)
	h := e.middleware(t).Wrap(app())
	rec := do(h, "GET", "/login", c, "")
	require.Equal(t, http.StatusFound, rec.Code)
	require.True(t, deletedCookie(rec))
	// The browser drops the cookie: the next request is anonymous.
	rec = do(h, "GET", "/login", nil, "")
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, "anonymous", rec.Header().Get("X-Reason"))
}

// TestSessionAttachedOnce: the app loading the session again costs no decode.
func TestSessionAttachedOnce(t *testing.T) {
	e := newEnv(t)
	c := e.cookie(t, "u1", false)
	before := e.store.count()
	var loaded *session.Session
	h := e.middleware(t).Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, err := e.sm.Load(r)
		require.NoError(t, err)
		loaded = s
		assert.Same(t, s, session.FromContext(r.Context()))
	}))
	do(h, "GET", "/x", c, "")
	require.NotNil(t, loaded)
	assert.Equal(t, 1, e.store.count()-before)
	assert.Equal(t, session.StateVerified, loaded.State())
}

// TestStoreFailureIsAnonymousAndKeepsCookie: a store failure fails closed
// (anonymous, reason recorded) but does not delete the cookie.
func TestStoreFailureIsAnonymousAndKeepsCookie(t *testing.T) {
	dir := t.TempDir()
	fs := sessions.NewFilesystemStore(dir, hashKey, blockKey)
	sm, err := session.NewManager(session.WithStore(fs))
	require.NoError(t, err)
	c := loginCookie(t, sm, "u1", false)
	// Break the store: the records directory becomes unreadable as files.
	matches, err := filepathGlob(dir)
	require.NoError(t, err)
	require.Len(t, matches, 1)
	require.NoError(t, replaceWithDir(matches[0]))

	m, err := middleware.New(sm)
	require.NoError(t, err)
	rec := do(m.Wrap(app()), "GET", "/dashboard", c, "")
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, "unreadable_session", rec.Header().Get("X-Reason"))
	assert.Empty(t, rec.Header().Get("X-User"))
	assert.Empty(t, rec.Result().Cookies(), "cookie kept after a store failure")

	rec = do(m.RequireVerified(app()), "GET", "/dashboard", c, "")
	assert.Equal(t, http.StatusFound, rec.Code)
	assert.Equal(t, "/login?next=%2Fdashboard", rec.Header().Get("Location"))
}

// TestExpiredClearFailure: when the expired session cannot be deleted, the
// middleware answers 500 (fail closed) rather than redirecting.
func TestExpiredClearFailure(t *testing.T) {
	e := newEnv(t)
	c := e.cookieOf(t, expiredCookie)
	e.store.failSave = errors.New("disk full")
	for _, h := range []http.Handler{e.middleware(t).Wrap(app()), e.middleware(t).RequireVerified(app())} {
		rec := do(h, "GET", "/dashboard", c, "")
		assert.Equal(t, http.StatusInternalServerError, rec.Code)
		assert.Empty(t, rec.Header().Get("X-App"))
		assert.Empty(t, rec.Header().Get("Location"))
	}
}

func TestRequireVerified(t *testing.T) {
	tests := []struct {
		name     string
		kind     cookieKind
		method   string
		target   string
		accept   string
		status   int
		location string
		reason   string
		deletes  bool
	}{
		{"verified passes", verifiedCookie, "GET", "/admin", "", 200, "", "", false},
		{"anonymous to login with next", noCookie, "GET", "/admin/users?page=2&q=a%20b", "", 302, "/login?next=%2Fadmin%2Fusers%3Fpage%3D2%26q%3Da%2520b", "anonymous", false},
		{"anonymous POST 303", noCookie, "POST", "/admin", "", 303, "/login?next=%2Fadmin", "anonymous", false},
		{"anonymous API 401", noCookie, "GET", "/admin", "application/json", 401, "", "anonymous", false},
		{"pending to two-step", pendingCookie, "GET", "/admin", "", 302, "/login/two-step", "pending", false},
		{"expired to login with next", expiredCookie, "GET", "/admin", "", 302, "/login?next=%2Fadmin", "pending_expired", true},
		{"tampered to login with next", tamperedCookie, "GET", "/admin", "", 302, "/login?next=%2Fadmin", "unreadable_session", true},
		{"scheme-relative next dropped", noCookie, "GET", "//evil.example/x", "", 302, "/login", "anonymous", false},
		{"encoded backslash next dropped", noCookie, "GET", "/\\evil.example/x", "", 302, "/login", "anonymous", false},
		{"absolute-form target keeps only the path", noCookie, "GET", "http://evil.example/admin?x=1", "", 302, "/login?next=%2Fadmin%3Fx%3D1", "anonymous", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			c := e.cookieOf(t, tt.kind)
			h := e.middleware(t).RequireVerified(app())
			rec := do(h, tt.method, tt.target, c, tt.accept)
			res := rec.Result()
			require.Equal(t, tt.status, res.StatusCode)
			assert.Equal(t, tt.deletes, deletedCookie(rec))
			if tt.status == 200 {
				assert.Equal(t, "u1", res.Header.Get("X-User"))
				return
			}
			assert.Empty(t, res.Header.Get("X-App"), "the app is not reached")
			assert.Equal(t, "no-store", res.Header.Get("Cache-Control"))
			if tt.status == 401 {
				var body map[string]string
				require.NoError(t, json.NewDecoder(res.Body).Decode(&body))
				assert.Equal(t, tt.reason, body["reason"])
				assert.Equal(t, "login required", body["error"])
				assert.Equal(t, "/login?next=%2Fadmin", body["redirect"])
				return
			}
			assert.Equal(t, tt.location, res.Header.Get("Location"))
		})
	}
}

// TestWrapAndRequireVerifiedDecodeOnce: nested, they share one decode.
func TestWrapAndRequireVerifiedDecodeOnce(t *testing.T) {
	e := newEnv(t)
	c := e.cookie(t, "u1", false)
	m := e.middleware(t)
	mux := http.NewServeMux()
	mux.Handle("/admin/", m.RequireVerified(app()))
	h := m.Wrap(mux)
	before := e.store.count()
	rec := do(h, "GET", "/admin/x", c, "")
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, "u1", rec.Header().Get("X-User"))
	assert.Equal(t, 1, e.store.count()-before)

	// An unreadable cookie is cleared once, and RequireVerified still refuses.
	bad := e.cookieOf(t, tamperedCookie)
	rec = do(h, "GET", "/admin/x", bad, "")
	assert.Equal(t, http.StatusFound, rec.Code)
	assert.Equal(t, "/login?next=%2Fadmin%2Fx", rec.Header().Get("Location"))
	assert.Len(t, rec.Result().Header.Values("Set-Cookie"), 1)
}

func TestUserIDAndReasonNilSafe(t *testing.T) {
	id, ok := middleware.UserID(nil)
	assert.False(t, ok)
	assert.Empty(t, id)
	r := httptest.NewRequest("GET", "/", nil)
	id, ok = middleware.UserID(r)
	assert.False(t, ok)
	assert.Empty(t, id)
	// No session attached (as for a request without a cookie): anonymous.
	assert.Equal(t, middleware.ReasonAnonymous, middleware.ReasonFrom(r.Context()))
	var nilCtx context.Context // a nil context must not panic
	assert.Equal(t, middleware.ReasonNone, middleware.ReasonFrom(nilCtx))

	// A pending session attached without the middleware.
	e := newEnv(t)
	r.AddCookie(e.cookie(t, "u1", true))
	r, _, err := e.sm.Attach(r)
	require.NoError(t, err)
	_, ok = middleware.UserID(r)
	assert.False(t, ok, "pending users have no verified user id")
	assert.Equal(t, middleware.ReasonPending, middleware.ReasonFrom(r.Context()))
}

// TestLoggerNeverLogsCookies: the warning about a tampered cookie carries
// no cookie value.
func TestLoggerNeverLogsCookies(t *testing.T) {
	e := newEnv(t)
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h := e.middleware(t, middleware.WithLogger(logger)).Wrap(app())
	bad := e.cookieOf(t, tamperedCookie)
	do(h, "GET", "/x", bad, "")
	pending := e.cookie(t, "u2", true)
	do(h, "GET", "/y", pending, "")
	out := buf.String()
	assert.Contains(t, out, "unreadable_session")
	assert.Contains(t, out, "reason=pending")
	assert.NotContains(t, out, bad.Value[:16])
	assert.NotContains(t, out, pending.Value[:16])
}
