package session

import (
	"net/http"
	"testing"
)

// FuzzCookieValue: cookieValue finds the same cookie as r.Cookie.
func FuzzCookieValue(f *testing.F) {
	for _, h := range []string{
		"", "unloq2fa=abc", "a=1; unloq2fa=abc; b=2", `unloq2fa="abc"`, `unloq2fa="a"b"`,
		"unloq2fa=a\\b; unloq2fa=ok", " unloq2fa = x ", "xunloq2fa=1;unloq2fax=2", "unloq2fa",
		"unloq2fa=;unloq2fa=2", ";;unloq2fa=a b", "\tunloq2fa=v\r", `unloq2fa="`,
	} {
		f.Add(h, "")
		f.Add(h, "a=1")
	}
	f.Fuzz(func(t *testing.T, h1, h2 string) {
		r := &http.Request{Header: http.Header{}}
		for _, h := range []string{h1, h2} {
			if h != "" {
				r.Header.Add("Cookie", h)
			}
		}
		got, ok := cookieValue(r, DefaultCookieName)
		c, err := r.Cookie(DefaultCookieName)
		if err != nil {
			if ok {
				t.Fatalf("found %q, r.Cookie found none", got)
			}
			return
		}
		if !ok || got != c.Value {
			t.Fatalf("found %q (%v), r.Cookie found %q", got, ok, c.Value)
		}
		if !mayHaveCookie(r, DefaultCookieName) {
			t.Fatal("mayHaveCookie missed the cookie")
		}
	})
}
