package unloqtest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/unloq"
	"github.com/unloq2fa/unloq2fa/unloq/unloqtest"
)

// get fetches a page without following redirects.
func get(t *testing.T, hc *http.Client, u string, hdr ...string) (*http.Response, string) {
	t.Helper()
	return send(t, hc, http.MethodGet, u, "", nil, hdr...)
}

func post(t *testing.T, hc *http.Client, u, ctype, body string, hdr ...string) (*http.Response, string) {
	t.Helper()
	return send(t, hc, http.MethodPost, u, ctype, strings.NewReader(body), hdr...)
}

// send does one request, with the Content-Type ctype if not empty and the
// header name/value pairs hdr, and returns the response and its body.
func send(t *testing.T, hc *http.Client, method, u, ctype string, body io.Reader, hdr ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx(t), method, u, body)
	require.NoError(t, err)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := hc.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(b)
}

func noRedirect() *http.Client {
	return &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func TestDevicePage(t *testing.T) {
	srv := unloqtest.NewServer(t, unloqtest.WithApprovalTimeout(5*time.Second))
	c := srv.Client(t)
	hc := noRedirect()

	// Before any enrollment the page speaks to the person holding the
	// phone, not to a developer.
	_, empty := get(t, hc, srv.URL+"/device")
	assert.Contains(t, empty, "No accounts on this phone yet")
	assert.NotContains(t, empty, "/v1/enroll")

	// A pending pairing shows a QR code and a Scan button.
	_, err := c.Enroll(ctx(t), unloq.EnrollRequest{Email: alice, Name: "Alice's laptop"})
	require.NoError(t, err)
	resp, page := get(t, hc, srv.URL+"/device")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "text/html; charset=utf-8", resp.Header.Get("Content-Type"))
	assert.Equal(t, "no-store", resp.Header.Get("Cache-Control"))
	assert.Contains(t, page, "<style>")
	assert.Contains(t, page, `setInterval(function () { refresh(false); }, 1500)`)
	pairing := srv.Sim.Profiles()[0].PairingID
	require.NotEmpty(t, pairing)
	assert.Contains(t, page, `action="/device/pairings/`+pairing+`/scan"`)
	assert.Contains(t, page, `src="/qr/`+pairing+`.png"`)

	resp, _ = post(t, hc, srv.URL+"/device/pairings/"+pairing+"/scan", "", "")
	assert.Equal(t, http.StatusSeeOther, resp.StatusCode)
	assert.Equal(t, "/device", resp.Header.Get("Location"))
	ok, err := c.Enrolled(ctx(t), alice)
	require.NoError(t, err)
	assert.True(t, ok, "Scan on the phone page paired the device")

	// A pending approval shows Approve / Deny; the OTP is shown.
	done := blockedAuth(t, c, unloq.AuthenticateRequest{Email: alice, IP: "192.0.2.9"})
	a, err := srv.Sim.WaitForApproval(ctx(t), alice)
	require.NoError(t, err)
	_, state := get(t, hc, srv.URL+"/device/state")
	assert.Contains(t, state, `action="/device/approvals/`+a.ID+`/approve"`)
	assert.Contains(t, state, `action="/device/approvals/`+a.ID+`/deny"`)
	assert.Contains(t, state, "IP 192.0.2.9")
	assert.Contains(t, state, mustOTP(t, srv))
	assert.Contains(t, state, "Alice&#39;s laptop")
	assert.NotContains(t, state, "<html", "the state endpoint is a fragment")

	// A cross-site form post is refused; a script post gets 204.
	resp, _ = post(t, hc, srv.URL+"/device/approvals/"+a.ID+"/approve", "", "", "Sec-Fetch-Site", "cross-site")
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	resp, _ = post(t, hc, srv.URL+"/device/approvals/"+a.ID+"/approve", "", "", "X-Requested-With", "fetch")
	assert.Equal(t, http.StatusNoContent, resp.StatusCode)
	require.NoError(t, <-done)

	// Deny through a plain form post; answering twice is an error.
	done = blockedAuth(t, c, unloq.AuthenticateRequest{Email: alice})
	a, err = srv.Sim.WaitForApproval(ctx(t), alice)
	require.NoError(t, err)
	resp, _ = post(t, hc, srv.URL+"/device/approvals/"+a.ID+"/deny", "application/x-www-form-urlencoded", "")
	assert.Equal(t, http.StatusSeeOther, resp.StatusCode)
	assert.True(t, unloq.IsDenied(<-done))
	resp, _ = post(t, hc, srv.URL+"/device/approvals/"+a.ID+"/approve", "", "", "X-Requested-With", "fetch")
	assert.Equal(t, http.StatusConflict, resp.StatusCode)

	// The behaviour selector.
	resp, _ = post(t, hc, srv.URL+"/device/profiles/"+alice+"/behavior", "application/x-www-form-urlencoded", "mode=approve")
	assert.Equal(t, http.StatusSeeOther, resp.StatusCode)
	assert.Equal(t, unloqtest.BehaviorApprove, srv.Sim.Behavior(alice))
	_, state = get(t, hc, srv.URL+"/device/state")
	assert.Contains(t, state, `<option value="approve" selected>`)
	assert.Contains(t, state, "OTP required", "the denial made the OTP mandatory")
}

