package unloq

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Signature vectors computed with UNLOQ's official Node client (verifySign, verifyLink).
const (
	vec20Sig = "/VvAqKqfB5pzw+Zjch0XiEMWgpaurk4s28Y/Klkff+4="
	vec21Sig = "m0nvIKLzB0nNXDUSR84b6YwLqkmjqamiI+zIywiQbkI="
	vec22Sig = "JoE7NxWEM8859t07cHgML8708MG/ud56+xLki0S57Aw="
)

func mustQuery(t testing.TB, s string) url.Values {
	v, err := url.ParseQuery(s)
	require.NoError(t, err)
	return v
}

func TestWebhookVectors(t *testing.T) {
	p20 := mustQuery(t, "unloq_id=1234&sid=abc123")
	assert.Equal(t, "/uauth/logoutsidabc123unloq_id1234", signedString("/uauth/logout", p20))
	for _, path := range []string{"/uauth/logout", "https://example.com/uauth/logout", "uauth/logout", "https://example.com:8443/uauth/logout#frag"} {
		t.Run("item 20 "+path, func(t *testing.T) {
			assert.Equal(t, vec20Sig, SignWebhook("test-secret", path, p20))
			assert.True(t, VerifyWebhookSignature("test-secret", path, p20, vec20Sig))
		})
	}

	p21 := mustQuery(t, "sid=abc123&key=test-api-key&id=1234")
	assert.Equal(t, "/?unloq_uauth=logoutid1234keytest-api-keysidabc123", signedString("https://example.com/?unloq_uauth=logout", p21))
	for _, path := range []string{"https://example.com/?unloq_uauth=logout", "/?unloq_uauth=logout", "?unloq_uauth=logout"} {
		t.Run("item 21 "+path, func(t *testing.T) {
			assert.Equal(t, vec21Sig, SignWebhook("test-secret", path, p21))
			assert.True(t, VerifyWebhookSignature("test-secret", path, p21, vec21Sig))
		})
	}

	t.Run("item 22 link signature", func(t *testing.T) {
		assert.True(t, VerifyLinkSignature("0123456789abcdef0123456789abcdef", "linkkey-xyz", vec22Sig))
	})
}

func TestWebhookSignatureRejects(t *testing.T) {
	p := mustQuery(t, "unloq_id=1234&sid=abc123")
	tests := []struct {
		name, secret, path string
		params             url.Values
		sig                string
	}{
		{"wrong secret", "other-secret", "/uauth/logout", p, vec20Sig},
		{"empty secret", "", "/uauth/logout", p, vec20Sig},
		{"empty signature", "test-secret", "/uauth/logout", p, ""},
		{"unpadded (Perl quirk)", "test-secret", "/uauth/logout", p, strings.TrimRight(vec20Sig, "=")},
		{"other path", "test-secret", "/uauth/logout2", p, vec20Sig},
		{"query added", "test-secret", "/uauth/logout?x=1", p, vec20Sig},
		{"tampered sid", "test-secret", "/uauth/logout", mustQuery(t, "unloq_id=1234&sid=abc124"), vec20Sig},
		{"extra param", "test-secret", "/uauth/logout", mustQuery(t, "unloq_id=1234&sid=abc123&x="), vec20Sig},
		{"raw HMAC bytes (.NET quirk)", "test-secret", "/uauth/logout", p, "garbage"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.False(t, VerifyWebhookSignature(tt.secret, tt.path, tt.params, tt.sig))
		})
	}
	assert.False(t, VerifyLinkSignature("0123456789abcdef0123456789abcdef", "linkkey-xyz", "x"+vec22Sig[1:]))
	assert.False(t, VerifyLinkSignature("", "linkkey-xyz", vec22Sig))
	assert.False(t, VerifyLinkSignature("0123456789abcdef0123456789abcdef", "", vec22Sig))
	assert.False(t, VerifyLinkSignature("0123456789abcdef0123456789abcdef", "linkkey-xyz", ""))
}

func TestSignWebhookMultiValue(t *testing.T) {
	v := url.Values{"b": {"2"}, "a": {"x", "y"}, "c": nil}
	assert.Equal(t, "/hooka"+"x,y"+"b2"+"c", signedString("/hook", v))
}

