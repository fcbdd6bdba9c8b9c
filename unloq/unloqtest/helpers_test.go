package unloqtest_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/unloq"
	"github.com/unloq2fa/unloq2fa/unloq/unloqtest"
)

// rawResp is a decoded raw HTTP answer.
type rawResp struct {
	Status int
	Header http.Header
	Body   string
	JSON   map[string]any
}

func (r rawResp) result(t testing.TB) map[string]any {
	t.Helper()
	res, ok := r.JSON["result"].(map[string]any)
	require.Truef(t, ok, "no result object in %s", r.Body)
	return res
}

func (r rawResp) errObj(t testing.TB) map[string]any {
	t.Helper()
	e, ok := r.JSON["error"].(map[string]any)
	require.Truef(t, ok, "no error object in %s", r.Body)
	return e
}

// raw sends a request with the simulator's API key (unless key is given)
// and decodes the JSON answer.
func raw(t testing.TB, srv *unloqtest.Server, method, path, ctype, body string, key ...string) rawResp {
	t.Helper()
	k := srv.Sim.APIKey()
	if len(key) > 0 {
		k = key[0]
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, srv.URL+path, strings.NewReader(body))
	require.NoError(t, err)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if k != "" {
		req.Header.Set("Authorization", "Bearer "+k)
	}
	resp, err := srv.Server.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	out := rawResp{Status: resp.StatusCode, Header: resp.Header, Body: string(b)}
	if strings.Contains(resp.Header.Get("Content-Type"), "json") {
		var v any
		require.NoErrorf(t, json.Unmarshal(b, &v), "body %q", b)
		out.JSON, _ = v.(map[string]any)
	}
	return out
}

func rawJSON(t testing.TB, srv *unloqtest.Server, path string, v any) rawResp {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return raw(t, srv, http.MethodPost, path, "application/json", string(b))
}

// control sends a control-plane request without credentials.
func control(t testing.TB, srv *unloqtest.Server, method, path, body string) rawResp {
	t.Helper()
	ct := ""
	if body != "" {
		ct = "application/json"
	}
	return raw(t, srv, method, path, ct, body, "")
}

func ctx(t testing.TB) context.Context {
	t.Helper()
	c, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	t.Cleanup(cancel)
	return c
}

// enrollScanned enrolls email through the API and completes the pairing.
func enrollScanned(t testing.TB, srv *unloqtest.Server, c *unloq.Client, email string) {
	t.Helper()
	_, err := c.Enroll(ctx(t), unloq.EnrollRequest{Email: email})
	require.NoError(t, err)
	require.NoError(t, srv.Sim.Scan(email))
}

func apiErr(t testing.TB, err error) *unloq.Error {
	t.Helper()
	require.Error(t, err)
	var ue *unloq.Error
	require.ErrorAsf(t, err, &ue, "error %v is not an *unloq.Error", err)
	return ue
}

func boolPtr(b bool) *bool { return &b }

func writeFile(path, content string) error { return os.WriteFile(path, []byte(content), 0o600) }
