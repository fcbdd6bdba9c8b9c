package handlers

import (
	"net/http"

	"github.com/unloq2fa/unloq2fa/middleware"
)

// Mount mounts every route on a router by its path, whatever the router:
//
//	h.Mount(mux.Handle)                 // http.ServeMux
//	h.Mount(r.Handle)                   // chi
//	h.Mount(func(p string, hd http.Handler) { r.Handle(p, hd) }) // gorilla/mux
//
// The routes, each at its Paths field: TwoStep (GET, HEAD; POST in the push
// modes), Callback (GET; widget modes only), Enable (POST), EnableStatus
// (GET, HEAD), Disable (POST), Logout (POST) and, with WithRemoteLogout,
// RemoteLogout (POST). Each path is mounted for every method: the route
// answers any other method itself with 405, an Allow header, the security
// headers and, for API clients, JSON. handle is called once per route and
// may panic like http.ServeMux.Handle on a pattern it already has.
//
// Put the routes behind Wrap (or inside a router that Wrap wraps): a
// pending user reaches the routes it needs (the exemptions come from the
// same Paths), everyone else is checked as usual.
func (h *Handlers) Mount(handle func(pattern string, h http.Handler)) {
	p := h.cfg.paths
	handle(p.TwoStep, h.TwoStep())
	if h.widgetEnabled() {
		handle(p.Callback, h.Callback())
	}
	handle(p.Enable, h.Enable())
	handle(p.EnableStatus, h.EnableStatus())
	handle(p.Disable, h.Disable())
	handle(p.Logout, h.LogoutRoute())
	if h.cfg.recovery != nil {
		handle(p.RecoveryCodes, h.RecoveryCodes())
	}
	if h.cfg.webhookSecret != "" {
		handle(p.RemoteLogout, h.RemoteLogout())
	}
}

// Middleware returns the session-check middleware configured from the
// same Paths as the routes: pending users are sent to Paths.TwoStep,
// expired and anonymous ones (RequireVerified) to Paths.Login, and the
// routes a pending user needs are exempt (TwoStep GET and HEAD, and POST
// in the push modes or with recovery codes; Callback GET and HEAD in the
// widget modes; Logout POST; RemoteLogout POST with WithRemoteLogout),
// plus WithExtraExemptions.
// It logs to WithLogger's logger. Wrap and RequireVerified are shortcuts.
func (h *Handlers) Middleware() *middleware.Middleware { return h.mw }

// Wrap puts next, usually the application's whole router, behind the
// session check (see middleware.Middleware.Wrap): a user between password
// and phone reaches only the two-step routes and logout; everyone else
// passes to next, where the application's own login check decides.
func (h *Handlers) Wrap(next http.Handler) http.Handler { return h.mw.Wrap(next) }

// RequireVerified guards a subtree: only a fully logged-in user passes
// (see middleware.Middleware.RequireVerified); anonymous users are sent to
// Paths.Login with a same-origin next.
func (h *Handlers) RequireVerified(next http.Handler) http.Handler {
	return h.mw.RequireVerified(next)
}

// exemptions lists the routes a pending user needs, from the Paths.
func (h *Handlers) exemptions() []middleware.Exemption {
	p := h.cfg.paths
	ex := []middleware.Exemption{
		{Method: http.MethodGet, Path: p.TwoStep},
		{Method: http.MethodHead, Path: p.TwoStep},
		{Method: http.MethodPost, Path: p.Logout},
	}
	if h.pushEnabled() || h.cfg.recovery != nil { // the push, or a recovery code
		ex = append(ex, middleware.Exemption{Method: http.MethodPost, Path: p.TwoStep})
	}
	if h.widgetEnabled() {
		ex = append(ex,
			middleware.Exemption{Method: http.MethodGet, Path: p.Callback},
			middleware.Exemption{Method: http.MethodHead, Path: p.Callback})
	}
	if h.cfg.webhookSecret != "" {
		ex = append(ex, middleware.Exemption{Method: http.MethodPost, Path: p.RemoteLogout})
	}
	return append(ex, h.cfg.exemptions...)
}

// newMiddleware builds the middleware of Wrap and RequireVerified.
func (h *Handlers) newMiddleware() (*middleware.Middleware, error) {
	opts := []middleware.Option{
		middleware.WithTwoStepPath(h.cfg.paths.TwoStep),
		middleware.WithLoginPath(h.cfg.paths.Login),
		middleware.WithExemptions(h.exemptions()...),
	}
	if h.cfg.logger != nil {
		opts = append(opts, middleware.WithLogger(h.cfg.logger))
	}
	return middleware.New(h.sm, opts...)
}
