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
			if err := e.h.LogIn(w, r, r.FormValue("user_id"), r.FormValue("next")); err != nil {
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
// behind the middleware the handlers hand out (the test's state route is
// exempt too, so a test can read a pending session).
func (e *env) onRouter(router func(h *handlers.Handlers, app func(handle func(string, http.Handler))) http.Handler, opts ...handlers.Option) *env {
	e.t.Helper()
	h, err := handlers.New(e.client, e.sm, e.users, append([]handlers.Option{
		handlers.WithWidgetKey("sim-widget-key"),
		handlers.WithExtraExemptions(middleware.Exemption{Method: http.MethodGet, Path: "/_test/state"}),
	}, opts...)...)
	require.NoError(e.t, err)
	c := *e
	c.h = h
	srv := httptest.NewServer(router(h, func(handle func(string, http.Handler)) { e.mountApp(h, handle) }))
	e.t.Cleanup(srv.Close)
	c.app = srv
	return &c
}

// routerFlows completes a push login, a widget-callback login, the
// settings routes (enroll start, status polling, disable) and a pending
// user's logout through a router, at the handlers' Paths.
func routerFlows(t *testing.T, e *env) {
	p := e.h.Paths()
	// Push login, with a next, through the middleware.
	e.behave(alice, unloqtest.BehaviorApprove)
	b := e.browser()
	r := b.post("/login", url.Values{"user_id": {"1"}, "next": {"/dashboard"}})
	require.Equal(t, http.StatusSeeOther, r.code, r.String())
	require.Equal(t, p.TwoStep, r.loc)
	r = b.get("/dashboard")
	require.Equal(t, http.StatusFound, r.code, "the middleware holds a pending user")
	assert.Equal(t, p.TwoStep, r.loc)
	r = b.get(p.TwoStep)
	require.Equal(t, http.StatusOK, r.code, r.String())
	r = b.post(p.TwoStep, nil)
	require.Equal(t, http.StatusSeeOther, r.code, r.String())
	assert.Equal(t, "/dashboard", r.loc)
	r = b.get("/dashboard")
	require.Equal(t, http.StatusOK, r.code, r.String())
	assert.Equal(t, "dashboard of 1", r.body)

	// Widget callback login (bob is enrolled already), through the
	// middleware while pending.
	w := e.browser()
	r = w.post("/login", url.Values{"user_id": {"2"}})
	require.Equal(t, p.TwoStep, r.loc)
	r = w.get(p.Callback + "?token=" + e.token(bob))
	require.Equal(t, http.StatusSeeOther, r.code, r.String())
	assert.Equal(t, "/", r.loc)
	assert.Equal(t, "verified", w.state().State)

	// Settings: carol starts an enrollment and polls; alice turns it off.
	c := e.browser()
	c.loginVerified("3", carol)
	r = c.post(p.Enable, nil)
	require.Equal(t, http.StatusOK, r.code, r.String())
	assert.Regexp(t, qrSrc, r.body)
	assert.Contains(t, r.body, `data-status-url="`+p.EnableStatus+`"`)
	r = c.get(p.EnableStatus)
	require.Equal(t, http.StatusOK, r.code, r.String())
	assert.JSONEq(t, `{"enrolled":false}`, r.body)
	r = b.post(p.Disable, nil)
	require.Equal(t, http.StatusSeeOther, r.code, r.String())
	assert.Equal(t, "/settings", r.loc)
	assert.Empty(t, e.user("1").SecondFactor)
	assert.Equal(t, store.SecondFactorUNLOQ, e.user("2").SecondFactor)

	// A pending user logs out through the route the two-step page's
	// "Not you?" form posts to.
	o := e.browser()
	r = o.post("/login", url.Values{"user_id": {"2"}})
	require.Equal(t, p.TwoStep, r.loc)
	r = o.get(p.TwoStep)
	assert.Contains(t, r.body, `action="`+p.Logout+`"`)
	r = o.post(p.Logout, nil)
	require.Equal(t, http.StatusSeeOther, r.code, r.String())
	assert.Equal(t, p.Login, r.loc)
	assert.Equal(t, "anonymous", o.state().State)
	// Any other method: 405 from the route itself.
	r = o.do(http.MethodPut, p.TwoStep, url.Values{}, nil)
	assert.Equal(t, http.StatusMethodNotAllowed, r.code)
	assert.Equal(t, "GET, HEAD, POST", r.hdr.Get("Allow"))
	assertSecurityHeaders(t, "PUT", r.hdr)
	r = o.get(p.Logout)
	assert.Equal(t, http.StatusMethodNotAllowed, r.code)
}

// mountApp mounts the test app's own routes with handle.
func (e *env) mountApp(h *handlers.Handlers, handle func(string, http.Handler)) {
	app := e.appRoutes()
	app.login = func(w http.ResponseWriter, r *http.Request) {
		if err := h.LogIn(w, r, r.FormValue("user_id"), r.FormValue("next")); err != nil {
			http.Error(w, "login failed", http.StatusServiceUnavailable)
		}
	}
	handle("/login", app.login)
	handle("/_test/state", app.state)
	handle("/dashboard", h.RequireVerified(app.dashboard))
}

// TestMountServeMux: h.Mount(mux.Handle) and h.Wrap on an http.ServeMux.
func TestMountServeMux(t *testing.T) {
	e := newEnv(t).onRouter(func(h *handlers.Handlers, app func(func(string, http.Handler))) http.Handler {
		mux := http.NewServeMux()
		app(mux.Handle)
		h.Mount(mux.Handle)
		return h.Wrap(mux)
	})
	routerFlows(t, e)
}

// TestChiRouter mounts the routes on chi (h.Mount(r.Handle)), with h.Wrap
// as a router middleware.
func TestChiRouter(t *testing.T) {
	e := newEnv(t).onRouter(func(h *handlers.Handlers, app func(func(string, http.Handler))) http.Handler {
		r := chi.NewRouter()
		r.Use(h.Wrap)
		app(r.Handle)
		h.Mount(r.Handle)
		return r
	})
	routerFlows(t, e)
}

// TestGorillaMuxRouter mounts the routes on gorilla/mux, with h.Wrap as a
// router middleware.
func TestGorillaMuxRouter(t *testing.T) {
	e := newEnv(t).onRouter(func(h *handlers.Handlers, app func(func(string, http.Handler))) http.Handler {
		r := mux.NewRouter()
		r.Use(h.Wrap)
		handle := func(p string, hd http.Handler) { r.Handle(p, hd) }
		app(handle)
		h.Mount(handle)
		return r
	})
	routerFlows(t, e)
}

// TestMovedPaths: with the callback, the two-step page and logout moved,
// the middleware follows (it comes from the same Paths): a pending user's
// widget login, push login and logout all work at the new paths, and the
// old ones are not exempt.
func TestMovedPaths(t *testing.T) {
	moved := handlers.Paths{TwoStep: "/auth/second", Callback: "/auth/unloq/cb", Logout: "/auth/out",
		Enable: "/account/2fa/on", Disable: "/account/2fa/off"}
	e := newEnv(t).onRouter(func(h *handlers.Handlers, app func(func(string, http.Handler))) http.Handler {
		mux := http.NewServeMux()
		app(mux.Handle)
		h.Mount(mux.Handle)
		return h.Wrap(mux)
	}, handlers.WithPaths(moved))
	p := e.h.Paths()
	assert.Equal(t, "/account/2fa/on/status", p.EnableStatus, "the status route follows Enable")
	routerFlows(t, e)

	b := e.browser()
	r := b.post("/login", url.Values{"user_id": {"2"}})
	require.Equal(t, "/auth/second", r.loc)
	r = b.get("/uauth/login?token=" + e.token(bob))
	assert.Equal(t, http.StatusFound, r.code, "the old callback path is not exempt")
	assert.Equal(t, "/auth/second", r.loc)
	assert.Equal(t, "pending", b.state().State)
}
