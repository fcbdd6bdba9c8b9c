package demo

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"time"
)

//go:embed templates/*.html templates/twostep/*.html templates/stepup/*.html templates/style.css
var templateFS embed.FS

// pageNames are the app's own pages; each is parsed together with the layout.
var pageNames = []string{"home", "login", "signup", "dashboard", "settings", "error", "notes", "notes_delete"}

// chrome is what the page frame (title, header links, logout form) needs.
// The app's pages and the two-step handlers' pages share it.
type chrome struct {
	Title     string
	DeviceURL string // the simulated phone, "" without the simulator
	Email     string // shown in the header
	Nav       bool   // links to Dashboard and Settings
	Anonymous bool   // links to Log in and Sign up
	Logout    string // label of the POST /logout button, "" for none
}

// Chrome is the frame of an app page.
func (v *view) Chrome() chrome {
	c := chrome{Title: v.Title, DeviceURL: v.DeviceURL}
	if v.User != nil {
		c.Email, c.Nav, c.Logout = v.User.Email, true, "Log out"
	} else {
		c.Anonymous = true
	}
	return c
}

// chromeFunc returns the template function that frames the two-step
// handlers' pages. Their data carries no session, so each page states who
// it is for: "pending" (the second login step), "verified" (settings
// changes) or anything else (a message page, which may be seen by anyone).
// Every variant that can be seen logged in has the /logout form.
func chromeFunc(deviceURL string) func(kind, title, email string) chrome {
	return func(kind, title, email string) chrome {
		c := chrome{Title: title, DeviceURL: deviceURL, Email: email, Logout: "Log out"}
		switch kind {
		case "pending":
			c.Logout = "Cancel and log out"
		case "verified":
			c.Nav = true
		}
		return c
	}
}

// renderer holds one template set per app page, sharing the layout and the
// CSS, plus the template set given to the two-step handlers.
type renderer struct {
	pages   map[string]*template.Template
	twoStep *template.Template
	// stepUp is the template set given to the step-up handler
	// (stepup_wait, stepup_refused).
	stepUp *template.Template
	// styleHash is the CSP source ('sha256-…') of the inline stylesheet.
	styleHash string
	log       *slog.Logger
}

func newRenderer(deviceURL string, log *slog.Logger) (*renderer, error) {
	css, err := templateFS.ReadFile("templates/style.css")
	if err != nil {
		return nil, fmt.Errorf("demo: templates: %w", err)
	}
	funcs := template.FuncMap{
		"chrome":  chromeFunc(deviceURL),
		"fmtTime": func(t time.Time) string { return t.UTC().Format("15:04 MST") },
		"fmtDate": func(t time.Time) string { return t.UTC().Format("2 Jan 2006, 15:04 MST") },
	}
	base := template.New("layout").Funcs(funcs)
	// The stylesheet is inlined (one page, one request); the app's pages
	// allow it by its hash in their Content-Security-Policy.
	if _, err := base.New("css").Parse(`{{define "css"}}` + string(css) + `{{end}}`); err != nil {
		return nil, fmt.Errorf("demo: templates: css: %w", err)
	}
	if _, err := base.ParseFS(templateFS, "templates/layout.html"); err != nil {
		return nil, fmt.Errorf("demo: templates: %w", err)
	}
	r := &renderer{pages: make(map[string]*template.Template, len(pageNames)), log: log}
	for _, name := range pageNames {
		t, err := base.Clone()
		if err != nil {
			return nil, fmt.Errorf("demo: templates: %w", err)
		}
		if _, err := t.ParseFS(templateFS, "templates/"+name+".html"); err != nil {
			return nil, fmt.Errorf("demo: templates: %s: %w", name, err)
		}
		r.pages[name] = t
	}
	ts, err := base.Clone()
	if err != nil {
		return nil, fmt.Errorf("demo: templates: %w", err)
	}
	if _, err := ts.ParseFS(templateFS, "templates/twostep/*.html"); err != nil {
		return nil, fmt.Errorf("demo: templates: two-step pages: %w", err)
	}
	r.twoStep = ts
	su, err := base.Clone()
	if err != nil {
		return nil, fmt.Errorf("demo: templates: %w", err)
	}
	if _, err := su.ParseFS(templateFS, "templates/stepup/*.html"); err != nil {
		return nil, fmt.Errorf("demo: templates: step-up pages: %w", err)
	}
	r.stepUp = su
	sum := sha256.Sum256(css)
	r.styleHash = "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
	return r, nil
}

// csp is the Content-Security-Policy of the app's own pages: no scripts at
// all, the one inline stylesheet by hash, forms to this origin only.
func (r *renderer) csp() string {
	return "default-src 'none'; style-src " + r.styleHash + "; img-src 'self' data:; " +
		"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
}

// render writes page with data and status, with the app's security headers.
// It renders into a buffer first, so that a template error becomes a clean
// 500 instead of half a page.
func (r *renderer) render(w http.ResponseWriter, req *http.Request, status int, page string, data *view) {
	t, ok := r.pages[page]
	if !ok {
		r.log.ErrorContext(req.Context(), "demo: unknown page", "page", page)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", data); err != nil {
		r.log.ErrorContext(req.Context(), "demo: render page", "page", page, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", r.csp())
	// Pages show per-user state and forms: never cache them.
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}
