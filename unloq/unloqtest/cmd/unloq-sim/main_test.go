package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/unloq"
)

func TestParseFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr bool
		check   func(t *testing.T, o options)
	}{
		{"defaults", nil, false, func(t *testing.T, o options) {
			assert.Equal(t, "127.0.0.1:8090", o.addr)
			assert.Equal(t, "sim-api-key", o.apiKey)
			assert.Equal(t, "sim-widget-key", o.widgetKey)
			assert.Equal(t, "/uauth/login", o.loginURL)
			assert.Equal(t, 30*time.Second, o.approvalTimeout)
		}},
		{"all flags", []string{"-addr", ":9", "-api-key", "k", "-widget-key", "w", "-login-url", "https://app/l", "-approval-timeout", "5s", "-pings", "2s", "-public-url", "https://sim.example", "-v"}, false, func(t *testing.T, o options) {
			assert.Equal(t, options{addr: ":9", apiKey: "k", widgetKey: "w", loginURL: "https://app/l", publicURL: "https://sim.example",
				approvalTimeout: 5 * time.Second, pings: 2 * time.Second, verbose: true,
				webhookRetryTimeout: time.Minute, encryptionKeyLength: 32}, o)
		}},
		{"webhook, key and action flags", []string{"-logout-hook", "http://127.0.0.1:8080/uauth/logout", "-webhook-secret", "s",
			"-webhook-retry", "2", "-webhook-retry-timeout", "1s", "-encryption-key-length", "48",
			"-action", "pay=Pay $amount?|To {payee}", "-action", "wipe=Delete everything?"}, false, func(t *testing.T, o options) {
			assert.Equal(t, "http://127.0.0.1:8080/uauth/logout", o.logoutHook)
			assert.Equal(t, "s", o.webhookSecret)
			assert.Equal(t, 2, o.webhookRetry)
			assert.Equal(t, time.Second, o.webhookRetryTimeout)
			assert.Equal(t, 48, o.encryptionKeyLength)
			assert.Equal(t, map[string][2]string{"pay": {"Pay $amount?", "To {payee}"}, "wipe": {"Delete everything?", ""}}, o.actions)
		}},
		{"action without title", []string{"-action", "pay"}, true, nil},
		{"action without code", []string{"-action", "=Pay?"}, true, nil},
		{"unknown flag", []string{"-nope"}, true, nil},
		{"stray argument", []string{"extra"}, true, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o, err := parseFlags(tc.args, io.Discard)
			if tc.wantErr {
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			tc.check(t, o)
		})
	}
}

func TestRunHelp(t *testing.T) {
	var stderr strings.Builder
	require.NoError(t, run(context.Background(), []string{"-h"}, io.Discard, &stderr))
	for _, want := range []string{"-approval-timeout", "-logout-hook", "-encryption-key-length", "-action",
		"POST /_control/profiles/{email}/logout", "/_control/actions"} {
		assert.Contains(t, stderr.String(), want)
	}
}

func TestRunRefusesBadOptions(t *testing.T) {
	for _, args := range [][]string{
		{"-addr", "127.0.0.1:0", "-logout-hook", "not a url"},
		{"-addr", "127.0.0.1:0", "-encryption-key-length", "16"},
		{"-addr", "127.0.0.1:0", "-action", "pay.now=Pay?"},
		{"-addr", "127.0.0.1:0", "-action", "pay=" + strings.Repeat("t", 36)},
	} {
		assert.Error(t, run(context.Background(), args, io.Discard, io.Discard), "%v", args)
	}
}

// startSim runs unloq-sim with args on a free port and returns its base URL.
func startSim(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	errc := make(chan error, 1)
	go func() {
		errc <- run(ctx, append([]string{"-addr", "127.0.0.1:0"}, args...), pw, io.Discard)
		pw.Close()
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-errc:
			assert.NoError(t, err)
		case <-time.After(10 * time.Second):
			t.Error("run did not return after cancel")
		}
		http.DefaultClient.CloseIdleConnections()
	})
	sc := bufio.NewScanner(pr)
	require.True(t, sc.Scan())
	m := regexp.MustCompile(`listening on (127\.0\.0\.1:\d+)`).FindStringSubmatch(sc.Text())
	require.NotNil(t, m, sc.Text())
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	return "http://" + m[1]
}

