package unloq

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDecodeResponse(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		code   string // "" = success
	}{
		{"success", 200, `{"type":"t","result":{"unloq_id":"1","token":"AU"}}`, ""},
		{"success 201", 201, `{"type":"t","result":{}}`, ""},
		{"success with meta", 200, `{"type":"t","meta":{"total_count":1},"result":{"unloq_id":1}}`, ""},
		{"pings before and after", 200, "\n \n\t\r\n{\"result\":{}}\n \n", ""},
		{"null error is no error", 200, `{"error":null,"result":{}}`, ""},
		{"1xx", 100, `{"result":{}}`, codeServer},
		{"301 with result", 301, `{"result":{}}`, codeServer},
		{"304", 304, ``, codeServer},
		{"400 with result", 400, `{"result":{}}`, codeServer},
		{"500 html", 500, `<html>`, codeInvalidResponse},
		{"error code", 400, `{"error":{"code":"A.B","ns":"a","message":"m","status":400}}`, "A.B"},
		{"error numeric code", 400, `{"error":{"code":42}}`, "42"},
		{"error nested junk", 400, `{"error":{"code":{"x":1}}}`, codeServer},
		{"result array into struct", 200, `{"result":[1,2]}`, codeInvalidResponse},
		{"result wrong type", 200, `{"result":{"unloq_id":{}}}`, codeInvalidResponse},
		{"result string", 200, `{"result":"ok"}`, codeInvalidResponse},
		{"duplicate keys, last wins", 200, `{"result":{},"result":null}`, codeInvalidResponse},
		{"not utf8 but JSON", 200, "{\"result\":{\"email\":\"\xff\"}}", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out tokenWire
			e := decodeResponse(tt.status, []byte(tt.body), &out)
			if tt.code == "" {
				require.Nil(t, e)
				return
			}
			require.NotNil(t, e)
			assert.Equal(t, tt.code, e.Code)
			assert.Equal(t, tt.status, e.HTTPStatus)
		})
	}
}

func TestDecodeResponseNilOut(t *testing.T) {
	assert.Nil(t, decodeResponse(200, []byte(`{"result":[]}`), nil))
	assert.Nil(t, decodeResponse(200, []byte(`{"result":{}}`), nil))
	assert.Nil(t, decodeResponse(200, []byte(`{"result":null}`), nil), "nothing to decode")
	assert.Nil(t, decodeResponse(200, []byte(`{"type":"t"}`), nil), "nothing to decode")
	e := decodeResponse(200, []byte(`{"type":"t"}`), &tokenWire{})
	require.NotNil(t, e, "a call that needs a result fails without one")
	assert.Equal(t, codeInvalidResponse, e.Code)
	e = decodeResponse(200, []byte(`{"error":{"code":"X"}}`), nil)
	require.NotNil(t, e)
	assert.Equal(t, "X", e.Code)
}

// FuzzDecodeResponse: the decoder never panics, and a success only ever
// comes from a 2xx reply that is a JSON object with a non-null result and
// no error object.
func FuzzDecodeResponse(f *testing.F) {
	seeds := []struct {
		status int
		body   string
	}{
		{200, `{"type":"api.application.approval.authenticate","result":{"unloq_id":"1234","token":"AUabc"}}`},
		{200, "\n \n{\"result\":{\"unloq_id\":1234}}"},
		{200, `{"result":{"enrolled":true,"has_device":"true"}}`},
		{400, `{"error":{"code":"APPROVAL.DENIED","ns":"approval","message":"m","status":400}}`},
		{502, `{"error":{"code":"APPROVAL.TIMEOUT","status":"502"}}`},
		{500, `<html>502 Bad Gateway</html>`},
		{500, `{"result":{"token":"x"}}`},
		{302, ``},
		{200, `{"error":"x","result":{}}`},
		{200, `{"result":{"source_client":{"ip":1}}}`},
		{200, `[]`},
		{200, `null`},
		{-1, `{"result":{}}`},
		{200, `{"type":"api.application.approval.session"}`},
		{200, `{"type":"error","code":"APPLICATION.NOT_FOUND","message":"m"}`},
		{200, `{"type":"success","data":{"token":"AUx","id":"1"}}`},
		{200, `{"result":{"exists":"TRUE","qr_url":"https://q","expire_at":1493010932698}}`},
		{200, `{"result":{"enrolled":"True","deactivated":"FALSE"}}`},
		{200, `{"result":{"expire_at":"2017-04-24 05:15:32"}}`},
		{200, `{"result":{"first_name":{"x":1},"last_name":[1],"image":true,"unloq_id":"1"}}`},
	}
	for _, s := range seeds {
		f.Add(s.status, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		// A call whose result carries nothing (out == nil) may succeed
		// without "result", but never on a non-2xx status, an error
		// member, a body that is not a JSON object, or a Gen 1 envelope.
		if e := decodeResponse(status, body, nil); e == nil {
			if status < 200 || status > 299 {
				t.Fatalf("nil out: success from HTTP %d", status)
			}
			var env map[string]json.RawMessage
			if err := json.Unmarshal(bytes.TrimSpace(body), &env); err != nil {
				t.Fatalf("nil out: success from a body that is not a JSON object: %v", err)
			}
			if present(env["error"]) || present(env["code"]) || string(env["type"]) == `"error"` {
				t.Fatalf("nil out: success despite an error: %q", body)
			}
		} else if e.Code == "" || e.HTTPStatus != status {
			t.Fatalf("nil out: bad error %#v", e)
		}
		var ew enrollWire
		if decodeResponse(status, body, &ew) == nil {
			_ = parseExpireAt(ew.ExpireAt)
		}
		var out tokenWire
		e := decodeResponse(status, body, &out)
		if e != nil {
			if e.Code == "" {
				t.Fatalf("error without code: %#v", e)
			}
			if e.HTTPStatus != status {
				t.Fatalf("status %d reported as %d", status, e.HTTPStatus)
			}
			_ = e.Error()
			return
		}
		if status < 200 || status > 299 {
			t.Fatalf("success from HTTP %d", status)
		}
		var env map[string]json.RawMessage
		if err := json.Unmarshal(bytes.TrimSpace(body), &env); err != nil {
			t.Fatalf("success from a body that is not a JSON object: %v", err)
		}
		if !present(env["result"]) {
			t.Fatalf("success without result: %q", body)
		}
		if present(env["error"]) {
			t.Fatalf("success despite an error member: %q", body)
		}
		_ = out.data()
	})
}

func BenchmarkDecode(b *testing.B) {
	bodies := map[string][]byte{
		"token":  []byte(`{"type":"api.application.approval.token","result":` + docsTokenResult + `}`),
		"pinged": []byte(strings.Repeat("\n ", 16) + `{"type":"api.application.approval.authenticate","result":{"unloq_id":1234,"token":"AU` + strings.Repeat("x", 127) + `"}}`),
		"error":  []byte(`{"error":{"code":"APPROVAL.DENIED","ns":"approval","message":"The user denied the request","status":400}}`),
	}
	for name, body := range bodies {
		status := 200
		if name == "error" {
			status = 400
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				var out tokenWire
				_ = decodeResponse(status, body, &out)
			}
		})
	}
}
