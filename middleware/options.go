package middleware

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
)

// Option configures a [Middleware]. Options validate their arguments and
// [New] returns the first error.
type Option func(*config) error

type config struct {
	twoStepPath   string
	loginPath     string
	exemptions    []Exemption
	exemptionsSet bool
	extra         []Exemption // added to the exemptions, default or not
	isAPI         func(*http.Request) bool
	logger        *slog.Logger
}

// Default paths.
const (
	DefaultTwoStepPath = "/login/two-step"
	DefaultLoginPath   = "/login"
)

// WithTwoStepPath sets where pending users are sent (default
// "/login/two-step"). Unless [WithExemptions] is given, the default
// exemptions follow this path.
func WithTwoStepPath(p string) Option {
	return func(c *config) error {
		if err := checkPath(p); err != nil {
			return fmt.Errorf("middleware: WithTwoStepPath: %w", err)
		}
		c.twoStepPath = p
		return nil
	}
}

// WithLoginPath sets where anonymous users (RequireVerified) and users whose
// pending state expired are sent (default "/login").
func WithLoginPath(p string) Option {
	return func(c *config) error {
		if err := checkPath(p); err != nil {
			return fmt.Errorf("middleware: WithLoginPath: %w", err)
		}
		c.loginPath = p
		return nil
	}
}

// WithExemptions replaces the default exemptions (GET and HEAD
// /uauth/login; GET, HEAD and POST on the two-step path). Each rule names
// one method and one clean path; both match exactly.
func WithExemptions(ex ...Exemption) Option {
	return func(c *config) error {
		if err := validateAll(ex); err != nil {
			return err
		}
		c.exemptions = append([]Exemption(nil), ex...)
		c.exemptionsSet = true
		return nil
	}
}

// WithExtraExemptions adds rules to the exemptions (the defaults, or those
// of [WithExemptions]): for example {POST, "/logout"}, so that a user who
// has passed the password step but not the phone can still log out.
func WithExtraExemptions(ex ...Exemption) Option {
	return func(c *config) error {
		if err := validateAll(ex); err != nil {
			return err
		}
		c.extra = append(c.extra, ex...)
		return nil
	}
}

// WithAPIDetector sets how API clients are told apart from browsers (they
// get a JSON 401 instead of a redirect). The default detects an Accept
// header that prefers application/json.
func WithAPIDetector(f func(*http.Request) bool) Option {
	return func(c *config) error {
		if f == nil {
			return errors.New("middleware: WithAPIDetector: nil function")
		}
		c.isAPI = f
		return nil
	}
}

// WithLogger makes the middleware log its decisions (debug) and session
// failures (warn). It is silent by default; a nil logger is an error.
// Cookie values are never logged.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return errors.New("middleware: WithLogger: nil logger")
		}
		c.logger = l
		return nil
	}
}
