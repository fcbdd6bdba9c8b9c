package unloq

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
)

// Error is the single error type returned by API calls and by webhook
// verification. It never contains the API key, access tokens or OTPs.
type Error struct {
	// Op is the operation that failed: "enroll", "enrolled", "deactivate",
	// "authenticate", "token", "token/session", "token/device",
	// "token/generate", "authorize", "encryption", "verify webhook".
	Op string
	// HTTPStatus is the HTTP status of the reply; 0 when there was none.
	HTTPStatus int
	// Code is UNLOQ's error code (e.g. "APPROVAL.DENIED") or one of the
	// client-side codes INVALID_RESPONSE, SERVER.ERROR, NETWORK.ERROR,
	// INVALID_REQUEST, WEBHOOK.SIGNATURE.
	Code string
	// NS is UNLOQ's error namespace, as sent (may be empty).
	NS string
	// Message is the server's (or the client's) human-readable message.
	Message string
	// Status is error.status as sent by the server, string or number.
	Status string
	// Err is the underlying transport or decoding error, if any.
	Err error
}

// Client-side error codes (never sent by UNLOQ).
const (
	codeInvalidResponse  = "INVALID_RESPONSE"
	codeServer           = "SERVER.ERROR"
	codeNetwork          = "NETWORK.ERROR"
	codeInvalidRequest   = "INVALID_REQUEST"
	codeWebhookSignature = "WEBHOOK.SIGNATURE"
	codeTokenRequired    = "APPROVAL.TOKEN"
	codeTokenRequiredOld = "TOKEN_REQUIRED"
)

// Sentinels for errors.Is. Only the Code field is compared.
var (
	ErrDenied           = &Error{Code: "APPROVAL.DENIED"}
	ErrTokenRequired    = &Error{Code: codeTokenRequired} // also matches TOKEN_REQUIRED
	ErrApprovalTimeout  = &Error{Code: "APPROVAL.TIMEOUT"}
	ErrNoDevice         = &Error{Code: "APPROVAL.DEVICE"}
	ErrPushUnregistered = &Error{Code: "PUSH.UNREGISTERED"}
	ErrFirewallBlocked  = &Error{Code: "FIREWALL.BLOCKED"}
	ErrThrottled        = &Error{Code: "FIREWALL.THROTTLE"}
	ErrTokenExpired     = &Error{Code: "ACCESS_TOKEN.EXPIRED"}
	ErrInvalidResponse  = &Error{Code: codeInvalidResponse} // non-JSON / malformed / oversized
	ErrServer           = &Error{Code: codeServer}          // non-2xx without error object
	ErrNetwork          = &Error{Code: codeNetwork}         // transport failure (Err set)

	// ErrInvalidRequest reports a request rejected by the client before
	// anything was sent (missing or malformed field), or a malformed
	// webhook request.
	ErrInvalidRequest = &Error{Code: codeInvalidRequest}
	// ErrBadSignature reports a missing or wrong X-Unloq-Signature.
	ErrBadSignature = &Error{Code: codeWebhookSignature}
)

// Error formats the error as
// "unloq: <op>: <code> (HTTP <status>): <message>: <cause>".
func (e *Error) Error() string {
	if e == nil {
		return "unloq: <nil>"
	}
	var b strings.Builder
	b.WriteString("unloq: ")
	if e.Op != "" {
		b.WriteString(e.Op)
		b.WriteString(": ")
	}
	b.WriteString(e.Code)
	if e.HTTPStatus != 0 {
		b.WriteString(" (HTTP ")
		b.WriteString(strconv.Itoa(e.HTTPStatus))
		b.WriteString(")")
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the underlying transport or decoding error.
func (e *Error) Unwrap() error {
	if e == nil {
		return nil
	}
	return e.Err
}

// Is reports whether target is an *Error with the same Code. APPROVAL.TOKEN
// and the older TOKEN_REQUIRED are treated as the same code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	if !ok || e == nil || t == nil || t.Code == "" {
		return false
	}
	return normalizeCode(e.Code) == normalizeCode(t.Code)
}

func normalizeCode(c string) string {
	if c == codeTokenRequiredOld {
		return codeTokenRequired
	}
	return c
}

// IsDenied reports whether err is an APPROVAL.DENIED error.
func IsDenied(err error) bool { return errors.Is(err, ErrDenied) }

// IsTokenRequired reports whether err says that an OTP is missing or wrong
// (APPROVAL.TOKEN or the older TOKEN_REQUIRED).
func IsTokenRequired(err error) bool { return errors.Is(err, ErrTokenRequired) }

// IsTimeout reports whether err is UNLOQ's APPROVAL.TIMEOUT or a local
// deadline (per-call timeout, context deadline or transport timeout).
func IsTimeout(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, ErrApprovalTimeout) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// maxMessageLen bounds server-provided messages kept in an *Error.
const maxMessageLen = 512

// cleanMessage removes secrets and control characters from a message and
// bounds its length, so it is safe for error text and logs.
func cleanMessage(msg string, secrets []string) string {
	msg = redact(msg, secrets)
	msg = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, msg)
	msg = strings.TrimSpace(msg)
	if len(msg) > maxMessageLen {
		cut := maxMessageLen
		for cut > 0 && !utf8RuneStart(msg[cut]) {
			cut--
		}
		msg = msg[:cut] + "…"
	}
	return msg
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }

// redact replaces every occurrence of a non-empty secret with "[redacted]".
func redact(s string, secrets []string) string {
	for _, sec := range secrets {
		if sec != "" && strings.Contains(s, sec) {
			s = strings.ReplaceAll(s, sec, "[redacted]")
		}
	}
	return s
}

// redactedError wraps an underlying error whose text contained a secret:
// Error() is redacted, Unwrap keeps errors.Is/As working.
type redactedError struct {
	msg string
	err error
}

func (r *redactedError) Error() string { return r.msg }
func (r *redactedError) Unwrap() error { return r.err }

// Timeout forwards net.Error's Timeout through the wrapper.
func (r *redactedError) Timeout() bool {
	var ne net.Error
	return errors.As(r.err, &ne) && ne.Timeout()
}
