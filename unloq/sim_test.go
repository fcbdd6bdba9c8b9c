package unloq_test

// Checks of UNLOQ's documented behaviour, run through the client against
// the local simulator (package unloqtest).

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/unloq"
	"github.com/unloq2fa/unloq2fa/unloq/unloqtest"
)

// enrolledUser enrolls and scans email on srv.
func enrolledUser(t *testing.T, srv *unloqtest.Server, c *unloq.Client, email string) {
	t.Helper()
	ctx := context.Background()
	res, err := c.Enroll(ctx, unloq.EnrollRequest{Email: email, Name: "Sim User"})
	require.NoError(t, err)
	assert.False(t, res.Exists)
	assert.NotEmpty(t, res.QRURL)
	assert.True(t, res.ExpireAt.After(time.Now()), "expire_at in the future")
	ok, err := c.Enrolled(ctx, email)
	require.NoError(t, err)
	assert.False(t, ok, "not enrolled before the scan")
	require.NoError(t, srv.Sim.Scan(email))
	ok, err = c.Enrolled(ctx, email)
	require.NoError(t, err)
	assert.True(t, ok, "enrolled after the scan")
}

func TestSimulatorPushLogin(t *testing.T) {
	srv := unloqtest.NewServer(t, unloqtest.WithApprovalTimeout(500*time.Millisecond), unloqtest.WithPings(10*time.Millisecond))
	c := srv.Client(t)
	ctx := context.Background()
	const email = "u1@example.test"
	enrolledUser(t, srv, c, email)

	// Approve (with pings), exchange the token once.
	require.NoError(t, srv.Sim.SetBehavior(email, unloqtest.BehaviorApprove))
	res, err := c.Authenticate(ctx, unloq.AuthenticateRequest{Email: email, IP: "203.0.113.5"})
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(res.Token, "AU"))
	assert.GreaterOrEqual(t, len(res.Token), 129)
	assert.NotEmpty(t, res.UnloqID)

	user, err := c.Token(ctx, unloq.TokenRequest{Token: res.Token, SID: "sess-1", Duration: time.Hour})
	require.NoError(t, err)
	assert.Equal(t, email, user.Email)
	assert.Equal(t, res.UnloqID, user.UnloqID)
	assert.Equal(t, unloq.MethodUNLOQ, user.Method)
	assert.Equal(t, "203.0.113.5", user.IPSource)
	assert.Equal(t, "AUTHENTICATE", user.TokenType)
	assert.NotEmpty(t, user.ApprovalID)

	_, err = c.Token(ctx, unloq.TokenRequest{Token: res.Token})
	var e *unloq.Error
	require.ErrorAs(t, err, &e, "a token is single use")
	assert.GreaterOrEqual(t, e.HTTPStatus, 400)
	assert.NotContains(t, err.Error(), res.Token)

	// A denial makes the OTP mandatory.
	require.NoError(t, srv.Sim.SetBehavior(email, unloqtest.BehaviorDeny))
	_, err = c.Authenticate(ctx, unloq.AuthenticateRequest{Email: email})
	require.Error(t, err)
	assert.True(t, unloq.IsDenied(err) || unloq.IsTokenRequired(err), "denied: %v", err)
	require.NoError(t, srv.Sim.SetBehavior(email, unloqtest.BehaviorApprove))
	_, err = c.Authenticate(ctx, unloq.AuthenticateRequest{Email: email})
	assert.True(t, unloq.IsTokenRequired(err), "no OTP after a denial: %v", err)
	_, err = c.Authenticate(ctx, unloq.AuthenticateRequest{Email: email, OTP: "000000x"})
	assert.True(t, unloq.IsTokenRequired(err), "wrong OTP: %v", err)
	otp, err := srv.Sim.OTP(email)
	require.NoError(t, err)
	res, err = c.Authenticate(ctx, unloq.AuthenticateRequest{Email: email, OTP: otp})
	require.NoError(t, err)
	assert.NotEmpty(t, res.Token)

	// No answer → APPROVAL.TIMEOUT, surfaced as a timeout.
	require.NoError(t, srv.Sim.SetBehavior(email, unloqtest.BehaviorIgnore))
	start := time.Now()
	_, err = c.Authenticate(ctx, unloq.AuthenticateRequest{Email: email})
	assert.True(t, unloq.IsTimeout(err), "timeout: %v", err)
	assert.ErrorIs(t, err, unloq.ErrApprovalTimeout)
	assert.Less(t, time.Since(start), 10*time.Second)
}

