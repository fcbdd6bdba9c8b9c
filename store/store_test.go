package store_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/store"
)

func TestValidateSecondFactor(t *testing.T) {
	tests := []struct {
		value string
		ok    bool
	}{
		{"", true},
		{"UNLOQ", true},
		{"unloq", false},
		{"Unloq", false},
		{" UNLOQ", false},
		{"UNLOQ ", false},
		{"UNLOQ\x00", false},
		{"OTP", false},
		{"NULL", false},
		{" ", false},
	}
	for _, tc := range tests {
		t.Run(tc.value, func(t *testing.T) {
			err := store.ValidateSecondFactor(tc.value)
			if tc.ok {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.ErrorIs(t, err, store.ErrInvalidSecondFactor)
			assert.NotErrorIs(t, err, store.ErrUserNotFound)
			var typed *store.InvalidSecondFactorError
			require.ErrorAs(t, err, &typed)
			assert.Equal(t, tc.value, typed.Value)
		})
	}
}

func TestInvalidSecondFactorErrorText(t *testing.T) {
	tests := []struct {
		name string
		err  *store.InvalidSecondFactorError
		want string
	}{
		{"no op", &store.InvalidSecondFactorError{Value: "otp"},
			`store: invalid second factor "otp" (want "" or "UNLOQ")`},
		{"op", &store.InvalidSecondFactorError{Op: "sql: set second factor", Value: "x"},
			`store: sql: set second factor: invalid second factor "x" (want "" or "UNLOQ")`},
		{"long value truncated", &store.InvalidSecondFactorError{Value: strings.Repeat("a", 100)},
			`store: invalid second factor "` + strings.Repeat("a", 32) + `…" (want "" or "UNLOQ")`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, tc.err.Error())
		})
	}
	assert.True(t, errors.Is(&store.InvalidSecondFactorError{}, store.ErrInvalidSecondFactor))
	assert.False(t, errors.Is(&store.InvalidSecondFactorError{}, store.ErrUserNotFound))
	assert.Equal(t, "store: user not found", store.ErrUserNotFound.Error())
}
