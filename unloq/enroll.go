package unloq

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// EnrollRequest starts second-factor enrollment (POST /enroll).
type EnrollRequest struct {
	Email string // required
	Name  string // optional profile display name
}

// EnrollResult is the result of POST /enroll.
type EnrollResult struct {
	Exists   bool      // a profile with that e-mail already existed
	QRURL    string    // QR image to scan with the UNLOQ app (empty if the user approved on a device)
	ExpireAt time.Time // when the QR expires (zero if not sent)
}

type enrollWire struct {
	Exists   flexBool        `json:"exists"`
	QRURL    flexString      `json:"qr_url"`
	ExpireAt json.RawMessage `json:"expire_at"` // parsed by parseExpireAt
}

// Enroll starts enrolling an e-mail address. For a new user the result
// carries a QR code URL; for a known user UNLOQ may instead push an approval
// to the device, so this call uses the approval timeout.
func (c *Client) Enroll(ctx context.Context, req EnrollRequest) (*EnrollResult, error) {
	const op = "enroll"
	if err := checkEmail(op, req.Email, true); err != nil {
		return nil, err
	}
	body := jsonBody{"email": req.Email}
	body.str("name", req.Name)
	var w enrollWire
	if err := c.do(ctx, apiCall{op: op, method: http.MethodPost, path: "enroll", body: body, approval: true}, &w); err != nil {
		return nil, err
	}
	return &EnrollResult{Exists: bool(w.Exists), QRURL: string(w.QRURL), ExpireAt: parseExpireAt(w.ExpireAt)}, nil
}

// expireAtLayouts are the text forms of expire_at that parseExpireAt reads
// besides epoch numbers: the documented RFC 3339 with milliseconds, and
// the SQL-style forms other UNLOQ sources print (read as UTC).
var expireAtLayouts = []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999"}

// parseExpireAt reads expire_at, which only tells the user how long the QR
// code stays valid: an RFC 3339 time, "2006-01-02 15:04:05" (UTC), or an
// epoch in seconds or milliseconds (a number or a numeric string). Anything
// else, or a missing value, gives the zero time rather than failing an
// enrollment whose QR code is usable.
func parseExpireAt(raw json.RawMessage) time.Time {
	s, err := flexText(raw, false)
	if err != nil {
		return time.Time{}
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}
	}
	for _, layout := range expireAtLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return time.Time{}
	}
	// 1e11 seconds is the year 5138; 1e11 milliseconds is March 1973.
	if n >= 1e11 {
		return time.UnixMilli(n).UTC()
	}
	return time.Unix(n, 0).UTC()
}

// Enrolled reports whether the e-mail is enrolled with this application and
// has a device (GET /enrolled). It reads result.enrolled and falls back to
// result.has_device. It is retried once after a connection failure.
func (c *Client) Enrolled(ctx context.Context, email string) (bool, error) {
	const op = "enrolled"
	if err := checkEmail(op, email, true); err != nil {
		return false, err
	}
	var w struct {
		Enrolled  *flexBool `json:"enrolled"`
		HasDevice *flexBool `json:"has_device"`
	}
	call := apiCall{op: op, method: http.MethodGet, path: "enrolled", query: url.Values{"email": {email}}, retry: true}
	if err := c.do(ctx, call, &w); err != nil {
		return false, err
	}
	switch {
	case w.Enrolled != nil:
		return bool(*w.Enrolled), nil
	case w.HasDevice != nil:
		return bool(*w.HasDevice), nil
	}
	return false, &Error{Op: op, HTTPStatus: http.StatusOK, Code: codeInvalidResponse, Message: "result has neither enrolled nor has_device"}
}

// Deactivate removes the application's enrollment of the e-mail
// (POST /deactivate). Only a result with "deactivated": true is a
// success; a reply without it, or with false, is an INVALID_RESPONSE error.
func (c *Client) Deactivate(ctx context.Context, email string) error {
	const op = "deactivate"
	if err := checkEmail(op, email, true); err != nil {
		return err
	}
	var w struct {
		Deactivated *flexBool `json:"deactivated"`
	}
	if err := c.do(ctx, apiCall{op: op, method: http.MethodPost, path: "deactivate", body: jsonBody{"email": email}}, &w); err != nil {
		return err
	}
	if w.Deactivated == nil || !*w.Deactivated {
		return &Error{Op: op, HTTPStatus: http.StatusOK, Code: codeInvalidResponse, Message: "result does not say deactivated"}
	}
	return nil
}

// checkEmail validates an e-mail address before it is sent.
func checkEmail(op, email string, required bool) error {
	if email == "" {
		if required {
			return invalidRequest(op, "email is required")
		}
		return nil
	}
	if !strings.Contains(email, "@") || strings.ContainsFunc(email, func(r rune) bool { return r < 0x20 || r == 0x7f }) || len(email) > 320 {
		return invalidRequest(op, "malformed email")
	}
	return nil
}

func invalidRequest(op, msg string) *Error {
	return &Error{Op: op, Code: codeInvalidRequest, Message: msg}
}
