package stepup

import (
	"embed"
	"encoding/json"
	"html/template"
	"net/http"

	"github.com/unloq2fa/unloq2fa/internal/accept"
	"github.com/unloq2fa/unloq2fa/internal/nexturl"
	"github.com/unloq2fa/unloq2fa/internal/respond"
)

//go:embed templates/*.html
var templateFS embed.FS

// Template names a set given to WithTemplates must define.
const (
	TemplateWait    = "stepup_wait"    // data: WaitPage
	TemplateRefused = "stepup_refused" // data: RefusedPage
)

// WaitPage is the data of TemplateWait: a form that POSTs to Action with
// the hidden Fields (the step-up mode first) and FormField, submitted by
// itself by a script carrying Nonce (as does the page's style element).
type WaitPage struct {
	Title     string
	AppName   string
	Action    string        // the request's own path and query
	Fields    []Field       // hidden fields, FieldStepUp first
	FormField template.HTML // WithFormField's markup, may be empty
	Nonce     string        // WithScriptNonce's nonce for the inline script and style, may be empty
	CancelURL string
}

// RefusedPage is the data of TemplateRefused.
type RefusedPage struct {
	Title     string
	AppName   string
	Code      string // machine code, e.g. "denied"
	Message   string
	CancelURL string
	Nonce     string // WithScriptNonce's nonce for the inline style, may be empty
}

func defaultTemplates() *template.Template {
	return template.Must(template.ParseFS(templateFS, "templates/*.html"))
}

// setSecurityHeaders marks a response of this package as private,
// unframeable and referrer-free. A Content-Security-Policy the host set is
// kept as it is; a policy forbidding framing is added when none of the
// host's does (csp.DenyFraming).
func setSecurityHeaders(w http.ResponseWriter) {
	respond.SecurityHeaders(w.Header())
}

func wantsJSON(r *http.Request) bool { return accept.PrefersJSON(r.Header.Get("Accept")) }

func safePath(p string) (string, bool) { return nexturl.Safe(p) }

func (s *StepUp) html(w http.ResponseWriter, status int, name string, data any) {
	setSecurityHeaders(w)
	respond.HTML(w, s.tmpl, status, name, data, s.cfg.logger, "unloq2fa step-up template failed")
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	setSecurityHeaders(w)
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":{"code":"internal"}}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

type jsonError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// refuse reports err (hook, logger) and answers with its page or JSON.
func (s *StepUp) refuse(w http.ResponseWriter, r *http.Request, err error) {
	if s.cfg.onRefusal != nil {
		s.cfg.onRefusal(r, err)
	}
	if s.cfg.logger != nil {
		s.cfg.logger.LogAttrs(r.Context(), slogLevel(err), "unloq2fa step-up refused", slogErr(err))
	}
	d := describe(err)
	if wantsJSON(r) {
		writeJSON(w, d.status, map[string]any{"error": jsonError{Code: d.code, Message: d.message}})
		return
	}
	p := RefusedPage{
		Title: "Not done", AppName: s.cfg.appName, Code: d.code, Message: d.message, CancelURL: s.cfg.cancelURL,
	}
	if s.cfg.scriptNonce != nil {
		p.Nonce = s.cfg.scriptNonce(r)
	}
	s.html(w, d.status, TemplateRefused, p)
}
