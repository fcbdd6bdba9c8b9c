package handlers

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/http"

	"github.com/unloq2fa/unloq2fa/unloq"
)

// Default UNLOQ action codes for turning two-step verification on and off.
// The UNLOQ simulator defines both out of the box ("Turn on two-step
// login?", "Turn off two-step login?"); with the real UNLOQ, define actions
// with these codes in the application's dashboard, or set others with
// WithActionCodes.
const (
	DefaultEnableAction  = "enable-2fa"
	DefaultDisableAction = "disable-2fa"
)

// ActionCodes names the UNLOQ actions (POST /v1/authorize/{code}) whose
// text the phone shows when the user turns two-step verification on
// (Enable) or off (Disable), instead of a plain login request. An empty
// code sends a plain login request (POST /v1/authenticate) for that step.
type ActionCodes struct {
	Enable  string
	Disable string
}

// accountConfig is how the handlers name a user to UNLOQ.
type accountConfig struct {
	address    AddressFunc // nil: the user's e-mail
	actions    ActionCodes
	actionsSet bool // false: DefaultEnableAction, DefaultDisableAction
}

// WithActionCodes sets the UNLOQ action codes of the enable and disable
// approvals (default DefaultEnableAction and DefaultDisableAction). A code
// must be 1–20 characters of [A-Za-z0-9_-]; "" turns the action off for
// that step.
//
// An action is used only when UNLOQ can take it: authorize requires the
// user's unloq_id and a user who has logged in to the application with
// UNLOQ before, so it is used only when the UserStore implements
// store.UnloqIDStore and knows the user's id. Otherwise, when the request
// carries a one-time code (after a denial; only authenticate takes one), or
// when UNLOQ refuses the authorization before asking the phone (4xx such as
// an action code the application has not defined, or a user UNLOQ says has
// not authenticated; not a denial, a timeout or a device error), the
// approval falls back to a plain login request, whose token is checked the
// same way. The first approval after pairing a phone is therefore always a
// login request.
func WithActionCodes(codes ActionCodes) Option {
	return func(c *config) error {
		for _, code := range []string{codes.Enable, codes.Disable} {
			if code != "" && !validActionCode(code) {
				return errors.New("handlers: WithActionCodes: a code must be 1-20 characters of [A-Za-z0-9_-]")
			}
		}
		c.acct.actions, c.acct.actionsSet = codes, true
		return nil
	}
}

func validActionCode(code string) bool {
	if code == "" || len(code) > 20 {
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

// actionCode is the action code of flow ("" for a plain login request).
func (h *Handlers) actionCode(flow string) string {
	codes := ActionCodes{Enable: DefaultEnableAction, Disable: DefaultDisableAction}
	if h.cfg.acct.actionsSet {
		codes = h.cfg.acct.actions
	}
	switch flow {
	case FlowEnroll:
		return codes.Enable
	case FlowDisable:
		return codes.Disable
	}
	return ""
}

// push asks the phone to approve a: through the flow's action (authorize)
// when UNLOQ can take it, else a login request (authenticate). Errors are
// classified (vendorError).
func (h *Handlers) push(ctx context.Context, a approval) (*unloq.ApprovalResult, error) {
	if code := h.actionCode(a.flow); code != "" && a.otp == "" {
		known, err := h.knownUnloqID(ctx, a.op, a.userID)
		if err != nil {
			return nil, err
		}
		if known != "" {
			res, err := h.client.Authorize(ctx, code, unloq.AuthorizeRequest{
				UnloqID:       unloq.ID(known),
				Reference:     newReference(),
				IP:            a.ip,
				GenerateToken: true,
			})
			if err == nil {
				return res, nil
			}
			if !authorizeRefused(err) {
				return nil, vendorError(a.op+": authorize", err, false)
			}
			// UNLOQ refused the action before asking the phone: ask for
			// a login approval instead.
		}
	}
	res, err := h.client.Authenticate(ctx, unloq.AuthenticateRequest{
		Email:  a.email,
		Method: unloq.MethodUNLOQ,
		IP:     a.ip,
		OTP:    a.otp,
	})
	if err != nil {
		return nil, vendorError(a.op+": authenticate", err, a.otp != "")
	}
	return res, nil
}

// authorizeRefused reports whether UNLOQ refused an authorization before
// any push was sent (an unknown action, a user who has not authenticated
// to the application, an unknown profile): 403 or 404, and none of the
// outcomes of a push or of the user's device.
func authorizeRefused(err error) bool {
	var ue *unloq.Error
	if !errors.As(err, &ue) || (ue.HTTPStatus != http.StatusForbidden && ue.HTTPStatus != http.StatusNotFound) {
		return false
	}
	return !isAny(err, unloq.ErrDenied, unloq.ErrTokenRequired, unloq.ErrApprovalTimeout, unloq.ErrNoDevice,
		unloq.ErrPushUnregistered, unloq.ErrFirewallBlocked, unloq.ErrThrottled) && !unloq.IsTimeout(err)
}

// newReference is the reference shown on the phone with an authorization:
// "2FA-" and 8 random hex digits (UNLOQ allows 20 characters).
func newReference() string {
	var b [4]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return "2FA-" + hex.EncodeToString(b[:])
}
