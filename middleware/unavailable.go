package middleware

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/unloq2fa/unloq2fa/session"
)

// unavailableHTML is the page a browser gets when the session check
// cannot be completed.
const unavailableHTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Temporarily unavailable</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><h1>Temporarily unavailable</h1>
<p>We could not check your session just now, so this page is not shown.
Nothing was changed. Please try again in a moment.</p></body></html>
`

var unavailableJSON = []byte(`{"error":"session check unavailable, try again later","reason":"` + string(ReasonUnavailable) + `"}` + "\n")

// sessionUnavailable reports whether err means the session check could not
// be completed (the revocation store did not answer). Such a request must
// not reach the application, not even as anonymous: an application page
// with a weaker check of its own would let an ended session through.
func sessionUnavailable(err error) bool { return errors.Is(err, session.ErrRevocation) }

// unavailable answers 503 (no-store, Retry-After) with a short page, or
// JSON for API clients. It changes no state: the cookie is left alone.
func (m *Middleware) unavailable(w http.ResponseWriter, r *http.Request, err error) {
	if m.logger != nil {
		m.logger.LogAttrs(r.Context(), slog.LevelError, "middleware: session check unavailable, request refused",
			slog.String("reason", string(ReasonUnavailable)), slog.String("error", err.Error()))
	}
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Retry-After", "5")
	h.Set("X-Content-Type-Options", "nosniff")
	body := []byte(unavailableHTML)
	if m.isAPI(r) {
		h.Set("Content-Type", "application/json; charset=utf-8")
		body = unavailableJSON
	} else {
		h.Set("Content-Type", "text/html; charset=utf-8")
	}
	w.WriteHeader(http.StatusServiceUnavailable)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}
