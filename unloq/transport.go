package unloq

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"time"
)

// apiCall describes one request to the UNLOQ API.
type apiCall struct {
	op       string     // operation name for errors and logs
	method   string     // http.MethodGet or http.MethodPost
	path     string     // relative to the base URL, already escaped, no leading slash
	query    url.Values // optional query string
	body     jsonBody   // nil: no request body
	approval bool       // blocking approval call: approval timeout, never retried
	retry    bool       // idempotent: retry once after a connection failure
	secrets  []string   // request values that must never appear in errors (the API key always is)
}

// jsonBody is a request body. Only set fields are added, so the encoded JSON
// never contains null (or empty optional) fields.
type jsonBody map[string]any

func (b jsonBody) str(key, v string) {
	if v != "" {
		b[key] = v
	}
}

func (b jsonBody) id(key string, v ID) {
	if v != "" {
		b[key] = string(v)
	}
}

func (b jsonBody) flag(key string, v bool) {
	if v {
		b[key] = true
	}
}

// do sends call and decodes the "result" of a successful reply into out
// (which may be nil). Every failure is an *Error.
func (c *Client) do(ctx context.Context, call apiCall, out any) error {
	if ctx == nil {
		ctx = context.Background()
	}
	start := time.Now()
	status, e := c.attempt(ctx, call, out)
	if e != nil && call.retry && !call.approval && e.Code == codeNetwork && !IsTimeout(e) && ctx.Err() == nil {
		status, e = c.attempt(ctx, call, out)
	}
	c.log(ctx, call.op, status, time.Since(start), e)
	if e != nil {
		return e
	}
	return nil // not e: a nil *Error in an error interface is not nil
}

// attempt performs one HTTP exchange under the per-call timeout.
func (c *Client) attempt(parent context.Context, call apiCall, out any) (int, *Error) {
	timeout := c.callTimeout
	if call.approval {
		timeout = c.approvalTimeout
	}
	ctx, cancel := context.WithTimeout(parent, timeout)
	defer cancel()

	secrets := append([]string{c.apiKey}, call.secrets...)
	fail := func(e *Error) (int, *Error) {
		e.Op = call.op
		e.Code = cleanMessage(e.Code, secrets)
		e.NS = cleanMessage(e.NS, secrets)
		e.Status = cleanMessage(e.Status, secrets)
		e.Message = cleanMessage(e.Message, secrets)
		return e.HTTPStatus, e
	}

	target := c.baseURL + "/" + call.path
	if len(call.query) > 0 {
		target += "?" + call.query.Encode()
	}
	var reqBody io.Reader
	if call.body != nil {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false) // send "&", "<", ">" literally, as other clients do
		if err := enc.Encode(map[string]any(call.body)); err != nil {
			return fail(&Error{Code: codeInvalidRequest, Message: "cannot encode request body"})
		}
		reqBody = bytes.NewReader(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
	}
	req, err := http.NewRequestWithContext(ctx, call.method, target, reqBody)
	if err != nil {
		return fail(&Error{Code: codeInvalidRequest, Message: "cannot build request"})
	}
	req.Header.Set("Authorization", "Bearer "+c.apiKey)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	if call.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}

	resp, err := c.hc.Do(req)
	if err != nil {
		return fail(c.transportError(parent, ctx, timeout, 0, err, secrets))
	}
	defer resp.Body.Close()
	limit := c.maxResponseBytes
	if limit < math.MaxInt64 {
		limit++ // read one byte more to detect an oversized body
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit))
	if err != nil {
		return fail(c.transportError(parent, ctx, timeout, resp.StatusCode, err, secrets))
	}
	if int64(len(body)) > c.maxResponseBytes {
		return fail(&Error{
			HTTPStatus: resp.StatusCode,
			Code:       codeInvalidResponse,
			Message:    fmt.Sprintf("response body exceeds %d bytes", c.maxResponseBytes),
		})
	}
	if e := decodeResponse(resp.StatusCode, body, out); e != nil {
		return fail(e)
	}
	return resp.StatusCode, nil
}

// transportError turns a failed round trip or body read into a
// NETWORK.ERROR *Error. The *url.Error wrapper (which repeats the URL) is
// dropped, and any secret in the cause's text is redacted.
func (c *Client) transportError(parent, ctx context.Context, timeout time.Duration, status int, err error, secrets []string) *Error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if msg := err.Error(); redact(msg, secrets) != msg {
		err = &redactedError{msg: redact(msg, secrets), err: err}
	}
	e := &Error{HTTPStatus: status, Code: codeNetwork, Err: err, Message: "request failed"}
	switch {
	case parent.Err() != nil && errors.Is(parent.Err(), context.Canceled):
		e.Message = "request canceled"
	case parent.Err() != nil:
		e.Message = "caller's deadline exceeded"
	case ctx.Err() != nil:
		e.Message = fmt.Sprintf("no reply within the call timeout (%v)", timeout)
		if !errors.Is(err, context.DeadlineExceeded) {
			e.Err = fmt.Errorf("%w: %w", context.DeadlineExceeded, err)
		}
	}
	return e
}

