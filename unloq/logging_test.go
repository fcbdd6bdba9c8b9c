package unloq

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// syncBuffer is a goroutine-safe log sink.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestLogging(t *testing.T) {
	var buf syncBuffer
	logger := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	mux := http.NewServeMux()
	mux.HandleFunc("/v1/authenticate", reply(400, `{"error":{"code":"APPROVAL.DENIED","message":"denied `+testOTP+`","status":400}}`))
	mux.HandleFunc("/v1/token", ok("api.application.approval.token", docsTokenResult))
	mux.HandleFunc("/v1/enrolled", reply(500, "<html>"))
	c, _, _ := newTestClient(t, mux.ServeHTTP, WithLogger(logger))
	ctx := context.Background()

	_, err := c.Authenticate(ctx, AuthenticateRequest{Email: "secret-user@example.test", OTP: testOTP})
	require.Error(t, err)
	_, err = c.Token(ctx, TokenRequest{Token: testToken, SID: "sess"})
	require.NoError(t, err)
	_, err = c.Enrolled(ctx, "secret-user@example.test")
	require.Error(t, err)

	out := buf.String()
	for _, secret := range []string{testKey, testToken, testOTP, "secret-user@example.test", "john@doe.com"} {
		assert.NotContains(t, out, secret)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 3)
	want := []struct {
		level, op, code string
		status          float64
	}{
		{"INFO", "authenticate", "APPROVAL.DENIED", 400},
		{"DEBUG", "token", "", 200},
		{"WARN", "enrolled", codeInvalidResponse, 500},
	}
	for i, line := range lines {
		var rec map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &rec))
		assert.Equal(t, want[i].level, rec["level"])
		assert.Equal(t, want[i].op, rec["op"])
		assert.Equal(t, want[i].status, rec["status"])
		assert.Contains(t, rec, "duration")
		if want[i].code == "" {
			assert.NotContains(t, rec, "code")
		} else {
			assert.Equal(t, want[i].code, rec["code"])
		}
	}
}

func TestLoggingLevelFiltered(t *testing.T) {
	var buf syncBuffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))
	c, _, _ := newTestClient(t, ok("x", `{"enrolled":true}`), WithLogger(logger))
	_, err := c.Enrolled(context.Background(), "u@x.test")
	require.NoError(t, err)
	assert.Empty(t, buf.String(), "successes are logged at debug level")
}
