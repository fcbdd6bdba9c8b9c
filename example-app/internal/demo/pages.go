package demo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/unloq2fa/unloq2fa/middleware"
	"github.com/unloq2fa/unloq2fa/session"
	"github.com/unloq2fa/unloq2fa/store"
)

// view is the data every page template gets.
type view struct {
	Title string
	// User is the verified, logged-in user; nil for everyone else.
	User *User
	// DeviceURL is the simulated phone's page while the simulator is
	// embedded; empty with the real UNLOQ API.
	DeviceURL string

	Notice     string
	NoticeKind string // ok, info, warn
	Error      string

	// Form values echoed back.
	Email string
	Next  string

	DemoEmail    string
	DemoPassword string
	MinPassword  int

	TwoStepOn bool
	Was2FA    bool

	// The encrypted notes page.
	Notes        []noteView
	NoteCount    int
	Revealed     bool   // Notes carry their decrypted text (this answer only)
	NoteDraft    string // the note typed, kept in the form when it was not saved
	MaxNoteRunes int
	MaxNotes     int
}

// twoStep is what the app's own pages call in the two-step handlers: the
// start of a login after the password matched, and the logout
// (handlers.Handlers.LogIn and Logout).
type twoStep interface {
	LogIn(w http.ResponseWriter, r *http.Request, userID, next string) error
	Logout(w http.ResponseWriter, r *http.Request) error
}

// pages serves the app's own pages: start, sign-up, login, logout,
// dashboard and settings.
type pages struct {
	users     *Users
	twoStep   twoStep
	render    *renderer
	deviceURL string
	demoEmail string
	demoPass  string
	log       *slog.Logger
}

// notices are the fixed messages a redirect may ask for with ?m=; the
// query never carries free text into the page.
var notices = map[string][2]string{
	"logged-out":    {"info", "You have logged out."},
	"welcome":       {"ok", "Your account is ready. Turn on two-step verification below to protect it."},
	"note-added":    {"ok", "Your phone released the key: the note was encrypted and saved. Only the ciphertext is stored."},
	"notes-deleted": {"ok", "Your phone approved: all your notes were deleted."},
}

// newView fills the parts of a view every page shares.
func (p *pages) newView(r *http.Request, title string) *view {
	v := &view{Title: title, DeviceURL: p.deviceURL, MinPassword: minPasswordLen}
	if p.deviceURL != "" {
		// The demo credentials are shown only in simulator mode.
		v.DemoEmail, v.DemoPassword = p.demoEmail, p.demoPass
	}
	if id, ok := middleware.UserID(r); ok {
		if u, err := p.users.ByID(r.Context(), id); err == nil {
			v.User = &u
		}
	}
	if n, ok := notices[r.URL.Query().Get("m")]; ok {
		v.NoticeKind, v.Notice = n[0], n[1]
	}
	return v
}

// home is GET /.
func (p *pages) home(w http.ResponseWriter, r *http.Request) {
	p.render.render(w, r, http.StatusOK, "home", p.newView(r, "Welcome"))
}

// loginForm is GET /login.
func (p *pages) loginForm(w http.ResponseWriter, r *http.Request) {
	v := p.newView(r, "Log in")
	v.Next = r.URL.Query().Get("next")
	if v.User != nil {
		// Already logged in: nothing to do here.
		http.Redirect(w, r, "/dashboard", http.StatusSeeOther)
		return
	}
	p.render.render(w, r, http.StatusOK, "login", v)
}

// login is POST /login: the app's own password check, then the two-step
// handlers decide whether the phone must approve.
func (p *pages) login(w http.ResponseWriter, r *http.Request) {
	if !p.parseForm(w, r) {
		return
	}
	v := p.newView(r, "Log in")
	v.Email, v.Next = r.PostFormValue("email"), r.PostFormValue("next")
	u, err := p.users.Authenticate(r.Context(), v.Email, r.PostFormValue("password"))
	if err != nil {
		if errors.Is(err, ErrBadCredentials) {
			p.log.InfoContext(r.Context(), "demo: login failed")
			v.Error = "Wrong e-mail address or password."
			p.render.render(w, r, http.StatusUnauthorized, "login", v)
			return
		}
		p.fail(w, r, "demo: login", err)
		return
	}
	if err := p.twoStep.LogIn(w, r, u.ID, v.Next); err != nil {
		p.fail(w, r, "demo: password verified", err)
		return
	}
	p.log.InfoContext(r.Context(), "demo: password accepted", "user", u.ID)
}

// signupForm is GET /signup.
func (p *pages) signupForm(w http.ResponseWriter, r *http.Request) {
	v := p.newView(r, "Sign up")
	v.Next = r.URL.Query().Get("next")
	p.render.render(w, r, http.StatusOK, "signup", v)
}

