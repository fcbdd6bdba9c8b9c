package session_test

import (
	"net/http"
	"testing"

	"github.com/unloq2fa/unloq2fa/session"
)

// FuzzLoadCookie: no cookie value but one the Manager signed yields a
// logged-in session, and none makes Load panic or return a nil session.
func FuzzLoadCookie(f *testing.F) {
	m := newManager(f)
	good := login(f, m, "u1", "u1@example.com", false)
	f.Add(good.Value)
	f.Add(flipByte(good.Value, 5))
	f.Add(good.Value[:len(good.Value)/2])
	f.Add("")
	f.Add("MTIzfHx8")
	f.Fuzz(func(t *testing.T, value string) {
		r, _ := http.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set("Cookie", session.DefaultCookieName+"="+value)
		s, err := m.Load(r)
		if s == nil {
			t.Fatal("nil session")
		}
		if err != nil && (s.State() != session.StateAnonymous || s.UserID() != "" || s.LoginID() != "") {
			t.Fatalf("error %v but state %v", err, s.State())
		}
		// Only cookies signed with the keys are accepted, and the only one
		// ever signed holds u1 (the fuzz workers each mint their own).
		if s.State() != session.StateAnonymous && (s.UserID() != "u1" || s.Email() != "u1@example.com") {
			t.Fatalf("forged cookie accepted: %q", value)
		}
	})
}
