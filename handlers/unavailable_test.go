package handlers_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/handlers"
	"github.com/unloq2fa/unloq2fa/session"
	"github.com/unloq2fa/unloq2fa/session/revocation"
)

// flakyRevocation is a revocation store that can stop answering, like a
// shared store whose backend went down.
type flakyRevocation struct {
	*revocation.Memory
	down atomic.Bool
}

var errRevocationDown = errors.New("revocation backend down")

func (f *flakyRevocation) Revoked(ctx context.Context, userID, loginID string, issued time.Time) (bool, error) {
	if f.down.Load() {
		return false, errRevocationDown
	}
	return f.Memory.Revoked(ctx, userID, loginID, issued)
}

func (f *flakyRevocation) RevokeLogin(ctx context.Context, userID, loginID string, until time.Time) error {
	if f.down.Load() {
		return errRevocationDown
	}
	return f.Memory.RevokeLogin(ctx, userID, loginID, until)
}

func (f *flakyRevocation) RevokeUser(ctx context.Context, userID string, before, until time.Time) error {
	if f.down.Load() {
		return errRevocationDown
	}
	return f.Memory.RevokeUser(ctx, userID, before, until)
}

// TestRevocationDownFailsClosed: when the session's revocation store
// cannot answer, every route answers 503 with a page that says sign-in is
// temporarily unavailable (JSON for API clients), sets no cookie, calls
// nobody, and the session is unchanged once the store is back. Before,
// such a session was treated as absent: a pending user's POST of the
// two-step page got a 303 to the login page.
func TestRevocationDownFailsClosed(t *testing.T) {
	mem, err := revocation.NewMemory()
	require.NoError(t, err)
	rev := &flakyRevocation{Memory: mem}
	e := newEnv(t, withSessionOpts(session.WithRevocation(rev)))
	p := e.h.Paths()

	pending := e.browser()
	pending.login("2", "/dashboard")
	verified := e.browser()
	verified.loginVerified("1", alice)
	pendingBefore, verifiedBefore := pending.state(), verified.state()
	token := e.token(bob)
	calls := len(e.sim.Sim.Requests())
	setsBefore := e.users.setCount()

	routes := []struct {
		name   string
		b      *browser
		method string
		path   string
		form   url.Values
	}{
		{"pending two-step page", pending, http.MethodGet, p.TwoStep, nil},
		{"pending push", pending, http.MethodPost, p.TwoStep, url.Values{}},
		{"pending push with code", pending, http.MethodPost, p.TwoStep, url.Values{"otp": {"123456"}}},
		{"pending callback", pending, http.MethodGet, p.Callback + "?token=" + url.QueryEscape(token), nil},
		{"pending logout", pending, http.MethodPost, p.Logout, url.Values{}},
		{"verified enable", verified, http.MethodPost, p.Enable, url.Values{}},
		{"verified enable status", verified, http.MethodGet, p.EnableStatus, nil},
		{"verified disable", verified, http.MethodPost, p.Disable, url.Values{}},
		{"verified logout", verified, http.MethodPost, p.Logout, url.Values{}},
	}
	rev.down.Store(true)
	for _, rt := range routes {
		for _, api := range []bool{false, true} {
			name := rt.name
			hdr := map[string]string{}
			if api {
				name += " (JSON)"
				hdr["Accept"] = "application/json"
			}
			t.Run(name, func(t *testing.T) {
				b := rt.b
				var r result
				if rt.method == http.MethodPost {
					b2 := b.clone()
					r = b2.doForm(rt.path, rt.form, hdr)
				} else {
					r = b.do(rt.method, rt.path, nil, hdr)
				}
				require.NoError(t, r.err)
				assert.Equal(t, http.StatusServiceUnavailable, r.code, r.String())
				assert.Empty(t, r.hdr.Values("Set-Cookie"), "no session change")
				assert.Empty(t, r.loc, "no redirect")
				assert.Equal(t, "no-store", r.hdr.Get("Cache-Control"))
				assert.NotEmpty(t, r.hdr.Get("Retry-After"))
				if api || rt.path == p.EnableStatus { // the status route speaks JSON only
					var body struct {
						Error struct{ Code, Message string }
					}
					require.NoError(t, json.Unmarshal([]byte(r.body), &body), r.body)
					assert.Equal(t, "session_unavailable", body.Error.Code)
					assert.Contains(t, body.Error.Message, "Nothing was changed")
				} else {
					assert.Contains(t, r.body, `data-code="session_unavailable"`)
					assert.Contains(t, r.body, "Sign-in is temporarily unavailable")
					assert.Contains(t, r.body, "Nothing was changed")
				}
			})
		}
	}
	assert.Equal(t, calls, len(e.sim.Sim.Requests()), "UNLOQ was not called")
	assert.Equal(t, setsBefore, e.users.setCount(), "the store was not changed")
	ev, ok := e.events.last(handlers.EventFailed)
	require.True(t, ok)
	assert.ErrorIs(t, ev.Err, session.ErrRevocation, "the cause stays reachable")

	// The code using the Handlers directly fails closed too.
	// (LogIn while the store cannot answer: an error, no cookie.)
	r := pending.clone().doForm("/login", url.Values{"user_id": {"1"}}, nil)
	assert.Equal(t, http.StatusServiceUnavailable, r.code, r.String())
	assert.Empty(t, r.hdr.Values("Set-Cookie"))

	rev.down.Store(false)
	pending.assertPendingUnchanged(pendingBefore)
	assert.Equal(t, verifiedBefore, verified.state())
}
