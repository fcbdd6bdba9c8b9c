package middleware_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/unloq2fa/unloq2fa/middleware"
	"github.com/unloq2fa/unloq2fa/session"
)

// exampleLogin returns the session cookie of a user who passed the
// password step (pending when need2FA).
func exampleLogin(sm *session.Manager, uid string, need2FA bool) *http.Cookie {
	r := httptest.NewRequest(http.MethodPost, "/login", nil)
	s, _ := sm.Load(r)
	_ = s.BeginLogin(uid, uid+"@example.com", need2FA)
	w := httptest.NewRecorder()
	_ = s.Save(w, r)
	return w.Result().Cookies()[0]
}

// Wrap a whole mux: a user who passed the password step but not the second
// factor is sent to the two-step page; a verified user gets through.
func ExampleMiddleware_Wrap() {
	sm, _ := session.NewManager(session.WithKeys(bytes.Repeat([]byte("h"), 32), bytes.Repeat([]byte("b"), 32)))
	mw, _ := middleware.New(sm)

	mux := http.NewServeMux()
	mux.HandleFunc("GET /dashboard", func(w http.ResponseWriter, r *http.Request) {
		id, _ := middleware.UserID(r)
		fmt.Fprintf(w, "hello %s", id)
	})
	h := mw.Wrap(mux)

	for _, c := range []*http.Cookie{exampleLogin(sm, "ada", true), exampleLogin(sm, "bob", false)} {
		r := httptest.NewRequest(http.MethodGet, "/dashboard", nil)
		r.AddCookie(c)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		body, _ := io.ReadAll(w.Body)
		fmt.Printf("%d location=%q cache=%q body=%q\n", w.Code, w.Header().Get("Location"), w.Header().Get("Cache-Control"), body)
	}
	// Output:
	// 302 location="/login/two-step" cache="no-store" body=""
	// 200 location="" cache="" body="hello bob"
}

// Guard a subtree: anonymous visitors go to the login page with a
// same-origin "next"; API clients get a JSON 401.
func ExampleMiddleware_RequireVerified() {
	sm, _ := session.NewManager(session.WithKeys(bytes.Repeat([]byte("h"), 32), bytes.Repeat([]byte("b"), 32)))
	mw, _ := middleware.New(sm)
	settings := mw.RequireVerified(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "settings")
	}))

	r := httptest.NewRequest(http.MethodGet, "/settings?tab=2fa", nil)
	w := httptest.NewRecorder()
	settings.ServeHTTP(w, r)
	fmt.Println(w.Code, w.Header().Get("Location"))

	r = httptest.NewRequest(http.MethodGet, "/settings", nil)
	r.Header.Set("Accept", "application/json")
	w = httptest.NewRecorder()
	settings.ServeHTTP(w, r)
	fmt.Print(w.Code, " ", w.Body.String())
	// Output:
	// 302 /login?next=%2Fsettings%3Ftab%3D2fa
	// 401 {"error":"login required","reason":"anonymous","redirect":"/login?next=%2Fsettings"}
}

// The application reads why a request is not from a verified user.
func ExampleReasonFrom() {
	sm, _ := session.NewManager(session.WithKeys(bytes.Repeat([]byte("h"), 32), bytes.Repeat([]byte("b"), 32)))
	mw, _ := middleware.New(sm)
	h := mw.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Println("reason:", middleware.ReasonFrom(r.Context()))
	}))

	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))

	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.AddCookie(&http.Cookie{Name: session.DefaultCookieName, Value: "tampered"})
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	fmt.Println("cookie cleared:", w.Result().Cookies()[0].MaxAge < 0)
	// Output:
	// reason: anonymous
	// reason: unreadable_session
	// cookie cleared: true
}
