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
		{"exists TRUE", `{"exists":"TRUE"}`, EnrollResult{Exists: true}, ""},
		{"exists True", `{"exists":"True"}`, EnrollResult{Exists: true}, ""},
		{"exists 1", `{"exists":1}`, EnrollResult{Exists: true}, ""},
		{"exists FALSE", `{"exists":"FALSE","qr_url":"https://q"}`, EnrollResult{QRURL: "https://q"}, ""},
		{"exists yes is not a boolean", `{"exists":"yes"}`, EnrollResult{}, codeInvalidResponse},
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
		{"string TRUE", `{"enrolled":"TRUE"}`, true, ""},
		{"string True", `{"enrolled":"True"}`, true, ""},
		{"string 1", `{"enrolled":"1"}`, true, ""},
		{"string False", `{"enrolled":"False","has_device":true}`, false, ""},
		{"number 0", `{"enrolled":0}`, false, ""},
		{"Unicode look-alike is not a boolean", `{"enrolled":"тrue"}`, false, codeInvalidResponse},
		{"yes is not a boolean", `{"enrolled":"yes"}`, false, codeInvalidResponse},
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
	for _, result := range []string{`{"deactivated":true}`, `{"deactivated":"TRUE"}`, `{"deactivated":"True"}`, `{"deactivated":1}`} {
		c, rc, _ := newTestClient(t, ok("api.application.enroll.deactivate", result))
		require.NoError(t, c.Deactivate(context.Background(), "u1@example.test"), result)
		got := rc.last(t)
		assert.Equal(t, "/v1/deactivate", got.Path)
		assert.Equal(t, http.MethodPost, got.Method)
		requireGen2Headers(t, got, true)
		requireJSONBody(t, `{"email":"u1@example.test"}`, got.Body)
	}
}

// A 200 that does not confirm the deactivation is not a success.
func TestDeactivateNotConfirmed(t *testing.T) {
	for _, result := range []string{`{"deactivated":false}`, `{"deactivated":"false"}`, `{"deactivated":"FALSE"}`, `{}`, `[]`} {
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

// TestEnrollExpireAt: expire_at only says how long the QR code is valid,
// so no format of it fails an enrollment that has a QR code.
func TestEnrollExpireAt(t *testing.T) {
	want := time.Date(2017, 4, 24, 5, 15, 32, 0, time.UTC)
	tests := []struct {
		name, expireAt string // expireAt is a raw JSON value; "" leaves it out
		want           time.Time
	}{
		{"RFC 3339 millis", `"2017-04-24T05:15:32.698Z"`, want.Add(698 * time.Millisecond)},
		{"RFC 3339 offset", `"2017-04-24T07:15:32+02:00"`, want},
		{"SQL style", `"2017-04-24 05:15:32"`, want},
		{"SQL style millis", `"2017-04-24 05:15:32.698"`, want.Add(698 * time.Millisecond)},
		{"no zone T", `"2017-04-24T05:15:32"`, want},
		{"epoch seconds", `1493010932`, want},
		{"epoch seconds string", `"1493010932"`, want},
		{"epoch millis", `1493010932698`, want.Add(698 * time.Millisecond)},
		{"epoch millis string", `"1493010932698"`, want.Add(698 * time.Millisecond)},
		{"unparsable text", `"tomorrow"`, time.Time{}},
		{"negative epoch", `-5`, time.Time{}},
		{"fractional epoch", `1493010932.5`, time.Time{}},
		{"huge number", `123456789012345678901234567890`, time.Time{}},
		{"object", `{"date":"2017-04-24"}`, time.Time{}},
		{"array", `[1493010932]`, time.Time{}},
		{"boolean", `true`, time.Time{}},
		{"null", `null`, time.Time{}},
		{"empty string", `""`, time.Time{}},
		{"missing", ``, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			result := `{"exists":false,"qr_url":"https://widget.unloq.io/qr/abc"`
			if tt.expireAt != "" {
				result += `,"expire_at":` + tt.expireAt
			}
			c, _, _ := newTestClient(t, ok("api.application.enroll.user", result+"}"))
			res, err := c.Enroll(context.Background(), EnrollRequest{Email: "u1@example.test"})
			require.NoError(t, err)
			assert.Equal(t, "https://widget.unloq.io/qr/abc", res.QRURL, "the QR code is kept")
			assert.True(t, tt.want.Equal(res.ExpireAt), "expire_at %s: got %v, want %v", tt.expireAt, res.ExpireAt, tt.want)
		})
	}
}
