package csp_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/unloq2fa/unloq2fa/internal/csp"
)

func TestDenyFraming(t *testing.T) {
	cases := []struct {
		name string
		host []string // the host's policies
		want []string // every policy after DenyFraming
	}{
		{"no host policy", nil, []string{"frame-ancestors 'none'"}},
		{"strict host policy kept", []string{"default-src 'self'; script-src 'nonce-abc'"},
			[]string{"default-src 'self'; script-src 'nonce-abc'", "frame-ancestors 'none'"}},
		{"host already forbids framing", []string{"default-src 'none'; frame-ancestors 'none'"},
			[]string{"default-src 'none'; frame-ancestors 'none'"}},
		{"case and spacing", []string{"script-src 'self' ;  Frame-Ancestors   'NONE' "},
			[]string{"script-src 'self' ;  Frame-Ancestors   'NONE' "}},
		{"looser frame-ancestors is overridden", []string{"frame-ancestors 'self'"},
			[]string{"frame-ancestors 'self'", "frame-ancestors 'none'"}},
		{"'none' with other sources is no 'none'", []string{"frame-ancestors 'none' https://a.example"},
			[]string{"frame-ancestors 'none' https://a.example", "frame-ancestors 'none'"}},
		{"only the first frame-ancestors counts", []string{"frame-ancestors *; frame-ancestors 'none'"},
			[]string{"frame-ancestors *; frame-ancestors 'none'", "frame-ancestors 'none'"}},
		{"second policy of a comma list", []string{"script-src 'self', frame-ancestors 'none'"},
			[]string{"script-src 'self', frame-ancestors 'none'"}},
		{"frame-ancestors-like name", []string{"x-frame-ancestors 'none'"},
			[]string{"x-frame-ancestors 'none'", "frame-ancestors 'none'"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := http.Header{}
			for _, p := range c.host {
				h.Add(csp.HeaderName, p)
			}
			h.Set("Content-Security-Policy-Report-Only", "frame-ancestors 'none'")
			csp.DenyFraming(h)
			assert.Equal(t, c.want, h.Values(csp.HeaderName))
			assert.Equal(t, "frame-ancestors 'none'", h.Get("Content-Security-Policy-Report-Only"), "left alone")
		})
	}
}
