package recovery

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/handlers/guard"
)

// TestServiceWithGuard: WithGuard counts attempts in a guard.Guard, per
// user, so two Services sharing one Guard (two instances of an app) share
// each user's budget.
func TestServiceWithGuard(t *testing.T) {
	g, err := guard.NewMemory()
	require.NoError(t, err)
	codes := NewMemoryStore()
	a := newService(t, codes, WithGuard(g))
	b := newService(t, codes, WithGuard(g))
	ctx := context.Background()
	alice := generate(t, a, "alice")
	bob := generate(t, a, "bob")
	for i := range DefaultAttempts {
		s := a
		if i%2 == 1 {
			s = b
		}
		require.ErrorIs(t, s.Verify(ctx, "alice", otherSecret(alice[0])), ErrWrong, "guess %d", i)
	}
	assert.ErrorIs(t, a.Verify(ctx, "alice", alice[0]), ErrLimited)
	assert.ErrorIs(t, b.Verify(ctx, "alice", alice[0]), ErrLimited, "the budget is shared")
	assert.NoError(t, b.Verify(ctx, "bob", bob[0]), "another user is not limited")

	_, err = New(codes, WithGuard(nil))
	assert.EqualError(t, err, "recovery: WithGuard: nil guard")
}
