package handlers_test

import (
	"encoding/json"
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

// TestSecretsNeverLogged runs every flow, with failures, and checks that
// no token, OTP, API key or cookie shows up in the log or in an event.
func TestSecretsNeverLogged(t *testing.T) {
	e := newEnv(t)
	var otps, cookies []string

	// Login: denial, wrong OTP, right OTP.
	b := e.browser()
	b.login("1", "/x")
	e.behave(alice, unloqtest.BehaviorDeny)
	b.post("/login/two-step", nil)
	otp, err := e.sim.Sim.OTP(alice)
	require.NoError(t, err)
	wrong := fmt.Sprintf("%06d", (atoi(otp)+1)%1000000)
	otps = append(otps, wrong)
	b.post("/login/two-step", url.Values{"otp": {wrong}})
	e.behave(alice, unloqtest.BehaviorApprove)
	otp, err = e.sim.Sim.OTP(alice)
	require.NoError(t, err)
	otps = append(otps, otp)
	require.Equal(t, http.StatusSeeOther, b.post("/login/two-step", url.Values{"otp": {otp}}).code)

	// Widget callback: success, replay, wrong user, malformed.
	b2 := e.browser()
	b2.login("1", "/y")
	tok := e.token(alice)
	require.Equal(t, http.StatusSeeOther, b2.get("/uauth/login?token="+tok).code)
	b3 := e.browser()
	b3.login("1", "/y")
	b3.get("/uauth/login?token=" + tok)
	b3.get("/uauth/login?token=" + e.token(bob))
	junk := "AU" + strings.Repeat("q", 60) + "<x>"
	b3.get("/uauth/login?token=" + url.QueryEscape(junk))

	// Settings: enroll dave, disable alice after a denial.
	d := e.browser()
	d.loginVerified("4", dave)
	d.post("/settings/2fa/enable", nil)
	require.NoError(t, e.sim.Sim.Scan(dave))
	e.behave(dave, unloqtest.BehaviorApprove)
	require.Equal(t, http.StatusSeeOther, d.post("/settings/2fa/enable", confirm).code)
	e.behave(alice, unloqtest.BehaviorDeny)
	b.post("/settings/2fa/disable", nil)
	e.behave(alice, unloqtest.BehaviorApprove)
	otp, err = e.sim.Sim.OTP(alice)
	require.NoError(t, err)
	otps = append(otps, otp)
	require.Equal(t, http.StatusSeeOther, b.post("/settings/2fa/disable", url.Values{"otp": {otp}}).code)

	// Every token UNLOQ handed out went through /v1/token.
	var tokens []string
	for _, rq := range e.sim.Sim.Requests() {
		if strings.HasPrefix(rq.Path, "/v1/token") {
			var body struct {
				Token string `json:"token"`
			}
			require.NoError(t, json.Unmarshal(rq.Body, &body))
			tokens = append(tokens, body.Token)
		}
	}
	require.GreaterOrEqual(t, len(tokens), 5)
	tokens = append(tokens, junk)
	for _, br := range []*browser{b, b2, b3, d} {
		for _, c := range br.c.Jar.Cookies(mustURL(t, e.app.URL)) {
			cookies = append(cookies, c.Value)
		}
	}
	require.NotEmpty(t, cookies)

	logs := e.logs.String()
	require.Contains(t, logs, "unloq2fa login approved", "the logger is in use")
	var evText strings.Builder
	for _, ev := range e.events.all() {
		fmt.Fprintf(&evText, "%+v %#v\n", ev, ev)
		if ev.Err != nil {
			evText.WriteString(ev.Err.Error() + "\n")
		}
	}
	require.Contains(t, evText.String(), "denied")
	for _, s := range append(append(append([]string{testAPIKey}, tokens...), otps...), cookies...) {
		require.NotEmpty(t, s)
		assert.NotContains(t, logs, s)
		assert.NotContains(t, evText.String(), s)
	}
	// OTP digits are short; also make sure no "otp=" or "token" values leak.
	assert.NotContains(t, logs, "otp=")
}

func TestEventsCarryUserFlowAndIP(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.login("1", "")
	e.behave(alice, unloqtest.BehaviorApprove)
	require.Equal(t, http.StatusSeeOther, b.post("/login/two-step", nil).code)
	ev, ok := e.events.last(handlers.EventApproved)
	require.True(t, ok)
	assert.Equal(t, "1", ev.UserID)
	assert.Equal(t, handlers.FlowLogin, ev.Flow)
	assert.Equal(t, "127.0.0.1", ev.IP)
	assert.False(t, ev.Time.IsZero())
	assert.NoError(t, ev.Err)
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}

func mustURL(t *testing.T, raw string) *url.URL {
	u, err := url.Parse(raw)
	require.NoError(t, err)
	return u
}
