package middleware_test

import (
	"net/http"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/gorilla/mux"
	"github.com/stretchr/testify/assert"

	"github.com/unloq2fa/unloq2fa/middleware"
	"github.com/unloq2fa/unloq2fa/session"
)

// routerCase exercises a whole router wrapped by the middleware: its
// routes, path parameters and method matching must keep working.
func routerCase(t *testing.T, e *env, h http.Handler) {
	t.Helper()
	verified := e.cookie(t, "u1", false)
	pending := e.cookie(t, "u2", true)

	// Verified: routes and parameters work, the user is visible.
	rec := do(h, "GET", "/items/42", verified, "")
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, "item 42 for u1", rec.Body.String())
	rec = do(h, "GET", "/dashboard", verified, "")
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, "dashboard", rec.Body.String())

	// Pending: only the exempt routes.
	rec = do(h, "GET", "/items/42", pending, "")
	assert.Equal(t, http.StatusFound, rec.Code)
	assert.Equal(t, "/login/two-step", rec.Header().Get("Location"))
	rec = do(h, "GET", "/login/two-step", pending, "")
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, "two-step", rec.Body.String())
	rec = do(h, "POST", "/login/two-step", pending, "")
	assert.Equal(t, http.StatusOK, rec.Code)
	rec = do(h, "GET", "/uauth/login?token=AU1", pending, "")
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, "callback", rec.Body.String())
	rec = do(h, "GET", "/uauth/login/", pending, "")
	assert.Equal(t, http.StatusFound, rec.Code, "a router's slash handling must not open the exemption")

	// Anonymous: the app decides; the admin subtree requires a login.
	rec = do(h, "GET", "/dashboard", nil, "")
	assert.Equal(t, http.StatusOK, rec.Code)
	rec = do(h, "GET", "/admin/panel", nil, "")
	assert.Equal(t, http.StatusFound, rec.Code)
	assert.Equal(t, "/login?next=%2Fadmin%2Fpanel", rec.Header().Get("Location"))
	rec = do(h, "GET", "/admin/panel", verified, "")
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, "admin u1", rec.Body.String())
}

func whoami(r *http.Request) string {
	id, _ := middleware.UserID(r)
	return id
}

func write(s string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(s)) }
}

var admin = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	_, _ = w.Write([]byte("admin " + whoami(r)))
})

func TestServeMux(t *testing.T) {
	e := newEnv(t)
	m := e.middleware(t)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /items/{id}", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("item " + r.PathValue("id") + " for " + whoami(r)))
	})
	mux.Handle("GET /dashboard", write("dashboard"))
	mux.Handle("GET /login/two-step", write("two-step"))
	mux.Handle("POST /login/two-step", write("two-step posted"))
	mux.Handle("GET /uauth/login", write("callback"))
	mux.Handle("GET /admin/", m.RequireVerified(admin))
	routerCase(t, e, m.Wrap(mux))
}

func TestChi(t *testing.T) {
	e := newEnv(t)
	m := e.middleware(t)
	r := chi.NewRouter()
	r.Use(m.Wrap) // chi middleware signature: func(http.Handler) http.Handler
	r.Get("/items/{id}", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("item " + chi.URLParam(r, "id") + " for " + whoami(r)))
	})
	r.Get("/dashboard", write("dashboard"))
	r.Get("/login/two-step", write("two-step"))
	r.Post("/login/two-step", write("two-step posted"))
	r.Get("/uauth/login", write("callback"))
	r.Route("/admin", func(r chi.Router) {
		r.Use(m.RequireVerified)
		r.Get("/panel", admin)
	})
	routerCase(t, e, r)
}

func TestGorillaMux(t *testing.T) {
	e := newEnv(t)
	m := e.middleware(t)
	r := mux.NewRouter()
	r.HandleFunc("/items/{id}", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("item " + mux.Vars(r)["id"] + " for " + whoami(r)))
	}).Methods("GET")
	r.Handle("/dashboard", write("dashboard")).Methods("GET")
	r.Handle("/login/two-step", write("two-step")).Methods("GET")
	r.Handle("/login/two-step", write("two-step posted")).Methods("POST")
	r.Handle("/uauth/login", write("callback")).Methods("GET")
	sub := r.PathPrefix("/admin").Subrouter()
	sub.Use(m.RequireVerified)
	sub.Handle("/panel", admin).Methods("GET")
	// Wrapped as a whole, and the session is visible to mux middlewares too.
	r.Use(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			if session.FromContext(req.Context()) == nil && req.Header.Get("Cookie") != "" && req.URL.Path != "/uauth/login" && req.URL.Path != "/login/two-step" {
				t.Errorf("no session attached for %s", req.URL.Path)
			}
			next.ServeHTTP(w, req)
		})
	})
	routerCase(t, e, m.Wrap(r))
}
