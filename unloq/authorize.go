package unloq

import (
	"context"
	"net/http"
	"net/url"
	"unicode/utf8"
)

// Limits from UNLOQ's action and authorize docs.
const (
	maxActionCodeLen = 20
	maxReferenceLen  = 20
)

// AuthorizeRequest is the body of POST /authorize/:code.
type AuthorizeRequest struct {
	UnloqID   ID     // UnloqID or Email is required
	Email     string //
	Reference string // external id shown on the device, required, max 20 chars
	IP        string
	// Variables fill $name placeholders of the action's title and message.
	Variables map[string]string
	// GenerateToken asks for a one-time access token in the result. It is
	// always sent, so the outcome never depends on the server's default
	// (documented as false).
	GenerateToken bool
}

var authorizeFields = []string{"unloq_id", "email", "reference", "ip", "generate_token"}

// Authorize asks the user to approve the action with the given code
// (POST /authorize/:code). It blocks like Authenticate and is never retried.
func (c *Client) Authorize(ctx context.Context, code string, req AuthorizeRequest) (*ApprovalResult, error) {
	const op = "authorize"
	if !validActionCode(code) {
		return nil, invalidRequest(op, "action code must be 1-20 characters of [A-Za-z0-9_-]")
	}
	if req.UnloqID == "" && req.Email == "" {
		return nil, invalidRequest(op, "unloq_id or email is required")
	}
	if err := checkEmail(op, req.Email, false); err != nil {
		return nil, err
	}
	if req.Reference == "" {
		return nil, invalidRequest(op, "reference is required")
	}
	if utf8.RuneCountInString(req.Reference) > maxReferenceLen {
		return nil, invalidRequest(op, "reference longer than 20 characters")
	}
	body := jsonBody{}
	if err := body.variables(op, req.Variables, authorizeFields); err != nil {
		return nil, err
	}
	body.id("unloq_id", req.UnloqID)
	body.str("email", req.Email)
	body.str("reference", req.Reference)
	body.str("ip", req.IP)
	body["generate_token"] = req.GenerateToken
	return c.approval(ctx, apiCall{op: op, method: http.MethodPost, path: "authorize/" + url.PathEscape(code), body: body, approval: true})
}

func validActionCode(code string) bool {
	if code == "" || len(code) > maxActionCodeLen {
		return false
	}
	for i := 0; i < len(code); i++ {
		ch := code[i]
		switch {
		case ch >= 'a' && ch <= 'z', ch >= 'A' && ch <= 'Z', ch >= '0' && ch <= '9', ch == '_', ch == '-':
		default:
			return false
		}
	}
	return true
}
