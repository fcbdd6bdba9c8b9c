package unloq

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const docsTokenResult = `{"approval_id":"123456-123456-1234","unloq_id":"1234","email":"john@doe.com",
	"encryption_key":"123456asdf","ip_source":"1.2.3.4","method":"UNLOQ",
	"first_name":"John","last_name":"Doe","image":"https://img.jpg","token_type":"AUTHENTICATE"}`

func TestTokenWire(t *testing.T) {
	tests := []struct {
		name string
		req  TokenRequest
		want string
	}{
		{"token only", TokenRequest{Token: testToken}, `{"token":"` + testToken + `"}`},
		{"sid and duration", TokenRequest{Token: testToken, SID: "sess-1", Duration: time.Hour},
			`{"token":"` + testToken + `","sid":"sess-1","duration":3600}`},
		{"sub-second duration rounds up to 1", TokenRequest{Token: testToken, Duration: time.Millisecond},
			`{"token":"` + testToken + `","duration":1}`},
		{"ip and temporary keys", TokenRequest{Token: testToken, IP: "203.0.113.5", TemporaryKeys: true},
			`{"token":"` + testToken + `","ip":"203.0.113.5","temporary_keys":true}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, rc, _ := newTestClient(t, ok("api.application.approval.token", docsTokenResult))
			got, err := c.Token(context.Background(), tt.req)
			require.NoError(t, err)
			assert.Equal(t, &TokenData{
				ApprovalID: "123456-123456-1234", UnloqID: "1234", Email: "john@doe.com", EncryptionKey: "123456asdf",
				IPSource: "1.2.3.4", Method: MethodUNLOQ, FirstName: "John", LastName: "Doe",
				Image: "https://img.jpg", TokenType: "AUTHENTICATE",
			}, got)
			req := rc.last(t)
			assert.Equal(t, http.MethodPost, req.Method)
			assert.Equal(t, "/v1/token", req.Path)
			requireGen2Headers(t, req, true)
			requireJSONBody(t, tt.want, req.Body)
		})
	}
}

func TestTokenLegacyShapes(t *testing.T) {
	tests := []struct {
		name   string
		result string
		want   *TokenData
	}{
		{
			"legacy id, source_client and link fields",
			`{"token_type":"AUTHENTICATE","id":1234,"email":"u@x.test","sign":"s","first_name":null,"last_name":null,
			  "link_key":"lk","link_signature":"ls","source_client":{"ip":"1.2.3.4","user-agent":"UA"}}`,
			&TokenData{UnloqID: "1234", Email: "u@x.test", TokenType: "AUTHENTICATE", LinkKey: "lk", LinkSignature: "ls",
				SourceClient: &SourceClient{IP: "1.2.3.4", UserAgent: "UA"}},
		},
		{
			"numeric approval id, malformed source_client ignored",
			`{"approval_id":77,"unloq_id":"5","source_client":"1.2.3.4"}`,
			&TokenData{ApprovalID: "77", UnloqID: "5"},
		},
		{
			"large numeric id keeps its digits",
			`{"unloq_id":123456789012345678901234567890,"email":"u@x.test"}`,
			&TokenData{UnloqID: "123456789012345678901234567890", Email: "u@x.test"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _, _ := newTestClient(t, ok("api.application.approval.token", tt.result))
			got, err := c.Token(context.Background(), TokenRequest{Token: testToken})
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestTokenErrors(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		code   string
		is     error
	}{
		{"expired", 400, `{"error":{"code":"ACCESS_TOKEN.EXPIRED","ns":"access_token","message":"expired","status":400}}`, "ACCESS_TOKEN.EXPIRED", ErrTokenExpired},
		{"no identity in result", 200, `{"type":"api.application.approval.token","result":{"method":"UNLOQ"}}`, codeInvalidResponse, ErrInvalidResponse},
		{"server echoes the token", 404, `{"error":{"code":"ACCESS_TOKEN.INVALID","message":"token ` + testToken + ` is unknown","status":404}}`, "ACCESS_TOKEN.INVALID", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, rc, _ := newTestClient(t, reply(tt.status, tt.body))
			_, err := c.Token(context.Background(), TokenRequest{Token: testToken, SID: "s"})
			requireAPIError(t, err, "token", tt.code, tt.status)
			if tt.is != nil {
				assert.ErrorIs(t, err, tt.is)
			}
			assert.Len(t, rc.all(), 1)
		})
	}
}

func TestTokenValidation(t *testing.T) {
	c, rc, _ := newTestClient(t, ok("x", `{}`))
	ctx := context.Background()
	_, err := c.Token(ctx, TokenRequest{})
	requireAPIError(t, err, "token", codeInvalidRequest, 0)
	_, err = c.Token(ctx, TokenRequest{Token: testToken, SID: strings.Repeat("s", 129)})
	requireAPIError(t, err, "token", codeInvalidRequest, 0)
	_, err = c.Token(ctx, TokenRequest{Token: testToken, Duration: -time.Second})
	requireAPIError(t, err, "token", codeInvalidRequest, 0)
	assert.Empty(t, rc.all())
}

func TestAttachSession(t *testing.T) {
	tests := []struct {
		name string
		req  SessionRequest
		want string
	}{
		{"by approval id", SessionRequest{ApprovalID: "a-1", SID: "s2", Duration: 30 * time.Second},
			`{"approval_id":"a-1","sid":"s2","duration":30}`},
		{"by token", SessionRequest{Token: testToken, SID: strings.Repeat("s", 128)},
			`{"token":"` + testToken + `","sid":"` + strings.Repeat("s", 128) + `"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, rc, _ := newTestClient(t, ok("api.application.approval.session", `{}`))
			require.NoError(t, c.AttachSession(context.Background(), tt.req))
			req := rc.last(t)
			assert.Equal(t, "/v1/token/session", req.Path)
			assert.Equal(t, http.MethodPost, req.Method)
			requireGen2Headers(t, req, true)
			requireJSONBody(t, tt.want, req.Body)
		})
	}
	t.Run("validation", func(t *testing.T) {
		c, rc, _ := newTestClient(t, ok("x", `{}`))
		for _, req := range []SessionRequest{{SID: "s"}, {Token: testToken}, {ApprovalID: "a", SID: strings.Repeat("s", 129)}, {ApprovalID: "a", SID: "s", Duration: -1}} {
			requireAPIError(t, c.AttachSession(context.Background(), req), "token/session", codeInvalidRequest, 0)
		}
		assert.Empty(t, rc.all())
	})
	t.Run("second attach rejected", func(t *testing.T) {
		c, _, _ := newTestClient(t, reply(409, `{"error":{"code":"SESSION.ATTACHED","message":"already attached","status":409}}`))
		err := c.AttachSession(context.Background(), SessionRequest{Token: testToken, SID: "s"})
		requireAPIError(t, err, "token/session", "SESSION.ATTACHED", 409)
	})
}