// call sends a request (with the API key for /v1 paths) and returns the
// status and body.
func call(t *testing.T, method, u, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	require.NoError(t, err)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if strings.Contains(u, "/v1/") {
		req.Header.Set("Authorization", "Bearer test-key")
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

// TestRunLogoutHook: with -logout-hook, POST
// /_control/profiles/{email}/logout delivers UNLOQ's remote-logout webhook
// to the application: form fields unloq_id and sid, signed with the
// webhook secret (the API key by default), with X-Requested-With. An
// application that refuses the delivery makes the control call fail.
func TestRunLogoutHook(t *testing.T) {
	tests := []struct {
		name, secretFlag, verifyWith string
	}{
		{"signed with the API key", "", "test-key"},
		{"signed with -webhook-secret", "hook-secret", "hook-secret"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			var got []url.Values
			refuse := false
			hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Header.Get("X-Requested-With") == "" {
					http.Error(w, "no X-Requested-With", http.StatusBadRequest)
					return
				}
				p, err := unloq.VerifyWebhookRequest(r, tc.verifyWith)
				if err != nil {
					http.Error(w, err.Error(), http.StatusUnauthorized)
					return
				}
				mu.Lock()
				defer mu.Unlock()
				if refuse {
					http.Error(w, "no", http.StatusInternalServerError)
					return
				}
				got = append(got, p)
			}))
			defer hook.Close()

			args := []string{"-api-key", "test-key", "-logout-hook", hook.URL + "/uauth/logout"}
			if tc.secretFlag != "" {
				args = append(args, "-webhook-secret", tc.secretFlag)
			}
			base := startSim(t, args...)
			const email = "a@example.test"
			st, body := call(t, http.MethodPost, base+"/v1/enroll", `{"email":"a@example.test"}`)
			require.Equal(t, http.StatusOK, st, body)
			st, body = call(t, http.MethodPost, base+"/_control/profiles/"+email+"/scan", "")
			require.Equal(t, http.StatusOK, st, body)
			st, body = call(t, http.MethodPut, base+"/_control/profiles/"+email+"/behavior", `{"mode":"approve"}`)
			require.Equal(t, http.StatusOK, st, body)
			st, body = call(t, http.MethodPost, base+"/v1/authenticate", `{"email":"a@example.test"}`)
			require.Equal(t, http.StatusOK, st, body)
			var auth struct {
				Result struct {
					UnloqID string `json:"unloq_id"`
					Token   string `json:"token"`
				} `json:"result"`
			}
			require.NoError(t, json.Unmarshal([]byte(body), &auth))
			st, body = call(t, http.MethodPost, base+"/v1/token", `{"token":"`+auth.Result.Token+`","sid":"sess-1","duration":3600}`)
			require.Equal(t, http.StatusOK, st, body)

			// No sid: the one attached to the login.
			st, body = call(t, http.MethodPost, base+"/_control/profiles/"+email+"/logout", "")
			require.Equal(t, http.StatusOK, st, body)
			st, body = call(t, http.MethodPost, base+"/_control/profiles/"+email+"/logout", `{"sid":"other-sess"}`)
			require.Equal(t, http.StatusOK, st, body)
			mu.Lock()
			require.Len(t, got, 2)
			assert.Equal(t, url.Values{"unloq_id": {auth.Result.UnloqID}, "sid": {"sess-1"}}, got[0])
			assert.Equal(t, "other-sess", got[1].Get("sid"))
			refuse = true
			mu.Unlock()

			st, body = call(t, http.MethodPost, base+"/_control/profiles/"+email+"/logout", `{"sid":"sess-1"}`)
			assert.Equal(t, http.StatusBadGateway, st, body)
			st, _ = call(t, http.MethodPost, base+"/_control/profiles/ghost@example.test/logout", `{"sid":"x"}`)
			assert.Equal(t, http.StatusNotFound, st)
		})
	}
}

// TestRunWithoutLogoutHook: without -logout-hook the control call says
// that no webhook is configured instead of pretending to deliver.
func TestRunWithoutLogoutHook(t *testing.T) {
	base := startSim(t, "-api-key", "test-key")
	st, body := call(t, http.MethodPost, base+"/v1/enroll", `{"email":"a@example.test"}`)
	require.Equal(t, http.StatusOK, st, body)
	st, body = call(t, http.MethodPost, base+"/_control/profiles/a@example.test/logout", "")
	assert.Equal(t, http.StatusConflict, st)
	assert.Contains(t, body, "no session id")
	st, body = call(t, http.MethodPost, base+"/_control/profiles/a@example.test/logout", `{"sid":"s"}`)
	assert.Equal(t, http.StatusConflict, st)
	assert.Contains(t, body, "no logout webhook configured")
}

func TestRunServesAndShutsDown(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	errc := make(chan error, 1)
	go func() {
		errc <- run(ctx, []string{"-addr", "127.0.0.1:0", "-api-key", "test-key", "-approval-timeout", "200ms", "-v"}, pw, io.Discard)
		pw.Close()
	}()
	sc := bufio.NewScanner(pr)
	require.True(t, sc.Scan())
	m := regexp.MustCompile(`listening on (127\.0\.0\.1:\d+)`).FindStringSubmatch(sc.Text())
	require.NotNil(t, m, sc.Text())
	base := "http://" + m[1]
	var banner []string
	for i := 0; i < 5 && sc.Scan(); i++ {
		banner = append(banner, sc.Text())
	}
	joined := strings.Join(banner, "\n")
	assert.Contains(t, joined, base+"/v1")
	assert.Contains(t, joined, base+"/device")
	assert.Contains(t, joined, base+"/login.js")
	go func() { _, _ = io.Copy(io.Discard, pr) }()

	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/v1/enroll", strings.NewReader(`{"email":"a@example.test"}`))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer test-key")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode, string(b))
	assert.Contains(t, string(b), `"qr_url":"`+base+`/qr/`)

	// A blocked call does not hold the shutdown up.
	sresp, err := http.Post(base+"/_control/profiles/a@example.test/scan", "", nil)
	require.NoError(t, err)
	sresp.Body.Close()
	require.Equal(t, http.StatusOK, sresp.StatusCode)
	blocked := make(chan int, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodPost, base+"/v1/authenticate", strings.NewReader(`{"email":"a@example.test"}`))
		req.Header.Set("Authorization", "Bearer test-key")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			blocked <- 0
			return
		}
		resp.Body.Close()
		blocked <- resp.StatusCode
	}()
	time.Sleep(50 * time.Millisecond)
	cancel()
	select {
	case err := <-errc:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return after cancel")
	}
	assert.Contains(t, []int{http.StatusServiceUnavailable, http.StatusBadGateway}, <-blocked)
	http.DefaultClient.CloseIdleConnections()
}
