package unloq_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"time"

	"github.com/unloq2fa/unloq2fa/unloq"
)

// fakeUNLOQ is a canned Gen 2 server standing in for api.unloq.io.
func fakeUNLOQ() *httptest.Server {
	mux := http.NewServeMux()
	reply := func(status int, body string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") != "Bearer live_example" {
				status, body = 401, `{"error":{"code":"APPLICATION.UNAUTHORIZED","ns":"application","message":"Invalid API key","status":401}}`
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			_, _ = io.WriteString(w, body)
		}
	}
	mux.HandleFunc("POST /v1/enroll", reply(200, `{"type":"api.application.enroll.user","result":{"exists":false,"qr_url":"https://widget.unloq.io/qr/abc","expire_at":"2030-04-24T05:15:32.698Z"}}`))
	mux.HandleFunc("GET /v1/enrolled", reply(200, `{"type":"api.application.enroll.check","result":{"enrolled":true}}`))
	mux.HandleFunc("POST /v1/authenticate", reply(200, "\n \n"+`{"type":"api.application.approval.authenticate","result":{"unloq_id":1234,"token":"AUexampletoken"}}`))
	mux.HandleFunc("POST /v1/token", reply(200, `{"type":"api.application.approval.token","result":{"approval_id":"a-1","unloq_id":"1234","email":"john@doe.com","method":"UNLOQ","ip_source":"203.0.113.5","first_name":"John","last_name":"Doe","image":null,"token_type":"AUTHENTICATE"}}`))
	mux.HandleFunc("POST /v1/authorize/{code}", reply(400, `{"error":{"code":"APPROVAL.DENIED","ns":"approval","message":"The user denied the request.","status":400}}`))
	return httptest.NewServer(mux)
}

func newExampleClient(srv *httptest.Server) *unloq.Client {
	c, err := unloq.NewClient("live_example",
		unloq.WithBaseURL(srv.URL+"/v1"),
		unloq.WithAllowHTTP(), // only because the fake server is plain http
		unloq.WithApprovalTimeout(5*time.Second),
	)
	if err != nil {
		log.Fatal(err)
	}
	return c
}

func ExampleNewClient() {
	c, err := unloq.NewClient("live_example") // https://api.unloq.io/v1
	fmt.Println(c != nil, err)

	_, err = unloq.NewClient("live_example", unloq.WithBaseURL("http://api.unloq.io/v1"))
	fmt.Println(err)
	// Output:
	// true <nil>
	// unloq: new client: base URL scheme "http" is not https (use WithAllowHTTP for tests)
}

func ExampleClient_Enroll() {
	srv := fakeUNLOQ()
	defer srv.Close()
	c := newExampleClient(srv)

	res, err := c.Enroll(context.Background(), unloq.EnrollRequest{Email: "john@doe.com", Name: "Example App"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Exists, res.QRURL, res.ExpireAt.Format(time.RFC3339))
	// Output: false https://widget.unloq.io/qr/abc 2030-04-24T05:15:32Z
}

func ExampleClient_Enrolled() {
	srv := fakeUNLOQ()
	defer srv.Close()
	c := newExampleClient(srv)

	ok, err := c.Enrolled(context.Background(), "john@doe.com")
	fmt.Println(ok, err)
	// Output: true <nil>
}

func ExampleClient_Authenticate() {
	srv := fakeUNLOQ()
	defer srv.Close()
	c := newExampleClient(srv)

	// Blocks until the user approves on the device (the fake approves at once).
	res, err := c.Authenticate(context.Background(), unloq.AuthenticateRequest{
		Email: "john@doe.com",
		IP:    "203.0.113.5",
	})
	if err != nil {
		switch {
		case unloq.IsDenied(err), unloq.IsTokenRequired(err):
			fmt.Println("ask for the OTP and retry with Method OTP")
		case unloq.IsTimeout(err):
			fmt.Println("no answer from the device")
		}
		return
	}
	fmt.Println(res.UnloqID, res.Token)
	// Output: 1234 AUexampletoken
}

func ExampleClient_Token() {
	srv := fakeUNLOQ()
	defer srv.Close()
	c := newExampleClient(srv)

	// Exchange the one-time token from the widget redirect (?token=AU...).
	user, err := c.Token(context.Background(), unloq.TokenRequest{
		Token:    "AUexampletoken",
		SID:      "login-7f3a",
		Duration: time.Hour,
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(user.UnloqID, user.Email, user.Method, user.TokenType)
	// Output: 1234 john@doe.com UNLOQ AUTHENTICATE
}

func ExampleClient_Authorize() {
	srv := fakeUNLOQ()
	defer srv.Close()
	c := newExampleClient(srv)

	_, err := c.Authorize(context.Background(), "transfer", unloq.AuthorizeRequest{
		UnloqID:   "1234",
		Reference: "abcdefg12",
		Variables: map[string]string{"name": "Server 1"},
	})
	fmt.Println(errors.Is(err, unloq.ErrDenied))
	var e *unloq.Error
	if errors.As(err, &e) {
		fmt.Println(e.Code, e.HTTPStatus, e.Message)
	}
	fmt.Println(err)
	// Output:
	// true
	// APPROVAL.DENIED 400 The user denied the request.
	// unloq: authorize: APPROVAL.DENIED (HTTP 400): The user denied the request.
}

func ExampleVerifyWebhookRequest() {
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		vals, err := unloq.VerifyWebhookRequest(r, "test-secret")
		if err != nil {
			http.Error(w, "forbidden", http.StatusForbidden)
			return
		}
		fmt.Println("log out session", vals.Get("sid"), "of user", vals.Get("unloq_id"))
	})
	srv := httptest.NewServer(handler)
	defer srv.Close()

	body := url.Values{"unloq_id": {"1234"}, "sid": {"abc123"}}
	sig := unloq.SignWebhook("test-secret", srv.URL+"/uauth/logout", body)
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/uauth/logout", strings.NewReader(body.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Unloq-Signature", sig)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	resp.Body.Close()
	fmt.Println(resp.StatusCode)
	// Output:
	// log out session abc123 of user 1234
	// 200
}

func ExampleSignWebhook() {
	params := url.Values{"unloq_id": {"1234"}, "sid": {"abc123"}}
	sig := unloq.SignWebhook("test-secret", "https://example.com/uauth/logout", params)
	fmt.Println(sig)
	fmt.Println(unloq.VerifyWebhookSignature("test-secret", "/uauth/logout", params, sig))
	// Output:
	// /VvAqKqfB5pzw+Zjch0XiEMWgpaurk4s28Y/Klkff+4=
	// true
}

func ExampleVerifyLinkSignature() {
	fmt.Println(unloq.VerifyLinkSignature("0123456789abcdef0123456789abcdef", "linkkey-xyz",
		"JoE7NxWEM8859t07cHgML8708MG/ud56+xLki0S57Aw="))
	// Output: true
}
