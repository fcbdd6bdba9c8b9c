package store_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/store"
	"github.com/unloq2fa/unloq2fa/store/storetest"
)

func TestMemoryConformance(t *testing.T) {
	storetest.Run(t, storetest.Harness{
		New: func(t *testing.T) store.UserStore { return store.NewMemory() },
		Seed: func(t *testing.T, s store.UserStore, u store.User) {
			t.Helper()
			require.NoError(t, s.(*store.Memory).Put(t.Context(), u))
		},
		UnloqID: true,
	})
}

func TestMemoryPut(t *testing.T) {
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name    string
		ctx     context.Context
		user    store.User
		wantErr error // nil: accepted
		errText string
	}{
		{"plain", context.Background(), store.User{ID: "1", Email: "a@example.com"}, nil, ""},
		{"unloq", context.Background(), store.User{ID: "2", SecondFactor: store.SecondFactorUNLOQ}, nil, ""},
		{"empty id", context.Background(), store.User{Email: "a@example.com"}, nil, "store: memory: put: empty user id"},
		{"invalid second factor", context.Background(), store.User{ID: "3", SecondFactor: "otp"}, store.ErrInvalidSecondFactor,
			`store: memory: put: invalid second factor "otp" (want "" or "UNLOQ")`},
		{"canceled", canceled, store.User{ID: "4"}, context.Canceled, "store: memory: put: context canceled"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := store.NewMemory()
			err := m.Put(tc.ctx, tc.user)
			if tc.wantErr == nil && tc.errText == "" {
				require.NoError(t, err)
				got, err := m.User(context.Background(), tc.user.ID)
				require.NoError(t, err)
				assert.Equal(t, tc.user, got)
				return
			}
			require.EqualError(t, err, tc.errText)
			if tc.wantErr != nil {
				assert.ErrorIs(t, err, tc.wantErr)
			}
			if tc.user.ID != "" {
				_, err = m.User(context.Background(), tc.user.ID)
				assert.ErrorIs(t, err, store.ErrUserNotFound, "a refused Put stores nothing")
			}
		})
	}
}

func TestMemoryPutReplacesAndCopies(t *testing.T) {
	ctx := context.Background()
	m := store.NewMemory()
	u := store.User{ID: "7", Email: "old@example.com", SecondFactor: store.SecondFactorUNLOQ}
	require.NoError(t, m.Put(ctx, u))
	u.Email = "changed-after-put@example.com" // the caller's copy only
	got, err := m.User(ctx, "7")
	require.NoError(t, err)
	assert.Equal(t, "old@example.com", got.Email)

	got.SecondFactor = "" // the returned copy only
	again, err := m.User(ctx, "7")
	require.NoError(t, err)
	assert.Equal(t, store.SecondFactorUNLOQ, again.SecondFactor)

	require.NoError(t, m.Put(ctx, store.User{ID: "7", Email: "new@example.com"}))
	got, err = m.User(ctx, "7")
	require.NoError(t, err)
	assert.Equal(t, store.User{ID: "7", Email: "new@example.com"}, got)
}

func TestMemoryZeroValue(t *testing.T) {
	ctx := context.Background()
	var m store.Memory
	_, err := m.User(ctx, "1")
	assert.ErrorIs(t, err, store.ErrUserNotFound)
	assert.ErrorIs(t, m.SetSecondFactor(ctx, "1", store.SecondFactorUNLOQ), store.ErrUserNotFound)
	require.NoError(t, m.Put(ctx, store.User{ID: "1", Email: "z@example.com"}))
	require.NoError(t, m.SetSecondFactor(ctx, "1", store.SecondFactorUNLOQ))
	u, err := m.User(ctx, "1")
	require.NoError(t, err)
	assert.Equal(t, store.User{ID: "1", Email: "z@example.com", SecondFactor: store.SecondFactorUNLOQ}, u)
}
