package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
				approvalTimeout: 5 * time.Second, pings: 2 * time.Second, verbose: true}, o)
		}},
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
	assert.Contains(t, stderr.String(), "-approval-timeout")
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
