package handlers

import (
	"errors"
	"html/template"

	"github.com/unloq2fa/unloq2fa/handlers/recovery"
)

// WithRecoveryCodes turns recovery codes on (they are off without it): the
// second factor for a person who lost the phone. An application that keeps
// a recovery.CodeStore (recovery.NewSQLStore over its database, say) makes
// a Service over it and passes it here; then:
//
//   - the two-step page offers a field "recovery_code" (POST to
//     Paths.TwoStep); a right, unused code completes the login like an
//     approval on the phone (see TwoStep);
//   - turning two-step on ends on a page (TemplateRecoveryCodes, sent with
//     Cache-Control: no-store) that shows a new set of codes once;
//   - POST Paths.RecoveryCodes makes a new set after a fresh approval on
//     the phone (the old set stops working) and shows it the same way;
//   - turning two-step off deletes the user's codes;
//   - RecoveryCodesLeft reports how many unused codes a user has.
//
// The codes are never stored in clear, logged or put in an event. A
// template set given to WithTemplates must then also define
// TemplateRecoveryCodes.
func WithRecoveryCodes(svc *recovery.Service) Option {
	return func(c *config) error {
		if svc == nil {
			return errors.New("handlers: WithRecoveryCodes: nil service")
		}
		c.recovery = svc
		return nil
	}
}

// checkRecoveryTemplates checks that a custom template set (nil = the
// default set) defines the recovery-code page.
func checkRecoveryTemplates(t *template.Template) error {
	if t != nil && t.Lookup(TemplateRecoveryCodes) == nil {
		return errors.New("handlers: new: WithRecoveryCodes needs the template " + TemplateRecoveryCodes)
	}
	return nil
}
