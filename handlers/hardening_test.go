package handlers_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/handlers"
	"github.com/unloq2fa/unloq2fa/unloq/unloqtest"
)

// TestLongNextIsDropped: a next that passes the URL check but is longer
// than the pending login keeps (512 bytes) is dropped, not an error: the
// login works and ends on AfterLogin. (A next of 2,004–2,048 bytes made
// PasswordVerified fail, so the user could not log in.)
func TestLongNextIsDropped(t *testing.T) {
	for _, n := range []int{512, 513, 2004, 2030, 2048} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			e := newEnv(t)
			e.behave(alice, unloqtest.BehaviorApprove)
			next := "/" + strings.Repeat("a", n-1)
			b := e.browser()
			r := b.post("/login", url.Values{"user_id": {"1"}, "next": {next}})
			require.Equal(t, http.StatusSeeOther, r.code, "next of %d bytes: %s", n, r)
			require.Equal(t, "/login/two-step", r.loc)
			r = b.post("/login/two-step", nil)
			require.Equal(t, http.StatusSeeOther, r.code, r.String())
			if n <= handlers.MaxNextLen {
				assert.Equal(t, next, r.loc, "a next of %d bytes is kept", n)
			} else {
				assert.Equal(t, "/", r.loc, "a next of %d bytes falls back to AfterLogin", n)
			}
		})
	}
}
