package unloqtest_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/unloq"
	"github.com/unloq2fa/unloq2fa/unloq/unloqtest"
)

func TestEnrollKnownUserPushes(t *testing.T) {
	srv := unloqtest.NewServer(t, unloqtest.WithApprovalTimeout(200*time.Millisecond))
	c := srv.Client(t)
	enrollScanned(t, srv, c, alice)

	tests := []struct {
		behavior unloqtest.Behavior
		check    func(t *testing.T, res *unloq.EnrollResult, err error)
	}{
		{unloqtest.BehaviorApprove, func(t *testing.T, res *unloq.EnrollResult, err error) {
			require.NoError(t, err)
			assert.True(t, res.Exists)
			assert.Empty(t, res.QRURL, "no new pairing for a known user")
		}},
		{unloqtest.BehaviorDeny, func(t *testing.T, _ *unloq.EnrollResult, err error) {
			assert.True(t, unloq.IsDenied(err), "%v", err)
		}},
		{unloqtest.BehaviorIgnore, func(t *testing.T, _ *unloq.EnrollResult, err error) {
			assert.ErrorIs(t, err, unloq.ErrApprovalTimeout)
		}},
		{unloqtest.BehaviorUnregistered, func(t *testing.T, _ *unloq.EnrollResult, err error) {
			assert.ErrorIs(t, err, unloq.ErrPushUnregistered)
		}},
	}
	for _, tc := range tests {
		t.Run(string(tc.behavior), func(t *testing.T) {
			require.NoError(t, srv.Sim.SetBehavior(alice, tc.behavior))
			res, err := c.Enroll(ctx(t), unloq.EnrollRequest{Email: alice})
			tc.check(t, res, err)
			last := srv.Sim.Approvals(alice, "")
			if tc.behavior != unloqtest.BehaviorUnregistered {
				assert.Equal(t, unloqtest.TypeEnrollment, last[len(last)-1].Type)
			}
		})
	}
	r := rawJSON(t, srv, "/v1/enroll", map[string]any{"email": alice})
	assert.Equal(t, http.StatusBadRequest, r.Status, "the phone still refuses pushes")
	assert.Equal(t, "PUSH.UNREGISTERED", r.errObj(t)["code"])
}

