package unloqtest_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
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

// TestConformance checks the simulator against UNLOQ's documented
// behaviour (numbered checks, one per documented rule), through the Go
// client and raw HTTP where a check is about the wire. The checks build on
// each other, so they run in order on one simulator.
func TestConformance(t *testing.T) {
	const (
		email = "u1@example.test"
		ip    = "203.0.113.5"
		T     = 500 * time.Millisecond // approval timeout
	)
	clock := unloqtest.NewFakeClock(time.Now())
	srv := unloqtest.NewTLSServer(t,
		unloqtest.WithClock(clock),
		unloqtest.WithApprovalTimeout(T),
		unloqtest.WithLoginURL("https://app.example/uauth/login"),
		unloqtest.WithAction("transfer", "Transfer resource $name?", "To $target"),
	)
	sim := srv.Sim
	c := srv.Client(t)
	var (
		unloqID string
		token   string // from check 3, exchanged in check 4
	)
	authBody := map[string]any{"email": email, "method": "UNLOQ", "ip": ip}

	t.Run("01_enroll_new_virtual_user", func(t *testing.T) {
		r := rawJSON(t, srv, "/v1/enroll", map[string]any{"email": email, "name": "U One"})
		require.Equal(t, http.StatusOK, r.Status, r.Body)
		assert.Equal(t, "api.application.enroll.user", r.JSON["type"])
		res := r.result(t)
		assert.Equal(t, false, res["exists"])
		qr, err := url.Parse(res["qr_url"].(string))
		require.NoError(t, err)
		assert.Equal(t, "https", qr.Scheme)
		exp := res["expire_at"].(string)
		assert.Regexp(t, `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`, exp)
		at, err := time.Parse(time.RFC3339Nano, exp)
		require.NoError(t, err)
		assert.True(t, at.After(clock.Now()), "expire_at %v lies in the past", at)

		// Through the client, and the QR image is a real PNG.
		er, err := c.Enroll(ctx(t), unloq.EnrollRequest{Email: email, Name: "U One"})
		require.NoError(t, err)
		assert.True(t, er.Exists, "the profile exists since the first call")
		assert.Equal(t, res["qr_url"], er.QRURL, "a live QR is reused")
		resp, err := srv.Server.Client().Get(er.QRURL)
		require.NoError(t, err)
		png, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		assert.Equal(t, "image/png", resp.Header.Get("Content-Type"))
		assert.True(t, strings.HasPrefix(string(png), "\x89PNG\r\n\x1a\n"))
	})

	t.Run("02_enrolled_before_and_after_scan", func(t *testing.T) {
		r := raw(t, srv, http.MethodGet, "/v1/enrolled?email=u1%40example.test", "", "")
		require.Equal(t, http.StatusOK, r.Status)
		assert.Equal(t, "api.application.enroll.check", r.JSON["type"])
		assert.Equal(t, map[string]any{"enrolled": false, "has_device": false}, r.result(t))
		ok, err := c.Enrolled(ctx(t), email)
		require.NoError(t, err)
		assert.False(t, ok)

		require.NoError(t, sim.Scan(email))
		r = raw(t, srv, http.MethodGet, "/v1/enrolled?email=u1%40example.test", "", "")
		assert.Equal(t, map[string]any{"enrolled": true, "has_device": true}, r.result(t))
		ok, err = c.Enrolled(ctx(t), email)
		require.NoError(t, err)
		assert.True(t, ok)
	})

	t.Run("03_push_approve", func(t *testing.T) {
		require.NoError(t, sim.SetBehavior(email, unloqtest.BehaviorApprove))
		r := rawJSON(t, srv, "/v1/authenticate", authBody)
		require.Equal(t, http.StatusOK, r.Status, r.Body)
		assert.Equal(t, "api.application.approval.authenticate", r.JSON["type"])
		res := r.result(t)
		id, ok := res["unloq_id"].(string)
		require.True(t, ok, "unloq_id must be a JSON string: %v", res["unloq_id"])
		tok := res["token"].(string)
		assert.True(t, strings.HasPrefix(tok, "AU"))
		assert.GreaterOrEqual(t, len(tok), 129)
		assert.Regexp(t, `^AU[A-Za-z0-9_-]+$`, tok)
		unloqID = id

		ar, err := c.Authenticate(ctx(t), unloq.AuthenticateRequest{Email: email, Method: unloq.MethodUNLOQ, IP: ip})
		require.NoError(t, err)
		assert.Equal(t, unloq.ID(unloqID), ar.UnloqID)
		assert.GreaterOrEqual(t, len(ar.Token), 129)
		assert.NotEqual(t, tok, ar.Token, "every approval mints a new token")
		token = ar.Token
	})

	t.Run("04_token_exchange", func(t *testing.T) {
		td, err := c.Token(ctx(t), unloq.TokenRequest{Token: token, SID: "sess-1", Duration: time.Hour})
		require.NoError(t, err)
		assert.NotEmpty(t, td.ApprovalID)
		assert.Equal(t, unloq.ID(unloqID), td.UnloqID)
		assert.Equal(t, email, td.Email)
		assert.Equal(t, unloq.MethodUNLOQ, td.Method)
		assert.Equal(t, ip, td.IPSource)
		assert.Equal(t, "AUTHENTICATE", td.TokenType)

		// The raw result carries every documented key (names may be null).
		ar, err := c.Authenticate(ctx(t), unloq.AuthenticateRequest{Email: email, IP: ip})
		require.NoError(t, err)
		r := rawJSON(t, srv, "/v1/token", map[string]any{"token": ar.Token, "sid": "sess-1b", "duration": 3600})
		require.Equal(t, http.StatusOK, r.Status, r.Body)
		assert.Equal(t, "api.application.approval.token", r.JSON["type"])
		res := r.result(t)
		for _, k := range []string{"approval_id", "unloq_id", "email", "method", "ip_source", "token_type", "first_name", "last_name", "image"} {
			assert.Contains(t, res, k)
		}
		assert.Equal(t, "UNLOQ", res["method"])
		assert.Equal(t, ip, res["ip_source"])
	})

	t.Run("05_single_use", func(t *testing.T) {
		_, err := c.Token(ctx(t), unloq.TokenRequest{Token: token, SID: "sess-1", Duration: time.Hour})
		ue := apiErr(t, err)
		assert.GreaterOrEqual(t, ue.HTTPStatus, 400)
		assert.Less(t, ue.HTTPStatus, 500)
		assert.NotEmpty(t, ue.Code)
		r := rawJSON(t, srv, "/v1/token", map[string]any{"token": token})
		assert.Equal(t, http.StatusBadRequest, r.Status)
		r.errObj(t)
		// Unknown tokens fail the same way.
		r = rawJSON(t, srv, "/v1/token", map[string]any{"token": "AU" + strings.Repeat("x", 127)})
		assert.Equal(t, http.StatusBadRequest, r.Status)
		assert.Equal(t, "ACCESS_TOKEN.INVALID", r.errObj(t)["code"])
	})

	t.Run("06_expiry", func(t *testing.T) {
		ar, err := c.Authenticate(ctx(t), unloq.AuthenticateRequest{Email: email, IP: ip})
		require.NoError(t, err)
		clock.Advance(61 * time.Second)
		_, err = c.Token(ctx(t), unloq.TokenRequest{Token: ar.Token})
		ue := apiErr(t, err)
		assert.Equal(t, "ACCESS_TOKEN.EXPIRED", ue.Code)
		assert.True(t, errors.Is(err, unloq.ErrTokenExpired))
		assert.Equal(t, http.StatusBadRequest, ue.HTTPStatus)

		// At exactly 60 s a token is still good.
		ar, err = c.Authenticate(ctx(t), unloq.AuthenticateRequest{Email: email, IP: ip})
		require.NoError(t, err)
		clock.Advance(60 * time.Second)
		_, err = c.Token(ctx(t), unloq.TokenRequest{Token: ar.Token})
		require.NoError(t, err)
	})

	t.Run("07_denial", func(t *testing.T) {
		require.NoError(t, sim.SetBehavior(email, unloqtest.BehaviorDeny))
		r := rawJSON(t, srv, "/v1/authenticate", authBody)
		require.Equal(t, http.StatusBadRequest, r.Status)
		var env struct {
			Error struct {
				Code    string          `json:"code"`
				NS      string          `json:"ns"`
				Message string          `json:"message"`
				Status  json.RawMessage `json:"status"`
			} `json:"error"`
		}
		require.NoError(t, json.Unmarshal([]byte(r.Body), &env))
		assert.Equal(t, "APPROVAL.DENIED", env.Error.Code)
		assert.NotEmpty(t, env.Error.NS)
		assert.NotEmpty(t, env.Error.Message)
		assert.Equal(t, "400", string(env.Error.Status), "status is a JSON number")
	})

	t.Run("08_otp_now_mandatory", func(t *testing.T) {
		require.NoError(t, sim.SetBehavior(email, unloqtest.BehaviorApprove))
		before := len(sim.Approvals(email, ""))
		for _, otp := range []string{"", "000000", "12345"} {
			_, err := c.Authenticate(ctx(t), unloq.AuthenticateRequest{Email: email, IP: ip, OTP: otp})
			ue := apiErr(t, err)
			assert.True(t, unloq.IsTokenRequired(err), "otp %q: %v", otp, err)
			assert.Equal(t, "APPROVAL.TOKEN", ue.Code)
			assert.Equal(t, http.StatusBadRequest, ue.HTTPStatus)
		}
		assert.Len(t, sim.Approvals(email, ""), before, "no push may reach the device")

		otp, err := sim.OTP(email)
		require.NoError(t, err)
		require.NoError(t, sim.SetBehavior(email, unloqtest.BehaviorManual))
		type out struct {
			res *unloq.ApprovalResult
			err error
		}
		done := make(chan out, 1)
		go func() {
			res, err := c.Authenticate(ctx(t), unloq.AuthenticateRequest{Email: email, IP: ip, OTP: otp})
			done <- out{res, err}
		}()
		a, err := sim.WaitForApproval(ctx(t), email)
		require.NoError(t, err, "with the OTP a push is sent")
		assert.Equal(t, unloqtest.TypeAuthentication, a.Type)
		require.NoError(t, sim.Approve(a.ID))
		o := <-done
		require.NoError(t, o.err)
		assert.NotEmpty(t, o.res.Token)

		// The success with a valid OTP lifted the requirement.
		require.NoError(t, sim.SetBehavior(email, unloqtest.BehaviorApprove))
		_, err = c.Authenticate(ctx(t), unloq.AuthenticateRequest{Email: email, IP: ip})
		require.NoError(t, err)
	})

	t.Run("09_otp_method", func(t *testing.T) {
		_, err := c.Authenticate(ctx(t), unloq.AuthenticateRequest{Email: email, Method: unloq.MethodOTP})
		assert.True(t, unloq.IsTokenRequired(err), "%v", err)
		_, err = c.Authenticate(ctx(t), unloq.AuthenticateRequest{Email: email, Method: unloq.MethodOTP, OTP: "999999x"})
		assert.True(t, unloq.IsTokenRequired(err), "%v", err)

		require.NoError(t, sim.SetBehavior(email, unloqtest.BehaviorManual)) // a push would hang
		otp, err := sim.OTP(email)
		require.NoError(t, err)
		pushes := len(sim.Approvals(email, unloqtest.StatusPending))
		ar, err := c.Authenticate(ctx(t), unloq.AuthenticateRequest{Email: email, Method: unloq.MethodOTP, OTP: otp, IP: ip})
		require.NoError(t, err)
		assert.Len(t, sim.Approvals(email, unloqtest.StatusPending), pushes, "no push for OTP")
		td, err := c.Token(ctx(t), unloq.TokenRequest{Token: ar.Token})
		require.NoError(t, err)
		assert.Equal(t, unloq.MethodOTP, td.Method)

		// The previous step's code is still accepted (±1 step).
		clock.Advance(60 * time.Second)
		_, err = c.Authenticate(ctx(t), unloq.AuthenticateRequest{Email: email, Method: unloq.MethodOTP, OTP: otp})
		require.NoError(t, err)
		clock.Advance(2 * time.Minute)
		_, err = c.Authenticate(ctx(t), unloq.AuthenticateRequest{Email: email, Method: unloq.MethodOTP, OTP: otp})
		assert.True(t, unloq.IsTokenRequired(err), "an old code is refused: %v", err)
	})

	t.Run("10_timeout", func(t *testing.T) {
		for _, b := range []unloqtest.Behavior{unloqtest.BehaviorIgnore, unloqtest.BehaviorOffline} {
			require.NoError(t, sim.SetBehavior(email, b))
			start := time.Now()
			_, err := c.Authenticate(ctx(t), unloq.AuthenticateRequest{Email: email, IP: ip})
			el := time.Since(start)
			ue := apiErr(t, err)
			assert.Equal(t, "APPROVAL.TIMEOUT", ue.Code, b)
			assert.Equal(t, http.StatusBadGateway, ue.HTTPStatus, b)
			assert.True(t, unloq.IsTimeout(err), b)
			assert.GreaterOrEqual(t, el, T, b)
			assert.Less(t, el, T+2*time.Second, b)
		}
		last := sim.Approvals(email, "")
		assert.Equal(t, unloqtest.StatusExpired, last[len(last)-1].Status)
		assert.False(t, last[len(last)-1].Delivered, "offline: the push never arrived")
	})

	t.Run("11_long_poll_pings", func(t *testing.T) {
		ps := unloqtest.NewServer(t, unloqtest.WithPings(10*time.Millisecond), unloqtest.WithApprovalTimeout(5*time.Second))
		pc := ps.Client(t)
		enrollScanned(t, ps, pc, email)
		go func() {
			a, err := ps.Sim.WaitForApproval(ctx(t), email)
			if err == nil {
				time.Sleep(150 * time.Millisecond)
				_ = ps.Sim.Approve(a.ID)
			}
		}()
		r := rawJSON(t, ps, "/v1/authenticate?events=true", authBody)
		require.Equal(t, http.StatusOK, r.Status)
		assert.True(t, strings.HasPrefix(r.Body, "\n"), "pings precede the JSON: %q", r.Body[:min(len(r.Body), 20)])
		assert.NotEmpty(t, r.result(t)["token"])

		go func() {
			a, err := ps.Sim.WaitForApproval(ctx(t), email)
			if err == nil {
				time.Sleep(60 * time.Millisecond)
				_ = ps.Sim.Approve(a.ID)
			}
		}()
		ar, err := pc.Authenticate(ctx(t), unloq.AuthenticateRequest{Email: email})
		require.NoError(t, err, "the Go client decodes a pinged answer")
		assert.NotEmpty(t, ar.Token)

		// After a ping the status is committed: a denial travels in the body.
		go func() {
			a, err := ps.Sim.WaitForApproval(ctx(t), email)
			if err == nil {
				time.Sleep(60 * time.Millisecond)
				_ = ps.Sim.Deny(a.ID)
			}
		}()
		_, err = pc.Authenticate(ctx(t), unloq.AuthenticateRequest{Email: email})
		assert.True(t, unloq.IsDenied(err), "%v", err)
	})

	t.Run("12_email_method", func(t *testing.T) {
		before := len(sim.Mail(email))
		r := rawJSON(t, srv, "/v1/authenticate", map[string]any{"email": email, "method": "EMAIL"})
		require.Equal(t, http.StatusOK, r.Status, r.Body)
		assert.Equal(t, unloqID, r.result(t)["unloq_id"])
		mails := sim.Mail(email)
		require.Len(t, mails, before+1)
		m := mails[len(mails)-1]
		assert.Equal(t, email, m.To)
		require.True(t, strings.HasPrefix(m.Link, "https://app.example/uauth/login?token=AU"), m.Link)
		assert.Contains(t, m.Body, m.Link)
		u, err := url.Parse(m.Link)
		require.NoError(t, err)
		td, err := c.Token(ctx(t), unloq.TokenRequest{Token: u.Query().Get("token")})
		require.NoError(t, err)
		assert.Equal(t, unloq.MethodEmail, td.Method)
		assert.Equal(t, email, td.Email)

		_, err = c.Authenticate(ctx(t), unloq.AuthenticateRequest{Email: email, Method: unloq.MethodEmail})
		require.NoError(t, err)
	})

	t.Run("13_generate_token_false_and_session_attach", func(t *testing.T) {
		require.NoError(t, sim.SetBehavior(email, unloqtest.BehaviorApprove))
		ar, err := c.Authenticate(ctx(t), unloq.AuthenticateRequest{Email: email, IP: ip, GenerateToken: boolPtr(false)})
		require.NoError(t, err)
		assert.Empty(t, ar.Token)
		require.NotNil(t, ar.User)
		assert.NotEmpty(t, ar.User.ApprovalID)
		assert.Equal(t, email, ar.User.Email)
		assert.Equal(t, unloq.ID(unloqID), ar.User.UnloqID)

		r := rawJSON(t, srv, "/v1/authenticate", map[string]any{"email": email, "ip": ip, "generate_token": false})
		require.Equal(t, http.StatusOK, r.Status)
		res := r.result(t)
		assert.NotContains(t, res, "token")
		for _, k := range []string{"approval_id", "unloq_id", "email", "first_name", "last_name", "image", "method", "ip_source"} {
			assert.Contains(t, res, k)
		}

		r = rawJSON(t, srv, "/v1/token/session", map[string]any{"approval_id": res["approval_id"], "sid": "s2", "duration": 30})
		require.Equal(t, http.StatusOK, r.Status, r.Body)
		assert.JSONEq(t, `{"type":"api.application.approval.session","result":{}}`, r.Body)
		r = rawJSON(t, srv, "/v1/token/session", map[string]any{"approval_id": res["approval_id"], "sid": "s3"})
		assert.Equal(t, http.StatusConflict, r.Status, "a second attach fails")
		r.errObj(t)

		require.NoError(t, c.AttachSession(ctx(t), unloq.SessionRequest{ApprovalID: ar.User.ApprovalID, SID: "s2", Duration: 30 * time.Second}))
		err = c.AttachSession(ctx(t), unloq.SessionRequest{ApprovalID: ar.User.ApprovalID, SID: "s2"})
		assert.GreaterOrEqual(t, apiErr(t, err).HTTPStatus, 400)

		ar, err = c.Authenticate(ctx(t), unloq.AuthenticateRequest{Email: email, GenerateToken: boolPtr(false)})
		require.NoError(t, err)
		clock.Advance(61 * time.Second)
		err = c.AttachSession(ctx(t), unloq.SessionRequest{ApprovalID: ar.User.ApprovalID, SID: "late"})
		ue := apiErr(t, err)
		assert.Equal(t, http.StatusBadRequest, ue.HTTPStatus, "attach after 60 s")

		// By token, too (NODE's authToken).
		ar, err = c.Authenticate(ctx(t), unloq.AuthenticateRequest{Email: email})
		require.NoError(t, err)
		require.NoError(t, c.AttachSession(ctx(t), unloq.SessionRequest{Token: ar.Token, SID: "by-token"}))
	})

	t.Run("14_form_body", func(t *testing.T) {
		body := url.Values{"email": {email}, "method": {"UNLOQ"}, "generate_token": {"true"}, "ip": {ip}}.Encode()
		r := raw(t, srv, http.MethodPost, "/v1/authenticate", "application/x-www-form-urlencoded", body)
		require.Equal(t, http.StatusOK, r.Status, r.Body)
		assert.Equal(t, "api.application.approval.authenticate", r.JSON["type"])
		res := r.result(t)
		assert.Equal(t, unloqID, res["unloq_id"])
		assert.True(t, strings.HasPrefix(res["token"].(string), "AU"))
		r = raw(t, srv, http.MethodPost, "/v1/token", "application/x-www-form-urlencoded",
			url.Values{"token": {res["token"].(string)}, "sid": {"form-sid"}, "duration": {"3600"}}.Encode())
		require.Equal(t, http.StatusOK, r.Status, r.Body)
		assert.Equal(t, ip, r.result(t)["ip_source"])
	})

	t.Run("15_string_coercion", func(t *testing.T) {
		r := rawJSON(t, srv, "/v1/authenticate", map[string]any{"email": email, "generate_token": "false"})
		require.Equal(t, http.StatusOK, r.Status, r.Body)
		res := r.result(t)
		assert.NotContains(t, res, "token")
		assert.Contains(t, res, "approval_id")
		r = rawJSON(t, srv, "/v1/authenticate", map[string]any{"email": email, "generate_token": "true"})
		require.Equal(t, http.StatusOK, r.Status, r.Body)
		tok := r.result(t)["token"].(string)
		r = rawJSON(t, srv, "/v1/token", map[string]any{"token": tok, "sid": 42, "duration": "3600"})
		assert.Equal(t, http.StatusOK, r.Status, r.Body)
		r = rawJSON(t, srv, "/v1/authenticate", map[string]any{"email": email, "generate_token": "maybe"})
		assert.Equal(t, http.StatusBadRequest, r.Status)
	})

	t.Run("16_deactivate", func(t *testing.T) {
		r := rawJSON(t, srv, "/v1/deactivate", map[string]any{"email": email})
		require.Equal(t, http.StatusOK, r.Status, r.Body)
		assert.JSONEq(t, `{"type":"api.application.enroll.deactivate","result":{"deactivated":true}}`, r.Body)
		ok, err := c.Enrolled(ctx(t), email)
		require.NoError(t, err)
		assert.False(t, ok)
		_, err = c.Authenticate(ctx(t), unloq.AuthenticateRequest{Email: email})
		assert.True(t, errors.Is(err, unloq.ErrNoDevice), "%v", err)

		// Re-enroll for the checks below, through the client API.
		er, err := c.Enroll(ctx(t), unloq.EnrollRequest{Email: email})
		require.NoError(t, err)
		assert.True(t, er.Exists)
		assert.NotEmpty(t, er.QRURL)
		require.NoError(t, sim.Scan(email))
		require.NoError(t, c.Deactivate(ctx(t), email))
		enrollScanned(t, srv, c, email)
		require.NoError(t, sim.SetBehavior(email, unloqtest.BehaviorApprove))
		_, err = c.Authenticate(ctx(t), unloq.AuthenticateRequest{Email: email})
		require.NoError(t, err)
	})

	t.Run("17_authorize", func(t *testing.T) {
		body := "unloq_id=" + unloqID + "&reference=abcdefg12&name=Server%201&target=john@doe.com&generate_token=true"
		r := raw(t, srv, http.MethodPost, "/v1/authorize/transfer", "application/x-www-form-urlencoded", body)
		require.Equal(t, http.StatusOK, r.Status, r.Body)
		assert.Equal(t, "api.application.approval.authorize", r.JSON["type"])
		res := r.result(t)
		assert.Equal(t, unloqID, res["unloq_id"])
		assert.True(t, strings.HasPrefix(res["token"].(string), "AU"))
		all := sim.Approvals(email, "")
		seen := all[len(all)-1]
		assert.Equal(t, unloqtest.TypeAuthorization, seen.Type)
		assert.Equal(t, "Transfer resource Server 1?", seen.Title)
		assert.Equal(t, "To john@doe.com", seen.Message)
		assert.Equal(t, "abcdefg12", seen.Reference)

		// generate_token defaults to false: no token unless it is true.
		for _, gt := range []string{"", "&generate_token=false", "&generate_token=0", "&generate_token=FALSE", "&generate_token="} {
			r = raw(t, srv, http.MethodPost, "/v1/authorize/transfer", "application/x-www-form-urlencoded",
				"unloq_id="+unloqID+"&reference=no-token&name=x"+gt)
			require.Equal(t, http.StatusOK, r.Status, r.Body)
			assert.NotContains(t, r.result(t), "token", "generate_token %q", gt)
			assert.Equal(t, unloqID, r.result(t)["unloq_id"])
			assert.NotEmpty(t, r.result(t)["approval_id"])
		}
		for _, gt := range []string{"&generate_token=TRUE", "&generate_token=True", "&generate_token=1"} {
			r = raw(t, srv, http.MethodPost, "/v1/authorize/transfer", "application/x-www-form-urlencoded",
				"unloq_id="+unloqID+"&reference=token&name=x"+gt)
			require.Equal(t, http.StatusOK, r.Status, r.Body)
			assert.Contains(t, r.result(t), "token", "generate_token %q", gt)
		}

		r = raw(t, srv, http.MethodPost, "/v1/authorize/transfer", "application/x-www-form-urlencoded",
			"unloq_id="+unloqID+"&reference="+strings.Repeat("r", 21)+"&name=x")
		assert.Equal(t, http.StatusBadRequest, r.Status)
		r.errObj(t)
		r = raw(t, srv, http.MethodPost, "/v1/authorize/nope", "application/x-www-form-urlencoded", "unloq_id="+unloqID+"&reference=r")
		assert.Equal(t, http.StatusNotFound, r.Status)

		ar, err := c.Authorize(ctx(t), "transfer", unloq.AuthorizeRequest{UnloqID: unloq.ID(unloqID), Reference: "ref-2",
			Variables: map[string]string{"name": "DB", "target": "ops"}, GenerateToken: true})
		require.NoError(t, err)
		assert.NotEmpty(t, ar.Token)
		td, err := c.Token(ctx(t), unloq.TokenRequest{Token: ar.Token})
		require.NoError(t, err)
		assert.Equal(t, "AUTHORIZE", td.TokenType)

		require.NoError(t, sim.SetBehavior(email, unloqtest.BehaviorDeny))
		_, err = c.Authorize(ctx(t), "transfer", unloq.AuthorizeRequest{UnloqID: unloq.ID(unloqID), Reference: "ref-3"})
		assert.True(t, unloq.IsDenied(err), "%v", err)
		require.NoError(t, sim.SetBehavior(email, unloqtest.BehaviorApprove))
	})

	t.Run("18_encryption", func(t *testing.T) {
		priv, err := rsa.GenerateKey(rand.Reader, 2048)
		require.NoError(t, err)
		der, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
		require.NoError(t, err)
		pemKey := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))

		r := rawJSON(t, srv, "/v1/encryption/user", map[string]any{"unloq_id": unloqID, "message": "why", "public_key": pemKey})
		require.Equal(t, http.StatusOK, r.Status, r.Body)
		assert.Equal(t, "api.application.approval.encryption", r.JSON["type"])
		enc := r.result(t)["encryption_key"].(string)
		_, err = base64.StdEncoding.DecodeString(enc)
		require.NoError(t, err, "encryption_key is base64")
		k1, err := unloq.DecryptEncryptionKey(priv, enc)
		require.NoError(t, err)
		assert.Len(t, k1, 32)

		res, err := c.RequestEncryptionKey(ctx(t), unloq.EncryptionRequest{UnloqID: unloq.ID(unloqID), Message: "why", PublicKey: pemKey})
		require.NoError(t, err)
		k2, err := unloq.DecryptEncryptionKey(priv, res.EncryptionKey)
		require.NoError(t, err)
		assert.Equal(t, k1, k2, "the key is stable across requests")

		res, err = c.RequestEncryptionKey(ctx(t), unloq.EncryptionRequest{UnloqID: unloq.ID(unloqID), PublicKey: pemKey, GenerateToken: true})
		require.NoError(t, err)
		require.NotEmpty(t, res.Token)
		td, err := c.Token(ctx(t), unloq.TokenRequest{Token: res.Token})
		require.NoError(t, err)
		k3, err := unloq.DecryptEncryptionKey(priv, td.EncryptionKey)
		require.NoError(t, err)
		assert.Equal(t, k1, k3, "the key delivered via /token is the same")

		shown := false
		for _, a := range sim.Approvals(email, unloqtest.StatusApproved) {
			shown = shown || (a.Type == unloqtest.TypeEncryptionKey && a.Message == "why")
		}
		assert.True(t, shown, "the device showed the message")
		r = rawJSON(t, srv, "/v1/encryption/user", map[string]any{"unloq_id": unloqID, "public_key": "not a key"})
		assert.Equal(t, http.StatusBadRequest, r.Status)
	})

	t.Run("19_envelope_on_bad_key", func(t *testing.T) {
		r := raw(t, srv, http.MethodPost, "/v1/authenticate", "application/json", `{"email":"u1@example.test"}`, "wrong-key")
		require.Equal(t, http.StatusUnauthorized, r.Status)
		e := r.errObj(t)
		for _, k := range []string{"code", "ns", "message", "status"} {
			assert.Contains(t, e, k)
		}
		assert.Equal(t, "APPLICATION.UNAUTHORIZED", e["code"])
		assert.Equal(t, float64(401), e["status"])

		bad, err := unloq.NewClient("wrong-key", unloq.WithBaseURL(srv.URL+"/v1"), unloq.WithHTTPClient(srv.Server.Client()))
		require.NoError(t, err)
		_, err = bad.Enrolled(ctx(t), email)
		ue := apiErr(t, err)
		assert.Equal(t, http.StatusUnauthorized, ue.HTTPStatus)
		assert.Equal(t, "APPLICATION.UNAUTHORIZED", ue.Code)
		assert.NotEmpty(t, ue.NS)
		assert.NotEmpty(t, ue.Message)
		assert.Equal(t, "401", ue.Status)
		assert.NotContains(t, err.Error(), "wrong-key", "the key never reaches error text")
	})

	// Checks 20–22 are the signature vectors; the simulator signs with the
	// same algorithm the client verifies.
	t.Run("20_webhook_signature_vector", func(t *testing.T) {
		params := url.Values{"unloq_id": {"1234"}, "sid": {"abc123"}}
		const want = "/VvAqKqfB5pzw+Zjch0XiEMWgpaurk4s28Y/Klkff+4="
		for _, p := range []string{"/uauth/logout", "https://example.com/uauth/logout", "uauth/logout"} {
			assert.True(t, unloq.VerifyWebhookSignature("test-secret", p, params, want), p)
			assert.Equal(t, want, unloq.SignWebhook("test-secret", p, params), p)
		}
		assert.False(t, unloq.VerifyWebhookSignature("other-secret", "/uauth/logout", params, want))
	})

	t.Run("21_webhook_vector_with_query_path", func(t *testing.T) {
		params := url.Values{"sid": {"abc123"}, "key": {"test-api-key"}, "id": {"1234"}}
		const want = "m0nvIKLzB0nNXDUSR84b6YwLqkmjqamiI+zIywiQbkI="
		assert.True(t, unloq.VerifyWebhookSignature("test-secret", "https://example.com/?unloq_uauth=logout", params, want))
	})

	t.Run("22_link_signature_vector", func(t *testing.T) {
		assert.True(t, unloq.VerifyLinkSignature("0123456789abcdef0123456789abcdef", "linkkey-xyz", "JoE7NxWEM8859t07cHgML8708MG/ud56+xLki0S57Aw="))

		// The simulator's legacy link fields verify with the device secret.
		ls := unloqtest.NewServer(t, unloqtest.WithLegacyFields())
		lc := ls.Client(t)
		enrollScanned(t, ls, lc, email)
		require.NoError(t, ls.Sim.SetBehavior(email, unloqtest.BehaviorApprove))
		ar, err := lc.Authenticate(ctx(t), unloq.AuthenticateRequest{Email: email, IP: ip})
		require.NoError(t, err)
		td, err := lc.Token(ctx(t), unloq.TokenRequest{Token: ar.Token})
		require.NoError(t, err)
		secret, err := ls.Sim.LinkSecret(email)
		require.NoError(t, err)
		assert.Len(t, secret, 32)
		assert.True(t, unloq.VerifyLinkSignature(secret, td.LinkKey, td.LinkSignature))
		require.NotNil(t, td.SourceClient)
		assert.Equal(t, ip, td.SourceClient.IP)
	})

	t.Run("23_remote_logout_delivery", func(t *testing.T) {
		type hit struct {
			at     time.Time
			params url.Values
			err    error
			xrw    string
		}
		cases := []struct {
			name     string
			secret   string
			failures int // answers 500 this many times, then 200
			retry    int
			wantErr  bool
			wantHits int
		}{
			{"api key, retried twice then ok", "", 2, 3, false, 3},
			{"webhook secret, first try", "hook-secret", 0, 3, false, 1},
			{"gives up after retry+1 attempts", "", 10, 2, true, 3},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				var mu sync.Mutex
				var hits []hit
				hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					secret := tc.secret
					if secret == "" {
						secret = unloqtest.DefaultAPIKey
					}
					p, err := unloq.VerifyWebhookRequest(r, secret)
					mu.Lock()
					hits = append(hits, hit{time.Now(), p, err, r.Header.Get("X-Requested-With")})
					n := len(hits)
					mu.Unlock()
					if n <= tc.failures {
						w.WriteHeader(http.StatusInternalServerError)
						return
					}
					w.WriteHeader(http.StatusOK)
				}))
				defer hook.Close()
				const spacing = 40 * time.Millisecond
				ws := unloqtest.NewServer(t, unloqtest.WithWebhook("logout", hook.URL+"/uauth/logout", tc.secret, tc.retry, spacing))
				wc := ws.Client(t)
				enrollScanned(t, ws, wc, email)
				err := ws.Sim.RemoteLogout(ctx(t), email, "sess-42")
				if tc.wantErr {
					require.Error(t, err)
				} else {
					require.NoError(t, err)
				}
				mu.Lock()
				defer mu.Unlock()
				require.Len(t, hits, tc.wantHits)
				for i, h := range hits {
					require.NoError(t, h.err, "hit %d: signature must verify", i)
					assert.NotEmpty(t, h.xrw, "X-Requested-With")
					assert.Equal(t, "sess-42", h.params.Get("sid"))
					assert.NotEmpty(t, h.params.Get("unloq_id"))
					if i > 0 {
						assert.GreaterOrEqual(t, h.at.Sub(hits[i-1].at), spacing-5*time.Millisecond, "retries are spaced retry_timeout apart")
					}
				}
				d := ws.Sim.Deliveries()
				assert.Len(t, d, tc.wantHits)
				assert.Equal(t, tc.wantHits, d[len(d)-1].Attempt)
			})
		}
	})

	t.Run("24_go_client_wire", func(t *testing.T) {
		ws := unloqtest.NewServer(t, unloqtest.WithApprovalTimeout(T))
		wc := ws.Client(t)
		_, _ = wc.Enrolled(ctx(t), "a+b@example.test")
		_, _ = wc.Authenticate(ctx(t), unloq.AuthenticateRequest{Email: "a+b@example.test"})
		reqs := ws.Sim.Requests()
		require.Len(t, reqs, 2)
		assert.Equal(t, http.MethodGet, reqs[0].Method)
		assert.Equal(t, "/v1/enrolled?email=a%2Bb%40example.test", reqs[0].Path)
		a := reqs[1]
		assert.Equal(t, http.MethodPost, a.Method)
		assert.Equal(t, "/v1/authenticate", a.Path)
		assert.Equal(t, "Bearer "+ws.Sim.APIKey(), a.Header.Get("Authorization"))
		assert.Equal(t, "application/json", a.ContentType)
		assert.NotContains(t, string(a.Body), "null")
		var body map[string]any
		require.NoError(t, json.Unmarshal(a.Body, &body))
		assert.Equal(t, "a+b@example.test", body["email"])
	})
}
