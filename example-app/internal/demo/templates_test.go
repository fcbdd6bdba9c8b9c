package demo

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"log/slog"
	"net/http/httptest"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/handlers"
)

const logoutForm = `<form class="inline" method="post" action="/logout">`

// TestTwoStepTemplates renders the templates given to the handlers with
// and without the simulator.
func TestTwoStepTemplates(t *testing.T) {
	page := func(title string) handlers.Page { return handlers.Page{Title: title, AppName: appName} }
	tests := []struct {
		name string
		data any
		want []string
	}{
		{
			name: handlers.TemplateTwoStep,
			data: handlers.TwoStepPage{Page: page("Confirm it's you"), Email: "a@example.com", Widget: true,
				WidgetScriptURL: "/_unloq/login.js", WidgetKey: "wk", Push: true, Action: "/login/two-step"},
			want: []string{`<form method="post" action="/login/two-step"`, `data-unloq-key="wk"`, `data-unloq-email="a@example.com"`, "Cancel and log out"},
		},
		{
			name: handlers.TemplateTwoStep,
			data: handlers.TwoStepPage{Page: handlers.Page{Title: "t", Error: "declined", ErrorCode: "denied"}, Email: "a@example.com",
				Push: true, Action: "/login/two-step", OTPRequired: true},
			want: []string{`name="otp"`, `data-code="denied"`, "Send code and request"},
		},
		{
			name: handlers.TemplateEnroll,
			data: handlers.EnrollPage{Page: page("Turn on"), Email: "a@example.com", QRURL: "http://127.0.0.1:1/_unloq/qr/x.png",
				ExpireAt: time.Date(2030, 1, 2, 3, 4, 0, 0, time.UTC), StatusURL: "/settings/2fa/enable/status",
				Action: "/settings/2fa/enable", Step: "confirm", SettingsURL: "/settings"},
			want: []string{`src="http://127.0.0.1:1/_unloq/qr/x.png"`, `data-status-url="/settings/2fa/enable/status"`,
				`name="step" value="confirm"`, `<form id="unloq-confirm" method="post" action="/settings/2fa/enable"`, "03:04 UTC"},
		},
		{
			name: handlers.TemplateApprove,
			data: handlers.ApprovePage{Page: page("Turn off"), Purpose: "disable", Email: "a@example.com",
				Action: "/settings/2fa/disable", OTPRequired: true, SettingsURL: "/settings"},
			want: []string{`<form method="post" action="/settings/2fa/disable"`, `name="otp"`, "Turn off two-step verification"},
		},
		{
			name: handlers.TemplateApprove,
			data: handlers.ApprovePage{Page: page("Finish"), Purpose: "enable", Action: "/settings/2fa/enable", Step: "confirm", SettingsURL: "/settings"},
			want: []string{`name="step" value="confirm"`, "Finish turning on"},
		},
		{
			name: handlers.TemplateMessage,
			data: handlers.MessagePage{Page: handlers.Page{Title: "Sign-in not completed", Error: "expired"}, LinkURL: "/login", LinkText: "Log in again"},
			want: []string{`href="/login">Log in again</a>`, "expired"},
		},
	}
	for _, device := range []string{"/_unloq/device", ""} {
		r, err := newRenderer(device, slog.New(slog.DiscardHandler))
		require.NoError(t, err)
		for _, name := range []string{handlers.TemplateTwoStep, handlers.TemplateEnroll, handlers.TemplateApprove, handlers.TemplateMessage} {
			require.NotNil(t, r.twoStep.Lookup(name), "WithTemplates needs %s", name)
		}
		for _, tt := range tests {
			var buf bytes.Buffer
			require.NoError(t, r.twoStep.ExecuteTemplate(&buf, tt.name, tt.data), tt.name)
			out := buf.String()
			for _, want := range tt.want {
				assert.Contains(t, out, want, tt.name)
			}
			assert.Contains(t, out, logoutForm, "%s: every page a logged-in user sees has the logout form", tt.name)
			if device != "" {
				assert.Contains(t, out, `href="/_unloq/device" target="_blank"`, tt.name)
			} else {
				assert.NotContains(t, out, "/_unloq/device", tt.name)
			}
		}
	}
}

// TestStyleHashMatchesCSP checks that the inline stylesheet is exactly the
// one the Content-Security-Policy allows.
func TestStyleHashMatchesCSP(t *testing.T) {
	r, err := newRenderer("", slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	w := httptest.NewRecorder()
	r.render(w, httptest.NewRequest("GET", "/", nil), 200, "home", &view{Title: "t"})
	m := regexp.MustCompile(`(?s)<style>(.*?)</style>`).FindStringSubmatch(w.Body.String())
	require.NotNil(t, m)
	sum := sha256.Sum256([]byte(m[1]))
	assert.Contains(t, w.Header().Get("Content-Security-Policy"), "'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'")
	assert.NotContains(t, w.Header().Get("Content-Security-Policy"), "unsafe-inline")
}
