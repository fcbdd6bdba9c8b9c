package unloqtest_test

import (
	"log/slog"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/unloq/unloqtest"
)

// TestWithLoggerNil: as everywhere in the module, a nil logger is an
// error (leave WithLogger out to stay silent).
func TestWithLoggerNil(t *testing.T) {
	_, err := unloqtest.New(unloqtest.WithLogger(nil))
	require.EqualError(t, err, "unloqtest: WithLogger: nil logger")
	sim, err := unloqtest.New(unloqtest.WithLogger(slog.New(slog.DiscardHandler)))
	require.NoError(t, err)
	require.NotNil(t, sim)
	sim.Close()
}
