package respond

import (
	"bytes"
	"html/template"
	"log/slog"
	"net/http"

	"github.com/unloq2fa/unloq2fa/internal/csp"
)

// SecurityHeaders marks a response as private (no-store), unframeable,
// referrer-free and not to be sniffed. A Content-Security-Policy the host
// set is kept as it is; a policy forbidding framing is added when none of
// the host's does (csp.DenyFraming).
func SecurityHeaders(hd http.Header) {
	hd.Set("Cache-Control", "no-store")
	hd.Set("Pragma", "no-cache")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("X-Frame-Options", "DENY")
	csp.DenyFraming(hd)
	hd.Set("X-Content-Type-Options", "nosniff")
}

// HTML renders template name of t with data into a buffer first, so that
// a template error is a clean 500 (logged as msg when logger is not nil),
// then writes it with status.
func HTML(w http.ResponseWriter, t *template.Template, status int, name string, data any, logger *slog.Logger, msg string) {
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, name, data); err != nil {
		if logger != nil {
			logger.Error(msg, "template", name, "error", err.Error())
		}
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}
