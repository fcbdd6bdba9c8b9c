package middleware_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/middleware"
	"github.com/unloq2fa/unloq2fa/session"
	"github.com/unloq2fa/unloq2fa/session/revocation"
)

// downStore is a revocation store that fails while down is set.
type downStore struct {
	revocation.Store
	down atomic.Bool
}

func (d *downStore) Revoked(ctx context.Context, u, l string, at time.Time) (bool, error) {
	if d.down.Load() {
		return false, errors.New("backend unreachable")
	}
	return d.Store.Revoked(ctx, u, l, at)
}

// TestRevocationBackendDownFailsClosed: when the revocation store cannot
// answer, a request with a login never reaches the app (not even as
// anonymous), gets 503 with a page or JSON, and keeps its cookie; exempt
// routes and requests without a cookie are unaffected.
func TestRevocationBackendDownFailsClosed(t *testing.T) {
	mem, err := revocation.NewMemory()
	require.NoError(t, err)
	ds := &downStore{Store: mem}
	e := newEnv(t, session.WithRevocation(ds))
	mw := e.middleware(t)
	verified := e.cookie(t, "u1", false)
	pending := e.cookie(t, "u2", true)
	ds.down.Store(true)

	handlers := map[string]http.Handler{"Wrap": mw.Wrap(app()), "RequireVerified": mw.RequireVerified(app()),
		"Wrap+RequireVerified": mw.Wrap(mw.RequireVerified(app()))}
	for name, h := range handlers {
		for cname, c := range map[string]*http.Cookie{"verified": verified, "pending": pending} {
			t.Run(name+"/"+cname, func(t *testing.T) {
				for _, method := range []string{http.MethodGet, http.MethodPost, http.MethodHead} {
					rec := do(h, method, "/dashboard", c, "text/html")
					assert.Equal(t, http.StatusServiceUnavailable, rec.Code, method)
					assert.Empty(t, rec.Header().Get("X-App"), "the app must not be reached")
					assert.Empty(t, rec.Header().Values("Set-Cookie"), "no state change")
					assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
					assert.Empty(t, rec.Header().Get("Location"))
					if method == http.MethodGet {
						assert.Contains(t, rec.Body.String(), "Temporarily unavailable")
					}
				}
				rec := do(h, http.MethodGet, "/api/me", c, "application/json")
				assert.Equal(t, http.StatusServiceUnavailable, rec.Code)
				assert.Contains(t, rec.Header().Get("Content-Type"), "application/json")
				var body struct{ Error, Reason string }
				require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &body))
				assert.Equal(t, string(middleware.ReasonUnavailable), body.Reason)
				assert.NotEmpty(t, body.Error)
			})
		}
	}

	t.Run("exempt route unaffected", func(t *testing.T) {
		rec := do(mw.Wrap(app()), http.MethodGet, "/uauth/login?token=x", verified, "")
		assert.Equal(t, http.StatusOK, rec.Code)
		assert.Equal(t, "reached", rec.Header().Get("X-App"))
	})
	t.Run("no cookie unaffected", func(t *testing.T) {
		rec := do(mw.Wrap(app()), http.MethodGet, "/", nil, "")
		assert.Equal(t, http.StatusOK, rec.Code)
	})
	t.Run("back up", func(t *testing.T) {
		ds.down.Store(false)
		rec := do(mw.Wrap(app()), http.MethodGet, "/dashboard", verified, "")
		assert.Equal(t, http.StatusOK, rec.Code)
		assert.Equal(t, "u1", rec.Header().Get("X-User"))
	})
}

// TestRevokedSessionIsAnonymous: after the login was ended, a copy of the
// cookie is anonymous for the middleware: RequireVerified sends it to the
// login page, Wrap passes it to the app as anonymous.
func TestRevokedSessionIsAnonymous(t *testing.T) {
	e := newEnv(t)
	mw := e.middleware(t)
	c := e.cookie(t, "u1", false)
	rec := do(mw.RequireVerified(app()), http.MethodGet, "/dashboard", c, "")
	require.Equal(t, http.StatusOK, rec.Code)

	require.NoError(t, e.sm.LogOutEverywhere(t.Context(), "u1"))
	rec = do(mw.RequireVerified(app()), http.MethodGet, "/dashboard", c, "")
	assert.Equal(t, http.StatusFound, rec.Code)
	assert.Contains(t, rec.Header().Get("Location"), "/login")
	rec = do(mw.Wrap(app()), http.MethodGet, "/dashboard", c, "")
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.Empty(t, rec.Header().Get("X-User"))
	assert.Equal(t, string(middleware.ReasonAnonymous), rec.Header().Get("X-Reason"))
}