func (c *Client) log(ctx context.Context, op string, status int, d time.Duration, e *Error) {
	if c.logger == nil {
		return
	}
	level := slog.LevelDebug
	attrs := []slog.Attr{slog.String("op", op), slog.Int("status", status), slog.Duration("duration", d)}
	if e != nil {
		attrs = append(attrs, slog.String("code", e.Code))
		level = slog.LevelInfo
		switch e.Code {
		case codeNetwork, codeInvalidResponse, codeServer:
			level = slog.LevelWarn
		}
	}
	if !c.logger.Enabled(ctx, level) {
		return
	}
	c.logger.LogAttrs(ctx, level, "unloq api call", attrs...)
}

// decodeResponse interprets a Gen 2 reply. It returns nil only for a 2xx
// reply whose body is a JSON object with no "error" object and a non-null
// "result", which is then decoded into out. When out is nil (calls whose
// result carries nothing, such as token/session and token/device) the
// "result" member may also be missing or null. Leading and
// trailing whitespace (keep-alive pings) is ignored. The returned *Error has
// no Op; the caller sets it.
func decodeResponse(status int, body []byte, out any) *Error {
	if status >= 300 && status < 400 {
		return &Error{HTTPStatus: status, Code: codeServer, Message: "unexpected redirect (redirects are not followed)"}
	}
	ok := status >= 200 && status < 300
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		if ok {
			return &Error{HTTPStatus: status, Code: codeInvalidResponse, Message: "empty response body"}
		}
		return &Error{HTTPStatus: status, Code: codeServer, Message: "empty error response"}
	}
	var env struct {
		Type   json.RawMessage `json:"type"`
		Result json.RawMessage `json:"result"`
		Error  json.RawMessage `json:"error"`
		Code   json.RawMessage `json:"code"` // Gen 1 error envelope
		Data   json.RawMessage `json:"data"` // Gen 1 success envelope
	}
	if trimmed[0] != '{' {
		return &Error{HTTPStatus: status, Code: codeInvalidResponse, Message: "response is not a JSON object"}
	}
	if err := json.Unmarshal(trimmed, &env); err != nil {
		return &Error{HTTPStatus: status, Code: codeInvalidResponse, Message: "response is not valid JSON"}
	}
	if present(env.Error) {
		return decodeErrorObject(status, ok, env.Error)
	}
	if !ok {
		return &Error{HTTPStatus: status, Code: codeServer, Message: "unexpected HTTP status without error object"}
	}
	if out == nil && !present(env.Result) {
		// Nothing to decode, but a Gen 1 envelope ({"type":"error",
		// "code":…} or {"type":"success","data":…}) is not a Gen 2
		// success: its "error" may be spelled differently.
		if present(env.Code) || present(env.Data) || string(env.Type) == `"error"` || string(env.Type) == `"success"` {
			return &Error{HTTPStatus: status, Code: codeInvalidResponse, Message: "response is a Gen 1 envelope"}
		}
		return nil
	}
	if out == nil {
		return nil
	}
	if !present(env.Result) {
		return &Error{HTTPStatus: status, Code: codeInvalidResponse, Message: "response has no result"}
	}
	if err := json.Unmarshal(env.Result, out); err != nil {
		return &Error{HTTPStatus: status, Code: codeInvalidResponse, Message: "malformed result", Err: err}
	}
	return nil
}

// decodeErrorObject decodes {"code","ns","message","status"}. An "error"
// member that is not such an object is still an error, never a success.
func decodeErrorObject(status int, ok bool, raw json.RawMessage) *Error {
	fallback := codeServer
	if ok {
		fallback = codeInvalidResponse
	}
	var we struct {
		Code    flexString `json:"code"`
		NS      flexString `json:"ns"`
		Message flexString `json:"message"`
		Status  flexString `json:"status"`
	}
	raw = bytes.TrimSpace(raw)
	if raw[0] != '{' || json.Unmarshal(raw, &we) != nil {
		return &Error{HTTPStatus: status, Code: fallback, Message: "malformed error object"}
	}
	code := string(we.Code)
	if code == "" {
		code = fallback
	}
	return &Error{
		HTTPStatus: status,
		Code:       code,
		NS:         string(we.NS),
		Message:    string(we.Message),
		Status:     string(we.Status),
	}
}

// present reports whether a raw JSON member exists and is not null.
func present(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) > 0 && !bytes.Equal(raw, []byte("null"))
}
