package unloqtest_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/unloq"
	"github.com/unloq2fa/unloq2fa/unloq/unloqtest"
)

// TestLookAlikeAddressesAreOtherProfiles: the simulator folds only ASCII
// letters when it looks a profile up by e-mail. An address that Unicode
// case folding (or trimming) would turn into a victim's address is another
// profile: it is not enrolled, its pushes never reach the victim's phone,
// and the victim's scripted phone does not answer for it.
func TestLookAlikeAddressesAreOtherProfiles(t *testing.T) {
	const victim = "kate@example.test"
	tests := []struct {
		name, email string
	}{
		{"Kelvin sign K (U+212A)", "\u212Aate@example.test"},
		{"long s (U+017F)", "kate@exam\u017Fple.test"},
		{"dotted capital I (U+0130)", "kate@example.\u0130est"},
		{"fullwidth letters", "\uFF4Bate@example.test"},
		{"no-break space around", "\u00A0kate@example.test\u00A0"},
	}
	srv := unloqtest.NewServer(t, unloqtest.WithApprovalTimeout(300*time.Millisecond))
	c := srv.Client(t)
	enrollScanned(t, srv, c, victim)
	require.NoError(t, srv.Sim.SetBehavior(victim, unloqtest.BehaviorApprove))

	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// Enrolled status: the look-alike is not the victim.
			r := raw(t, srv, http.MethodGet, "/v1/enrolled?email="+url.QueryEscape(tc.email), "", "")
			if r.Status == http.StatusOK {
				assert.Equal(t, false, r.result(t)["enrolled"], "look-alike %q counted as enrolled", tc.email)
			}
			// A push for the look-alike must not reach the victim's phone.
			before := len(srv.Sim.Approvals(victim, ""))
			r = rawJSON(t, srv, "/v1/authenticate", map[string]any{"email": tc.email})
			assert.NotEqual(t, http.StatusOK, r.Status, "look-alike %q authenticated: %s", tc.email, r.Body)
			assert.Len(t, srv.Sim.Approvals(victim, ""), before, "a push for %q reached the victim", tc.email)
			// Control-plane lookups do not mix them up either.
			assert.Empty(t, srv.Sim.Approvals(tc.email, ""))
			_, err := srv.Sim.OTP(tc.email)
			assert.Error(t, err, "OTP of the victim returned for %q", tc.email)
			assert.Equal(t, unloqtest.BehaviorManual, srv.Sim.Behavior(tc.email))
		})
	}

	// Enrolling a look-alike creates a distinct profile with its own id.
	for _, tc := range tests[:4] {
		res, err := c.Enroll(ctx(t), unloq.EnrollRequest{Email: tc.email})
		require.NoError(t, err, tc.email)
		assert.False(t, res.Exists, "%q reused the victim's profile", tc.email)
		assert.NotEmpty(t, res.QRURL)
	}
	enrolled, err := c.Enrolled(ctx(t), victim)
	require.NoError(t, err)
	assert.True(t, enrolled, "enrolling look-alikes left the victim enrolled")

	// ASCII case differences still name the same profile.
	enrolled, err = c.Enrolled(ctx(t), "KATE@Example.TEST")
	require.NoError(t, err)
	assert.True(t, enrolled)
}
