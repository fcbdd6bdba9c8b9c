package unloq

import (
	"context"
	"net/http"
)

// Method is an authentication method of POST /authenticate.
type Method string

// Authentication methods.
const (
	MethodUNLOQ Method = "UNLOQ" // push notification to the device (default)
	MethodOTP   Method = "OTP"   // time-based one-time password from the app
	MethodEmail Method = "EMAIL" // e-mailed login link
)

// SourceClient describes the browser the login comes from.
type SourceClient struct {
	IP        string `json:"ip,omitempty"`
	UserAgent string `json:"user-agent,omitempty"`
}

// AuthenticateRequest is the body of POST /authenticate.
type AuthenticateRequest struct {
	Email   string // the user's e-mail; required unless UnloqID is set
	UnloqID ID     // used when the e-mail is not available
	Method  Method // default MethodUNLOQ
	IP      string // shown on the device
	// OTP is the 6-digit code from the app, sent as "token" (a string, so
	// leading zeros survive). Mandatory for MethodOTP and after a denial.
	OTP string
	// GenerateToken: nil or true asks for an access token for POST /token
	// (UNLOQ's documented default); false returns the user data directly in
	// ApprovalResult.User. The value is always sent explicitly.
	GenerateToken *bool
	AskTrusted    bool
	SourceClient  *SourceClient
	PublicKey     string // PEM RSA public key
	// Variables are extra body fields; a key may not collide with a named
	// field of this request.
	Variables map[string]string
}

// ApprovalResult is the result of authenticate, authorize and
// token/generate.
type ApprovalResult struct {
	UnloqID ID
	Token   string // one-time access token, to exchange at POST /token within 60 s
	// User is set when the result carries user data instead of a token
	// (generate_token=false): approval_id plus the user fields.
	User *TokenData
}

var authenticateFields = []string{"email", "unloq_id", "method", "ip", "token", "generate_token", "ask_trusted", "source_client", "public_key"}

// Authenticate asks the user to approve a login (POST /authenticate). With
// MethodUNLOQ the call blocks until the user answers on the device or UNLOQ
// times out (APPROVAL.TIMEOUT); it is never retried. Errors to expect:
// ErrDenied, ErrTokenRequired (an OTP is now mandatory), ErrApprovalTimeout,
// ErrNoDevice, ErrPushUnregistered, ErrFirewallBlocked, ErrThrottled.
func (c *Client) Authenticate(ctx context.Context, req AuthenticateRequest) (*ApprovalResult, error) {
	const op = "authenticate"
	if req.Email == "" && req.UnloqID == "" {
		return nil, invalidRequest(op, "email or unloq_id is required")
	}
	if err := checkEmail(op, req.Email, false); err != nil {
		return nil, err
	}
	method := req.Method
	if method == "" {
		method = MethodUNLOQ
	}
	switch method {
	case MethodUNLOQ, MethodOTP, MethodEmail:
	default:
		return nil, invalidRequest(op, "unknown method "+string(method))
	}
	body := jsonBody{"method": string(method)}
	if err := body.variables(op, req.Variables, authenticateFields); err != nil {
		return nil, err
	}
	body.str("email", req.Email)
	body.id("unloq_id", req.UnloqID)
	body.str("ip", req.IP)
	body.str("token", req.OTP)
	body["generate_token"] = req.GenerateToken == nil || *req.GenerateToken
	body.flag("ask_trusted", req.AskTrusted)
	if req.SourceClient != nil && (req.SourceClient.IP != "" || req.SourceClient.UserAgent != "") {
		body["source_client"] = req.SourceClient
	}
	body.str("public_key", req.PublicKey)
	call := apiCall{op: op, method: http.MethodPost, path: "authenticate", body: body, approval: true, secrets: []string{req.OTP}}
	return c.approval(ctx, call)
}

// approval runs an approval-style call whose result is {unloq_id, token} or
// user data.
func (c *Client) approval(ctx context.Context, call apiCall) (*ApprovalResult, error) {
	var w tokenWire
	if err := c.do(ctx, call, &w); err != nil {
		return nil, err
	}
	res := &ApprovalResult{UnloqID: w.unloqID(), Token: string(w.Token)}
	if w.ApprovalID != "" || w.Email != "" {
		res.User = w.data()
	}
	return res, nil
}

// variables copies extra fields into the body, rejecting empty keys and
// keys that collide with the request's named fields.
func (b jsonBody) variables(op string, vars map[string]string, reserved []string) error {
	for k, v := range vars {
		if k == "" {
			return invalidRequest(op, "empty variable name")
		}
		for _, r := range reserved {
			if k == r {
				return invalidRequest(op, "variable "+k+" collides with a request field")
			}
		}
		b[k] = v
	}
	return nil
}
