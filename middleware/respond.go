package middleware

import (
	"encoding/json"
	"net/http"

	"github.com/unloq2fa/unloq2fa/internal/accept"
)

// refusal is a prepared response: a redirect for browsers, a JSON 401 for
// API clients.
type refusal struct {
	location string
	body     []byte // JSON body, ready to write
}

func newRefusal(reason Reason, location string) refusal {
	msg := "login required"
	switch reason {
	case ReasonPending:
		msg = "two-step verification required"
	case ReasonPendingExpired:
		msg = "two-step verification expired, log in again"
	}
	body, err := json.Marshal(struct {
		Error    string `json:"error"`
		Reason   Reason `json:"reason"`
		Redirect string `json:"redirect"`
	}{msg, reason, location})
	if err != nil { // cannot happen with strings only
		panic("middleware: encoding refusal: " + err.Error())
	}
	return refusal{location: location, body: append(body, '\n')}
}

// write sends the refusal: 302 (GET, HEAD) or 303 (other methods, so that
// the browser follows with a GET) to the location, or a JSON 401 to API
// clients. Both are marked no-store.
func (m *Middleware) write(w http.ResponseWriter, r *http.Request, f refusal) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	if m.isAPI(r) {
		h.Set("Content-Type", "application/json; charset=utf-8")
		h.Set("X-Content-Type-Options", "nosniff")
		w.WriteHeader(http.StatusUnauthorized)
		if r.Method != http.MethodHead {
			_, _ = w.Write(f.body)
		}
		return
	}
	h.Set("Location", f.location)
	code := http.StatusSeeOther
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		code = http.StatusFound
	}
	w.WriteHeader(code)
}

// PrefersJSON reports whether the Accept header of r prefers JSON over
// HTML (the default API detector). JSON must be named explicitly: "*/*"
// alone means a browser or a tool that takes anything, and gets the
// redirect. The handlers package decides the same way.
func PrefersJSON(r *http.Request) bool {
	return accept.PrefersJSON(r.Header.Get("Accept"))
}
