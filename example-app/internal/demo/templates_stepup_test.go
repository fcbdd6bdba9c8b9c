package demo

import (
	"bytes"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/handlers/stepup"
)

// TestStepUpTemplates renders the pages given to the step-up handler in the
// app's frame, with and without the simulator.
func TestStepUpTemplates(t *testing.T) {
	tests := []struct {
		name string
		data any
		want []string
	}{
		{
			name: stepup.TemplateWait,
			data: stepup.WaitPage{Title: "Confirm on your phone", AppName: appName, Action: "/notes/delete-all",
				Fields: []stepup.Field{{Name: stepup.FieldStepUp, Value: "run"}, {Name: "x", Value: `a"<b>`}}, CancelURL: "/notes"},
			want: []string{`<form id="unloq2fa-step-up" method="post" action="/notes/delete-all">`,
				`<input type="hidden" name="unloq2fa_step_up" value="run">`, `value="a&#34;&lt;b&gt;"`,
				"Deleting all your notes needs your", `href="/notes">Cancel</a>`},
		},
		{
			name: stepup.TemplateRefused,
			data: stepup.RefusedPage{Title: "Not done", AppName: appName, Code: "denied", Message: "You declined.", CancelURL: "/notes"},
			want: []string{`data-code="denied"`, "You declined.", `href="/notes">Back to your notes</a>`},
		},
		{
			name: stepup.TemplateRefused,
			data: stepup.RefusedPage{Title: "Not done", Code: "unloq_required", Message: "Turn it on.", CancelURL: "/notes"},
			want: []string{`href="/settings">Open Settings</a>`},
		},
	}
	for _, device := range []string{"/_unloq/device", ""} {
		r, err := newRenderer(device, slog.New(slog.DiscardHandler))
		require.NoError(t, err)
		for _, tt := range tests {
			require.NotNil(t, r.stepUp.Lookup(tt.name), "WithTemplates needs %s", tt.name)
			var buf bytes.Buffer
			require.NoError(t, r.stepUp.ExecuteTemplate(&buf, tt.name, tt.data), tt.name)
			out := buf.String()
			for _, want := range tt.want {
				assert.Contains(t, out, want, tt.name)
			}
			assert.Contains(t, out, logoutForm, "%s: the page has the logout form", tt.name)
			if device != "" {
				assert.Contains(t, out, `href="/_unloq/device" target="_blank"`, tt.name)
			} else {
				assert.NotContains(t, out, "/_unloq/device", tt.name)
			}
		}
	}
}
