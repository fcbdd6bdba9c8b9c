package revocation_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/session/revocation"
	"github.com/unloq2fa/unloq2fa/session/revocation/revocationtest"
)

func TestMemoryConformance(t *testing.T) {
	revocationtest.Run(t, func(t *testing.T) revocation.Store {
		m, err := revocation.NewMemory()
		require.NoError(t, err)
		return m
	})
}

// The suite also passes with tiny caps: escalation ends more logins,
// never fewer.
func TestMemoryConformanceTinyCaps(t *testing.T) {
	revocationtest.Run(t, func(t *testing.T) revocation.Store {
		m, err := revocation.NewMemory(revocation.WithMaxLoginsPerUser(2), revocation.WithMaxRecords(50))
		require.NoError(t, err)
		return m
	})
}
