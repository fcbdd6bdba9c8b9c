package handlers

import (
	"embed"
	"encoding/json"
	"html/template"
	"net/http"
	"time"

	"github.com/unloq2fa/unloq2fa/internal/accept"
	"github.com/unloq2fa/unloq2fa/internal/respond"
)

//go:embed templates/*.html
var templateFS embed.FS

// Template names. A template set given to WithTemplates must define each of
// them; the default set also defines the partials "header", "footer" and
// "alerts", which are not required.
const (
	TemplateTwoStep = "twostep" // data: TwoStepPage
	TemplateEnroll  = "enroll"  // data: EnrollPage
	TemplateApprove = "approve" // data: ApprovePage
	TemplateMessage = "message" // data: MessagePage
)

// templateNames lists the templates WithTemplates requires.
func templateNames() []string {
	return []string{TemplateTwoStep, TemplateEnroll, TemplateApprove, TemplateMessage}
}

// Page is the data every page template gets.
type Page struct {
	Title     string // page title
	AppName   string // WithAppName, may be empty
	Error     string // a user-facing error message, "" if none
	ErrorCode string // its machine code (e.g. "denied", "timeout"), "" if none
	Notice    string // a user-facing informational message, "" if none
	// FormField is the host's hidden CSRF field (WithFormField), to put
	// right after every <form> tag; empty without WithFormField.
	FormField template.HTML
	// LogoutURL is Paths.Logout: the "Not you?" and cancel controls of a
	// pending login are forms that POST there (with FormField).
	LogoutURL string
}

// TwoStepPage is the data of TemplateTwoStep, the second login step.
type TwoStepPage struct {
	Page
	Email           string // the user who passed the password step
	Widget          bool   // render the UNLOQ widget
	WidgetScriptURL string // its script (src)
	WidgetKey       string // data-unloq-key
	Push            bool   // render the push form (POST to Action)
	Action          string // the two-step path
	OTPRequired     bool   // ask for the OTP (field "otp")
	// Recovery offers the recovery-code form (field "recovery_code",
	// POST to Action): WithRecoveryCodes is set.
	Recovery bool
}

// EnrollPage is the data of TemplateEnroll, the QR pairing page. Its form
// POSTs step=confirm to Action; its script polls StatusURL (JSON
// {"enrolled":bool}) and submits the form once the phone scanned.
type EnrollPage struct {
	Page
	Email       string
	QRURL       string    // the QR image from UNLOQ (img src and a link)
	ExpireAt    time.Time // when the QR expires (zero if unknown)
	StatusURL   string
	Action      string
	Step        string // "confirm"
	SettingsURL string
}

// ApprovePage is the data of TemplateApprove: a fresh approval for a
// settings change (finishing the enrollment, or turning two-step off). Its
// form POSTs Step (may be empty) and, when OTPRequired, "otp" to Action.
type ApprovePage struct {
	Page
	Purpose     string // "enable", "disable" or "recovery" (new recovery codes)
	Email       string
	Action      string
	Step        string
	OTPRequired bool
	SettingsURL string
	// Paired: the phone is already paired with UNLOQ, so there is no QR
	// code; the page asks for one approval (purpose "enable").
	Paired bool
	// AutoSubmit: the page submits its form by itself once shown (the
	// first paired page; never after an error).
	AutoSubmit bool
}

// MessagePage is the data of TemplateMessage: an error or result page with
// one link onwards.
type MessagePage struct {
	Page
	LinkURL  string
	LinkText string
}

func defaultTemplates() (*template.Template, error) {
	t, err := template.New("unloq2fa").Funcs(template.FuncMap{
		"fmtTime": func(t time.Time) string { return t.UTC().Format("15:04 MST") },
	}).ParseFS(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	return t, nil
}

// setSecurityHeaders marks a 2FA response as private, unframeable and
// referrer-free, without dropping a Content-Security-Policy the host set.
func setSecurityHeaders(w http.ResponseWriter) {
	respond.SecurityHeaders(w.Header())
}

// wantsJSON reports whether the client prefers JSON over HTML in its Accept
// header; the middleware decides the same way.
func wantsJSON(r *http.Request) bool {
	return accept.PrefersJSON(r.Header.Get("Accept"))
}

// page is the common data of a page rendered for r.
func (h *Handlers) page(r *http.Request, title string) Page {
	p := Page{Title: title, AppName: h.cfg.appName, LogoutURL: h.cfg.paths.Logout}
	if h.cfg.formField != nil {
		p.FormField = h.cfg.formField(r)
	}
	return p
}

// html renders a template into a buffer first, so that a template error is
// a clean 500.
func (h *Handlers) html(w http.ResponseWriter, status int, name string, data any) {
	respond.HTML(w, h.tmpl, status, name, data, h.cfg.logger, "unloq2fa template failed")
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, `{"error":{"code":"internal"}}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// jsonError is the JSON body of a failed request.
type jsonError struct {
	Error    jsonErrorBody `json:"error"`
	Redirect string        `json:"redirect,omitempty"`
	OTP      bool          `json:"otp_required,omitempty"`
}

type jsonErrorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// redirect sends the browser to target with 303, or an API client a JSON
// body with the target.
func (h *Handlers) redirect(w http.ResponseWriter, r *http.Request, target string, body map[string]any) {
	if wantsJSON(r) {
		if body == nil {
			body = map[string]any{}
		}
		body["redirect"] = target
		writeJSON(w, http.StatusOK, body)
		return
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// denyRedirect answers an unauthenticated request: 303 to target for a
// browser, 401 JSON for an API client.
func (h *Handlers) denyRedirect(w http.ResponseWriter, r *http.Request, target string, err error) {
	if wantsJSON(r) {
		f := describe(err)
		writeJSON(w, f.status, jsonError{Error: jsonErrorBody{f.code, f.message}, Redirect: target})
		return
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// message renders err as a MessagePage (or JSON) with a link onwards.
func (h *Handlers) message(w http.ResponseWriter, r *http.Request, err error, title, linkURL, linkText string) {
	f := describe(err)
	retryAfter(w, f)
	if wantsJSON(r) {
		writeJSON(w, f.status, jsonError{Error: jsonErrorBody{f.code, f.message}})
		return
	}
	p := MessagePage{Page: h.page(r, title), LinkURL: linkURL, LinkText: linkText}
	p.Error, p.ErrorCode = f.message, f.code
	h.html(w, f.status, TemplateMessage, p)
}

// retryAfter asks the client to try again shortly when the session check
// was unavailable.
func retryAfter(w http.ResponseWriter, f failure) {
	if f.code == string(CodeSessionUnavailable) {
		w.Header().Set("Retry-After", "5")
	}
}

// methodNotAllowed answers 405 with an Allow header.
func (h *Handlers) methodNotAllowed(w http.ResponseWriter, r *http.Request, allow string) {
	w.Header().Set("Allow", allow)
	h.message(w, r, CodeMethod, "Not allowed", "", "")
}
