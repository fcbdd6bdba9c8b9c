package middleware

import (
	"fmt"
	"net/http"
	"net/url"
	"path"
	"slices"
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

// Validate checks that e can only ever match itself: an upper-case method
// token and a clean absolute path whose escaped form is the path itself.
// New and the exemption options return its error.
func (e Exemption) Validate() error {
	if !validMethod(e.Method) {
		return fmt.Errorf("middleware: exemption: invalid method %q", e.Method)
	}
	if err := checkPath(e.Path); err != nil {
		return fmt.Errorf("middleware: exemption %s: %w", e.Method, err)
	}
	return nil
}

// validateAll returns the error of the first invalid rule of ex.
func validateAll(ex []Exemption) error {
	for _, e := range ex {
		if err := e.Validate(); err != nil {
			return err
		}
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

// exemptSet is the compiled form of the exemptions: one entry per path
// with a bit set of methods, and a bit set of path lengths that rejects
// most requests with one test.
type exemptSet struct {
	lens  uint64 // bit min(len(path), 63) is set for every rule path
	paths []exemptPath
}

type exemptPath struct {
	path    string
	methods uint16   // bits of methodBit
	other   []string // methods without a bit
}

func compileExemptions(ex []Exemption) exemptSet {
	var set exemptSet
	for _, e := range ex {
		i := slices.IndexFunc(set.paths, func(p exemptPath) bool { return p.path == e.Path })
		if i < 0 {
			set.paths = append(set.paths, exemptPath{path: e.Path})
			i = len(set.paths) - 1
			set.lens |= 1 << min(len(e.Path), 63)
		}
		p := &set.paths[i]
		if bit := methodBit(e.Method); bit != 0 {
			p.methods |= bit
		} else if !slices.Contains(p.other, e.Method) {
			p.other = append(p.other, e.Method)
		}
	}
	return set
}

func methodBit(m string) uint16 {
	switch m {
	case http.MethodGet:
		return 1 << 0
	case http.MethodHead:
		return 1 << 1
	case http.MethodPost:
		return 1 << 2
	case http.MethodPut:
		return 1 << 3
	case http.MethodPatch:
		return 1 << 4
	case http.MethodDelete:
		return 1 << 5
	case http.MethodOptions:
		return 1 << 6
	case http.MethodConnect:
		return 1 << 7
	case http.MethodTrace:
		return 1 << 8
	}
	return 0
}

// exempt reports whether r matches an exemption: same method, same decoded
// path and same escaped path. It allocates nothing.
func (m *Middleware) exempt(r *http.Request) bool {
	u := r.URL
	if u == nil || m.exemptions.lens&(1<<min(len(u.Path), 63)) == 0 {
		return false
	}
	for i := range m.exemptions.paths {
		e := &m.exemptions.paths[i]
		if u.Path != e.path {
			continue
		}
		// The rule needs no escaping, so the escaped path equals it exactly
		// when no different raw form was sent (%2F, %6C, ...).
		if u.RawPath != "" && u.RawPath != e.path {
			return false
		}
		if bit := methodBit(r.Method); bit != 0 {
			return e.methods&bit != 0
		}
		return slices.Contains(e.other, r.Method)
	}
	return false
}