// TestNoResultCalls: token/session and token/device return nothing, so a
// 2xx JSON object without "result" (or with a null one) is a success; an
// error member, a body that is not a JSON object, or a non-2xx status is
// still an error.
func TestNoResultCalls(t *testing.T) {
	calls := map[string]func(c *Client) error{
		"token/session": func(c *Client) error {
			return c.AttachSession(context.Background(), SessionRequest{Token: testToken, SID: "s"})
		},
		"token/device": func(c *Client) error { return c.DeviceToken(context.Background(), testToken) },
	}
	tests := []struct {
		name   string
		status int
		body   string
		code   string // "" = success
	}{
		{"empty result", 200, `{"type":"t","result":{}}`, ""},
		{"no result", 200, `{"type":"t"}`, ""},
		{"empty object", 200, `{}`, ""},
		{"gen1 error envelope", 200, `{"type":"error","code":"X","message":"m"}`, codeInvalidResponse},
		{"gen1 success envelope", 200, `{"type":"success","data":{}}`, codeInvalidResponse},
		{"null result", 200, `{"type":"t","result":null}`, ""},
		{"error member on 200", 200, `{"error":{"code":"SESSION.ATTACHED"}}`, "SESSION.ATTACHED"},
		{"error string on 200", 200, `{"error":"x"}`, codeInvalidResponse},
		{"array", 200, `[]`, codeInvalidResponse},
		{"string", 200, `"ok"`, codeInvalidResponse},
		{"empty body", 200, ``, codeInvalidResponse},
		{"500 without error", 500, `{}`, codeServer},
	}
	for op, call := range calls {
		for _, tt := range tests {
			t.Run(op+"/"+tt.name, func(t *testing.T) {
				c, _, _ := newTestClient(t, reply(tt.status, tt.body))
				err := call(c)
				if tt.code == "" {
					require.NoError(t, err)
					return
				}
				requireAPIError(t, err, op, tt.code, tt.status)
			})
		}
	}
}