func TestSimulatorManualApproval(t *testing.T) {
	// Keep-alive pings every 5 ms while the approval waits.
	srv := unloqtest.NewServer(t, unloqtest.WithApprovalTimeout(5*time.Second), unloqtest.WithPings(5*time.Millisecond))
	c := srv.Client(t)
	const email = "manual@example.test"
	enrolledUser(t, srv, c, email)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		a, err := srv.Sim.WaitForApproval(ctx, email)
		if err == nil {
			time.Sleep(60 * time.Millisecond) // let a few pings go out
			err = srv.Sim.Approve(a.ID)
		}
		done <- err
	}()
	res, err := c.Authenticate(ctx, unloq.AuthenticateRequest{Email: email, GenerateToken: boolPtr(false)})
	require.NoError(t, err)
	require.NoError(t, <-done)
	// generate_token=false gives user data and no token.
	assert.Empty(t, res.Token)
	require.NotNil(t, res.User)
	assert.NotEmpty(t, res.User.ApprovalID)
	assert.Equal(t, email, res.User.Email)
	require.NoError(t, c.AttachSession(ctx, unloq.SessionRequest{ApprovalID: res.User.ApprovalID, SID: "s2", Duration: 30 * time.Second}))
	err = c.AttachSession(ctx, unloq.SessionRequest{ApprovalID: res.User.ApprovalID, SID: "s3"})
	var e *unloq.Error
	require.ErrorAs(t, err, &e, "second attach is rejected")
	assert.GreaterOrEqual(t, e.HTTPStatus, 400)
}

func TestSimulatorOTPAndEmail(t *testing.T) {
	srv := unloqtest.NewServer(t, unloqtest.WithApprovalTimeout(2*time.Second))
	c := srv.Client(t)
	ctx := context.Background()
	const email = "otp@example.test"
	enrolledUser(t, srv, c, email)

	// The OTP method.
	_, err := c.Authenticate(ctx, unloq.AuthenticateRequest{Email: email, Method: unloq.MethodOTP})
	assert.True(t, unloq.IsTokenRequired(err), "%v", err)
	otp, err := srv.Sim.OTP(email)
	require.NoError(t, err)
	res, err := c.Authenticate(ctx, unloq.AuthenticateRequest{Email: email, Method: unloq.MethodOTP, OTP: otp})
	require.NoError(t, err)
	user, err := c.Token(ctx, unloq.TokenRequest{Token: res.Token})
	require.NoError(t, err)
	assert.Equal(t, unloq.MethodOTP, user.Method)

	// The EMAIL method.
	_, err = c.Authenticate(ctx, unloq.AuthenticateRequest{Email: email, Method: unloq.MethodEmail})
	require.NoError(t, err)
	mails := srv.Sim.Mail(email)
	require.Len(t, mails, 1)
	link, err := url.Parse(mails[0].Link)
	require.NoError(t, err)
	tok := link.Query().Get("token")
	require.True(t, strings.HasPrefix(tok, "AU"), mails[0].Link)
	user, err = c.Token(ctx, unloq.TokenRequest{Token: tok})
	require.NoError(t, err)
	assert.Equal(t, unloq.MethodEmail, user.Method)
	assert.Equal(t, email, user.Email)
}

func TestSimulatorDeactivate(t *testing.T) {
	srv := unloqtest.NewServer(t, unloqtest.WithApprovalTimeout(2*time.Second))
	c := srv.Client(t)
	ctx := context.Background()
	const email = "gone@example.test"
	enrolledUser(t, srv, c, email)
	// Deactivation.
	require.NoError(t, c.Deactivate(ctx, email))
	ok, err := c.Enrolled(ctx, email)
	require.NoError(t, err)
	assert.False(t, ok)
	_, err = c.Authenticate(ctx, unloq.AuthenticateRequest{Email: email})
	require.Error(t, err)
	assert.ErrorIs(t, err, unloq.ErrNoDevice)
}

