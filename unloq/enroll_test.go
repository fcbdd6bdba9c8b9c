package unloq

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEnroll(t *testing.T) {
	c, rc, _ := newTestClient(t, ok("api.application.enroll.user",
		`{"exists":false,"qr_url":"https://widget.unloq.io/qr/abc","expire_at":"2017-04-24T05:15:32.698Z"}`))
	res, err := c.Enroll(context.Background(), EnrollRequest{Email: "u1@example.test", Name: "U One"})
	require.NoError(t, err)
	assert.False(t, res.Exists)
	assert.Equal(t, "https://widget.unloq.io/qr/abc", res.QRURL)
	assert.Equal(t, time.Date(2017, 4, 24, 5, 15, 32, 698e6, time.UTC), res.ExpireAt)
	got := rc.last(t)
	assert.Equal(t, http.MethodPost, got.Method)
	assert.Equal(t, "/v1/enroll", got.Path)
	requireGen2Headers(t, got, true)
	requireJSONBody(t, `{"email":"u1@example.test","name":"U One"}`, got.Body)
}

func TestEnrollVariants(t *testing.T) {
	tests := []struct {
		name   string
		result string
		want   EnrollResult
		code   string
	}{
		{"existing user approved on device", `{"exists":true}`, EnrollResult{Exists: true}, ""},
		{"exists as string", `{"exists":"true","qr_url":null,"expire_at":null}`, EnrollResult{Exists: true}, ""},
		{"bad expire_at", `{"exists":false,"qr_url":"https://q","expire_at":"tomorrow"}`, EnrollResult{}, codeInvalidResponse},
		{"exists not a bool", `{"exists":{}}`, EnrollResult{}, codeInvalidResponse},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, rc, _ := newTestClient(t, ok("api.application.enroll.user", tt.result))
			res, err := c.Enroll(context.Background(), EnrollRequest{Email: "u1@example.test"})
			if tt.code != "" {
				requireAPIError(t, err, "enroll", tt.code, http.StatusOK)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, *res)
			requireJSONBody(t, `{"email":"u1@example.test"}`, rc.last(t).Body)
		})
	}
}

func TestEnrolled(t *testing.T) {
	tests := []struct {
		name   string
		result string
		want   bool
		code   string
	}{
		{"enrolled true", `{"enrolled":true}`, true, ""},
		{"enrolled false", `{"enrolled":false}`, false, ""},
		{"has_device fallback", `{"has_device":true}`, true, ""},
		{"enrolled wins over has_device", `{"enrolled":false,"has_device":true}`, false, ""},
		{"string bool", `{"enrolled":"true"}`, true, ""},
		{"null enrolled falls back", `{"enrolled":null,"has_device":true}`, true, ""},
		{"neither field", `{}`, false, codeInvalidResponse},
		{"array result", `[]`, false, codeInvalidResponse},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, rc, _ := newTestClient(t, ok("api.application.enroll.check", tt.result))
			got, err := c.Enrolled(context.Background(), "u1+tag@example.test")
			if tt.code != "" {
				requireAPIError(t, err, "enrolled", tt.code, http.StatusOK)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			req := rc.last(t)
			assert.Equal(t, http.MethodGet, req.Method)
			assert.Equal(t, "/v1/enrolled", req.Path)
			assert.Equal(t, "email=u1%2Btag%40example.test", req.RawQuery, "email must be percent-encoded")
			requireGen2Headers(t, req, false)
		})
	}
}

func TestDeactivate(t *testing.T) {
	c, rc, _ := newTestClient(t, ok("api.application.enroll.deactivate", `{"deactivated":true}`))
	require.NoError(t, c.Deactivate(context.Background(), "u1@example.test"))
	got := rc.last(t)
	assert.Equal(t, "/v1/deactivate", got.Path)
	assert.Equal(t, http.MethodPost, got.Method)
	requireGen2Headers(t, got, true)
	requireJSONBody(t, `{"email":"u1@example.test"}`, got.Body)
}

// A 200 that does not confirm the deactivation is not a success.
func TestDeactivateNotConfirmed(t *testing.T) {
	for _, result := range []string{`{"deactivated":false}`, `{"deactivated":"false"}`, `{}`, `[]`} {
		c, _, _ := newTestClient(t, ok("api.application.enroll.deactivate", result))
		err := c.Deactivate(context.Background(), "u1@example.test")
		requireAPIError(t, err, "deactivate", codeInvalidResponse, 200)
	}
}

func TestEnrollmentValidation(t *testing.T) {
	c, rc, _ := newTestClient(t, ok("x", `{}`))
	ctx := context.Background()
	_, err := c.Enroll(ctx, EnrollRequest{})
	requireAPIError(t, err, "enroll", codeInvalidRequest, 0)
	_, err = c.Enrolled(ctx, "not-an-email")
	requireAPIError(t, err, "enrolled", codeInvalidRequest, 0)
	err = c.Deactivate(ctx, "")
	requireAPIError(t, err, "deactivate", codeInvalidRequest, 0)
	assert.Empty(t, rc.all())
}
