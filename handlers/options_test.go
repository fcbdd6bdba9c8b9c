package handlers_test

import (
	"bytes"
	"html/template"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/handlers"
	"github.com/unloq2fa/unloq2fa/session"
	"github.com/unloq2fa/unloq2fa/store"
	"github.com/unloq2fa/unloq2fa/unloq"
	"github.com/unloq2fa/unloq2fa/unloq/unloqtest"
)

func newDeps(t *testing.T) (*unloq.Client, *session.Manager, store.UserStore) {
	cl, err := unloq.NewClient("k")
	require.NoError(t, err)
	sm, err := session.NewManager(session.WithKeys(bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)))
	require.NoError(t, err)
	return cl, sm, store.NewMemory()
}

func TestNewValidatesOptions(t *testing.T) {
	cl, sm, users := newDeps(t)
	_, err := handlers.New(nil, sm, users)
	assert.Error(t, err)
	_, err = handlers.New(cl, nil, users)
	assert.Error(t, err)
	_, err = handlers.New(cl, sm, nil)
	assert.Error(t, err)

	bad := map[string]handlers.Option{
		"empty widget key":        handlers.WithWidgetKey(" "),
		"http script":             handlers.WithWidgetScriptURL("http://cdn.example/login.js"),
		"scheme-relative script":  handlers.WithWidgetScriptURL("//cdn.example/login.js"),
		"javascript script":       handlers.WithWidgetScriptURL("javascript:alert(1)"),
		"unknown mode":            handlers.WithMode(handlers.Mode(42)),
		"relative path":           handlers.WithPaths(handlers.Paths{TwoStep: "login"}),
		"path with wildcard":      handlers.WithPaths(handlers.Paths{Enable: "/settings/{x}"}),
		"scheme-relative path":    handlers.WithPaths(handlers.Paths{Login: "//evil.com"}),
		"path with dots":          handlers.WithPaths(handlers.Paths{Disable: "/a/../b"}),
		"nil templates":           handlers.WithTemplates(nil),
		"incomplete templates":    handlers.WithTemplates(template.Must(template.New("twostep").Parse("x"))),
		"nil guard":               handlers.WithGuard(nil),
		"zero push limit":         handlers.WithPushLimit(0, time.Minute),
		"zero push window":        handlers.WithPushLimit(1, 0),
		"nil hook":                handlers.WithEventHook(nil),
		"nil logger":              handlers.WithLogger(nil),
		"bad origin":              handlers.WithTrustedOrigins("not an origin"),
		"empty app name":          handlers.WithAppName(""),
		"nil client IP":           handlers.WithClientIP(nil),
		"widget mode without key": handlers.WithMode(handlers.ModeWidget),
		"duplicate paths":         handlers.WithPaths(handlers.Paths{Disable: "/settings/2fa/enable"}),
	}
	for name, o := range bad {
		_, err := handlers.New(cl, sm, users, o)
		assert.Error(t, err, name)
	}

	for name, o := range map[string]handlers.Option{
		"https script":    handlers.WithWidgetScriptURL("https://plugin.unloq.io/login.js"),
		"loopback script": handlers.WithWidgetScriptURL("http://127.0.0.1:8090/login.js"),
		"path script":     handlers.WithWidgetScriptURL("/_unloq/login.js"),
		"paths":           handlers.WithPaths(handlers.Paths{TwoStep: "/auth/2fa", AfterLogin: "/home"}),
		"origin":          handlers.WithTrustedOrigins("https://admin.example:8443"),
	} {
		_, err := handlers.New(cl, sm, users, o)
		assert.NoError(t, err, name)
	}
}

func TestDefaultMode(t *testing.T) {
	cl, sm, users := newDeps(t)
	h, err := handlers.New(cl, sm, users)
	require.NoError(t, err)
	assert.Equal(t, handlers.ModePush, h.Mode())
	h, err = handlers.New(cl, sm, users, handlers.WithWidgetKey("w"))
	require.NoError(t, err)
	assert.Equal(t, handlers.ModeBoth, h.Mode())
	assert.Equal(t, handlers.DefaultPaths(), h.Paths())
}