func TestLoginJSAndWidgetEndpoint(t *testing.T) {
	srv := unloqtest.NewServer(t, unloqtest.WithApprovalTimeout(5*time.Second), unloqtest.WithLoginURL("/uauth/login"))
	c := srv.Client(t)
	hc := srv.Server.Client()

	resp, js := get(t, hc, srv.URL+"/login.js")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "text/javascript; charset=utf-8", resp.Header.Get("Content-Type"))
	for _, s := range []string{"Log in with UNLOQ", "data-unloq-key", "data-unloq-email", "data-unloq-theme", "data-unloq-init", "/widget/authenticate", "onLogin", "token="} {
		assert.Contains(t, js, s)
	}
	if node, err := exec.LookPath("node"); err == nil {
		f := filepath.Join(t.TempDir(), "login.js")
		require.NoError(t, writeFile(f, js))
		out, err := exec.CommandContext(ctx(t), node, "--check", f).CombinedOutput()
		require.NoError(t, err, "login.js must be valid JavaScript: %s", out)
	}

	// CORS preflight from another origin.
	req, err := http.NewRequestWithContext(ctx(t), http.MethodOptions, srv.URL+"/widget/authenticate", nil)
	require.NoError(t, err)
	req.Header.Set("Origin", "https://app.example")
	req.Header.Set("Access-Control-Request-Method", "POST")
	req.Header.Set("Access-Control-Request-Headers", "content-type")
	pre, err := hc.Do(req)
	require.NoError(t, err)
	pre.Body.Close()
	assert.Equal(t, http.StatusNoContent, pre.StatusCode)
	assert.Equal(t, "https://app.example", pre.Header.Get("Access-Control-Allow-Origin"))
	assert.Contains(t, pre.Header.Get("Access-Control-Allow-Methods"), "POST")
	assert.Contains(t, strings.ToLower(pre.Header.Get("Access-Control-Allow-Headers")), "content-type")

	widget := func(body string) (*http.Response, map[string]any) {
		resp, b := post(t, hc, srv.URL+"/widget/authenticate", "application/json", body, "Origin", "https://app.example")
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(b), &m), b)
		return resp, m
	}
	resp, m := widget(`{"key":"wrong","email":"alice@example.test"}`)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.Equal(t, "WIDGET.UNAUTHORIZED", m["error"].(map[string]any)["code"])
	assert.Equal(t, "https://app.example", resp.Header.Get("Access-Control-Allow-Origin"))

	enrollScanned(t, srv, c, alice)
	for _, answer := range []string{"approve", "deny"} {
		t.Run(answer, func(t *testing.T) {
			go func() {
				a, err := srv.Sim.WaitForApproval(ctx(t), alice)
				if err != nil {
					return
				}
				if answer == "approve" {
					_ = srv.Sim.Approve(a.ID)
				} else {
					_ = srv.Sim.Deny(a.ID)
				}
			}()
			resp, m := widget(`{"key":"sim-widget-key","email":"alice@example.test"}`)
			if answer == "deny" {
				assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
				assert.Equal(t, "APPROVAL.DENIED", m["error"].(map[string]any)["code"])
				return
			}
			require.Equal(t, http.StatusOK, resp.StatusCode, m)
			res := m["result"].(map[string]any)
			assert.Equal(t, "/uauth/login", res["login_url"])
			tok := res["token"].(string)
			td, err := c.Token(ctx(t), unloq.TokenRequest{Token: tok, SID: "browser-session"})
			require.NoError(t, err)
			assert.Equal(t, alice, td.Email)
			assert.Equal(t, unloq.MethodUNLOQ, td.Method)
			assert.Equal(t, "127.0.0.1", td.IPSource)
		})
	}
}

