package handlers_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestEnableStatusLimitsUNLOQCalls: polling the enrollment status calls
// UNLOQ's /v1/enrolled at most once per user per 2 s, however often the
// route is asked; in between it answers from that user's last result.
// (Every poll used to call UNLOQ.)
func TestEnableStatusLimitsUNLOQCalls(t *testing.T) {
	e := newEnv(t) // the Guard counts in real time: the test waits 2 s
	b := e.browser()
	b.loginVerified("4", dave)
	other := e.browser()
	other.loginVerified("3", carol)
	for _, br := range []*browser{b, other} {
		r := br.post("/settings/2fa/enable", nil)
		require.Equal(t, http.StatusOK, r.code, r.String())
	}
	status := func(br *browser) string {
		t.Helper()
		r := br.get("/settings/2fa/enable/status")
		require.Equal(t, http.StatusOK, r.code, r.String())
		return r.body
	}
	calls := func() int { return e.countRequests("/v1/enrolled") }

	for range 20 {
		assert.JSONEq(t, `{"enrolled":false}`, status(b))
	}
	assert.Equal(t, 1, calls(), "one UNLOQ call for 20 polls")
	// Another user has a budget of its own.
	assert.JSONEq(t, `{"enrolled":false}`, status(other))
	assert.Equal(t, 2, calls())

	// The phone scans: within the 2 s the answer stays the cached one…
	require.NoError(t, e.sim.Sim.Scan(dave))
	time.Sleep(time.Second)
	assert.JSONEq(t, `{"enrolled":false}`, status(b))
	assert.Equal(t, 2, calls())
	// …and the next poll after them asks UNLOQ again.
	time.Sleep(time.Second + 100*time.Millisecond)
	assert.JSONEq(t, `{"enrolled":true}`, status(b))
	assert.Equal(t, 3, calls())
	for range 10 {
		assert.JSONEq(t, `{"enrolled":true}`, status(b), "a positive answer is kept too")
	}
	assert.Equal(t, 3, calls())
}