func TestCustomPathsAndTemplates(t *testing.T) {
	tmpl := template.Must(template.New("custom").Parse(`
{{define "twostep"}}CUSTOM two-step for {{.Email}} action={{.Action}} otp={{.OTPRequired}} err={{.ErrorCode}}{{end}}
{{define "enroll"}}CUSTOM enroll {{.QRURL}}{{end}}
{{define "approve"}}CUSTOM approve {{.Purpose}}{{end}}
{{define "message"}}CUSTOM message {{.ErrorCode}} {{.LinkURL}}{{end}}`))
	e := newEnv(t, withHandlerOpts(
		handlers.WithTemplates(tmpl),
		handlers.WithPaths(handlers.Paths{TwoStep: "/auth/second", Callback: "/auth/unloq", Login: "/signin", AfterLogin: "/home"}),
	))
	b := e.browser()
	r := b.post("/login", map[string][]string{"user_id": {"1"}})
	require.Equal(t, "/auth/second", r.loc)
	r = b.get("/auth/second")
	assert.Equal(t, "CUSTOM two-step for alice@example.com action=/auth/second otp=false err=", r.body)
	assertSecurityHeaders(t, "custom", r.hdr)
	e.behave(alice, unloqtest.BehaviorDeny)
	r = b.post("/auth/second", nil)
	assert.Equal(t, "CUSTOM two-step for alice@example.com action=/auth/second otp=true err=denied", r.body)
	r = b.get("/auth/unloq?token=x")
	assert.Equal(t, "CUSTOM message bad_token /auth/second", r.body)
	e.behave(alice, unloqtest.BehaviorApprove)
	r = b.get("/auth/unloq?token=" + e.token(alice))
	assert.Equal(t, "/home", r.loc)
	assert.Equal(t, http.StatusNotFound, b.get("/login/two-step").code, "the default path is not mounted")
}

func TestTemplateErrorIsClean500(t *testing.T) {
	tmpl := template.Must(template.New("t").Parse(`
{{define "twostep"}}{{.NoSuchField}}{{end}}{{define "enroll"}}{{end}}{{define "approve"}}{{end}}{{define "message"}}{{end}}`))
	e := newEnv(t, withHandlerOpts(handlers.WithTemplates(tmpl)))
	b := e.browser()
	b.login("1", "")
	r := b.get("/login/two-step")
	assert.Equal(t, http.StatusInternalServerError, r.code)
	assert.NotContains(t, r.body, "NoSuchField")
}

func TestClientIPOption(t *testing.T) {
	e := newEnv(t, withHandlerOpts(handlers.WithClientIP(func(r *http.Request) string {
		return r.Header.Get("X-Real-IP")
	})))
	e.behave(alice, unloqtest.BehaviorApprove)
	b := e.browser()
	b.login("1", "")
	r := b.do(http.MethodPost, "/login/two-step", map[string][]string{}, map[string]string{"X-Real-IP": "203.0.113.9"})
	require.Equal(t, http.StatusSeeOther, r.code)
	as := e.sim.Sim.Approvals(alice, unloqtest.StatusApproved)
	require.NotEmpty(t, as)
	assert.Equal(t, "203.0.113.9", as[len(as)-1].IP)

	// By default X-Forwarded-For is not trusted.
	e2 := newEnv(t)
	e2.behave(alice, unloqtest.BehaviorApprove)
	b2 := e2.browser()
	b2.login("1", "")
	r = b2.do(http.MethodPost, "/login/two-step", map[string][]string{}, map[string]string{"X-Forwarded-For": "198.51.100.1"})
	require.Equal(t, http.StatusSeeOther, r.code)
	as = e2.sim.Sim.Approvals(alice, unloqtest.StatusApproved)
	assert.Equal(t, "127.0.0.1", as[len(as)-1].IP)
}

func TestHandlersWithoutRegister(t *testing.T) {
	// A handler mounted alone on its own pattern works the same.
	e := newEnv(t)
	mux := http.NewServeMux()
	mux.Handle("/two", e.h.TwoStep())
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/two", nil))
	assert.Equal(t, http.StatusSeeOther, rec.Code)
	assert.Equal(t, "/login", rec.Header().Get("Location"))
}