func TestAPIErrors(t *testing.T) {
	srv := unloqtest.NewServer(t, unloqtest.WithApprovalTimeout(100*time.Millisecond),
		unloqtest.WithTimeoutStatus(http.StatusRequestTimeout), unloqtest.WithMethods(unloq.MethodUNLOQ, unloq.MethodOTP))
	c := srv.Client(t)
	enrollScanned(t, srv, c, alice)
	_, err := c.Enroll(ctx(t), unloq.EnrollRequest{Email: "pending@example.test"})
	require.NoError(t, err)

	tests := []struct {
		name       string
		path, body string
		wantStatus int
		wantCode   string
	}{
		{"enroll without e-mail", "/v1/enroll", `{}`, 400, "REQUEST.INVALID"},
		{"enroll bad e-mail", "/v1/enroll", `{"email":"nope"}`, 400, "REQUEST.INVALID"},
		{"deactivate unknown", "/v1/deactivate", `{"email":"ghost@example.test"}`, 404, "PROFILE.NOT_FOUND"},
		{"authenticate unknown", "/v1/authenticate", `{"email":"ghost@example.test"}`, 404, "PROFILE.NOT_FOUND"},
		{"authenticate unknown unloq_id", "/v1/authenticate", `{"unloq_id":"999999"}`, 404, "PROFILE.NOT_FOUND"},
		{"authenticate without credential", "/v1/authenticate", `{"method":"UNLOQ"}`, 400, "REQUEST.INVALID"},
		{"authenticate bad method", "/v1/authenticate", `{"email":"alice@example.test","method":"SMS"}`, 400, "REQUEST.INVALID"},
		{"authenticate disabled method", "/v1/authenticate", `{"email":"alice@example.test","method":"EMAIL"}`, 400, "APPROVAL.METHOD"},
		{"authenticate no device yet", "/v1/authenticate", `{"email":"pending@example.test"}`, 400, "APPROVAL.DEVICE"},
		{"authenticate bad public key", "/v1/authenticate", `{"email":"alice@example.test","public_key":"x"}`, 400, "REQUEST.INVALID"},
		{"timeout status is configurable", "/v1/authenticate", `{"email":"alice@example.test"}`, 408, "APPROVAL.TIMEOUT"},
		{"token missing", "/v1/token", `{}`, 400, "REQUEST.INVALID"},
		{"sid too long", "/v1/token", `{"token":"AUx","sid":"` + strings.Repeat("s", 129) + `"}`, 400, "REQUEST.INVALID"},
		{"session without sid", "/v1/token/session", `{"approval_id":"x"}`, 400, "REQUEST.INVALID"},
		{"session unknown approval", "/v1/token/session", `{"approval_id":"x","sid":"s"}`, 404, "APPROVAL.NOT_FOUND"},
		{"session unknown token", "/v1/token/session", `{"token":"AUx","sid":"s"}`, 400, "ACCESS_TOKEN.INVALID"},
		{"session without token or approval", "/v1/token/session", `{"sid":"s"}`, 400, "REQUEST.INVALID"},
		{"device token missing", "/v1/token/device", `{}`, 400, "REQUEST.INVALID"},
		{"generate without device token", "/v1/token/generate", `{"email":"alice@example.test"}`, 400, "REQUEST.INVALID"},
		{"generate wrong OTP", "/v1/token/generate", `{"email":"alice@example.test","device_token":"000000x"}`, 400, "APPROVAL.TOKEN"},
		{"authorize unknown action", "/v1/authorize/pay", `{"email":"alice@example.test","reference":"r1"}`, 404, "ACTION.NOT_FOUND"},
		{"encryption before authenticating", "/v1/encryption/user", `{"email":"alice@example.test"}`, 403, "APPROVAL.NOT_AUTHENTICATED"},
		{"unknown endpoint", "/v1/users", `{}`, 404, "ROUTE.NOT_FOUND"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := raw(t, srv, http.MethodPost, tc.path, "application/json", tc.body)
			assert.Equal(t, tc.wantStatus, r.Status, r.Body)
			e := r.errObj(t)
			assert.Equal(t, tc.wantCode, e["code"])
			assert.Equal(t, float64(tc.wantStatus), e["status"])
			assert.Equal(t, strings.ToLower(strings.SplitN(tc.wantCode, ".", 2)[0]), e["ns"])
			assert.NotEmpty(t, e["message"])
		})
	}

	t.Run("no key at all", func(t *testing.T) {
		r := raw(t, srv, http.MethodGet, "/v1/enrolled?email=a%40b.test", "", "", "")
		assert.Equal(t, http.StatusUnauthorized, r.Status)
	})
	t.Run("Gen 1 X-Api-Secret header", func(t *testing.T) {
		req, err := http.NewRequestWithContext(ctx(t), http.MethodGet, srv.URL+"/v1/enrolled?email="+url.QueryEscape(alice), nil)
		require.NoError(t, err)
		req.Header.Set("X-Api-Key", srv.Sim.WidgetKey())
		req.Header.Set("X-Api-Secret", srv.Sim.APIKey())
		resp, err := srv.Server.Client().Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode)
	})
	t.Run("GET with a JSON body (PHP SDK)", func(t *testing.T) {
		r := raw(t, srv, http.MethodGet, "/v1/enrolled", "application/json", `{"email":"alice@example.test"}`)
		require.Equal(t, http.StatusOK, r.Status, r.Body)
		assert.Equal(t, true, r.result(t)["enrolled"])
	})
}

func TestTokenDeviceAndGenerate(t *testing.T) {
	srv := unloqtest.NewServer(t, unloqtest.WithAction("pay", "Pay $amount?", ""))
	c := srv.Client(t)
	enrollScanned(t, srv, c, alice)

	require.NoError(t, c.DeviceToken(ctx(t), "device-token-from-the-app"))
	r := rawJSON(t, srv, "/v1/token/device", map[string]any{"token": "x"})
	assert.JSONEq(t, `{"type":"api.application.approval.device","result":{}}`, r.Body)

	otp := mustOTP(t, srv)
	res, err := c.GenerateToken(ctx(t), unloq.GenerateTokenRequest{DeviceToken: otp, Email: alice, Duration: 2 * time.Minute})
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(res.Token, "AU"))
	assert.NotEmpty(t, res.UnloqID)
	td, err := c.Token(ctx(t), unloq.TokenRequest{Token: res.Token})
	require.NoError(t, err)
	assert.Equal(t, unloq.MethodOTP, td.Method)

	// Generating a token counts as authenticating: authorize works now.
	require.NoError(t, srv.Sim.SetBehavior(alice, unloqtest.BehaviorApprove))
	ar, err := c.Authorize(ctx(t), "pay", unloq.AuthorizeRequest{Email: alice, Reference: "inv-1",
		Variables: map[string]string{"amount": "10 EUR"}, GenerateToken: true})
	require.NoError(t, err)
	assert.NotEmpty(t, ar.Token)
	all := srv.Sim.Approvals(alice, "")
	assert.Equal(t, "Pay 10 EUR?", all[len(all)-1].Title)
	// Without GenerateToken the client sends false: user data, no token.
	ar, err = c.Authorize(ctx(t), "pay", unloq.AuthorizeRequest{Email: alice, Reference: "inv-1b"})
	require.NoError(t, err)
	assert.Empty(t, ar.Token)
	require.NotNil(t, ar.User)
	assert.NotEmpty(t, ar.User.ApprovalID)
	assert.Equal(t, "AUTHORIZE", ar.User.TokenType)
	// generate_token=false on authorize returns the user data.
	r = rawJSON(t, srv, "/v1/authorize/pay", map[string]any{"email": alice, "reference": "inv-2", "generate_token": false})
	require.Equal(t, http.StatusOK, r.Status, r.Body)
	assert.NotContains(t, r.result(t), "token")
	assert.Equal(t, "AUTHORIZE", r.result(t)["token_type"])
}

