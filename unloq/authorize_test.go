package unloq

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAuthorize(t *testing.T) {
	tests := []struct {
		name string
		code string
		req  AuthorizeRequest
		want string
	}{
		{
			name: "docs example with variables",
			code: "transfer",
			req:  AuthorizeRequest{UnloqID: "1", Reference: "abcdefg12", Variables: map[string]string{"name": "Server 1", "target": "john@doe.com"}},
			want: `{"unloq_id":"1","reference":"abcdefg12","name":"Server 1","target":"john@doe.com","generate_token":false}`,
		},
		{
			name: "html characters are sent literally",
			code: "transfer",
			req:  AuthorizeRequest{UnloqID: "1", Reference: "r&d", Variables: map[string]string{"name": "<Tom & Jerry>"}},
			want: `{"unloq_id":"1","reference":"r&d","name":"<Tom & Jerry>","generate_token":false}`,
		},
		{
			name: "email, ip, generate_token",
			code: "pay_out-2",
			req:  AuthorizeRequest{Email: "u@x.test", Reference: strings.Repeat("r", 20), IP: "203.0.113.9", GenerateToken: true},
			want: `{"email":"u@x.test","reference":"rrrrrrrrrrrrrrrrrrrr","ip":"203.0.113.9","generate_token":true}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, rc, _ := newTestClient(t, ok("api.application.approval.authorize", `{"unloq_id":"1","token":"AUauth"}`))
			res, err := c.Authorize(context.Background(), tt.code, tt.req)
			require.NoError(t, err)
			assert.Equal(t, &ApprovalResult{UnloqID: "1", Token: "AUauth"}, res)
			req := rc.last(t)
			assert.Equal(t, http.MethodPost, req.Method)
			assert.Equal(t, "/v1/authorize/"+tt.code, req.Path)
			requireGen2Headers(t, req, true)
			requireJSONBody(t, tt.want, req.Body)
			assert.NotContains(t, string(req.Body), `\u00`)
			assert.False(t, strings.HasSuffix(string(req.Body), "\n"))
		})
	}
}

func TestAuthorizeValidation(t *testing.T) {
	good := AuthorizeRequest{UnloqID: "1", Reference: "ref"}
	tests := []struct {
		name string
		code string
		req  AuthorizeRequest
	}{
		{"empty code", "", good},
		{"path traversal in code", "../enroll", good},
		{"slash in code", "a/b", good},
		{"code too long", strings.Repeat("c", 21), good},
		{"no target", "transfer", AuthorizeRequest{Reference: "ref"}},
		{"no reference", "transfer", AuthorizeRequest{UnloqID: "1"}},
		{"reference too long", "transfer", AuthorizeRequest{UnloqID: "1", Reference: strings.Repeat("r", 21)}},
		{"variable collides", "transfer", AuthorizeRequest{UnloqID: "1", Reference: "r", Variables: map[string]string{"reference": "x"}}},
		{"bad email", "transfer", AuthorizeRequest{Email: "x", Reference: "r"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, rc, _ := newTestClient(t, ok("x", `{}`))
			_, err := c.Authorize(context.Background(), tt.code, tt.req)
			requireAPIError(t, err, "authorize", codeInvalidRequest, 0)
			assert.Empty(t, rc.all())
		})
	}
}

func TestAuthorizeDenied(t *testing.T) {
	c, rc, _ := newTestClient(t, reply(400, `{"error":{"code":"APPROVAL.DENIED","ns":"approval","message":"denied","status":400}}`))
	_, err := c.Authorize(context.Background(), "transfer", AuthorizeRequest{UnloqID: "1", Reference: "r"})
	e := requireAPIError(t, err, "authorize", "APPROVAL.DENIED", 400)
	assert.Equal(t, "approval", e.NS)
	assert.Equal(t, "400", e.Status)
	assert.True(t, IsDenied(err))
	assert.Len(t, rc.all(), 1)
}
