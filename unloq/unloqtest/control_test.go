package unloqtest_test

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/unloq"
	"github.com/unloq2fa/unloq2fa/unloq/unloqtest"
)

const alice = "alice@example.test"

// blockedAuth starts an Authenticate in the background and returns a
// channel with its outcome.
func blockedAuth(t *testing.T, c *unloq.Client, req unloq.AuthenticateRequest) <-chan error {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		_, err := c.Authenticate(ctx(t), req)
		done <- err
	}()
	return done
}

func TestControlProfilesScanOTPBehavior(t *testing.T) {
	srv := unloqtest.NewServer(t, unloqtest.WithApprovalTimeout(5*time.Second))
	c := srv.Client(t)

	tests := []struct {
		name, method, path, body string
		wantStatus               int
		wantBody                 string // regexp
	}{
		{"scan unknown profile", "POST", "/_control/profiles/nobody@example.test/scan", "", 404, `unknown profile`},
		{"otp unknown profile", "GET", "/_control/profiles/nobody@example.test/otp", "", 404, `unknown profile`},
		{"behavior bad mode", "PUT", "/_control/profiles/" + alice + "/behavior", `{"mode":"sometimes"}`, 400, `unknown behaviour`},
		{"behavior before the profile exists", "PUT", "/_control/profiles/" + alice + "/behavior", `{"mode":"manual"}`, 200, `"mode": "manual"`},
		{"unknown control route", "GET", "/_control/nothing", "", 404, `no such control endpoint`},
		{"approve unknown approval", "POST", "/_control/approvals/nope/approve", "", 404, `unknown approval`},
		{"fault bad mode", "POST", "/_control/faults", `{"path":"/v1/token","mode":"explode"}`, 400, `mode`},
		{"fault bad path", "POST", "/_control/faults", `{"path":"v1/token","mode":"hang"}`, 400, `path`},
		{"clock on real time", "POST", "/_control/clock", `{"advance":"1s"}`, 409, `real clock`},
		{"add profile", "POST", "/_control/profiles", `{"email":"bob@example.test","first_name":"Bob"}`, 201, `"first_name": "Bob"`},
		{"list profiles", "GET", "/_control/profiles", "", 200, `bob@example.test`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := control(t, srv, tc.method, tc.path, tc.body)
			assert.Equal(t, tc.wantStatus, r.Status, r.Body)
			assert.Regexp(t, tc.wantBody, r.Body)
			assert.Contains(t, r.Header.Get("Content-Type"), "application/json")
		})
	}

	// Scan before enroll is a conflict; after enroll it pairs the device.
	r := control(t, srv, "POST", "/_control/profiles/bob@example.test/scan", "")
	assert.Equal(t, http.StatusConflict, r.Status)
	_, err := c.Enroll(ctx(t), unloq.EnrollRequest{Email: alice})
	require.NoError(t, err)
	r = control(t, srv, "POST", "/_control/profiles/"+alice+"/scan", "")
	require.Equal(t, http.StatusOK, r.Status, r.Body)
	ok, err := c.Enrolled(ctx(t), alice)
	require.NoError(t, err)
	assert.True(t, ok)

	r = control(t, srv, "GET", "/_control/profiles/"+alice+"/otp", "")
	require.Equal(t, http.StatusOK, r.Status)
	var otp struct{ OTP string }
	require.NoError(t, json.Unmarshal([]byte(r.Body), &otp))
	assert.Regexp(t, `^\d{6}$`, otp.OTP)
	want, err := srv.Sim.OTP(alice)
	require.NoError(t, err)
	assert.Equal(t, want, otp.OTP)

	// Behaviour approve / deny answer at once.
	for _, tc := range []struct {
		mode  string
		check func(error) bool
	}{
		{"approve", func(err error) bool { return err == nil }},
		{"deny", unloq.IsDenied},
	} {
		r = control(t, srv, "PUT", "/_control/profiles/"+alice+"/behavior", `{"mode":"`+tc.mode+`"}`)
		require.Equal(t, http.StatusOK, r.Status)
		_, err := c.Authenticate(ctx(t), unloq.AuthenticateRequest{Email: alice, OTP: want})
		assert.True(t, tc.check(err), "%s: %v", tc.mode, err)
	}
	assert.Equal(t, unloqtest.BehaviorDeny, srv.Sim.Behavior(alice))
}

