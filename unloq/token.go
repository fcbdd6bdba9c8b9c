package unloq

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// maxSIDLen is UNLOQ's limit on session ids.
const maxSIDLen = 128

// TokenRequest is the body of POST /token.
type TokenRequest struct {
	Token         string        // access token (required)
	SID           string        // application session id for remote logout (max 128 chars)
	Duration      time.Duration // session lifetime, sent in whole seconds
	IP            string
	TemporaryKeys bool
}

// TokenData is the user data of POST /token (and of an approval with
// generate_token=false).
type TokenData struct {
	ApprovalID    string
	UnloqID       ID // from unloq_id, or the legacy id
	Email         string
	FirstName     string
	LastName      string
	Image         string
	IPSource      string
	Method        Method
	TokenType     string // e.g. AUTHENTICATE
	EncryptionKey string
	SourceClient  *SourceClient // legacy
	LinkKey       string        // legacy
	LinkSignature string        // legacy
}

// tokenWire decodes every variant of token and approval results.
type tokenWire struct {
	ApprovalID    flexString      `json:"approval_id"`
	UnloqID       ID              `json:"unloq_id"`
	LegacyID      ID              `json:"id"`
	Token         flexString      `json:"token"`
	Email         flexString      `json:"email"`
	FirstName     looseString     `json:"first_name"` // display only: best effort
	LastName      looseString     `json:"last_name"`
	Image         looseString     `json:"image"`
	IPSource      flexString      `json:"ip_source"`
	Method        flexString      `json:"method"`
	TokenType     flexString      `json:"token_type"`
	EncryptionKey flexString      `json:"encryption_key"`
	SourceClient  json.RawMessage `json:"source_client"`
	LinkKey       flexString      `json:"link_key"`
	LinkSignature flexString      `json:"link_signature"`
}

func (w *tokenWire) unloqID() ID {
	if w.UnloqID != "" {
		return w.UnloqID
	}
	return w.LegacyID
}

func (w *tokenWire) data() *TokenData {
	d := &TokenData{
		ApprovalID:    string(w.ApprovalID),
		UnloqID:       w.unloqID(),
		Email:         string(w.Email),
		FirstName:     string(w.FirstName),
		LastName:      string(w.LastName),
		Image:         string(w.Image),
		IPSource:      string(w.IPSource),
		Method:        Method(w.Method),
		TokenType:     string(w.TokenType),
		EncryptionKey: string(w.EncryptionKey),
		LinkKey:       string(w.LinkKey),
		LinkSignature: string(w.LinkSignature),
	}
	if present(w.SourceClient) {
		var sc struct {
			IP        flexString `json:"ip"`
			UserAgent flexString `json:"user-agent"`
		}
		// A malformed legacy source_client is ignored rather than failing the login.
		if json.Unmarshal(w.SourceClient, &sc) == nil && (sc.IP != "" || sc.UserAgent != "") {
			d.SourceClient = &SourceClient{IP: string(sc.IP), UserAgent: string(sc.UserAgent)}
		}
	}
	return d
}

// Token exchanges a one-time access token (from the widget redirect, the
// e-mail link or Authenticate) for the user's data (POST /token). A token
// is valid once, for 60 s (ErrTokenExpired). A reply without unloq_id/id
// and without email is an INVALID_RESPONSE error.
func (c *Client) Token(ctx context.Context, req TokenRequest) (*TokenData, error) {
	const op = "token"
	if req.Token == "" {
		return nil, invalidRequest(op, "token is required")
	}
	if err := checkSID(op, req.SID); err != nil {
		return nil, err
	}
	body := jsonBody{"token": req.Token}
	body.str("sid", req.SID)
	if err := body.duration(op, req.Duration); err != nil {
		return nil, err
	}
	body.str("ip", req.IP)
	body.flag("temporary_keys", req.TemporaryKeys)
	var w tokenWire
	call := apiCall{op: op, method: http.MethodPost, path: "token", body: body, secrets: []string{req.Token}}
	if err := c.do(ctx, call, &w); err != nil {
		return nil, err
	}
	d := w.data()
	if d.UnloqID == "" && d.Email == "" {
		return nil, &Error{Op: op, HTTPStatus: http.StatusOK, Code: codeInvalidResponse, Message: "result has no user identity"}
	}
	return d, nil
}

// SessionRequest is the body of POST /token/session.
type SessionRequest struct {
	Token      string // access token, or
	ApprovalID string // approval id (from generate_token=false)
	SID        string // required, max 128 chars
	Duration   time.Duration
}

// AttachSession attaches a session id to a token or approval, within 60 s
// and only once (POST /token/session).
func (c *Client) AttachSession(ctx context.Context, req SessionRequest) error {
	const op = "token/session"
	if req.Token == "" && req.ApprovalID == "" {
		return invalidRequest(op, "token or approval_id is required")
	}
	if req.SID == "" {
		return invalidRequest(op, "sid is required")
	}
	if err := checkSID(op, req.SID); err != nil {
		return err
	}
	body := jsonBody{"sid": req.SID}
	body.str("token", req.Token)
	body.str("approval_id", req.ApprovalID)
	if err := body.duration(op, req.Duration); err != nil {
		return err
	}
	return c.do(ctx, apiCall{op: op, method: http.MethodPost, path: "token/session", body: body, secrets: []string{req.Token}}, nil)
}

// DeviceToken validates an authorisation token that a device sent when it
// opened a custom page of a generated mobile app (POST /token/device).
func (c *Client) DeviceToken(ctx context.Context, token string) error {
	const op = "token/device"
	if token == "" {
		return invalidRequest(op, "token is required")
	}
	return c.do(ctx, apiCall{op: op, method: http.MethodPost, path: "token/device", body: jsonBody{"token": token}, secrets: []string{token}}, nil)
}

// GenerateTokenRequest is the body of POST /token/generate.
type GenerateTokenRequest struct {
	DeviceToken string // the user's current OTP (required)
	Email       string // Email or UnloqID is required
	UnloqID     ID
	Duration    time.Duration // token lifetime; server default 60 s
}

// GenerateToken exchanges a device OTP for a temporary access token usable
// with the authorize and encryption endpoints (POST /token/generate).
func (c *Client) GenerateToken(ctx context.Context, req GenerateTokenRequest) (*ApprovalResult, error) {
	const op = "token/generate"
	if req.DeviceToken == "" {
		return nil, invalidRequest(op, "device_token is required")
	}
	if req.Email == "" && req.UnloqID == "" {
		return nil, invalidRequest(op, "email or unloq_id is required")
	}
	if err := checkEmail(op, req.Email, false); err != nil {
		return nil, err
	}
	body := jsonBody{"device_token": req.DeviceToken}
	body.str("email", req.Email)
	body.id("unloq_id", req.UnloqID)
	if err := body.duration(op, req.Duration); err != nil {
		return nil, err
	}
	return c.approval(ctx, apiCall{op: op, method: http.MethodPost, path: "token/generate", body: body, secrets: []string{req.DeviceToken}})
}

// duration adds a duration in whole seconds (at least 1 for a positive d).
func (b jsonBody) duration(op string, d time.Duration) error {
	switch {
	case d < 0:
		return invalidRequest(op, fmt.Sprintf("negative duration %v", d))
	case d == 0:
		return nil
	}
	secs := int64(d / time.Second)
	if secs == 0 {
		secs = 1
	}
	b["duration"] = secs
	return nil
}

func checkSID(op, sid string) error {
	if len(sid) > maxSIDLen {
		return invalidRequest(op, fmt.Sprintf("sid longer than %d characters", maxSIDLen))
	}
	return nil
}
