package hostapp

import (
	"context"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"sync"

	"github.com/gorilla/csrf"
	"github.com/gorilla/mux"
	"github.com/gorilla/sessions"
	"golang.org/x/crypto/bcrypt"

	"github.com/unloq2fa/unloq2fa/handlers" // unloq2fa
	"github.com/unloq2fa/unloq2fa/store"    // unloq2fa
	"github.com/unloq2fa/unloq2fa/unloq"    // unloq2fa
)

// Config is the app's configuration.
type Config struct {
	CSRFKey   []byte // 32 bytes
	CookieKey []byte // the app's own session cookie (gorilla/sessions)
	// PlainHTTP marks requests as plain http for gorilla/csrf (tests and
	// local development only).
	PlainHTTP bool
	// APIKey authenticates GET /api/stats.
	APIKey string

	UNLOQ       *unloq.Client // unloq2fa: nil runs with two-step off
	SessionHash []byte        // unloq2fa: 32 bytes, from the environment
	SessionBlk  []byte        // unloq2fa: 32 bytes, from the environment
}

// User is a row of the app's users table.
type User struct {
	ID    string
	Email string
	Hash  []byte
	Admin bool
}

// App is the admin application.
type App struct {
	cfg     Config
	cookies *sessions.CookieStore
	tmpl    *template.Template

	mu    sync.Mutex
	users map[string]*User
	next  int

	twoFA *handlers.Handlers // unloq2fa
	store *store.Memory      // unloq2fa
}

// New returns the app.
func New(cfg Config) (*App, error) {
	a := &App{cfg: cfg, cookies: sessions.NewCookieStore(cfg.CookieKey), users: map[string]*User{},
		tmpl: template.Must(template.New("").Parse(pages))}
	a.cookies.Options.HttpOnly = true
	a.cookies.Options.SameSite = http.SameSiteLaxMode
	if err := a.setupTwoFA(); err != nil { // unloq2fa
		return nil, err // unloq2fa
	} // unloq2fa
	return a, nil
}

// AddUser creates a user with a bcrypt hash of password.
func (a *App) AddUser(ctx context.Context, email, password string, admin bool) (string, error) {
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		return "", err
	}
	a.mu.Lock()
	a.next++
	id := strconv.Itoa(a.next)
	a.users[id] = &User{ID: id, Email: email, Hash: hash, Admin: admin}
	a.mu.Unlock()
	return id, a.store.Put(ctx, store.User{ID: id, Email: email}) // unloq2fa
}

func (a *App) byEmail(email string) *User {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, u := range a.users {
		if u.Email == email {
			return u
		}
	}
	return nil
}

func (a *App) byID(id string) *User {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.users[id]
}

// Handler is the whole app.
func (a *App) Handler() http.Handler {
	r := mux.NewRouter()
	r.HandleFunc("/", a.home).Methods(http.MethodGet)
	r.HandleFunc("/signup", a.signupForm).Methods(http.MethodGet)
	r.HandleFunc("/signup", a.signup).Methods(http.MethodPost)
	r.HandleFunc("/login", a.loginForm).Methods(http.MethodGet)
	r.HandleFunc("/login", a.login).Methods(http.MethodPost)
	r.Handle("/dashboard", a.twoFA.RequireVerified(http.HandlerFunc(a.dashboard))).Methods(http.MethodGet)            // unloq2fa
	r.Handle("/settings", a.twoFA.RequireVerified(http.HandlerFunc(a.settings))).Methods(http.MethodGet)              // unloq2fa
	r.Handle("/admin/impersonate", a.twoFA.RequireVerified(http.HandlerFunc(a.impersonate))).Methods(http.MethodPost) // unloq2fa
	r.HandleFunc("/api/stats", a.apiStats).Methods(http.MethodGet)
	a.twoFA.Mount(func(p string, h http.Handler) { r.Handle(p, h) }) // unloq2fa

	protect := csrf.Protect(a.cfg.CSRFKey, csrf.Path("/"), csrf.Secure(!a.cfg.PlainHTTP))
	app := protect(a.twoFA.Wrap(r)) // unloq2fa: Wrap inside the CSRF check, outside the routes
	if !a.cfg.PlainHTTP {
		return app
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		app.ServeHTTP(w, csrf.PlaintextHTTPRequest(r))
	})
}

// currentUser is the logged-in user, or nil.
func (a *App) currentUser(r *http.Request) *User {
	id, ok := a.twoFA.UserID(r) // unloq2fa: the unloq2fa session is the login
	if !ok {
		return nil
	}
	return a.byID(id)
}

