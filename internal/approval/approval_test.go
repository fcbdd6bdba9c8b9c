package approval_test

import (
	"errors"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/unloq2fa/unloq2fa/internal/approval"
)

func TestMessageAndUnwrap(t *testing.T) {
	kind := errors.New("pkg: denied")
	cause := errors.New("phone said no")
	assert.Equal(t, "pkg: approve: denied", approval.Message("pkg", "approve", kind, nil))
	assert.Equal(t, "pkg: approve: denied: phone said no", approval.Message("pkg", "approve", kind, cause))
	assert.Equal(t, []error{kind}, approval.Unwrap(kind, nil))
	assert.Equal(t, []error{kind, cause}, approval.Unwrap(kind, cause))
}

func TestCheckNew(t *testing.T) {
	assert.EqualError(t, approval.CheckNew("pkg", nil, nil, nil), "pkg: new: nil unloq client")
}

func TestRemoteIP(t *testing.T) {
	r := httptest.NewRequest("POST", "/", nil)
	for addr, want := range map[string]string{
		"192.0.2.1:1234": "192.0.2.1", "[2001:db8::1]:443": "2001:db8::1", "192.0.2.7": "192.0.2.7",
		"example.com:80": "", "": "",
	} {
		r.RemoteAddr = addr
		assert.Equal(t, want, approval.RemoteIP(r), addr)
	}
}