// Scripts send the documented JSON bodies with curl -d, which labels them
// application/x-www-form-urlencoded; the control plane reads them as JSON,
// while the UNLOQ API keeps parsing such a body as the form it claims to be.
func TestControlJSONBodyLabelledAsForm(t *testing.T) {
	srv := unloqtest.NewServer(t)
	const form = "application/x-www-form-urlencoded"

	r := raw(t, srv, "PUT", "/_control/profiles/"+alice+"/behavior", form, `{"mode":"deny"}`)
	require.Equal(t, http.StatusOK, r.Status, r.Body)
	assert.Equal(t, unloqtest.BehaviorDeny, srv.Sim.Behavior(alice))

	r = raw(t, srv, "POST", "/_control/faults", form, `{"path":"/v1/token","mode":"error500","count":2}`)
	require.Equal(t, http.StatusCreated, r.Status, r.Body)
	assert.Contains(t, r.Body, `"count": 2`)

	r = raw(t, srv, "POST", "/v1/enroll", form, `{"email":"`+alice+`"}`)
	assert.Equal(t, http.StatusBadRequest, r.Status, r.Body)
	assert.Contains(t, r.Body, `The field \"email\" is required.`)
}

func TestControlApprovals(t *testing.T) {
	srv := unloqtest.NewServer(t, unloqtest.WithApprovalTimeout(5*time.Second))
	c := srv.Client(t)
	enrollScanned(t, srv, c, alice)

	for _, answer := range []string{"approve", "deny"} {
		t.Run(answer, func(t *testing.T) {
			done := blockedAuth(t, c, unloq.AuthenticateRequest{Email: alice, IP: "198.51.100.7", OTP: mustOTP(t, srv)})
			var list []map[string]any
			require.Eventually(t, func() bool {
				r := control(t, srv, "GET", "/_control/approvals?email="+alice+"&status=pending", "")
				require.Equal(t, http.StatusOK, r.Status)
				list = nil
				require.NoError(t, json.Unmarshal([]byte(r.Body), &list))
				return len(list) == 1
			}, 5*time.Second, 5*time.Millisecond)
			a := list[0]
			for _, k := range []string{"id", "email", "type", "status"} {
				assert.Contains(t, a, k)
			}
			assert.Equal(t, alice, a["email"])
			assert.Equal(t, "AUTHENTICATION", a["type"])
			assert.Equal(t, "pending", a["status"])
			assert.Equal(t, "198.51.100.7", a["ip"])

			id := a["id"].(string)
			r := control(t, srv, "POST", "/_control/approvals/"+id+"/"+answer, "")
			require.Equal(t, http.StatusOK, r.Status, r.Body)
			err := <-done
			if answer == "approve" {
				require.NoError(t, err)
				assert.Contains(t, r.Body, `"status": "approved"`)
			} else {
				assert.True(t, unloq.IsDenied(err), "%v", err)
				assert.Contains(t, r.Body, `"status": "denied"`)
			}
			r = control(t, srv, "POST", "/_control/approvals/"+id+"/approve", "")
			assert.Equal(t, http.StatusConflict, r.Status, "an answered approval cannot be answered again")
			r = control(t, srv, "GET", "/_control/approvals?email="+alice+"&status=pending", "")
			assert.JSONEq(t, `[]`, r.Body)
		})
	}

	// Offline: the approval is listed but cannot be answered.
	require.NoError(t, srv.Sim.SetBehavior(alice, unloqtest.BehaviorOffline))
	cctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := c.Authenticate(cctx, unloq.AuthenticateRequest{Email: alice, OTP: mustOTP(t, srv)})
		done <- err
	}()
	a, err := srv.Sim.WaitForApproval(ctx(t), alice)
	require.NoError(t, err)
	assert.False(t, a.Delivered)
	assert.Error(t, srv.Sim.Approve(a.ID))
	cancel() // the client gives up: the approval is cancelled
	require.Error(t, <-done)
	require.Eventually(t, func() bool {
		got, err := srv.Sim.Approval(a.ID)
		return err == nil && got.Status == unloqtest.StatusCancelled
	}, 5*time.Second, 5*time.Millisecond)
}

func mustOTP(t *testing.T, srv *unloqtest.Server) string {
	t.Helper()
	otp, err := srv.Sim.OTP(alice)
	require.NoError(t, err)
	return otp
}

