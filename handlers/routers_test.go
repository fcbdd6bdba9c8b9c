package handlers_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/gorilla/mux"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/handlers"
	"github.com/unloq2fa/unloq2fa/middleware"
	"github.com/unloq2fa/unloq2fa/store"
	"github.com/unloq2fa/unloq2fa/unloq/unloqtest"
)

// appRoutes are the test app's own routes: the password step, a protected
// page, and the session state (exempt from the middleware, so a test can
// read a pending session).
type appRoutes struct {
	login, dashboard, state http.HandlerFunc
}

func (e *env) appRoutes() appRoutes {
	return appRoutes{
		login: func(w http.ResponseWriter, r *http.Request) {
			// The app's own password check would run here.
			if err := e.h.PasswordVerified(w, r, r.FormValue("user_id"), r.FormValue("next")); err != nil {
				http.Error(w, "login failed", http.StatusServiceUnavailable)
			}
		},
		dashboard: func(w http.ResponseWriter, r *http.Request) {
			id, _ := middleware.UserID(r)
			_, _ = io.WriteString(w, "dashboard of "+id)
		},
		state: func(w http.ResponseWriter, r *http.Request) {
			s, _ := e.sm.Load(r)
			_ = json.NewEncoder(w).Encode(sessionView{State: s.State().String(), UserID: s.UserID(), LoginID: s.LoginID()})
		},
	}
}

// onRouter returns a copy of e whose browsers talk to router, served
// behind the session-check middleware.
func (e *env) onRouter(router func(mw *middleware.Middleware) http.Handler) *env {
	e.t.Helper()
	mw, err := middleware.New(e.sm, middleware.WithExtraExemptions(
		middleware.Exemption{Method: http.MethodGet, Path: "/_test/state"}))
	require.NoError(e.t, err)
	srv := httptest.NewServer(router(mw))
	e.t.Cleanup(srv.Close)
	c := *e
	c.app = srv
	return &c
}

// routerFlows completes a push login, a widget-callback login, and the
// settings routes (enroll start, status polling, disable) through a router.
func routerFlows(t *testing.T, e *env) {
	// Push login, with a next, through the middleware.
	e.behave(alice, unloqtest.BehaviorApprove)
	b := e.browser()
	b.login("1", "/dashboard")
	r := b.get("/dashboard")
	require.Equal(t, http.StatusFound, r.code, "the middleware holds a pending user")
	assert.Equal(t, "/login/two-step", r.loc)
	r = b.get("/login/two-step")
	require.Equal(t, http.StatusOK, r.code, r.String())
	r = b.post("/login/two-step", nil)
	require.Equal(t, http.StatusSeeOther, r.code, r.String())
	assert.Equal(t, "/dashboard", r.loc)
	r = b.get("/dashboard")
	require.Equal(t, http.StatusOK, r.code, r.String())
	assert.Equal(t, "dashboard of 1", r.body)

	// Widget callback login (bob is enrolled already).
	w := e.browser()
	w.login("2", "")
	r = w.get("/uauth/login?token=" + e.token(bob))
	require.Equal(t, http.StatusSeeOther, r.code, r.String())
	assert.Equal(t, "/", r.loc)
	assert.Equal(t, "verified", w.state().State)

	// Settings: carol starts an enrollment and polls; alice turns it off.
	c := e.browser()
	c.loginVerified("3", carol)
	r = c.post("/settings/2fa/enable", nil)
	require.Equal(t, http.StatusOK, r.code, r.String())
	assert.Regexp(t, qrSrc, r.body)
	r = c.get("/settings/2fa/enable/status")
	require.Equal(t, http.StatusOK, r.code, r.String())
	assert.JSONEq(t, `{"enrolled":false}`, r.body)
	r = b.post("/settings/2fa/disable", nil)
	require.Equal(t, http.StatusSeeOther, r.code, r.String())
	assert.Equal(t, "/settings", r.loc)
	assert.Empty(t, e.user("1").SecondFactor)
	assert.Equal(t, store.SecondFactorUNLOQ, e.user("2").SecondFactor)
}

// TestChiRouter mounts each handler on its path for every method: the
// handlers check the method themselves (405 with Allow and the security
// headers).
func TestChiRouter(t *testing.T) {
	e := newEnv(t, withHandlerOpts(handlers.WithWidgetKey("sim-widget-key")))
	e = e.onRouter(func(mw *middleware.Middleware) http.Handler {
		app, p := e.appRoutes(), e.h.Paths()
		r := chi.NewRouter()
		r.Use(mw.Wrap)
		r.Post("/login", app.login)
		r.Get("/_test/state", app.state)
		r.With(mw.RequireVerified).Get("/dashboard", app.dashboard)
		r.Handle(p.TwoStep, e.h.TwoStep())
		r.Handle(p.Callback, e.h.Callback())
		r.Handle(p.Enable, e.h.Enable())
		r.Handle(p.EnableStatus(), e.h.EnableStatus())
		r.Handle(p.Disable, e.h.Disable())
		return r
	})
	routerFlows(t, e)

	r := e.browser().do(http.MethodPut, "/login/two-step", url.Values{}, nil)
	assert.Equal(t, http.StatusMethodNotAllowed, r.code)
	assert.Equal(t, "GET, HEAD, POST", r.hdr.Get("Allow"))
	assertSecurityHeaders(t, "chi PUT", r.hdr)
}

// TestGorillaMuxRouter mounts each handler with method matchers and the
// middleware as a router middleware.
func TestGorillaMuxRouter(t *testing.T) {
	e := newEnv(t, withHandlerOpts(handlers.WithWidgetKey("sim-widget-key")))
	e = e.onRouter(func(mw *middleware.Middleware) http.Handler {
		app, p := e.appRoutes(), e.h.Paths()
		r := mux.NewRouter()
		r.Use(mw.Wrap)
		r.HandleFunc("/login", app.login).Methods(http.MethodPost)
		r.HandleFunc("/_test/state", app.state).Methods(http.MethodGet)
		r.Handle("/dashboard", mw.RequireVerified(app.dashboard)).Methods(http.MethodGet)
		r.Handle(p.TwoStep, e.h.TwoStep()).Methods(http.MethodGet, http.MethodHead, http.MethodPost)
		r.Handle(p.Callback, e.h.Callback()).Methods(http.MethodGet)
		r.Handle(p.Enable, e.h.Enable()).Methods(http.MethodPost)
		r.Handle(p.EnableStatus(), e.h.EnableStatus()).Methods(http.MethodGet, http.MethodHead)
		r.Handle(p.Disable, e.h.Disable()).Methods(http.MethodPost)
		return r
	})
	routerFlows(t, e)
}