func TestSimulatorAuthorizeAndEncryption(t *testing.T) {
	srv := unloqtest.NewServer(t, unloqtest.WithApprovalTimeout(2*time.Second),
		unloqtest.WithAction("transfer", "Transfer resource $name?", "To $target"))
	c := srv.Client(t)
	ctx := context.Background()
	const email = "auth@example.test"
	enrolledUser(t, srv, c, email)
	require.NoError(t, srv.Sim.SetBehavior(email, unloqtest.BehaviorApprove))
	login, err := c.Authenticate(ctx, unloq.AuthenticateRequest{Email: email})
	require.NoError(t, err)

	// Authorisation.
	res, err := c.Authorize(ctx, "transfer", unloq.AuthorizeRequest{
		UnloqID: login.UnloqID, Reference: "abcdefg12",
		Variables: map[string]string{"name": "Server 1", "target": "john@doe.com"}, GenerateToken: true,
	})
	require.NoError(t, err)
	assert.Equal(t, login.UnloqID, res.UnloqID)
	found := false
	for _, a := range srv.Sim.Approvals(email, "") {
		if a.Title == "Transfer resource Server 1?" {
			found = true
		}
	}
	assert.True(t, found, "the device saw the rendered title")

	// Encryption key.
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	der, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	require.NoError(t, err)
	pubPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	var keys [][]byte
	for range 2 {
		enc, err := c.RequestEncryptionKey(ctx, unloq.EncryptionRequest{UnloqID: login.UnloqID, Message: "why", PublicKey: pubPEM})
		require.NoError(t, err)
		b64 := enc.EncryptionKey
		if b64 == "" && enc.Token != "" {
			user, err := c.Token(ctx, unloq.TokenRequest{Token: enc.Token})
			require.NoError(t, err)
			b64 = user.EncryptionKey
		}
		require.NotEmpty(t, b64)
		key, err := unloq.DecryptEncryptionKey(priv, b64)
		require.NoError(t, err)
		keys = append(keys, key)
	}
	assert.Equal(t, keys[0], keys[1], "the same key on repeated requests")
}

func TestSimulatorRemoteLogoutWebhook(t *testing.T) {
	got := make(chan url.Values, 4)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, err := unloq.VerifyWebhookRequest(r, "hook-secret")
		if err != nil {
			http.Error(w, err.Error(), http.StatusForbidden)
			return
		}
		got <- v
	}))
	t.Cleanup(hook.Close)
	srv := unloqtest.NewServer(t, unloqtest.WithApprovalTimeout(2*time.Second), unloqtest.WithLegacyFields(),
		unloqtest.WithWebhook(unloqtest.EventLogout, hook.URL+"/uauth/logout", "hook-secret", 0, time.Second))
	c := srv.Client(t)
	ctx := context.Background()
	const email = "hook@example.test"
	enrolledUser(t, srv, c, email)
	require.NoError(t, srv.Sim.SetBehavior(email, unloqtest.BehaviorApprove))
	res, err := c.Authenticate(ctx, unloq.AuthenticateRequest{Email: email})
	require.NoError(t, err)
	user, err := c.Token(ctx, unloq.TokenRequest{Token: res.Token, SID: "sid-42", Duration: time.Hour})
	require.NoError(t, err)

	// Legacy link signature.
	require.NotEmpty(t, user.LinkKey, "WithLegacyFields emits link_key")
	linkSecret, err := srv.Sim.LinkSecret(email)
	require.NoError(t, err)
	assert.True(t, unloq.VerifyLinkSignature(linkSecret, user.LinkKey, user.LinkSignature))

	// Remote logout webhook.
	require.NoError(t, srv.Sim.RemoteLogout(ctx, email, "sid-42"))
	select {
	case v := <-got:
		assert.Equal(t, "sid-42", v.Get("sid"))
		assert.Equal(t, string(user.UnloqID), v.Get("unloq_id"))
	case <-time.After(5 * time.Second):
		t.Fatal("no verified logout webhook")
	}
}

func TestSimulatorBadKey(t *testing.T) {
	srv := unloqtest.NewServer(t)
	c, err := unloq.NewClient("wrong-key", unloq.WithBaseURL(srv.URL+"/v1"), unloq.WithAllowHTTP())
	require.NoError(t, err)
	_, err = c.Enrolled(context.Background(), "u@example.test")
	var e *unloq.Error
	require.ErrorAs(t, err, &e)
	// A wrong key: a JSON error object with code, message and status.
	assert.GreaterOrEqual(t, e.HTTPStatus, 400)
	assert.Less(t, e.HTTPStatus, 500)
	assert.NotEmpty(t, e.Code)
	assert.NotEmpty(t, e.Message)
	assert.NotEmpty(t, e.Status)
	assert.NotContains(t, err.Error(), "wrong-key")
}

func boolPtr(b bool) *bool { return &b }
