package middleware

import (
	"fmt"
	"net/http"
	"net/url"
	"path"
)

// Exemption lets one method on one exact path pass the middleware without
// any session check.
type Exemption struct {
	Method string // e.g. "GET"; exact, upper case
	Path   string // e.g. "/uauth/login"; clean, exact, case-sensitive
}

// defaultExemptions lists the routes a pending user needs: the widget
// callback and the two-step page.
func defaultExemptions(twoStep string) []Exemption {
	return []Exemption{
		{Method: http.MethodGet, Path: "/uauth/login"},
		{Method: http.MethodHead, Path: "/uauth/login"},
		{Method: http.MethodGet, Path: twoStep},
		{Method: http.MethodHead, Path: twoStep},
		{Method: http.MethodPost, Path: twoStep},
	}
}

// validate checks that e can only ever match itself: an upper-case method
// token and a clean absolute path whose escaped form is the path itself.
func (e Exemption) validate() error {
	if !validMethod(e.Method) {
		return fmt.Errorf("middleware: exemption: invalid method %q", e.Method)
	}
	if err := checkPath(e.Path); err != nil {
		return fmt.Errorf("middleware: exemption %s: %w", e.Method, err)
	}
	return nil
}

func validMethod(m string) bool {
	if m == "" {
		return false
	}
	for i := 0; i < len(m); i++ {
		if c := m[i]; c < 'A' || c > 'Z' {
			return false
		}
	}
	return true
}

// checkPath accepts clean, absolute paths that need no escaping.
func checkPath(p string) error {
	if p == "" || p[0] != '/' {
		return fmt.Errorf("path %q is not absolute", p)
	}
	if path.Clean(p) != p {
		return fmt.Errorf("path %q is not clean", p)
	}
	if (&url.URL{Path: p}).EscapedPath() != p {
		return fmt.Errorf("path %q has characters that need escaping", p)
	}
	return nil
}

// exempt reports whether r matches an exemption: same method, same decoded
// path and same escaped path. It allocates nothing.
func (m *Middleware) exempt(r *http.Request) bool {
	u := r.URL
	if u == nil {
		return false
	}
	p := u.Path
	for i := range m.exemptions {
		e := &m.exemptions[i]
		if p != e.Path || r.Method != e.Method {
			continue
		}
		// The rule needs no escaping, so the escaped path equals it exactly
		// when no different raw form was sent (%2F, %6C, ...).
		if u.RawPath == "" || u.RawPath == e.Path {
			return true
		}
	}
	return false
}
