package unloq

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAuthenticateWire(t *testing.T) {
	tests := []struct {
		name string
		req  AuthenticateRequest
		want string
	}{
		{
			name: "push defaults",
			req:  AuthenticateRequest{Email: "u1@example.test", IP: "203.0.113.5"},
			want: `{"email":"u1@example.test","method":"UNLOQ","ip":"203.0.113.5","generate_token":true}`,
		},
		{
			name: "otp method keeps leading zeros as a string",
			req:  AuthenticateRequest{Email: "u1@example.test", Method: MethodOTP, OTP: "012345"},
			want: `{"email":"u1@example.test","method":"OTP","token":"012345","generate_token":true}`,
		},
		{
			name: "email method",
			req:  AuthenticateRequest{Email: "u1@example.test", Method: MethodEmail},
			want: `{"email":"u1@example.test","method":"EMAIL","generate_token":true}`,
		},
		{
			name: "generate_token false is sent",
			req:  AuthenticateRequest{Email: "u1@example.test", GenerateToken: boolPtr(false)},
			want: `{"email":"u1@example.test","method":"UNLOQ","generate_token":false}`,
		},
		{
			name: "generate_token true is sent",
			req:  AuthenticateRequest{Email: "u1@example.test", GenerateToken: boolPtr(true)},
			want: `{"email":"u1@example.test","method":"UNLOQ","generate_token":true}`,
		},
		{
			name: "every field",
			req: AuthenticateRequest{
				Email: "u1@example.test", UnloqID: "1234", Method: MethodUNLOQ, IP: "198.51.100.7",
				OTP: "123456", GenerateToken: boolPtr(true), AskTrusted: true,
				SourceClient: &SourceClient{IP: "198.51.100.7", UserAgent: "Firefox"},
				PublicKey:    "-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----\n",
				Variables:    map[string]string{"user_agent": "Firefox", "email_login_url": "https://app.test/uauth/login"},
			},
			want: `{"email":"u1@example.test","unloq_id":"1234","method":"UNLOQ","ip":"198.51.100.7","token":"123456",
				"generate_token":true,"ask_trusted":true,"source_client":{"ip":"198.51.100.7","user-agent":"Firefox"},
				"public_key":"-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----\n",
				"user_agent":"Firefox","email_login_url":"https://app.test/uauth/login"}`,
		},
		{
			name: "unloq_id only, empty source client omitted",
			req:  AuthenticateRequest{UnloqID: "42", SourceClient: &SourceClient{}},
			want: `{"unloq_id":"42","method":"UNLOQ","generate_token":true}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, rc, _ := newTestClient(t, ok("api.application.approval.authenticate", `{"unloq_id":"1234","token":"AUtok"}`))
			res, err := c.Authenticate(context.Background(), tt.req)
			require.NoError(t, err)
			assert.Equal(t, &ApprovalResult{UnloqID: "1234", Token: "AUtok"}, res)
			got := rc.last(t)
			assert.Equal(t, http.MethodPost, got.Method)
			assert.Equal(t, "/v1/authenticate", got.Path)
			assert.Empty(t, got.RawQuery)
			requireGen2Headers(t, got, true)
			requireJSONBody(t, tt.want, got.Body)
		})
	}
}

func TestAuthenticateResults(t *testing.T) {
	tests := []struct {
		name   string
		result string
		want   *ApprovalResult
	}{
		{"token", `{"unloq_id":"1234","token":"AUabc"}`, &ApprovalResult{UnloqID: "1234", Token: "AUabc"}},
		{"numeric unloq_id", `{"unloq_id":1234,"token":"AUabc"}`, &ApprovalResult{UnloqID: "1234", Token: "AUabc"}},
		{"legacy id", `{"id":99,"token":"AUabc"}`, &ApprovalResult{UnloqID: "99", Token: "AUabc"}},
		{"unloq_id wins over id", `{"id":"1","unloq_id":"2","token":"AUabc"}`, &ApprovalResult{UnloqID: "2", Token: "AUabc"}},
		{"email method: no token", `{"unloq_id":"1234"}`, &ApprovalResult{UnloqID: "1234"}},
		{"empty result", `{}`, &ApprovalResult{}},
		{
			"generate_token=false: user data",
			`{"approval_id":"123456-123456-1234","unloq_id":"1234","email":"u1@example.test","first_name":"U","last_name":null,
			  "image":"https://img.test/u.jpg","method":"UNLOQ","ip_source":"203.0.113.5","token_type":"AUTHENTICATE"}`,
			&ApprovalResult{UnloqID: "1234", User: &TokenData{
				ApprovalID: "123456-123456-1234", UnloqID: "1234", Email: "u1@example.test", FirstName: "U",
				Image: "https://img.test/u.jpg", Method: MethodUNLOQ, IPSource: "203.0.113.5", TokenType: "AUTHENTICATE",
			}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _, _ := newTestClient(t, ok("api.application.approval.authenticate", tt.result))
			res, err := c.Authenticate(context.Background(), AuthenticateRequest{Email: "u1@example.test"})
			require.NoError(t, err)
			assert.Equal(t, tt.want, res)
		})
	}
}

func TestAuthenticateServerErrors(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		body     string
		sentinel error
		check    func(error) bool
	}{
		{"denied", 400, `{"error":{"code":"APPROVAL.DENIED","ns":"approval","message":"The user denied","status":400}}`, ErrDenied, IsDenied},
		{"token required", 400, `{"error":{"code":"APPROVAL.TOKEN","ns":"approval","message":"token","status":"400"}}`, ErrTokenRequired, IsTokenRequired},
		{"legacy token required", 400, `{"error":{"code":"TOKEN_REQUIRED","message":"token","status":400}}`, ErrTokenRequired, IsTokenRequired},
		{"timeout", 502, `{"error":{"code":"APPROVAL.TIMEOUT","ns":"approval","message":"timed out","status":502}}`, ErrApprovalTimeout, IsTimeout},
		{"no device", 400, `{"error":{"code":"APPROVAL.DEVICE","message":"no device","status":400}}`, ErrNoDevice, nil},
		{"push unregistered", 400, `{"error":{"code":"PUSH.UNREGISTERED","message":"x","status":400}}`, ErrPushUnregistered, nil},
		{"firewall", 403, `{"error":{"code":"FIREWALL.BLOCKED","message":"x","status":403}}`, ErrFirewallBlocked, nil},
		{"throttle", 429, `{"error":{"code":"FIREWALL.THROTTLE","message":"x","status":429}}`, ErrThrottled, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, rc, _ := newTestClient(t, reply(tt.status, tt.body))
			res, err := c.Authenticate(context.Background(), AuthenticateRequest{Email: "u1@example.test", OTP: testOTP})
			require.Nil(t, res)
			var e *Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, tt.status, e.HTTPStatus)
			assert.ErrorIs(t, err, tt.sentinel)
			if tt.check != nil {
				assert.True(t, tt.check(err))
			}
			assert.NotEmpty(t, e.Status)
			requireNoSecrets(t, err)
			assert.Len(t, rc.all(), 1, "approval calls are never retried")
		})
	}
}

func TestAuthenticateValidation(t *testing.T) {
	tests := []struct {
		name string
		req  AuthenticateRequest
	}{
		{"no email nor id", AuthenticateRequest{}},
		{"malformed email", AuthenticateRequest{Email: "nobody"}},
		{"control char in email", AuthenticateRequest{Email: "a@b\r\nX: y"}},
		{"unknown method", AuthenticateRequest{Email: "u@x.test", Method: "SMS"}},
		{"variable collides", AuthenticateRequest{Email: "u@x.test", Variables: map[string]string{"token": "x"}}},
		{"variable collides with method", AuthenticateRequest{Email: "u@x.test", Variables: map[string]string{"method": "OTP"}}},
		{"empty variable name", AuthenticateRequest{Email: "u@x.test", Variables: map[string]string{"": "x"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, rc, _ := newTestClient(t, ok("x", `{}`))
			_, err := c.Authenticate(context.Background(), tt.req)
			requireAPIError(t, err, "authenticate", codeInvalidRequest, 0)
			assert.ErrorIs(t, err, ErrInvalidRequest)
			assert.Empty(t, rc.all(), "nothing may be sent")
		})
	}
}