func (a *App) render(w http.ResponseWriter, r *http.Request, name string, data map[string]any) {
	if data == nil {
		data = map[string]any{}
	}
	data["CSRF"] = csrf.TemplateField(r)
	if s, err := a.cookies.Get(r, "hostapp"); err == nil {
		if f := s.Flashes(); len(f) > 0 {
			data["Flash"] = f[0]
			_ = s.Save(r, w)
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := a.tmpl.ExecuteTemplate(w, name, data); err != nil {
		http.Error(w, "template", http.StatusInternalServerError)
	}
}

func (a *App) flash(w http.ResponseWriter, r *http.Request, msg string) {
	s, _ := a.cookies.Get(r, "hostapp")
	s.AddFlash(msg)
	_ = s.Save(r, w)
}

func (a *App) home(w http.ResponseWriter, r *http.Request) {
	a.render(w, r, "home", map[string]any{"User": a.currentUser(r)})
}

func (a *App) signupForm(w http.ResponseWriter, r *http.Request) { a.render(w, r, "signup", nil) }
func (a *App) loginForm(w http.ResponseWriter, r *http.Request) {
	a.render(w, r, "login", map[string]any{"Next": r.URL.Query().Get("next")})
}

func (a *App) signup(w http.ResponseWriter, r *http.Request) {
	email, pw := r.PostFormValue("email"), r.PostFormValue("password")
	if email == "" || len(pw) < 8 || a.byEmail(email) != nil {
		http.Error(w, "cannot sign up", http.StatusBadRequest)
		return
	}
	id, err := a.AddUser(r.Context(), email, pw, false)
	if err != nil {
		http.Error(w, "cannot sign up", http.StatusInternalServerError)
		return
	}
	a.flash(w, r, "Welcome!")
	a.logIn(w, r, id, "/dashboard")
}

func (a *App) login(w http.ResponseWriter, r *http.Request) {
	u := a.byEmail(r.PostFormValue("email"))
	if u == nil || bcrypt.CompareHashAndPassword(u.Hash, []byte(r.PostFormValue("password"))) != nil {
		http.Error(w, "wrong e-mail or password", http.StatusUnauthorized)
		return
	}
	a.logIn(w, r, u.ID, r.PostFormValue("next"))
}

// logIn starts the login of user id.
func (a *App) logIn(w http.ResponseWriter, r *http.Request, id, next string) {
	if err := a.twoFA.LogIn(w, r, id, next); err != nil { // unloq2fa
		http.Error(w, "login failed", http.StatusServiceUnavailable)
	}
}

func (a *App) dashboard(w http.ResponseWriter, r *http.Request) {
	a.render(w, r, "dashboard", map[string]any{"User": a.currentUser(r)})
}

func (a *App) settings(w http.ResponseWriter, r *http.Request) {
	u := a.currentUser(r)
	su, err := a.store.User(r.Context(), u.ID) // unloq2fa
	if err != nil {                            // unloq2fa
		http.Error(w, "store", http.StatusInternalServerError) // unloq2fa
		return                                                 // unloq2fa
	} // unloq2fa
	a.render(w, r, "settings", map[string]any{"User": u, "On": su.SecondFactor == store.SecondFactorUNLOQ}) // unloq2fa
}

// impersonate logs an administrator in as another user.
func (a *App) impersonate(w http.ResponseWriter, r *http.Request) {
	if u := a.currentUser(r); u == nil || !u.Admin {
		http.Error(w, "forbidden", http.StatusForbidden)
		return
	}
	target := a.byID(r.PostFormValue("user_id"))
	if target == nil {
		http.NotFound(w, r)
		return
	}
	a.logIn(w, r, target.ID, "/dashboard")
}

func (a *App) apiStats(w http.ResponseWriter, r *http.Request) {
	if a.cfg.APIKey == "" || r.Header.Get("X-API-Key") != a.cfg.APIKey {
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	a.mu.Lock()
	n := len(a.users)
	a.mu.Unlock()
	_, _ = fmt.Fprintf(w, `{"users":%d}`, n)
}

const pages = `
{{define "nav"}}{{with .Flash}}<p id="flash">{{.}}</p>{{end}}{{end}}
{{define "home"}}<!doctype html><title>home</title>{{template "nav" .}}{{if .User}}<p>Hello {{.User.Email}}</p>{{else}}<a href="/login">Log in</a>{{end}}{{end}}
{{define "signup"}}<!doctype html><title>signup</title><form method="post" action="/signup">{{.CSRF}}<input name="email"><input name="password" type="password"><button>Sign up</button></form>{{end}}
{{define "login"}}<!doctype html><title>login</title><form method="post" action="/login">{{.CSRF}}<input name="email"><input name="password" type="password"><input type="hidden" name="next" value="{{.Next}}"><button>Log in</button></form>{{end}}
{{define "dashboard"}}<!doctype html><title>dashboard</title>{{template "nav" .}}<p id="who">dashboard of {{.User.Email}}</p>
<form method="post" action="/logout">{{.CSRF}}<button>Log out</button></form>{{end}}
{{define "settings"}}<!doctype html><title>settings</title>{{template "nav" .}}<p id="state">two-step {{if .On}}on{{else}}off{{end}}</p>
<form method="post" action="/settings/2fa/{{if .On}}disable{{else}}enable{{end}}">{{.CSRF}}<button>Turn {{if .On}}off{{else}}on{{end}}</button></form>{{end}}
`
