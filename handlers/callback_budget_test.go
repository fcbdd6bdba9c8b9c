package handlers_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/handlers"
)

// bogusToken is a well-formed token UNLOQ does not know.
func bogusToken(i int) string { return "AU" + strings.Repeat(string(rune('a'+i%26)), 40) }

// TestAttackCallbackBudgetLockout: someone who knows the password (their
// own pending login) sends bogus, well-formed tokens to the callback until
// refused. The owner's own widget login still completes. (Failures were
// charged only per user: five bogus tokens locked the owner out.)
func TestAttackCallbackBudgetLockout(t *testing.T) {
	e := newEnv(t, withHandlerOpts(handlers.WithWidgetKey("sim-widget-key"), handlers.WithPushLimit(5, time.Minute)))
	attacker := e.browser()
	attacker.login("1", "/x")
	limited := false
	for i := range 10 {
		r := attacker.get("/uauth/login?token=" + bogusToken(i))
		require.GreaterOrEqual(t, r.code, 400, r.String())
		if r.code == http.StatusTooManyRequests {
			limited = true
			break
		}
	}
	assert.True(t, limited, "the attacker's login is limited")
	tokenCalls := e.countRequests("/v1/token")
	assert.LessOrEqual(t, tokenCalls, 5, "UNLOQ saw at most the budget")

	owner := e.browser()
	owner.login("1", "/dashboard")
	r := owner.get("/uauth/login?token=" + e.token(alice))
	require.Equal(t, http.StatusSeeOther, r.code, r.String())
	assert.Equal(t, "/dashboard", r.loc)
	assert.Equal(t, "verified", owner.state().State)
}

// TestCallbackBudgetPerLoginAndUser: each pending login has its own
// callback budget; failures are charged to the user as well, and once the
// user's budget is spent a login that already failed is refused without
// calling UNLOQ, while a login's first callback still reaches UNLOQ.
func TestCallbackBudgetPerLoginAndUser(t *testing.T) {
	e := newEnv(t, withHandlerOpts(handlers.WithWidgetKey("sim-widget-key"), handlers.WithPushLimit(2, time.Minute)))
	// Login A spends its own budget (2), and with it the user's.
	a := e.browser()
	a.login("1", "/x")
	for i := range 2 {
		r := a.get("/uauth/login?token=" + bogusToken(i))
		assert.NotEqual(t, http.StatusTooManyRequests, r.code, r.String())
	}
	r := a.get("/uauth/login?token=" + bogusToken(3))
	assert.Equal(t, http.StatusTooManyRequests, r.code, r.String())
	calls := e.countRequests("/v1/token")
	assert.Equal(t, 2, calls)

	// Login B: its first callback reaches UNLOQ (and fails), its second
	// is refused because the user's failure budget is spent.
	b := e.browser()
	b.login("1", "/x")
	r = b.get("/uauth/login?token=" + bogusToken(4))
	assert.NotEqual(t, http.StatusTooManyRequests, r.code, r.String())
	assert.Equal(t, calls+1, e.countRequests("/v1/token"))
	r = b.get("/uauth/login?token=" + bogusToken(5))
	assert.Equal(t, http.StatusTooManyRequests, r.code, r.String())
	assert.Equal(t, calls+1, e.countRequests("/v1/token"), "no UNLOQ call once refused")
	ev, ok := e.events.last(handlers.EventFailed)
	require.True(t, ok)
	assert.ErrorIs(t, ev.Err, handlers.CodeRateLimited)

	// Another user is not affected.
	c := e.browser()
	c.login("2", "/y")
	r = c.get("/uauth/login?token=" + e.token(bob))
	assert.Equal(t, http.StatusSeeOther, r.code, r.String())
}
