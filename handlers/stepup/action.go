package stepup

import (
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits of an Action, as UNLOQ sets them (code, reference) or as this
// package bounds them (variables).
const (
	maxCodeLen      = 20
	maxReferenceLen = 20
	maxVars         = 16
	maxVarNameLen   = 32
	maxVarValueLen  = 100
	// MaxMaxAge bounds Action.MaxAge.
	MaxMaxAge = 24 * time.Hour
)

// Action describes one sensitive action approved on the phone through
// UNLOQ's authorize call.
type Action struct {
	// Code is the action's code as configured at UNLOQ: 1–20 characters of
	// [A-Za-z0-9_-].
	Code string
	// Vars returns the values of the action's $name placeholders (title and
	// message on the phone). It may be nil. At most 16 variables; names of
	// 1–32 characters of [A-Za-z0-9_], values of at most 100 characters
	// without control characters. For a replayed form POST it sees the
	// original form fields.
	Vars func(*http.Request) map[string]string
	// Reference returns the reference shown on the phone: 1–20 characters
	// without control characters. nil means a random 8-character code per
	// approval.
	Reference func(*http.Request) string
	// MaxAge is how long one approval counts for further requests of this
	// action in the same login (same session, same LoginID). 0, the
	// default, means every request needs its own approval. At most
	// MaxMaxAge.
	MaxAge time.Duration
}

func (a Action) validate() error {
	if !validCode(a.Code) {
		return fmt.Errorf("stepup: action code %q must be 1-20 characters of [A-Za-z0-9_-]", a.Code)
	}
	if a.MaxAge < 0 || a.MaxAge > MaxMaxAge {
		return fmt.Errorf("stepup: action %q: max age %v outside [0, %v]", a.Code, a.MaxAge, MaxMaxAge)
	}
	return nil
}

func validCode(code string) bool {
	if code == "" || len(code) > maxCodeLen {
		return false
	}
	for i := 0; i < len(code); i++ {
		c := code[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// reference returns the action's reference for r, validated.
func (a Action) reference(r *http.Request) (string, error) {
	if a.Reference == nil {
		return rand.Text()[:8], nil
	}
	ref := a.Reference(r)
	if ref == "" || !utf8.ValidString(ref) || utf8.RuneCountInString(ref) > maxReferenceLen || hasControl(ref) {
		return "", errors.New("reference must be 1-20 characters without control characters")
	}
	return ref, nil
}

// vars returns the action's variables for r, validated (a copy).
func (a Action) vars(r *http.Request) (map[string]string, error) {
	if a.Vars == nil {
		return nil, nil
	}
	in := a.Vars(r)
	if len(in) > maxVars {
		return nil, fmt.Errorf("more than %d variables", maxVars)
	}
	out := make(map[string]string, len(in))
	for k, v := range in {
		if !validVarName(k) {
			return nil, fmt.Errorf("variable name %q must be 1-32 characters of [A-Za-z0-9_]", k)
		}
		if !utf8.ValidString(v) || utf8.RuneCountInString(v) > maxVarValueLen || hasControl(v) {
			return nil, fmt.Errorf("variable %q: value must be at most 100 characters without control characters", k)
		}
		out[k] = v
	}
	return out, nil
}

func validVarName(k string) bool {
	if k == "" || len(k) > maxVarNameLen {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

func hasControl(s string) bool {
	for _, r := range s {
		if unicode.IsControl(r) {
			return true
		}
	}
	return false
}
