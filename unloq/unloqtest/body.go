package unloqtest

import (
	"bytes"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// fields is a request's parameters: the JSON object or form body, plus the
// query parameters the body does not set (except "events", which UNLOQ's
// Node client adds and the simulator ignores). Values keep their JSON type
// (string, json.Number, bool, map, slice, nil); form values are strings.
type fields map[string]any

func readBody(r *http.Request) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	b, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxBodyBytes))
	if err != nil {
		r.Body = io.NopCloser(errReader{err})
		return nil, err
	}
	r.Body = io.NopCloser(bytes.NewReader(b))
	return b, nil
}

// errReader fails every read with err (a body that was too large stays
// unreadable for later readers).
type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// parseFields reads r's parameters. It accepts JSON, form-urlencoded and
// multipart bodies (and a JSON body on GET, as UNLOQ's PHP SDK sends). A
// body labelled form-urlencoded is parsed as a form, as UNLOQ would.
func parseFields(r *http.Request) (fields, *apiError) { return parseRequest(r, false) }

// parseControlFields is parseFields for the control plane, whose documented
// bodies are JSON: a body that starts with "{" is read as JSON whatever its
// Content-Type, so that `curl -d '{"mode":"deny"}'` (which labels it
// form-urlencoded) works.
func parseControlFields(r *http.Request) (fields, *apiError) { return parseRequest(r, true) }

func parseRequest(r *http.Request, jsonObjectFirst bool) (fields, *apiError) {
	f := fields{}
	body, err := readBody(r)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, newErr(http.StatusRequestEntityTooLarge, "REQUEST.TOO_LARGE", "The request body is too large.")
		}
		return nil, badRequest("The request body could not be read.")
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	trimmed := bytes.TrimSpace(body)
	switch {
	case len(trimmed) == 0:
	case ct == "application/json" || strings.HasSuffix(ct, "+json") ||
		(trimmed[0] == '{' && (jsonObjectFirst || ct != "application/x-www-form-urlencoded" && ct != "multipart/form-data")):
		dec := json.NewDecoder(bytes.NewReader(trimmed))
		dec.UseNumber()
		var m map[string]any
		if err := dec.Decode(&m); err != nil || m == nil {
			return nil, badRequest("The request body is not a JSON object.")
		}
		if dec.More() {
			return nil, badRequest("Unexpected data after the JSON object.")
		}
		f = m
	case ct == "multipart/form-data":
		if err := r.ParseMultipartForm(maxBodyBytes); err != nil {
			return nil, badRequest("The multipart body could not be parsed.")
		}
		for k, v := range r.MultipartForm.Value {
			if len(v) > 0 {
				f[k] = v[0]
			}
		}
	default:
		vals, err := url.ParseQuery(string(trimmed))
		if err != nil {
			return nil, badRequest("The form body could not be parsed.")
		}
		for k, v := range vals {
			if len(v) > 0 {
				f[k] = v[0]
			}
		}
	}
	for k, v := range r.URL.Query() {
		if k == "events" || len(v) == 0 {
			continue
		}
		if _, ok := f[k]; !ok {
			f[k] = v[0]
		}
	}
	return f, nil
}

// str returns the field as a string, coercing numbers and booleans. The
// second result reports whether the field is present and not null.
func (f fields) str(k string) (string, bool) {
	v, ok := f[k]
	if !ok || v == nil {
		return "", false
	}
	switch t := v.(type) {
	case string:
		return t, true
	case json.Number:
		return t.String(), true
	case bool:
		return strconv.FormatBool(t), true
	default:
		b, _ := json.Marshal(t)
		return string(b), true
	}
}

// text returns the string value with ASCII whitespace trimmed, or "".
func (f fields) text(k string) string {
	s, _ := f.str(k)
	return trimASCIISpace(s)
}

// boolean returns the field as a bool, accepting true/false, the strings
// "true"/"false", "1"/"0", "yes"/"no", "on"/"off" in any ASCII letter case,
// and numbers.
func (f fields) boolean(k string, def bool) (bool, *apiError) {
	v, ok := f[k]
	if !ok || v == nil {
		return def, nil
	}
	switch t := v.(type) {
	case bool:
		return t, nil
	case json.Number:
		n, err := t.Float64()
		if err != nil {
			break
		}
		return n != 0, nil
	case string:
		switch asciiLower(trimASCIISpace(t)) {
		case "true", "1", "yes", "on":
			return true, nil
		case "false", "0", "no", "off":
			return false, nil
		case "":
			return def, nil
		}
	}
	return false, badRequest(fmt.Sprintf("The field %q must be a boolean.", k))
}

// integer returns the field as an int64, accepting numbers and numeric
// strings. present is false when the field is absent, null or "".
func (f fields) integer(k string) (n int64, present bool, e *apiError) {
	s, ok := f.str(k)
	s = strings.TrimSpace(s)
	if !ok || s == "" {
		return 0, false, nil
	}
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		return i, true, nil
	}
	if fl, err := strconv.ParseFloat(s, 64); err == nil && fl == float64(int64(fl)) {
		return int64(fl), true, nil
	}
	return 0, false, badRequest(fmt.Sprintf("The field %q must be an integer.", k))
}

// object returns a nested object field as string values. Form bodies may
// spell it k[sub]=v.
func (f fields) object(k string) map[string]string {
	out := map[string]string{}
	if m, ok := f[k].(map[string]any); ok {
		for sk, sv := range m {
			if s, ok := (fields{"v": sv}).str("v"); ok {
				out[sk] = s
			}
		}
	}
	for fk := range f {
		if strings.HasPrefix(fk, k+"[") && strings.HasSuffix(fk, "]") {
			sub := fk[len(k)+1 : len(fk)-1]
			if s, ok := f.str(fk); ok && sub != "" {
				out[sub] = s
			}
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// publicKey returns the optional PEM RSA public key in "public_key" (nil
// when the field is absent or empty).
func (f fields) publicKey() (*rsa.PublicKey, *apiError) {
	pk := f.text("public_key")
	if pk == "" {
		return nil, nil
	}
	k, err := parsePublicKey(pk)
	if err != nil {
		return nil, badRequest("The field \"public_key\" must be a PEM RSA public key.")
	}
	return k, nil
}
