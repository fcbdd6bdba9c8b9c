package handlers_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"

	"github.com/gorilla/securecookie"

	"github.com/unloq2fa/unloq2fa/handlers"
	"github.com/unloq2fa/unloq2fa/session"
	"github.com/unloq2fa/unloq2fa/store"
	"github.com/unloq2fa/unloq2fa/unloq"
	"github.com/unloq2fa/unloq2fa/unloq/unloqtest"
)

// An existing app (a mux and a password login) gets UNLOQ two-step
// verification: the handlers, the middleware they hand out, and one call
// after the password check. The UNLOQ simulator stands in for api.unloq.io; in
// production the client is unloq.NewClient(os.Getenv("UNLOQ_API_KEY")).
func Example_quickstart() {
	sim, _ := unloqtest.New()
	api := httptest.NewServer(sim)
	defer api.Close()
	client, _ := unloq.NewClient(sim.APIKey(), unloq.WithBaseURL(api.URL+"/v1"), unloq.WithAllowHTTP())

	users := store.NewMemory() // or store.NewSQL(db) over your users table
	_ = users.Put(context.Background(), store.User{ID: "42", Email: "ada@example.com", SecondFactor: store.SecondFactorUNLOQ})
	sessions, _ := session.NewManager(
		session.WithKeys(securecookie.GenerateRandomKey(32), securecookie.GenerateRandomKey(32)),
		session.WithInsecureDevCookies(), // plain http in this example only
	)
	twoFA, _ := handlers.New(client, sessions, users)

	mux := http.NewServeMux() // the app's existing mux
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		// ... the app checks e-mail and password here, then:
		if err := twoFA.LogIn(w, r, "42", r.FormValue("next")); err != nil {
			http.Error(w, "login failed", http.StatusServiceUnavailable)
		}
	})
	mux.HandleFunc("GET /dashboard", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "welcome")
	})
	twoFA.Mount(mux.Handle)                    // the two-step routes and POST /logout
	app := httptest.NewServer(twoFA.Wrap(mux)) // the session check, from the same paths
	defer app.Close()

	// Demo: Ada's phone is paired with UNLOQ and approves every push.
	_, _ = client.Enroll(context.Background(), unloq.EnrollRequest{Email: "ada@example.com"})
	_ = sim.Scan("ada@example.com")
	_ = sim.SetBehavior("ada@example.com", unloqtest.BehaviorApprove)

	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar}
	show := func(resp *http.Response, err error) {
		if err != nil {
			fmt.Println(err)
			return
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		first, _, _ := strings.Cut(strings.TrimSpace(string(body)), "\n")
		if len(first) > 20 {
			first = first[:20]
		}
		fmt.Println(resp.Request.URL.Path, resp.StatusCode, first)
	}
	show(browser.PostForm(app.URL+"/login", url.Values{"next": {"/dashboard"}}))
	show(browser.Get(app.URL + "/dashboard")) // the middleware holds the half-logged-in user back
	show(browser.PostForm(app.URL+"/login/two-step", nil))
	// Output:
	// /login/two-step 200 <!doctype html>
	// /login/two-step 200 <!doctype html>
	// /dashboard 200 welcome
}
