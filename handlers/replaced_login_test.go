package handlers_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/handlers"
	"github.com/unloq2fa/unloq2fa/handlers/guard"
)

// TestAttackReplacedLoginSurvivesLogout: a push sent for login L1 is still
// waiting on the phone when the password step runs again in the same
// browser (login L2), and the user then logs out. Approving L1 afterwards
// must not log the browser in: starting L2 retired L1. (It did not: only
// the current login was retired at logout, and L1's late approval set a
// verified cookie.)
func TestAttackReplacedLoginSurvivesLogout(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.login("1", "/x")
	l1 := b.state()
	pending := make(chan result, 1)
	go func() { pending <- b.clone().post("/login/two-step", nil) }()
	a := e.waitApproval(alice)

	b.login("1", "/y") // the password step again: L2
	require.NotEqual(t, l1.LoginID, b.state().LoginID)
	r := b.post("/_test/logout", nil)
	require.Equal(t, http.StatusNoContent, r.code, r.String())

	require.NoError(t, e.sim.Sim.Approve(a.ID))
	r = <-pending
	assert.Equal(t, http.StatusConflict, r.code, r.String())
	assert.Empty(t, r.loc, "no redirect onwards")
	assert.Empty(t, r.hdr.Values("Set-Cookie"), "the late approval sets no cookie")
	assert.Equal(t, "anonymous", b.state().State)
	_, approved := e.events.last(handlers.EventApproved)
	assert.False(t, approved, "no approved event")
	ev, ok := e.events.last(handlers.EventFailed)
	require.True(t, ok)
	assert.ErrorIs(t, ev.Err, handlers.CodeReplayed)
}

// TestReplacedLoginRetiredWithoutLogout: even without a logout, the
// replaced login L1 can no longer complete, while L2 can.
func TestReplacedLoginRetiredWithoutLogout(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.login("1", "/x")
	old := b.clone()
	old.c = &http.Client{Jar: newJarCopy(t, b, e), CheckRedirect: b.c.CheckRedirect}
	b.login("1", "/y")

	e.behave(alice, "approve")
	r := old.post("/login/two-step", nil)
	assert.Equal(t, http.StatusConflict, r.code, r.String())
	assert.Equal(t, "pending", old.state().State)

	r = b.post("/login/two-step", nil)
	require.Equal(t, http.StatusSeeOther, r.code, r.String())
	assert.Equal(t, "/y", r.loc)
	assert.Equal(t, "verified", b.state().State)
}

// markFailGuard is a working Guard whose MarkUsed can be made to fail.
type markFailGuard struct {
	guard.Guard
	fail atomic.Bool
}

func (g *markFailGuard) MarkUsed(ctx context.Context, key guard.Key, ttl time.Duration) (bool, error) {
	if g.fail.Load() {
		return false, errors.New("guard backend down")
	}
	return g.Guard.MarkUsed(ctx, key, ttl)
}

// TestReplacingLoginFailsClosedOnGuardError: when the replaced login
// cannot be retired, the new password step fails (CodeGuard) and the
// session keeps the old login.
func TestReplacingLoginFailsClosedOnGuardError(t *testing.T) {
	mem, err := guard.NewMemory()
	require.NoError(t, err)
	g := &markFailGuard{Guard: mem}
	e := newEnv(t, withHandlerOpts(handlers.WithGuard(g)))
	b := e.browser()
	b.login("1", "/x")
	before := b.state()
	g.fail.Store(true)
	r := b.post("/login", url.Values{"user_id": {"1"}, "next": {"/y"}})
	assert.GreaterOrEqual(t, r.code, 500, r.String())
	assert.Empty(t, r.hdr.Values("Set-Cookie"))
	b.assertPendingUnchanged(before)
}

// countingGuard is a guard.Memory that counts the replay records written
// per kind.
type countingGuard struct {
	guard.Guard
	mu    sync.Mutex
	marks map[string]int
}

func (g *countingGuard) MarkUsed(ctx context.Context, key guard.Key, ttl time.Duration) (bool, error) {
	g.mu.Lock()
	g.marks[key.Kind]++
	g.mu.Unlock()
	return g.Guard.MarkUsed(ctx, key, ttl)
}

func (g *countingGuard) count(kind string) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.marks[kind]
}

// TestLoginDoneOnlyForPendingLogins: a login-done record is written when
// a pending login completes, is logged out or is replaced, never for the
// logout of a verified login or of a password-only one (each logout used
// to leave a record, filling the Guard).
func TestLoginDoneOnlyForPendingLogins(t *testing.T) {
	mem, err := guard.NewMemory()
	require.NoError(t, err)
	g := &countingGuard{Guard: mem, marks: map[string]int{}}
	e := newEnv(t, withHandlerOpts(handlers.WithGuard(g)))

	// Password only (carol has no second factor), then logout: nothing.
	c := e.browser()
	c.loginVerified("3", carol)
	logout(t, c)
	assert.Zero(t, g.count("login-done"))

	// A pending login completes: one record (it may complete once)…
	e.behave(alice, "approve")
	b := e.browser()
	b.login("1", "/x")
	r := b.post("/login/two-step", nil)
	require.Equal(t, http.StatusSeeOther, r.code, r.String())
	assert.Equal(t, 1, g.count("login-done"))
	// …and its logout, now verified, writes none.
	logout(t, b)
	assert.Equal(t, 1, g.count("login-done"))

	// A pending login logged out: one record.
	p := e.browser()
	p.login("1", "/x")
	logout(t, p)
	assert.Equal(t, 2, g.count("login-done"))
}

func logout(t *testing.T, b *browser) {
	t.Helper()
	r := b.post("/_test/logout", nil)
	require.Equal(t, http.StatusNoContent, r.code, r.String())
}
