package stepup_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/handlers/stepup"
)

// TestHostContentSecurityPolicyKept: the pages and JSON answers used to
// replace the host's Content-Security-Policy with "frame-ancestors
// 'none'", dropping a strict policy. The host's policy is now kept as it
// is, framing is still forbidden, and WithScriptNonce's nonce (the host's)
// is on the inline script and style, so they run under that policy.
func TestHostContentSecurityPolicyKept(t *testing.T) {
	const host = "default-src 'none'; script-src 'nonce-h0st'; style-src 'nonce-h0st'; form-action 'self'"
	h := newHarness(t, harnessOpts{opts: []stepup.Option{
		stepup.WithScriptNonce(func(*http.Request) string { return "h0st" }),
	}})
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", host)
		h.app.Config.Handler.ServeHTTP(w, r)
	}))
	t.Cleanup(app.Close)
	c := h.browser()
	res, err := c.Get(app.URL + "/login?uid=u-alice&email=" + url.QueryEscape(alice))
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, res.Body)
	_ = res.Body.Close()

	check := func(r reply, what string) {
		t.Helper()
		assert.Equal(t, []string{host, "frame-ancestors 'none'"}, r.header.Values("Content-Security-Policy"), what)
		assert.Equal(t, "DENY", r.header.Get("X-Frame-Options"), what)
	}
	get := func(path string, hdr ...string) reply {
		req, err := http.NewRequest(http.MethodGet, app.URL+path, nil)
		require.NoError(t, err)
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		return do(t, c, req)
	}

	wait := get("/danger")
	require.Equal(t, http.StatusOK, wait.status)
	check(wait, "waiting page")
	assert.Contains(t, wait.body, `<script nonce="h0st">`)
	assert.Contains(t, wait.body, `<style nonce="h0st">`)

	refused := get("/danger", "Unloq2fa-Step-Up", "bogus")
	check(refused, "refusal of a malformed step-up header")
	assert.Equal(t, http.StatusBadRequest, refused.status)

	req, err := http.NewRequest(http.MethodPost, app.URL+"/danger", nil)
	require.NoError(t, err)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	page := do(t, c, req)
	assert.Equal(t, http.StatusForbidden, page.status)
	check(page, "refusal page")
	assert.Contains(t, page.body, `<style nonce="h0st">`)

	// A host policy that forbids framing itself is not doubled.
	strict := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'")
		h.app.Config.Handler.ServeHTTP(w, r)
	}))
	t.Cleanup(strict.Close)
	req, err = http.NewRequest(http.MethodGet, strict.URL+"/danger", nil)
	require.NoError(t, err)
	r := do(t, c, req)
	assert.Equal(t, []string{"default-src 'self'; frame-ancestors 'none'"}, r.header.Values("Content-Security-Policy"))

	// Without a host policy the pages still forbid framing.
	r = h.get(c, "/danger")
	assert.Equal(t, []string{"frame-ancestors 'none'"}, r.header.Values("Content-Security-Policy"))
}