// verifyServer serves VerifyWebhookRequest over real HTTP so the request
// target is the one a server sees.
func verifyServer(t *testing.T, secret string) (*httptest.Server, chan url.Values, chan error) {
	vals := make(chan url.Values, 1)
	errs := make(chan error, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, err := VerifyWebhookRequest(r, secret)
		vals <- v
		errs <- err
		if err != nil {
			w.WriteHeader(http.StatusForbidden)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, vals, errs
}

func TestVerifyWebhookRequest(t *testing.T) {
	tests := []struct {
		name        string
		method      string
		path        string
		contentType string
		body        string
		sig         string
		want        url.Values
		code        string
	}{
		{"form, vector 20", "POST", "/uauth/logout", "application/x-www-form-urlencoded", "unloq_id=1234&sid=abc123", vec20Sig,
			url.Values{"unloq_id": {"1234"}, "sid": {"abc123"}}, ""},
		{"json with numeric id, vector 20", "POST", "/uauth/logout", "application/json; charset=utf-8", `{"unloq_id":1234,"sid":"abc123"}`, vec20Sig,
			url.Values{"unloq_id": {"1234"}, "sid": {"abc123"}}, ""},
		{"json without content type", "POST", "/uauth/logout", "", ` {"unloq_id":"1234","sid":"abc123"}`, vec20Sig,
			url.Values{"unloq_id": {"1234"}, "sid": {"abc123"}}, ""},
		{"query path, vector 21", "POST", "/?unloq_uauth=logout", "application/x-www-form-urlencoded", "sid=abc123&key=test-api-key&id=1234", vec21Sig,
			url.Values{"sid": {"abc123"}, "key": {"test-api-key"}, "id": {"1234"}}, ""},
		{"wrong signature", "POST", "/uauth/logout", "application/x-www-form-urlencoded", "unloq_id=1234&sid=abc124", vec20Sig, nil, codeWebhookSignature},
		{"signed for another path", "POST", "/other", "application/x-www-form-urlencoded", "unloq_id=1234&sid=abc123", vec20Sig, nil, codeWebhookSignature},
		{"missing signature", "POST", "/uauth/logout", "application/x-www-form-urlencoded", "unloq_id=1234&sid=abc123", "", nil, codeWebhookSignature},
		{"GET", "GET", "/uauth/logout?unloq_id=1234&sid=abc123", "", "", vec20Sig, nil, codeInvalidRequest},
		{"nested json", "POST", "/uauth/logout", "application/json", `{"unloq_id":{"x":1},"sid":"abc123"}`, vec20Sig, nil, codeInvalidRequest},
		{"json array", "POST", "/uauth/logout", "application/json", `[1]`, vec20Sig, nil, codeInvalidRequest},
		{"multipart", "POST", "/uauth/logout", "multipart/form-data; boundary=x", "--x--", vec20Sig, nil, codeInvalidRequest},
		{"bad content type", "POST", "/uauth/logout", "a/b; ===", "x", vec20Sig, nil, codeInvalidRequest},
		{"bad form", "POST", "/uauth/logout", "application/x-www-form-urlencoded", "a=%zz", vec20Sig, nil, codeInvalidRequest},
		{"oversized", "POST", "/uauth/logout", "application/x-www-form-urlencoded", "sid=" + strings.Repeat("a", maxWebhookBody), vec20Sig, nil, codeInvalidRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, vals, errs := verifyServer(t, "test-secret")
			req, err := http.NewRequest(tt.method, srv.URL+tt.path, strings.NewReader(tt.body))
			require.NoError(t, err)
			if tt.contentType != "" {
				req.Header.Set("Content-Type", tt.contentType)
			}
			if tt.sig != "" {
				req.Header.Set("X-Unloq-Signature", tt.sig)
			}
			req.Header.Set("X-Requested-With", "unloq")
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			gotErr, gotVals := <-errs, <-vals
			if tt.code == "" {
				require.NoError(t, gotErr)
				assert.Equal(t, tt.want, gotVals)
				assert.Equal(t, http.StatusOK, resp.StatusCode)
				return
			}
			var e *Error
			require.True(t, errors.As(gotErr, &e), "typed error, got %v", gotErr)
			assert.Equal(t, tt.code, e.Code)
			assert.Equal(t, "verify webhook", e.Op)
			assert.True(t, strings.HasPrefix(gotErr.Error(), "unloq: verify webhook: "))
			assert.NotContains(t, gotErr.Error(), "test-secret")
			assert.Nil(t, gotVals)
		})
	}
}

func TestVerifyWebhookRequestDirect(t *testing.T) {
	// A request built in-process has no RequestURI; r.URL is used.
	r := httptest.NewRequest(http.MethodPost, "https://example.com/uauth/logout", strings.NewReader("unloq_id=1234&sid=abc123"))
	r.RequestURI = ""
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set(SignatureHeader, vec20Sig)
	v, err := VerifyWebhookRequest(r, "test-secret")
	require.NoError(t, err)
	assert.Equal(t, "abc123", v.Get("sid"))

	// Absolute-form request target (proxy style).
	r = httptest.NewRequest(http.MethodPost, "https://example.com/uauth/logout", strings.NewReader("unloq_id=1234&sid=abc123"))
	r.RequestURI = "https://example.com/uauth/logout"
	r.Header.Set(SignatureHeader, vec20Sig)
	_, err = VerifyWebhookRequest(r, "test-secret")
	require.NoError(t, err)

	// Behind http.StripPrefix the original request target is still used.
	h := http.StripPrefix("/uauth", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, err := VerifyWebhookRequest(r, "test-secret")
		assert.NoError(t, err)
	}))
	r = httptest.NewRequest(http.MethodPost, "/uauth/logout", strings.NewReader("unloq_id=1234&sid=abc123"))
	r.Header.Set(SignatureHeader, vec20Sig)
	h.ServeHTTP(httptest.NewRecorder(), r)

	_, err = VerifyWebhookRequest(nil, "test-secret")
	assert.ErrorIs(t, err, ErrInvalidRequest)
	r = httptest.NewRequest(http.MethodPost, "/uauth/logout", bytes.NewReader(nil))
	r.Header.Set(SignatureHeader, vec20Sig)
	_, err = VerifyWebhookRequest(r, "")
	assert.ErrorIs(t, err, ErrInvalidRequest)
	_, err = VerifyWebhookRequest(r, "test-secret")
	assert.ErrorIs(t, err, ErrBadSignature)
}

func BenchmarkVerifyWebhookSignature(b *testing.B) {
	p := mustQuery(b, "unloq_id=1234&sid=abc123")
	for b.Loop() {
		if !VerifyWebhookSignature("test-secret", "/uauth/logout", p, vec20Sig) {
			b.Fatal("vector does not verify")
		}
	}
}
