package unloqtest

import (
	"fmt"
	"regexp"
	"sort"
	"unicode/utf8"
)

// Action is an authorisation action: POST /v1/authorize/{code} shows the
// phone its title and message with the request's variables filled in.
type Action struct {
	Code    string `json:"code"`
	Title   string `json:"title"`
	Message string `json:"message"`
}

// DefaultActions are the actions every simulator starts with, so that an
// application asking the phone to confirm turning two-step login on or off,
// or any other sensitive step, works without configuration. WithAction,
// SetAction and PUT /_control/actions/{code} replace them.
//
//   - enable-2fa: "Turn on two-step login?"
//   - disable-2fa: "Turn off two-step login?"
//   - confirm: "Confirm: $action?" with the message $details, for any other
//     step-up (the caller sends the variables action and details).
func DefaultActions() []Action {
	return []Action{
		{Code: "confirm", Title: "Confirm: $action?", Message: "$details"},
		{Code: "disable-2fa", Title: "Turn off two-step login?", Message: "Logins to this application will no longer ask this phone."},
		{Code: "enable-2fa", Title: "Turn on two-step login?", Message: "Logins to this application will ask this phone to approve them."},
	}
}

// Limits of an action, as UNLOQ's dashboard sets them.
const (
	maxActionTitle   = 35
	maxActionMessage = 100
)

var actionCodeRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,20}$`)

// newAction validates an action definition.
func newAction(code, title, message string) (Action, error) {
	if !actionCodeRE.MatchString(code) {
		return Action{}, fmt.Errorf("unloqtest: action code %q must match [A-Za-z0-9_-]{1,20}", code)
	}
	if title == "" || utf8.RuneCountInString(title) > maxActionTitle {
		return Action{}, fmt.Errorf("unloqtest: action %q: title must be 1–%d characters", code, maxActionTitle)
	}
	if utf8.RuneCountInString(message) > maxActionMessage {
		return Action{}, fmt.Errorf("unloqtest: action %q: message longer than %d characters", code, maxActionMessage)
	}
	if !utf8.ValidString(title) || !utf8.ValidString(message) {
		return Action{}, fmt.Errorf("unloqtest: action %q: title and message must be UTF-8", code)
	}
	return Action{Code: code, Title: title, Message: message}, nil
}

// SetAction defines or replaces the action code at run time (see
// WithAction for the rules). Authorisations already pending keep the text
// they were created with.
func (s *Simulator) SetAction(code, title, message string) error {
	a, err := newAction(code, title, message)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.actions[code] = a
	s.mu.Unlock()
	return nil
}

// RemoveAction deletes the action code; POST /v1/authorize/{code} then
// fails with ACTION.NOT_FOUND. It reports whether the action existed.
func (s *Simulator) RemoveAction(code string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.actions[code]
	delete(s.actions, code)
	return ok
}

// Actions lists the defined actions ordered by code.
func (s *Simulator) Actions() []Action {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Action, 0, len(s.actions))
	for _, a := range s.actions {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out
}

// variableRE matches $name and {name}.
var variableRE = regexp.MustCompile(`\$([A-Za-z_][A-Za-z0-9_]*)|\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// render replaces $name and {name} by vars[name]; unknown variables stay
// as written. For $name the longest defined prefix wins ($name_full vs
// $name); {name} must match exactly.
func render(tmpl string, vars map[string]string) string {
	return variableRE.ReplaceAllStringFunc(tmpl, func(m string) string {
		if m[0] == '{' {
			if v, ok := vars[m[1:len(m)-1]]; ok {
				return v
			}
			return m
		}
		name := m[1:]
		for n := len(name); n > 0; n-- {
			if v, ok := vars[name[:n]]; ok {
				return v + name[n:]
			}
		}
		return m
	})
}
