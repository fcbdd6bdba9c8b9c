package handlers_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/handlers"
	"github.com/unloq2fa/unloq2fa/store"
)

// sam's address has an "s" and a "k": Unicode case folding takes U+017F
// (long s) for "s" and U+212A (Kelvin sign) for "k".
const sam = "sam.kirk@example.com"

// lookalikes are addresses that another person can own (another account
// in the app, another UNLOQ profile) but that Unicode folding, trimming or
// normalisation would take for sam's.
var lookalikes = map[string]string{
	"long s":                      "\u017fam.kirk@example.com",
	"Kelvin sign":                 "sam.\u212airk@example.com",
	"long s and Kelvin sign":      "\u017fam.\u212airk@example.com",
	"fullwidth letters":           "\uff53\uff41\uff4d.kirk@example.com",
	"combining dot below":         "s\u0323am.kirk@example.com",
	"combining mark at the end":   sam + "\u0301",
	"trailing dot":                sam + ".",
	"trailing no-break space":     sam + "\u00a0",
	"trailing ideographic space":  sam + "\u3000",
	"leading no-break space":      "\u00a0" + sam,
	"zero-width space":            "sam.kirk\u200b@example.com",
	"dotless i":                   "sam.k\u0131rk@example.com",
	"capital I with dot":          "sam.k\u0130rk@example.com",
	"mathematical bold s":         "\U0001d42cam.kirk@example.com",
	"Cyrillic a":                  "s\u0430m.kirk@example.com",
	"trailing NUL":                sam + "\x00",
	"upper-case long s in domain": "sam.kirk@example.com\u017f",
}

// tokenFor is a /v1/token reply for email.
func tokenFor(email string) http.HandlerFunc {
	body, _ := json.Marshal(map[string]any{"result": map[string]any{
		"approval_id": "a", "unloq_id": "77", "email": email, "method": "UNLOQ",
	}})
	return rawReply(200, string(body))
}

// TestAttackLookalikeEmail: a token whose e-mail only looks like the
// pending user's (another account, another UNLOQ profile) must not pass
// the second factor, on the callback or the push path. This was a bypass:
// the e-mails were compared with strings.EqualFold after
// strings.TrimSpace.
func TestAttackLookalikeEmail(t *testing.T) {
	for name, other := range lookalikes {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			require.NotEqual(t, sam, other)
			for _, path := range []string{"callback", "push"} {
				stub := &scriptedUNLOQ{token: tokenFor(other)}
				e := newScriptedEnv(t, stub, withHandlerOpts(handlers.WithWidgetKey("wk"), handlers.WithMode(handlers.ModeBoth)))
				require.NoError(t, e.users.Put(context.Background(), storeUser("6", sam, true)))
				b := e.browser()
				b.login("6", "/x")
				before := b.state()
				var r result
				if path == "callback" {
					r = b.get("/uauth/login?token=AU" + strings.Repeat("Q", 40))
				} else {
					r = b.post("/login/two-step", nil)
				}
				assert.Equal(t, http.StatusForbidden, r.code, "%s: %s", path, r)
				assertNotCompleted(t, e, b, before, r)
				ev, ok := e.events.last(handlers.EventFailed)
				require.True(t, ok)
				assert.ErrorIs(t, ev.Err, handlers.CodeWrongUser, path)
			}
		})
	}
}

// TestLookalikeEmailInStore: the store's current e-mail of the user is
// compared with the session's as exactly as the token's.
func TestLookalikeEmailInStore(t *testing.T) {
	for name, other := range lookalikes {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			stub := &scriptedUNLOQ{token: tokenFor(other)}
			e := newScriptedEnv(t, stub)
			require.NoError(t, e.users.Put(context.Background(), storeUser("6", sam, true)))
			b := e.browser()
			b.login("6", "/x")
			before := b.state()
			require.NoError(t, e.users.Put(context.Background(), storeUser("6", other, true)))
			r := b.post("/login/two-step", nil)
			assert.Equal(t, http.StatusForbidden, r.code, r.String())
			assert.Zero(t, stub.authCalls.Load(), "no push to the new address")
			assertNotCompleted(t, e, b, before, r)
		})
	}
}

// TestEmailASCIICaseAndSpaces: ASCII letters may differ in case and ASCII
// white space around the address is ignored; nothing else.
func TestEmailASCIICaseAndSpaces(t *testing.T) {
	for _, variant := range []string{sam, "SAM.KIRK@EXAMPLE.COM", "Sam.Kirk@Example.com", " " + sam + "\t"} {
		t.Run(variant, func(t *testing.T) {
			stub := &scriptedUNLOQ{token: tokenFor(variant)}
			e := newScriptedEnv(t, stub)
			require.NoError(t, e.users.Put(context.Background(), storeUser("6", sam, true)))
			b := e.browser()
			b.login("6", "/x")
			r := b.post("/login/two-step", nil)
			require.Equal(t, http.StatusSeeOther, r.code, r.String())
			assert.Equal(t, "verified", b.state().State)
		})
	}
}

// TestAttackLookalikeEmailDisable: turning two-step off checks the
// approval's e-mail as exactly as the login does.
func TestAttackLookalikeEmailDisable(t *testing.T) {
	for _, name := range []string{"long s", "Kelvin sign", "trailing no-break space"} {
		t.Run(name, func(t *testing.T) {
			var reply atomic.Pointer[http.HandlerFunc]
			ok := tokenFor(sam)
			reply.Store(&ok)
			stub := &scriptedUNLOQ{token: func(w http.ResponseWriter, r *http.Request) { (*reply.Load())(w, r) }}
			e := newScriptedEnv(t, stub)
			require.NoError(t, e.users.Put(context.Background(), storeUser("6", sam, true)))
			b := e.browser()
			b.loginVerified("6", sam)
			other := tokenFor(lookalikes[name])
			reply.Store(&other)
			r := b.post("/settings/2fa/disable", nil)
			assert.Equal(t, http.StatusForbidden, r.code, r.String())
			assert.Equal(t, store.SecondFactorUNLOQ, e.user("6").SecondFactor, "two-step stays on")
		})
	}
}
