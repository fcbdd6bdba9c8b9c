package unloq

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"sort"
	"strings"
)

// SignatureHeader is the header carrying UNLOQ's webhook signature.
const SignatureHeader = "X-Unloq-Signature"

// maxWebhookBody caps the body read by VerifyWebhookRequest.
const maxWebhookBody = 64 << 10

// SignWebhook computes UNLOQ's webhook signature (X-Unloq-Signature):
// base64(HMAC-SHA256(secret, path + key1 + value1 + key2 + value2 ...)),
// where path is the path plus query of pathOrURL (a full URL, an absolute
// path, or a path without its leading slash) and the keys of params are
// sorted in byte order. A key with several values contributes them joined
// with "," (as UNLOQ's Node client would stringify an array).
func SignWebhook(secret, pathOrURL string, params url.Values) string {
	return hmacBase64(secret, signedString(pathOrURL, params))
}

// hmacBase64 is base64std(HMAC-SHA256(key, msg)), with padding.
func hmacBase64(key, msg string) string {
	mac := hmac.New(sha256.New, []byte(key))
	mac.Write([]byte(msg))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// VerifyWebhookSignature reports whether signature is SignWebhook's value
// for the same input, comparing in constant time. An empty secret or
// signature never verifies.
func VerifyWebhookSignature(secret, pathOrURL string, params url.Values, signature string) bool {
	if secret == "" || signature == "" {
		return false
	}
	want := SignWebhook(secret, pathOrURL, params)
	return hmac.Equal([]byte(want), []byte(signature))
}

// VerifyLinkSignature reports whether signature equals
// base64(HMAC-SHA256(deviceSecret, linkKey)) (the app-link signature of the
// legacy /token link_key and link_signature fields), in constant time.
func VerifyLinkSignature(deviceSecret, linkKey, signature string) bool {
	if deviceSecret == "" || linkKey == "" || signature == "" {
		return false
	}
	return hmac.Equal([]byte(hmacBase64(deviceSecret, linkKey)), []byte(signature))
}

// VerifyWebhookRequest checks a webhook POST from UNLOQ: it reads the body
// (form-urlencoded or a flat JSON object, at most 64 KiB), computes the
// signature over the request's path and query and the body values, and
// compares it with the X-Unloq-Signature header. It returns the body values
// on success. Failures are *Error values matching ErrInvalidRequest
// (malformed request) or ErrBadSignature (missing or wrong signature). The
// body is consumed.
func VerifyWebhookRequest(r *http.Request, secret string) (url.Values, error) {
	const op = "verify webhook"
	if r == nil {
		return nil, invalidRequest(op, "nil request")
	}
	if secret == "" {
		return nil, invalidRequest(op, "empty secret")
	}
	if r.Method != http.MethodPost {
		return nil, invalidRequest(op, "method must be POST")
	}
	sig := r.Header.Get(SignatureHeader)
	if sig == "" {
		return nil, &Error{Op: op, Code: codeWebhookSignature, Message: "missing " + SignatureHeader + " header"}
	}
	var raw []byte
	if r.Body != nil {
		var err error
		raw, err = io.ReadAll(io.LimitReader(r.Body, maxWebhookBody+1))
		if err != nil {
			return nil, &Error{Op: op, Code: codeInvalidRequest, Message: "cannot read body", Err: err}
		}
		if len(raw) > maxWebhookBody {
			return nil, invalidRequest(op, fmt.Sprintf("body exceeds %d bytes", maxWebhookBody))
		}
	}
	params, err := webhookParams(r.Header.Get("Content-Type"), raw)
	if err != nil {
		return nil, &Error{Op: op, Code: codeInvalidRequest, Message: err.Error()}
	}
	if !VerifyWebhookSignature(secret, requestPath(r), params, sig) {
		return nil, &Error{Op: op, Code: codeWebhookSignature, Message: "signature mismatch"}
	}
	return params, nil
}

// requestPath returns the path and query the sender signed: the raw
// request-target when the request came from a server, else r.URL's.
func requestPath(r *http.Request) string {
	if rt := r.RequestURI; rt != "" {
		if strings.HasPrefix(rt, "/") {
			return rt
		}
		if u, err := url.ParseRequestURI(rt); err == nil { // absolute-form target
			return u.RequestURI()
		}
	}
	if r.URL == nil {
		return "/"
	}
	return r.URL.RequestURI()
}

// webhookParams parses a form or flat-JSON webhook body.
func webhookParams(contentType string, raw []byte) (url.Values, error) {
	mt := ""
	if contentType != "" {
		var err error
		mt, _, err = mime.ParseMediaType(contentType)
		if err != nil {
			return nil, fmt.Errorf("malformed Content-Type")
		}
	}
	trimmed := bytes.TrimSpace(raw)
	isJSON := mt == "application/json" || strings.HasSuffix(mt, "+json") ||
		(mt == "" && len(trimmed) > 0 && trimmed[0] == '{')
	switch {
	case isJSON:
		return jsonParams(trimmed)
	case mt == "" || mt == "application/x-www-form-urlencoded" || mt == "text/plain":
		v, err := url.ParseQuery(string(raw))
		if err != nil {
			return nil, fmt.Errorf("malformed form body")
		}
		return v, nil
	}
	return nil, fmt.Errorf("unsupported Content-Type %q", mt)
}

// jsonParams flattens a JSON object of scalars into values the way UNLOQ's
// Node client stringifies them (numbers keep their digits, null is "").
func jsonParams(b []byte) (url.Values, error) {
	if len(b) == 0 {
		return url.Values{}, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("body is not a JSON object")
	}
	v := make(url.Values, len(m))
	for k, raw := range m {
		s, err := flexText(raw, true)
		if err != nil {
			return nil, fmt.Errorf("field %q is not a scalar", k)
		}
		v.Set(k, s)
	}
	return v, nil
}

// signedString builds the HMAC input: the path with its query, then each
// body key and value in ascending key order, without separators.
func signedString(pathOrURL string, params url.Values) string {
	var b strings.Builder
	b.WriteString(signedPath(pathOrURL))
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		b.WriteString(k)
		b.WriteString(strings.Join(params[k], ","))
	}
	return b.String()
}

// signedPath reduces a URL to its path and query, with a leading slash.
func signedPath(p string) string {
	if strings.Contains(p, "://") {
		if u, err := url.Parse(p); err == nil && u.Host != "" {
			return u.RequestURI()
		}
	}
	if i := strings.IndexByte(p, '#'); i >= 0 {
		p = p[:i]
	}
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	return p
}
