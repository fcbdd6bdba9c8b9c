package unloqtest_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/unloq2fa/unloq2fa/unloq"
	"github.com/unloq2fa/unloq2fa/unloq/unloqtest"
)

// A complete second-factor round trip against the simulator: enroll, pair
// the phone, push, exchange the token.
func Example() {
	sim, err := unloqtest.New(unloqtest.WithApprovalTimeout(5 * time.Second))
	if err != nil {
		panic(err)
	}
	srv := httptest.NewServer(sim)
	defer srv.Close()
	defer sim.Close() // first: ends blocked calls so srv.Close need not wait

	c, err := unloq.NewClient(sim.APIKey(), unloq.WithBaseURL(srv.URL+"/v1"), unloq.WithAllowHTTP())
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	const email = "ann@example.test"

	enr, _ := c.Enroll(ctx, unloq.EnrollRequest{Email: email, Name: "Ann"})
	fmt.Println("exists:", enr.Exists, "qr:", strings.Contains(enr.QRURL, "/qr/"))
	_ = sim.Scan(email) // the user scans the QR code
	ok, _ := c.Enrolled(ctx, email)
	fmt.Println("enrolled:", ok)

	_ = sim.SetBehavior(email, unloqtest.BehaviorApprove)
	res, _ := c.Authenticate(ctx, unloq.AuthenticateRequest{Email: email, IP: "203.0.113.5"})
	user, _ := c.Token(ctx, unloq.TokenRequest{Token: res.Token, SID: "session-1", Duration: time.Hour})
	fmt.Println(user.Email, user.Method, user.IPSource)
	// Output:
	// exists: false qr: true
	// enrolled: true
	// ann@example.test UNLOQ 203.0.113.5
}

// Answering a push from the test, as the user would on the phone; after a
// denial the OTP becomes mandatory.
func ExampleSimulator_WaitForApproval() {
	sim, _ := unloqtest.New()
	srv := httptest.NewServer(sim)
	defer srv.Close()
	defer sim.Close()
	c, _ := unloq.NewClient(sim.APIKey(), unloq.WithBaseURL(srv.URL+"/v1"), unloq.WithAllowHTTP())
	ctx := context.Background()
	const email = "bo@example.test"
	_, _ = c.Enroll(ctx, unloq.EnrollRequest{Email: email})
	_ = sim.Scan(email)

	go func() {
		a, err := sim.WaitForApproval(ctx, email)
		if err == nil {
			_ = sim.Deny(a.ID)
		}
	}()
	_, err := c.Authenticate(ctx, unloq.AuthenticateRequest{Email: email})
	fmt.Println("denied:", unloq.IsDenied(err))

	_, err = c.Authenticate(ctx, unloq.AuthenticateRequest{Email: email})
	fmt.Println("OTP required:", unloq.IsTokenRequired(err))

	otp, _ := sim.OTP(email)
	_ = sim.SetBehavior(email, unloqtest.BehaviorApprove)
	res, err := c.Authenticate(ctx, unloq.AuthenticateRequest{Email: email, OTP: otp})
	fmt.Println("with OTP:", err == nil && strings.HasPrefix(res.Token, "AU"))
	// Output:
	// denied: true
	// OTP required: true
	// with OTP: true
}

// Mounting the simulator inside an application under /_unloq.
func ExampleSimulator_ServeHTTP_mount() {
	sim, _ := unloqtest.New()
	defer sim.Close()
	mux := http.NewServeMux()
	mux.Handle("/_unloq/", http.StripPrefix("/_unloq", sim))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	c, _ := unloq.NewClient(sim.APIKey(), unloq.WithBaseURL(srv.URL+"/_unloq/v1"), unloq.WithAllowHTTP())
	res, _ := c.Enroll(context.Background(), unloq.EnrollRequest{Email: "cy@example.test"})
	fmt.Println(strings.HasPrefix(res.QRURL, srv.URL+"/_unloq/qr/"))
	// Output: true
}
