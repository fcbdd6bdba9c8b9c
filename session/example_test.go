package session_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/unloq2fa/unloq2fa/session"
)

// A password login that needs the second factor, then its completion.
func Example() {
	// In production, load the keys from a secret store.
	hashKey := bytes.Repeat([]byte("h"), 32)
	blockKey := bytes.Repeat([]byte("b"), 32)
	sm, err := session.NewManager(session.WithKeys(hashKey, blockKey))
	if err != nil {
		panic(err)
	}

	// Request 1: the password matched.
	r := httptest.NewRequest(http.MethodPost, "/login", nil)
	s, _ := sm.Load(r)
	_ = s.BeginLogin("42", "ada@example.com", true)
	w := httptest.NewRecorder()
	if err := s.Save(w, r); err != nil {
		panic(err)
	}
	cookie := w.Result().Cookies()[0]
	fmt.Println("cookie:", cookie.Name, "HttpOnly:", cookie.HttpOnly, "Secure:", cookie.Secure)

	// Request 2: the phone approved.
	r = httptest.NewRequest(http.MethodGet, "/uauth/login", nil)
	r.AddCookie(cookie)
	r, s, _ = sm.Attach(r) // later Loads on r reuse this session
	fmt.Println("state:", s.State(), "user:", s.UserID())
	_ = s.CompleteSecondFactor()
	w = httptest.NewRecorder()
	_ = s.Save(w, r)

	again, _ := sm.Load(r)
	fmt.Println("state:", again.State(), "was_2fa:", again.Was2FA())
	// Output:
	// cookie: __Host-unloq2fa HttpOnly: true Secure: true
	// state: pending user: 42
	// state: verified was_2fa: true
}
