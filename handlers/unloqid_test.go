package handlers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/handlers"
	"github.com/unloq2fa/unloq2fa/unloq/unloqtest"
)

// tokenAs is a /v1/token reply for email with the given unloq_id, set per
// step of a test.
type tokenAs struct {
	mu             sync.Mutex
	email, unloqID string
}

func (ta *tokenAs) set(email, id string) {
	ta.mu.Lock()
	ta.email, ta.unloqID = email, id
	ta.mu.Unlock()
}

func (ta *tokenAs) reply(w http.ResponseWriter, r *http.Request) {
	ta.mu.Lock()
	res := map[string]any{"approval_id": "a", "email": ta.email, "method": "UNLOQ"}
	if ta.unloqID != "" {
		res["unloq_id"] = ta.unloqID
	}
	ta.mu.Unlock()
	body, _ := json.Marshal(map[string]any{"result": res})
	rawReply(200, string(body))(w, r)
}

// TestAttackForeignUnloqIDSameEmail: a token for the pending user's exact
// e-mail but another UNLOQ account (unloq_id) is refused once the store
// knows the user's unloq_id, on the push and the callback path.
func TestAttackForeignUnloqIDSameEmail(t *testing.T) {
	ta := &tokenAs{}
	var n atomic.Int32
	stub := &scriptedUNLOQ{token: ta.reply, authenticate: func(w http.ResponseWriter, r *http.Request) {
		tok := fmt.Sprintf("AU%060d", n.Add(1)) // a fresh token per push
		rawReply(200, `{"result":{"unloq_id":"1","token":"`+tok+`"}}`)(w, r)
	}}
	e := newScriptedEnv(t, stub, withHandlerOpts(handlers.WithWidgetKey("wk"), handlers.WithMode(handlers.ModeBoth)))
	ctx := context.Background()

	// The first approval is remembered.
	ta.set(alice, "1001")
	b := e.browser()
	b.login("1", "/x")
	r := b.post("/login/two-step", nil)
	require.Equal(t, http.StatusSeeOther, r.code, r.String())
	assert.Equal(t, "1001", e.user("1").UnloqID)

	// Later: same e-mail, another UNLOQ account.
	for _, foreign := range []string{"1002", "01001", ""} {
		ta.set(alice, foreign)
		for _, path := range []string{"push", "callback"} {
			b := e.browser()
			b.login("1", "/x")
			before := b.state()
			if path == "push" {
				r = b.post("/login/two-step", nil)
			} else {
				r = b.get("/uauth/login?token=AU" + strings.Repeat("F", 40) + path + foreign)
			}
			assert.Equal(t, http.StatusForbidden, r.code, "%s %q: %s", path, foreign, r)
			assert.Empty(t, r.loc, "no redirect onwards")
			b.assertPendingUnchanged(before)
			ev, ok := e.events.last(handlers.EventFailed)
			require.True(t, ok)
			assert.ErrorIs(t, ev.Err, handlers.CodeWrongUser, "%s %q", path, foreign)
			assert.Equal(t, "1001", e.user("1").UnloqID, "the remembered id is kept")
		}
	}

	// The right account still gets in.
	ta.set(alice, "1001")
	b = e.browser()
	b.login("1", "/x")
	r = b.post("/login/two-step", nil)
	require.Equal(t, http.StatusSeeOther, r.code, r.String())

	// A store error while binding fails closed.
	require.NoError(t, e.users.SetUnloqID(ctx, "1", ""))
	b = e.browser()
	b.login("1", "/x")
	e.users.failUser(assert.AnError)
	r = b.post("/login/two-step", nil)
	assert.GreaterOrEqual(t, r.code, 400, r.String())
	e.users.failUser(nil)
	assert.Empty(t, e.user("1").UnloqID)
}

// TestUnloqIDRememberedFromSimulator: against the simulator, the first
// push login stores the profile's unloq_id, and later logins compare it.
func TestUnloqIDRememberedFromSimulator(t *testing.T) {
	e := newEnv(t)
	assert.Empty(t, e.user("1").UnloqID)
	b := e.browser()
	b.loginVerified("1", alice)
	aps := e.sim.Sim.Approvals(alice, "")
	require.NotEmpty(t, aps)
	want := aps[len(aps)-1].UnloqID
	require.NotEmpty(t, want)
	assert.Equal(t, want, e.user("1").UnloqID)

	// The store holds another id (another UNLOQ account): the simulator's
	// token for alice's address is refused.
	require.NoError(t, e.users.SetUnloqID(context.Background(), "1", want+"9"))
	e.behave(alice, unloqtest.BehaviorApprove)
	b = e.browser()
	b.login("1", "/x")
	r := b.post("/login/two-step", nil)
	assert.Equal(t, http.StatusForbidden, r.code, r.String())
	assert.Equal(t, want+"9", e.user("1").UnloqID)
}
