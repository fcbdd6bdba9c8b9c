package stepup

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"sort"
	"strings"
)

// The replay of a browser's form POST: the waiting page carries the
// original application/x-www-form-urlencoded fields as hidden inputs, and
// the approved request runs the wrapped handler with exactly those fields
// as its body. Nothing else of the original request is replayed (no file
// uploads, no other body types, no headers beyond what the browser sends
// anyway).
const (
	// MaxReplayBytes bounds the form body of a browser POST.
	MaxReplayBytes = 64 << 10
	// MaxReplayFields bounds the number of form values of a browser POST.
	MaxReplayFields = 100

	// FieldStepUp is the form field of the waiting page's POST: "run" or
	// "grant". Every field whose name starts with fieldPrefix is dropped
	// from the replay.
	FieldStepUp = "unloq2fa_step_up"
	fieldPrefix = "unloq2fa_"
	// HeaderStepUp is the request header of API clients: "run" or "grant".
	HeaderStepUp = "Unloq2fa-Step-Up"

	modeRun   = "run"
	modeGrant = "grant"
)

// Field is one hidden form field of the waiting page.
type Field struct{ Name, Value string }

// readForm reads a browser POST's form body (bounded) and splits off the
// step-up mode. It does not touch r.Form or r.PostForm.
func readForm(w http.ResponseWriter, r *http.Request) (fields url.Values, mode string, err error) {
	const op = "read form"
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		if r.ContentLength != 0 {
			return nil, "", wrap(op, ErrUnsupported, errors.New("body without a content type"))
		}
	} else if mt, _, perr := mime.ParseMediaType(ct); perr != nil || mt != "application/x-www-form-urlencoded" {
		return nil, "", wrap(op, ErrUnsupported, errors.New("only application/x-www-form-urlencoded bodies can be replayed"))
	}
	var body []byte
	if r.Body != nil {
		body, err = io.ReadAll(http.MaxBytesReader(w, r.Body, MaxReplayBytes))
		if err != nil {
			return nil, "", wrap(op, ErrUnsupported, errors.New("form body too large or unreadable"))
		}
	}
	vals, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, "", wrap(op, ErrBadRequest, errors.New("malformed form body"))
	}
	n := 0
	for _, vs := range vals {
		n += len(vs)
	}
	if n > MaxReplayFields {
		return nil, "", wrap(op, ErrUnsupported, errors.New("too many form fields"))
	}
	if ms, ok := vals[FieldStepUp]; ok {
		if len(ms) != 1 || (ms[0] != modeRun && ms[0] != modeGrant) {
			return nil, "", wrap(op, ErrBadRequest, errors.New("malformed step-up field"))
		}
		mode = ms[0]
	}
	for k := range vals {
		if strings.HasPrefix(k, fieldPrefix) {
			delete(vals, k)
		}
	}
	return vals, mode, nil
}

// hiddenFields lists vals in a stable order.
func hiddenFields(vals url.Values) []Field {
	keys := make([]string, 0, len(vals))
	for k := range vals {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []Field
	for _, k := range keys {
		for _, v := range vals[k] {
			out = append(out, Field{Name: k, Value: v})
		}
	}
	return out
}

// withForm returns a copy of r whose body is exactly vals, form-encoded.
func withForm(r *http.Request, vals url.Values) *http.Request {
	enc := vals.Encode()
	r2 := r.Clone(r.Context())
	r2.Body = io.NopCloser(strings.NewReader(enc))
	r2.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(enc)), nil }
	r2.ContentLength = int64(len(enc))
	r2.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r2.Form, r2.PostForm, r2.MultipartForm = nil, nil, nil
	return r2
}
