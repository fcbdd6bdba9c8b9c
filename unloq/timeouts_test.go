package unloq_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/unloq"
)

func TestClientTimeoutAccessors(t *testing.T) {
	c, err := unloq.NewClient("key-0123456789")
	require.NoError(t, err)
	assert.Equal(t, 45*time.Second, c.ApprovalTimeout())
	assert.Equal(t, 10*time.Second, c.CallTimeout())

	c, err = unloq.NewClient("key-0123456789", unloq.WithApprovalTimeout(3*time.Minute), unloq.WithCallTimeout(2*time.Second))
	require.NoError(t, err)
	assert.Equal(t, 3*time.Minute, c.ApprovalTimeout())
	assert.Equal(t, 2*time.Second, c.CallTimeout())
}
