package stepup_test

import (
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/handlers/guard"
	"github.com/unloq2fa/unloq2fa/handlers/stepup"
	"github.com/unloq2fa/unloq2fa/session"
	"github.com/unloq2fa/unloq2fa/store"
	"github.com/unloq2fa/unloq2fa/unloq/unloqtest"
)

func TestNewValidates(t *testing.T) {
	sim := unloqtest.NewServer(t)
	client := sim.Client(t)
	sm, err := session.NewManager(session.WithKeys([]byte(strings.Repeat("h", 32)), []byte(strings.Repeat("b", 32))))
	require.NoError(t, err)
	users := store.NewMemory()

	_, err = stepup.New(nil, sm, users)
	assert.Error(t, err)
	_, err = stepup.New(client, nil, users)
	assert.Error(t, err)
	_, err = stepup.New(client, sm, nil)
	assert.Error(t, err)

	noWait := template.Must(template.New("x").Parse(`{{define "stepup_refused"}}x{{end}}`))
	for name, o := range map[string]stepup.Option{
		"nil in-flight":      stepup.WithGuard(nil),
		"short in-flight":    stepup.WithInFlightTTL(time.Millisecond),
		"long grant":         stepup.WithGrantTTL(2 * time.Hour),
		"nil form field":     stepup.WithFormField(nil),
		"nil nonce":          stepup.WithScriptNonce(nil),
		"nil cop":            stepup.WithCrossOriginProtection(nil),
		"nil refusal hook":   stepup.WithOnRefusal(nil),
		"nil client ip":      stepup.WithClientIP(nil),
		"nil templates":      stepup.WithTemplates(nil),
		"missing template":   stepup.WithTemplates(noWait),
		"absolute cancel":    stepup.WithCancelURL("https://evil.example/"),
		"scheme-rel. cancel": stepup.WithCancelURL("//evil.example/"),
	} {
		_, err := stepup.New(client, sm, users, o)
		assert.Error(t, err, name)
		if err != nil {
			assert.True(t, strings.HasPrefix(err.Error(), "stepup: "), err.Error())
		}
	}
	_, err = stepup.New(client, sm, users, nil, stepup.WithCancelURL("/settings"), stepup.WithAppName("Notes"),
		stepup.WithGuard(newGuard(t)))
	assert.NoError(t, err)
	// One rule in the whole module: a nil logger is an error (leave
	// WithLogger out to stay silent).
	_, err = stepup.New(client, sm, users, nil, stepup.WithLogger(nil))
	require.EqualError(t, err, "stepup: WithLogger: nil logger")
}

func TestPageHooks(t *testing.T) {
	h := newHarness(t, harnessOpts{opts: []stepup.Option{
		stepup.WithFormField(func(*http.Request) template.HTML {
			return `<input type="hidden" name="csrf" value="tok">`
		}),
		stepup.WithScriptNonce(func(*http.Request) string { return "n0nce" }),
		stepup.WithAppName("Notes & Co"),
		stepup.WithCancelURL("/settings"),
	}})
	c := h.browser()
	h.loginAs(c, "u-alice", alice)
	page := h.get(c, "/danger")
	assert.Contains(t, page.body, `<input type="hidden" name="csrf" value="tok">`)
	assert.Contains(t, page.body, `<script nonce="n0nce">`)
	assert.Contains(t, page.body, `Notes &amp; Co`)
	assert.Contains(t, page.body, `href="/settings"`)

	// The host's CSRF field is replayed like any other field.
	require.NoError(t, h.sim.Sim.SetBehavior(alice, unloqtest.BehaviorApprove))
	res := h.postForm(c, "/danger", runForm("csrf", "tok", "a", "1"))
	assert.Equal(t, "done", res.body)
	assert.Equal(t, url.Values{"csrf": {"tok"}, "a": {"1"}}, h.forms[0])
}

// newGuard returns a fresh guard.Memory: the same kind of Guard the
// handlers take can hold the in-flight marks.
func newGuard(t *testing.T) guard.Guard {
	t.Helper()
	g, err := guard.NewMemory()
	require.NoError(t, err)
	return g
}
