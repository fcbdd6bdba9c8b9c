package demo

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRemoteSimulatorRefused: the embedded simulator's control API
// approves anything, so it must not listen beyond loopback unless
// -allow-remote-simulator says so.
func TestRemoteSimulatorRefused(t *testing.T) {
	env := envFrom(nil)
	for _, addr := range []string{"0.0.0.0:8080", ":8080", "192.0.2.10:8080", "[::]:8080", "example.com:8080", "127.0.0.1.example.com:80"} {
		_, err := ParseConfig([]string{"-addr", addr}, env, &bytes.Buffer{})
		require.Error(t, err, addr)
		assert.Contains(t, err.Error(), "approves", addr)
		assert.Contains(t, err.Error(), "-allow-remote-simulator", addr)

		cfg, err := ParseConfig([]string{"-addr", addr, "-allow-remote-simulator"}, env, &bytes.Buffer{})
		require.NoError(t, err, addr)
		assert.True(t, cfg.AllowRemoteSimulator)
	}
	for _, addr := range []string{"127.0.0.1:8080", "127.0.0.2:0", "[::1]:8080", "localhost:8080", "LOCALHOST:1"} {
		_, err := ParseConfig([]string{"-addr", addr}, env, &bytes.Buffer{})
		assert.NoError(t, err, addr)
	}
	// With the real UNLOQ API there is no simulator to protect.
	real := envFrom(map[string]string{EnvAPIKey: "k", EnvWidgetKey: "w"})
	_, err := ParseConfig([]string{"-addr", "0.0.0.0:8080"}, real, &bytes.Buffer{})
	assert.NoError(t, err)
}
