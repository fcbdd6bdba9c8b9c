package handlers_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/unloq2fa/unloq2fa/handlers"
)

var nextCases = []struct {
	next string
	ok   bool
}{
	{"/", true},
	{"/dashboard", true},
	{"/dashboard?tab=2&x=%2F", true},
	{"/a/b#frag", true},
	{"/a%20b", true},
	{"/path:with:colons", true},
	{"", false},
	{"dashboard", false},
	{"https://evil.com", false},
	{"http://evil.com/", false},
	{"javascript:alert(1)", false},
	{"JavaScript:alert(1)", false},
	{"data:text/html,x", false},
	{"//evil.com", false},
	{"///evil.com", false},
	{"/\\evil.com", false},
	{"\\\\evil.com", false},
	{"/\\/evil.com", false},
	{"/a\\b", false},
	{"/%2F%2Fevil.com", false},
	{"/%2f%2fevil.com", false},
	{"%2F%2Fevil.com", false},
	{"/%5Cevil.com", false},
	{"/%5cevil.com", false},
	{"/%252F%252Fevil.com", false},
	{"/%09/evil.com", false},
	{"/\t/evil.com", false},
	{"/\n/evil.com", false},
	{"/x\r\nSet-Cookie: a=b", false},
	{"/%0d%0aSet-Cookie:a=b", false},
	{" /dashboard", false},
	{"/dash board", false},
	{"/\x00", false},
	{"/\x7f", false},
	{"/é", false},
	{"/\u2215evil.com", false},
	{"/%zz", false},
	{"https:/evil.com", false},
	{"/" + strings.Repeat("a", 2048), false},
}

func TestSafeNext(t *testing.T) {
	for _, tc := range nextCases {
		got, ok := handlers.SafeNext(tc.next)
		assert.Equal(t, tc.ok, ok, "%q", tc.next)
		if ok {
			assert.Equal(t, tc.next, got)
		} else {
			assert.Empty(t, got)
		}
	}
}

func FuzzSafeNext(f *testing.F) {
	for _, tc := range nextCases {
		f.Add(tc.next)
	}
	base, _ := url.Parse("https://app.example/login")
	f.Fuzz(func(t *testing.T, next string) {
		got, ok := handlers.SafeNext(next)
		if !ok {
			if got != "" {
				t.Fatalf("refused %q but returned %q", next, got)
			}
			return
		}
		if got != next || !strings.HasPrefix(got, "/") || strings.HasPrefix(got, "//") || strings.ContainsAny(got, "\\\r\n\t ") {
			t.Fatalf("accepted unsafe %q", next)
		}
		u, err := url.Parse(got)
		if err != nil || u.Scheme != "" || u.Host != "" {
			t.Fatalf("accepted %q that parses with scheme/host", next)
		}
		if r := base.ResolveReference(u); r.Host != "app.example" || r.Scheme != "https" {
			t.Fatalf("%q leaves the origin: %s", next, r)
		}
		// No decoded form may be scheme-relative either.
		s := got
		for range 3 {
			d, err := url.PathUnescape(s)
			if err != nil {
				break
			}
			if strings.HasPrefix(d, "//") || strings.HasPrefix(d, "/\\") || strings.Contains(d, "\\") {
				t.Fatalf("accepted %q whose decoded form %q is unsafe", next, d)
			}
			s = d
		}
	})
}
