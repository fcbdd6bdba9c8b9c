package unloqtest_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/internal/testenv"
	"github.com/unloq2fa/unloq2fa/unloq/unloqtest"
)

// nodeClientDir holds package.json pinning npm unloq@0.9.4 and test.js.
const nodeClientDir = "nodeclient"

// TestOfficialNodeClient runs UNLOQ's official Node client (unloq@0.9.4)
// against the simulator: an approved authenticate (with ?events=true and
// x-requested-with), a token exchange with a sid, a denial, APPROVAL.TOKEN
// without the OTP and success with it. It needs node and
// `npm ci --prefix unloq/unloqtest/nodeclient`; it skips without them
// unless CI=true, where it fails.
func TestOfficialNodeClient(t *testing.T) {
	node, err := exec.LookPath("node")
	_, modErr := os.Stat(filepath.Join(nodeClientDir, "node_modules", "unloq", "package.json"))
	testenv.Require(t, err == nil && modErr == nil,
		"node or the npm modules are missing: install Node.js and run `npm ci --prefix unloq/unloqtest/nodeclient`")
	tests := []struct {
		name string
		opts []unloqtest.Option
	}{
		{"plain JSON", nil},
		{"with keep-alive pings", []unloqtest.Option{unloqtest.WithPings(20 * time.Millisecond)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			const email = "node@example.test"
			srv := unloqtest.NewServer(t, append([]unloqtest.Option{unloqtest.WithApprovalTimeout(10 * time.Second)}, tc.opts...)...)
			enrollScanned(t, srv, srv.Client(t), email)

			c, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			cmd := exec.CommandContext(c, node, "test.js", srv.URL, srv.Sim.APIKey(), email)
			cmd.Dir = nodeClientDir
			out, err := cmd.CombinedOutput()
			t.Logf("node test.js:\n%s", out)
			require.NoError(t, err)
			s := string(out)
			for _, want := range []string{
				`AUTH_OK unloq_id=\d+ token_len=1[2-9]\d`,
				`TOKEN_OK email=node@example\.test method=UNLOQ ip_source=203\.0\.113\.5 token_type=AUTHENTICATE`,
				`REUSE_REFUSED code=ACCESS_TOKEN\.INVALID`,
				`DENIED code=DENIED status=400`,
				`TOKEN_REQUIRED code=APPROVAL\.TOKEN status=400`,
				`OTP_OK token_len=1[2-9]\d`,
				`SESSION_OK result=\{\}`,
				`GENERATE_OK unloq_id=\d+`,
				`ALL OK`,
			} {
				assert.Regexp(t, regexp.MustCompile(want), s)
			}

			// What the official client put on the wire.
			var sawEvents, sawXRW bool
			for _, r := range srv.Sim.Requests() {
				if strings.HasPrefix(r.Path, "/v1/authenticate?events=true") {
					sawEvents = true
				}
				if r.Header.Get("X-Requested-With") == "node-unloq" && r.Header.Get("Authorization") == "Bearer "+srv.Sim.APIKey() {
					sawXRW = true
				}
			}
			assert.True(t, sawEvents, "the client sent ?events=true")
			assert.True(t, sawXRW, "the client sent Bearer and x-requested-with")
		})
	}
}
