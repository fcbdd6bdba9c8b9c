package unloq

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestErrorText(t *testing.T) {
	tests := []struct {
		err  *Error
		want string
	}{
		{&Error{Op: "authenticate", HTTPStatus: 400, Code: "APPROVAL.DENIED", Message: "The user denied"}, "unloq: authenticate: APPROVAL.DENIED (HTTP 400): The user denied"},
		{&Error{Op: "token", Code: codeNetwork, Message: "request failed", Err: errors.New("connection refused")}, "unloq: token: NETWORK.ERROR: request failed: connection refused"},
		{&Error{Op: "enrolled", HTTPStatus: 502, Code: codeServer}, "unloq: enrolled: SERVER.ERROR (HTTP 502)"},
		{ErrDenied, "unloq: APPROVAL.DENIED"},
		{nil, "unloq: <nil>"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, tt.err.Error())
	}
}

func TestErrorIs(t *testing.T) {
	denied := &Error{Op: "authenticate", Code: "APPROVAL.DENIED", HTTPStatus: 400}
	wrapped := fmt.Errorf("login: %w", denied)
	legacy := &Error{Op: "authenticate", Code: "TOKEN_REQUIRED"}
	current := &Error{Op: "authenticate", Code: "APPROVAL.TOKEN"}

	tests := []struct {
		name string
		err  error
		is   error
		want bool
	}{
		{"denied", denied, ErrDenied, true},
		{"wrapped denied", wrapped, ErrDenied, true},
		{"denied is not token", denied, ErrTokenRequired, false},
		{"legacy token required", legacy, ErrTokenRequired, true},
		{"current token required", current, ErrTokenRequired, true},
		{"current matches legacy target", current, &Error{Code: "TOKEN_REQUIRED"}, true},
		{"empty target code", denied, &Error{}, false},
		{"non-Error target", denied, errors.New("APPROVAL.DENIED"), false},
		{"timeout", &Error{Code: "APPROVAL.TIMEOUT"}, ErrApprovalTimeout, true},
		{"network", &Error{Code: codeNetwork, Err: context.Canceled}, ErrNetwork, true},
		{"network unwraps", &Error{Code: codeNetwork, Err: context.Canceled}, context.Canceled, true},
		{"expired", &Error{Code: "ACCESS_TOKEN.EXPIRED"}, ErrTokenExpired, true},
		{"invalid response", &Error{Code: codeInvalidResponse}, ErrInvalidResponse, true},
		{"server", &Error{Code: codeServer}, ErrServer, true},
		{"no device", &Error{Code: "APPROVAL.DEVICE"}, ErrNoDevice, true},
		{"push", &Error{Code: "PUSH.UNREGISTERED"}, ErrPushUnregistered, true},
		{"firewall", &Error{Code: "FIREWALL.BLOCKED"}, ErrFirewallBlocked, true},
		{"throttle", &Error{Code: "FIREWALL.THROTTLE"}, ErrThrottled, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, errors.Is(tt.err, tt.is))
		})
	}
	var nilErr *Error
	assert.False(t, nilErr.Is(ErrDenied))
	assert.NoError(t, nilErr.Unwrap())
}

type fakeNetTimeout struct{}

func (fakeNetTimeout) Error() string   { return "i/o timeout" }
func (fakeNetTimeout) Timeout() bool   { return true }
func (fakeNetTimeout) Temporary() bool { return true }

var _ net.Error = fakeNetTimeout{}

func TestHelpers(t *testing.T) {
	assert.True(t, IsDenied(fmt.Errorf("x: %w", &Error{Code: "APPROVAL.DENIED"})))
	assert.False(t, IsDenied(nil))
	assert.True(t, IsTokenRequired(&Error{Code: "TOKEN_REQUIRED"}))
	assert.True(t, IsTokenRequired(&Error{Code: "APPROVAL.TOKEN"}))
	assert.False(t, IsTokenRequired(&Error{Code: "APPROVAL.DENIED"}))

	assert.False(t, IsTimeout(nil))
	assert.True(t, IsTimeout(&Error{Code: "APPROVAL.TIMEOUT", HTTPStatus: 502}))
	assert.True(t, IsTimeout(&Error{Code: codeNetwork, Err: context.DeadlineExceeded}))
	assert.True(t, IsTimeout(&Error{Code: codeNetwork, Err: fakeNetTimeout{}}))
	assert.True(t, IsTimeout(&Error{Code: codeNetwork, Err: &redactedError{msg: "x", err: fakeNetTimeout{}}}))
	assert.False(t, IsTimeout(&Error{Code: codeNetwork, Err: context.Canceled}))
	assert.False(t, IsTimeout(&Error{Code: "APPROVAL.DENIED"}))
}

func TestRedactedError(t *testing.T) {
	inner := fmt.Errorf("dial %s: %w", testKey, context.DeadlineExceeded)
	e := &redactedError{msg: redact(inner.Error(), []string{testKey}), err: inner}
	assert.NotContains(t, e.Error(), testKey)
	assert.ErrorIs(t, e, context.DeadlineExceeded)
	assert.True(t, e.Timeout())
}

func TestCleanMessage(t *testing.T) {
	assert.Equal(t, "a b [redacted] c", cleanMessage(" a\tb "+testKey+"\x00c\n", []string{testKey, ""}))
	assert.Equal(t, "", cleanMessage("", nil))
}