func TestDeactivateCancelsPendingAndFiresHooks(t *testing.T) {
	var mu sync.Mutex
	got := map[string]url.Values{}
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := unloq.VerifyWebhookRequest(r, "hook-secret")
		if err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		mu.Lock()
		got[r.URL.Path] = p
		mu.Unlock()
	}))
	defer hook.Close()
	srv := unloqtest.NewServer(t,
		unloqtest.WithApprovalTimeout(10*time.Second),
		unloqtest.WithWebhook(unloqtest.EventActivate, hook.URL+"/hooks/activate", "hook-secret", 0, 0),
		unloqtest.WithWebhook(unloqtest.EventDeactivate, hook.URL+"/hooks/deactivate", "hook-secret", 0, 0),
	)
	c := srv.Client(t)
	enrollScanned(t, srv, c, alice)

	done := blockedAuth(t, c, unloq.AuthenticateRequest{Email: alice})
	a, err := srv.Sim.WaitForApproval(ctx(t), alice)
	require.NoError(t, err)
	require.NoError(t, c.Deactivate(ctx(t), alice))
	err = <-done
	assert.Equal(t, "APPROVAL.CANCELLED", apiErr(t, err).Code)
	got2, err := srv.Sim.Approval(a.ID)
	require.NoError(t, err)
	assert.Equal(t, unloqtest.StatusCancelled, got2.Status)

	require.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(got) == 2
	}, 5*time.Second, 5*time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, alice, got["/hooks/activate"].Get("email"))
	assert.Equal(t, alice, got["/hooks/deactivate"].Get("email"))
	assert.NotEmpty(t, got["/hooks/activate"].Get("unloq_id"))
	for _, d := range srv.Sim.Deliveries() {
		assert.Equal(t, http.StatusOK, d.Status, d.Event)
	}
}

func TestRemoteLogoutDefaultsAndErrors(t *testing.T) {
	hits := make(chan url.Values, 4)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := unloq.VerifyWebhookRequest(r, unloqtest.DefaultAPIKey)
		if err == nil {
			hits <- p
		}
	}))
	defer hook.Close()
	srv := unloqtest.NewServer(t, unloqtest.WithWebhook(unloqtest.EventLogout, hook.URL+"/?unloq_uauth=logout", "", 0, 0))
	c := srv.Client(t)
	assert.Error(t, srv.Sim.RemoteLogout(ctx(t), alice, "x"), "unknown profile")
	enrollScanned(t, srv, c, alice)
	assert.Error(t, srv.Sim.RemoteLogout(ctx(t), alice, ""), "no session attached yet")

	require.NoError(t, srv.Sim.SetBehavior(alice, unloqtest.BehaviorApprove))
	ar, err := c.Authenticate(ctx(t), unloq.AuthenticateRequest{Email: alice})
	require.NoError(t, err)
	_, err = c.Token(ctx(t), unloq.TokenRequest{Token: ar.Token, SID: "the-session"})
	require.NoError(t, err)

	r := control(t, srv, "POST", "/_control/profiles/"+alice+"/logout", `{}`)
	require.Equal(t, http.StatusOK, r.Status, r.Body)
	p := <-hits
	assert.Equal(t, "the-session", p.Get("sid"), "the last attached sid is used")

	noHook := unloqtest.NewServer(t)
	enrollScanned(t, noHook, noHook.Client(t), alice)
	err = noHook.Sim.RemoteLogout(ctx(t), alice, "s")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no logout webhook")
}
