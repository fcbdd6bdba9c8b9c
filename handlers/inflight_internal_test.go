package handlers

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/session"
	"github.com/unloq2fa/unloq2fa/store"
	"github.com/unloq2fa/unloq2fa/unloq"
)

// TestInFlightOutlivesApprovalTimeout: the in-flight marker of a push
// outlives the longest approval the client may wait for, whatever its
// approval timeout (a fixed 2-minute marker let a second push start while
// a 5-minute approval was still waiting), and the guarded work ends before
// the marker can expire.
func TestInFlightOutlivesApprovalTimeout(t *testing.T) {
	sm, err := session.NewManager(session.WithKeys(bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)))
	require.NoError(t, err)
	for _, approval := range []time.Duration{30 * time.Second, 5 * time.Minute, time.Hour} {
		cl, err := unloq.NewClient("key", unloq.WithApprovalTimeout(approval), unloq.WithCallTimeout(10*time.Second))
		require.NoError(t, err)
		h, err := New(cl, sm, store.NewMemory())
		require.NoError(t, err)
		assert.Greater(t, h.inFlightWork(), approval+2*10*time.Second, "the work covers the approval and the calls around it")
		assert.Greater(t, h.inFlightTTL(), h.inFlightWork(), "the marker outlives the work")
	}
}