func TestPrefixMount(t *testing.T) {
	tests := []struct {
		name, strip string
	}{
		{"StripPrefix without slash", "/_unloq"},
		{"StripPrefix with slash", "/_unloq/"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sim, err := unloqtest.New(unloqtest.WithApprovalTimeout(5 * time.Second))
			require.NoError(t, err)
			mux := http.NewServeMux()
			mux.Handle("/_unloq/", http.StripPrefix(tc.strip, sim))
			mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "app", http.StatusTeapot) })
			hs := httptest.NewServer(mux)
			t.Cleanup(func() { _ = sim.Close(); hs.Close() })

			c, err := unloq.NewClient(sim.APIKey(), unloq.WithBaseURL(hs.URL+"/_unloq/v1"), unloq.WithAllowHTTP())
			require.NoError(t, err)
			er, err := c.Enroll(ctx(t), unloq.EnrollRequest{Email: alice})
			require.NoError(t, err)
			assert.True(t, strings.HasPrefix(er.QRURL, hs.URL+"/_unloq/qr/"), er.QRURL)
			resp, _ := get(t, http.DefaultClient, er.QRURL)
			assert.Equal(t, "image/png", resp.Header.Get("Content-Type"))

			_, page := get(t, http.DefaultClient, hs.URL+"/_unloq/device")
			assert.Contains(t, page, `action="/_unloq/device/pairings/`)
			assert.Contains(t, page, `src="/_unloq/qr/`)
			assert.True(t, strings.Contains(page, `var base = "/_unloq";`), "the phone script knows the prefix")
			resp, _ = post(t, noRedirect(), hs.URL+"/_unloq/device/pairings/"+sim.Profiles()[0].PairingID+"/scan", "", "")
			assert.Equal(t, "/_unloq/device", resp.Header.Get("Location"))

			_, index := get(t, http.DefaultClient, hs.URL+"/_unloq/")
			assert.Contains(t, index, `src="/_unloq/login.js"`)

			// Behind a TLS-terminating proxy.
			req, err := http.NewRequestWithContext(ctx(t), http.MethodPost, hs.URL+"/_unloq/v1/enroll", strings.NewReader(`{"email":"bob@example.test"}`))
			require.NoError(t, err)
			req.Header.Set("Authorization", "Bearer "+sim.APIKey())
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-Forwarded-Proto", "https")
			req.Host = "sim.example"
			resp, err = http.DefaultClient.Do(req)
			require.NoError(t, err)
			var env struct {
				Result struct {
					QRURL string `json:"qr_url"`
				}
			}
			require.NoError(t, json.NewDecoder(resp.Body).Decode(&env))
			resp.Body.Close()
			assert.True(t, strings.HasPrefix(env.Result.QRURL, "https://sim.example/_unloq/qr/"), env.Result.QRURL)

			// Faults may name the path with or without the prefix.
			for _, p := range []string{"/_unloq/v1/enrolled", "/v1/enrolled"} {
				resp, body := post(t, http.DefaultClient, hs.URL+"/_unloq/_control/faults", "application/json", `{"path":"`+p+`","mode":"error500"}`)
				require.Equal(t, http.StatusCreated, resp.StatusCode, body)
				_, err = c.Enrolled(ctx(t), alice)
				assert.Equal(t, http.StatusInternalServerError, apiErr(t, err).HTTPStatus, p)
			}

			resp, _ = get(t, http.DefaultClient, hs.URL+"/elsewhere")
			assert.Equal(t, http.StatusTeapot, resp.StatusCode)
		})
	}

	t.Run("WithPublicURL", func(t *testing.T) {
		srv := unloqtest.NewServer(t, unloqtest.WithPublicURL("https://unloq.example/base/"))
		er, err := srv.Client(t).Enroll(ctx(t), unloq.EnrollRequest{Email: alice})
		require.NoError(t, err)
		u, err := url.Parse(er.QRURL)
		require.NoError(t, err)
		assert.Equal(t, "unloq.example", u.Host)
		assert.True(t, strings.HasPrefix(u.Path, "/base/qr/"), u.Path)
	})
}

func TestQRImage(t *testing.T) {
	srv := unloqtest.NewServer(t)
	er, err := srv.Client(t).Enroll(ctx(t), unloq.EnrollRequest{Email: alice})
	require.NoError(t, err)
	resp, body := get(t, srv.Server.Client(), er.QRURL)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.True(t, strings.HasPrefix(body, "\x89PNG"))
	require.NoError(t, srv.Sim.Scan(alice))
	resp, _ = get(t, srv.Server.Client(), er.QRURL)
	assert.Equal(t, http.StatusNotFound, resp.StatusCode, "a used QR code is gone")
	resp, _ = get(t, srv.Server.Client(), srv.URL+"/qr/nope.gif")
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
}