func TestControlMailAndClock(t *testing.T) {
	clock := unloqtest.NewFakeClock(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC))
	srv := unloqtest.NewServer(t, unloqtest.WithClock(clock))
	c := srv.Client(t)
	enrollScanned(t, srv, c, alice)

	_, err := c.Authenticate(ctx(t), unloq.AuthenticateRequest{Email: alice, Method: unloq.MethodEmail})
	require.NoError(t, err)
	r := control(t, srv, "GET", "/_control/mail?email="+alice, "")
	require.Equal(t, http.StatusOK, r.Status)
	var mails []unloqtest.Mail
	require.NoError(t, json.Unmarshal([]byte(r.Body), &mails))
	require.Len(t, mails, 1)
	// The default login URL is a path, resolved against the request origin.
	assert.Regexp(t, `^`+regexp.QuoteMeta(srv.URL)+`/uauth/login\?token=AU[A-Za-z0-9_-]{127,}$`, mails[0].Link)
	assert.Equal(t, clock.Now(), mails[0].SentAt)
	r = control(t, srv, "GET", "/_control/mail?email=other@example.test", "")
	assert.JSONEq(t, `[]`, r.Body)

	otp1 := mustOTP(t, srv)
	r = control(t, srv, "POST", "/_control/clock", `{"advance":"2m"}`)
	require.Equal(t, http.StatusOK, r.Status, r.Body)
	assert.Contains(t, r.Body, "2030-01-02T03:06:05Z")
	assert.NotEqual(t, otp1, mustOTP(t, srv), "the OTP follows the clock")
	r = control(t, srv, "POST", "/_control/clock", `{"advance_ms":1000}`)
	require.Equal(t, http.StatusOK, r.Status, r.Body)
	assert.Equal(t, time.Date(2030, 1, 2, 3, 6, 6, 0, time.UTC), clock.Now())
}

func TestControlRequestsAndWebhookLog(t *testing.T) {
	srv := unloqtest.NewServer(t)
	c := srv.Client(t)
	_, _ = c.Enrolled(ctx(t), alice)
	r := control(t, srv, "GET", "/_control/requests", "")
	require.Equal(t, http.StatusOK, r.Status)
	assert.Contains(t, r.Body, `"/v1/enrolled?email=alice%40example.test"`)
	assert.NotContains(t, r.Body, "/_control/", "control calls are not recorded")
	srv.Sim.ResetRequests()
	assert.Empty(t, srv.Sim.Requests())
	r = control(t, srv, "GET", "/_control/webhooks", "")
	assert.JSONEq(t, `[]`, r.Body)
}

func TestFaultInjection(t *testing.T) {
	srv := unloqtest.NewServer(t)
	c := srv.Client(t)
	short := srv.Client(t, unloq.WithCallTimeout(300*time.Millisecond))
	enrolled := func() error { _, err := c.Enrolled(ctx(t), alice); return err }

	tests := []struct {
		mode    string
		delayMS int
		check   func(t *testing.T, err error, took time.Duration)
	}{
		{"error500", 0, func(t *testing.T, err error, _ time.Duration) {
			ue := apiErr(t, err)
			assert.Equal(t, http.StatusInternalServerError, ue.HTTPStatus)
			assert.Equal(t, "SERVER.ERROR", ue.Code)
		}},
		{"garbage", 0, func(t *testing.T, err error, _ time.Duration) {
			assert.ErrorIs(t, err, unloq.ErrInvalidResponse)
		}},
		{"hang", 0, func(t *testing.T, err error, took time.Duration) {
			assert.True(t, unloq.IsTimeout(err), "%v", err)
			assert.GreaterOrEqual(t, took, 300*time.Millisecond)
		}},
		{"slow", 100, func(t *testing.T, err error, took time.Duration) {
			assert.NoError(t, err)
			assert.GreaterOrEqual(t, took, 100*time.Millisecond)
		}},
		{"blocked", 0, func(t *testing.T, err error, _ time.Duration) {
			assert.ErrorIs(t, err, unloq.ErrFirewallBlocked)
			assert.Equal(t, http.StatusForbidden, apiErr(t, err).HTTPStatus)
		}},
		{"throttle", 0, func(t *testing.T, err error, _ time.Duration) {
			assert.ErrorIs(t, err, unloq.ErrThrottled)
			assert.Equal(t, http.StatusTooManyRequests, apiErr(t, err).HTTPStatus)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.mode, func(t *testing.T) {
			body, _ := json.Marshal(map[string]any{"path": "/v1/enrolled", "mode": tc.mode, "count": 2, "delay_ms": tc.delayMS})
			r := control(t, srv, "POST", "/_control/faults", string(body))
			require.Equal(t, http.StatusCreated, r.Status, r.Body)
			for i := 0; i < 2; i++ {
				start := time.Now()
				call := c
				if tc.mode == "hang" {
					call = short
				}
				_, err := call.Enrolled(ctx(t), alice)
				tc.check(t, err, time.Since(start))
			}
			assert.NoError(t, enrolled(), "count 2: the third call is normal")
		})
	}

	t.Run("other paths unaffected and clear", func(t *testing.T) {
		srv.Sim.InjectFault(unloqtest.Fault{Path: "/v1/token", Mode: unloqtest.FaultError500, Count: 5})
		assert.NoError(t, enrolled())
		r := control(t, srv, "DELETE", "/_control/faults", "")
		assert.Equal(t, http.StatusNoContent, r.Status)
		_, err := c.Token(ctx(t), unloq.TokenRequest{Token: "AU" + strings.Repeat("a", 127)})
		assert.Equal(t, "ACCESS_TOKEN.INVALID", apiErr(t, err).Code)
	})
}
