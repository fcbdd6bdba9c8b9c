package stepup_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/unloq2fa/unloq2fa/handlers/stepup"
	"github.com/unloq2fa/unloq2fa/session"
	"github.com/unloq2fa/unloq2fa/store"
	"github.com/unloq2fa/unloq2fa/unloq"
	"github.com/unloq2fa/unloq2fa/unloq/unloqtest"
)

// An API client deletes all notes after the phone approved.
func Example() {
	// The UNLOQ simulator stands in for UNLOQ.
	sim, _ := unloqtest.New(unloqtest.WithAction("delete_notes", "Delete $what?", "This cannot be undone."))
	defer sim.Close()
	simSrv := httptest.NewServer(sim)
	defer simSrv.Close()
	client, _ := unloq.NewClient(sim.APIKey(), unloq.WithBaseURL(simSrv.URL+"/v1"), unloq.WithAllowHTTP())
	ctx := context.Background()
	// A user who paired the phone and logged in with UNLOQ once.
	_, _ = client.Enroll(ctx, unloq.EnrollRequest{Email: "ann@example.test"})
	_ = sim.Scan("ann@example.test")
	_ = sim.SetBehavior("ann@example.test", unloqtest.BehaviorApprove)
	_, _ = client.Authenticate(ctx, unloq.AuthenticateRequest{Email: "ann@example.test"})

	users := store.NewMemory()
	_ = users.Put(ctx, store.User{ID: "1", Email: "ann@example.test", SecondFactor: store.SecondFactorUNLOQ})
	sm, _ := session.NewManager(session.WithKeys([]byte(strings.Repeat("h", 32)), []byte(strings.Repeat("b", 32))), session.WithInsecureDevCookies())

	su, err := stepup.New(client, sm, users)
	if err != nil {
		fmt.Println(err)
		return
	}
	mux := http.NewServeMux()
	mux.Handle("/notes/delete-all", su.Require(stepup.Action{
		Code:      "delete_notes",
		Vars:      func(*http.Request) map[string]string { return map[string]string{"what": "all notes"} },
		Reference: func(*http.Request) string { return "notes" },
		MaxAge:    5 * time.Minute,
	}, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "deleted") })))
	mux.HandleFunc("/login", func(w http.ResponseWriter, r *http.Request) { // the app's own login, shortened
		s, _ := sm.Load(r)
		_ = s.BeginLogin("1", "ann@example.test", true)
		_ = s.CompleteSecondFactor()
		_ = s.Save(w, r)
	})
	app := httptest.NewServer(mux)
	defer app.Close()

	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	_, _ = c.Get(app.URL + "/login")
	call := func(header string) {
		req, _ := http.NewRequest(http.MethodPost, app.URL+"/notes/delete-all", nil)
		req.Header.Set("Accept", "application/json")
		if header != "" {
			req.Header.Set(stepup.HeaderStepUp, header)
		}
		res, err := c.Do(req)
		if err != nil {
			fmt.Println(err)
			return
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		var code string
		if i := strings.Index(string(b), `"code":"`); i >= 0 {
			code = strings.SplitN(string(b)[i+8:], `"`, 2)[0]
		} else {
			code = string(b)
		}
		fmt.Println(res.StatusCode, code)
	}
	call("")    // no approval yet
	call("run") // waits for the phone, which approves
	call("")    // within MaxAge: no new push
	fmt.Println(len(sim.Approvals("ann@example.test", "approved"))-1, "authorize push")
	// Output:
	// 428 step_up_required
	// 200 deleted
	// 200 deleted
	// 1 authorize push
}
