package unloq

// Attack tests: a hostile or broken server echoes secrets in every place
// an error can carry text, and answers success statuses with errors.

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestAttackSecretsEchoedInEveryErrorField: whatever field of the error
// object (or which malformed reply) echoes the API key, the token or the
// OTP, neither the error text nor the client's log holds it.
func TestAttackSecretsEchoedInEveryErrorField(t *testing.T) {
	all := testKey + " " + testToken + " " + testOTP
	bodies := map[string]struct {
		status int
		body   string
	}{
		"code":                 {400, `{"error":{"code":"` + all + `"}}`},
		"ns":                   {400, `{"error":{"code":"X","ns":"` + all + `"}}`},
		"status":               {400, `{"error":{"code":"X","status":"` + all + `"}}`},
		"message":              {400, `{"error":{"code":"X","message":"` + all + `"}}`},
		"message, escaped":     {400, `{"error":{"code":"X","message":"` + strings.ReplaceAll(all, "A", `\u0041`) + `"}}`},
		"message, long":        {400, `{"error":{"code":"X","message":"` + strings.Repeat("x", 600) + all + `"}}`},
		"200 with error":       {200, `{"error":{"code":"APPROVAL.DENIED","message":"` + all + `"}}`},
		"200 error as string":  {200, `{"error":"` + all + `"}`},
		"200 garbage":          {200, all},
		"500 garbage":          {500, `<html>` + all + `</html>`},
		"200 bad result value": {200, `{"result":{"token":{"k":"` + all + `"},"email":["` + all + `"]}}`},
		"200 result is string": {200, `{"result":"` + all + `"}`},
	}
	for name, b := range bodies {
		t.Run(name, func(t *testing.T) {
			var logs bytes.Buffer
			logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			c, _, _ := newTestClient(t, reply(b.status, b.body), WithLogger(logger))
			// Each call knows (and must hide) the key and its own secret.
			_, err := c.Authenticate(context.Background(), AuthenticateRequest{Email: "u@x.test", OTP: testOTP})
			require.Error(t, err)
			assertNoSecretText(t, err, testKey, testOTP)
			_, err = c.Token(context.Background(), TokenRequest{Token: testToken})
			require.Error(t, err)
			assertNoSecretText(t, err, testKey, testToken)
			assert.NotContains(t, logs.String(), testKey)
		})
	}
}

// TestAttackSuccessStatusWithErrorNeverSucceeds: a 2xx reply that carries
// an error object, or no usable result, is an error for every call the
// handlers make.
func TestAttackSuccessStatusWithErrorNeverSucceeds(t *testing.T) {
	for _, status := range []int{200, 201, 202, 204, 206} {
		for _, body := range []string{
			`{"error":{"code":"APPROVAL.DENIED"}}`,
			`{"result":{"token":"AUx","email":"a@b.test","unloq_id":"1"},"error":{"code":"X"}}`,
			`{"result":{"token":"AUx"},"error":"x"}`,
			`{"result":null}`,
			`{}`,
			"\n \n",
			`[{"result":{"token":"AUx"}}]`,
		} {
			c, _, _ := newTestClient(t, reply(status, body))
			ctx := context.Background()
			res, err := c.Authenticate(ctx, AuthenticateRequest{Email: "u@x.test"})
			assert.Error(t, err, "%d %s", status, body)
			assert.Nil(t, res)
			td, err := c.Token(ctx, TokenRequest{Token: testToken})
			assert.Error(t, err, "%d %s", status, body)
			assert.Nil(t, td)
			_, err = c.Enrolled(ctx, "u@x.test")
			assert.Error(t, err, "%d %s", status, body)
		}
	}
}

func assertNoSecretText(t *testing.T, err error, secrets ...string) {
	t.Helper()
	for _, text := range []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err)} {
		for _, s := range secrets {
			assert.NotContains(t, text, s)
		}
	}
}