func TestDeviceToken(t *testing.T) {
	c, rc, _ := newTestClient(t, ok("api.application.approval.device", `{}`))
	require.NoError(t, c.DeviceToken(context.Background(), testToken))
	req := rc.last(t)
	assert.Equal(t, "/v1/token/device", req.Path)
	requireGen2Headers(t, req, true)
	requireJSONBody(t, `{"token":"`+testToken+`"}`, req.Body)

	requireAPIError(t, c.DeviceToken(context.Background(), ""), "token/device", codeInvalidRequest, 0)
	assert.Len(t, rc.all(), 1)
}

func TestGenerateToken(t *testing.T) {
	tests := []struct {
		name string
		req  GenerateTokenRequest
		want string
	}{
		{"by email", GenerateTokenRequest{DeviceToken: testOTP, Email: "u@x.test", Duration: time.Minute},
			`{"device_token":"` + testOTP + `","email":"u@x.test","duration":60}`},
		{"by id", GenerateTokenRequest{DeviceToken: testOTP, UnloqID: "1234"},
			`{"device_token":"` + testOTP + `","unloq_id":"1234"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, rc, _ := newTestClient(t, ok("api.application.approval.generate", `{"token":"AUgen","unloq_id":1234}`))
			res, err := c.GenerateToken(context.Background(), tt.req)
			require.NoError(t, err)
			assert.Equal(t, &ApprovalResult{UnloqID: "1234", Token: "AUgen"}, res)
			req := rc.last(t)
			assert.Equal(t, "/v1/token/generate", req.Path)
			requireGen2Headers(t, req, true)
			requireJSONBody(t, tt.want, req.Body)
		})
	}
	t.Run("validation", func(t *testing.T) {
		c, rc, _ := newTestClient(t, ok("x", `{}`))
		for _, req := range []GenerateTokenRequest{{Email: "u@x.test"}, {DeviceToken: testOTP}, {DeviceToken: testOTP, Email: "bad"}} {
			_, err := c.GenerateToken(context.Background(), req)
			requireAPIError(t, err, "token/generate", codeInvalidRequest, 0)
		}
		assert.Empty(t, rc.all())
	})
}

// TestTokenDisplayFieldsBestEffort: names and image are only shown to the
// user, so a value of an unexpected type is dropped instead of failing the
// login; identity fields stay strict.
func TestTokenDisplayFieldsBestEffort(t *testing.T) {
	tests := []struct {
		name   string
		result string
		want   TokenData
		code   string
	}{
		{"names as objects", `{"unloq_id":"1","email":"a@b.test","first_name":{"en":"Ann"},"last_name":["Lee"],"image":{}}`,
			TokenData{UnloqID: "1", Email: "a@b.test"}, ""},
		{"names as numbers and booleans", `{"unloq_id":"1","email":"a@b.test","first_name":7,"last_name":false,"image":null}`,
			TokenData{UnloqID: "1", Email: "a@b.test", FirstName: "7", LastName: "false"}, ""},
		{"names as strings", `{"unloq_id":"1","email":"a@b.test","first_name":"Ann","last_name":"Lee","image":"https://i.test/a.png"}`,
			TokenData{UnloqID: "1", Email: "a@b.test", FirstName: "Ann", LastName: "Lee", Image: "https://i.test/a.png"}, ""},
		{"email as object is not best effort", `{"unloq_id":"1","email":{"a":"b"}}`, TokenData{}, codeInvalidResponse},
		{"unloq_id as object is not best effort", `{"unloq_id":{"id":1},"email":"a@b.test"}`, TokenData{}, codeInvalidResponse},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _, _ := newTestClient(t, ok("api.application.approval.token", tt.result))
			got, err := c.Token(context.Background(), TokenRequest{Token: testToken})
			if tt.code != "" {
				requireAPIError(t, err, "token", tt.code, http.StatusOK)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, *got)
		})
	}
}