// signup is POST /signup: create the account, then log the new user in
// (no second factor yet, so the login completes at once).
func (p *pages) signup(w http.ResponseWriter, r *http.Request) {
	if !p.parseForm(w, r) {
		return
	}
	v := p.newView(r, "Sign up")
	v.Email, v.Next = r.PostFormValue("email"), r.PostFormValue("next")
	u, err := p.users.Create(r.Context(), v.Email, r.PostFormValue("password"))
	switch {
	case errors.Is(err, ErrInvalidEmail), errors.Is(err, ErrShortPassword),
		errors.Is(err, ErrLongPassword), errors.Is(err, ErrEmailTaken):
		v.Error = userMessage(err)
		p.render.render(w, r, http.StatusUnprocessableEntity, "signup", v)
		return
	case err != nil:
		p.fail(w, r, "demo: sign up", err)
		return
	}
	p.log.InfoContext(r.Context(), "demo: account created", "user", u.ID)
	next := v.Next
	if next == "" {
		next = "/settings?m=welcome"
	}
	if err := p.twoStep.LogIn(w, r, u.ID, next); err != nil {
		p.fail(w, r, "demo: password verified", err)
	}
}

// logout is POST /logout: the session is cleared, its cookie deleted, and
// a push still waiting on the phone can no longer complete the login.
func (p *pages) logout(w http.ResponseWriter, r *http.Request) {
	if err := p.twoStep.Logout(w, r); err != nil {
		p.fail(w, r, "demo: logout", err)
		return
	}
	http.Redirect(w, r, "/login?m=logged-out", http.StatusSeeOther)
}

// dashboard is GET /dashboard (behind RequireVerified).
func (p *pages) dashboard(w http.ResponseWriter, r *http.Request) {
	v, ok := p.verifiedView(w, r, "Dashboard")
	if !ok {
		return
	}
	v.Was2FA = session.FromContext(r.Context()).Was2FA() && v.TwoStepOn
	p.render.render(w, r, http.StatusOK, "dashboard", v)
}

// settings is GET /settings (behind RequireVerified).
func (p *pages) settings(w http.ResponseWriter, r *http.Request) {
	v, ok := p.verifiedView(w, r, "Settings")
	if !ok {
		return
	}
	p.render.render(w, r, http.StatusOK, "settings", v)
}

// verifiedView builds the view of a protected page. The user's row, read
// once by newView, carries the second_factor column the handlers write
// through store.SQL. It fails closed.
func (p *pages) verifiedView(w http.ResponseWriter, r *http.Request, title string) (*view, bool) {
	v := p.newView(r, title)
	if v.User == nil {
		// RequireVerified lets only verified users through; a user deleted
		// from the database since (or unreadable now) is sent to log in.
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return nil, false
	}
	v.TwoStepOn = v.User.SecondFactor == store.SecondFactorUNLOQ
	return v, true
}

// withNotFoundPage serves mux, replacing the mux's plain-text 404 with the
// app's page. Its 405 answers (with their Allow header) stay as they are.
func (p *pages) withNotFoundPage(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, pattern := mux.Handler(r)
		if pattern != "" {
			mux.ServeHTTP(w, r)
			return
		}
		h.ServeHTTP(&notFoundWriter{ResponseWriter: w, p: p, r: r}, r)
	})
}

// notFoundWriter renders the app's 404 page in place of a 404 body.
type notFoundWriter struct {
	http.ResponseWriter
	p        *pages
	r        *http.Request
	replaced bool
}

func (w *notFoundWriter) WriteHeader(code int) {
	if code != http.StatusNotFound {
		w.ResponseWriter.WriteHeader(code)
		return
	}
	w.replaced = true
	v := w.p.newView(w.r, "Page not found")
	v.Error = "There is no page at this address."
	w.p.render.render(w.ResponseWriter, w.r, http.StatusNotFound, "error", v)
}

func (w *notFoundWriter) Write(b []byte) (int, error) {
	if w.replaced {
		return len(b), nil // the mux's plain-text body is dropped
	}
	return w.ResponseWriter.Write(b)
}

// fail logs err and shows a generic error page: no internals reach the browser.
func (p *pages) fail(w http.ResponseWriter, r *http.Request, op string, err error) {
	if errors.Is(err, context.Canceled) {
		return // the browser went away
	}
	p.log.ErrorContext(r.Context(), op, "err", err)
	v := p.newView(r, "Something went wrong")
	v.Error = "The request could not be completed. Please try again."
	p.render.render(w, r, http.StatusInternalServerError, "error", v)
}

// parseForm reads a bounded form body; a body too large or malformed is a
// client error.
func (p *pages) parseForm(w http.ResponseWriter, r *http.Request) bool {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			http.Error(w, "request too large", http.StatusRequestEntityTooLarge)
			return false
		}
		http.Error(w, "malformed form", http.StatusBadRequest)
		return false
	}
	return true
}

// userMessage turns a validation error into page text.
func userMessage(err error) string {
	switch {
	case errors.Is(err, ErrInvalidEmail):
		return "Enter a valid e-mail address, like name@example.com."
	case errors.Is(err, ErrShortPassword):
		return fmt.Sprintf("The password needs at least %d characters.", minPasswordLen)
	case errors.Is(err, ErrLongPassword):
		return fmt.Sprintf("The password may have at most %d bytes.", maxPasswordLen)
	case errors.Is(err, ErrEmailTaken):
		return "An account with this e-mail address already exists. Log in instead."
	}
	return "Please check your input."
}

// maxFormBytes bounds the app's form bodies.
const maxFormBytes = 16 << 10
