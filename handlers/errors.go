package handlers

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/unloq2fa/unloq2fa/store"
	"github.com/unloq2fa/unloq2fa/unloq"
)

// Typed errors. Every error the package returns or reports in an Event
// matches one of these with errors.Is; the vendor errors underneath (an
// *unloq.Error, a store error) stay reachable with errors.Is and errors.As.
// No error text ever contains a token, an OTP or a key.
var (
	// ErrNotPending: the session has no login waiting for its second step.
	ErrNotPending = errors.New("handlers: no login is waiting for a second step")
	// ErrPendingExpired: the password step was too long ago.
	ErrPendingExpired = errors.New("handlers: the pending login expired")
	// ErrNotVerified: a settings route was called without a fully logged-in session.
	ErrNotVerified = errors.New("handlers: the session is not fully logged in")
	// ErrWrongUser: the approval or token belongs to a different user than the
	// one who passed the password step (or than the store's current e-mail).
	ErrWrongUser = errors.New("handlers: the approval belongs to another user")
	// ErrReplayed: the token, or the pending login, was already used.
	ErrReplayed = errors.New("handlers: the approval was already used")
	// ErrRateLimited: too many pushes for this user in the current window.
	ErrRateLimited = errors.New("handlers: too many approval requests")
	// ErrInFlight: an approval for this login (or settings change) is already
	// waiting on the phone; no second push was sent.
	ErrInFlight = errors.New("handlers: an approval is already waiting on the phone")
	// ErrBadToken: the callback token is missing or malformed (UNLOQ was not called).
	ErrBadToken = errors.New("handlers: missing or malformed token")
	// ErrBadOTP: the one-time code is not 4–10 digits (UNLOQ was not called).
	ErrBadOTP = errors.New("handlers: malformed one-time code")
	// ErrWrongOTP: UNLOQ rejected the one-time code that was sent.
	ErrWrongOTP = errors.New("handlers: the one-time code was rejected")
	// ErrOTPRequired: UNLOQ wants the one-time code (after an earlier denial).
	ErrOTPRequired = errors.New("handlers: a one-time code is required")
	// ErrDenied: the user declined the request on the phone.
	ErrDenied = errors.New("handlers: the request was declined on the phone")
	// ErrTimeout: the phone did not answer in time, or the call timed out.
	ErrTimeout = errors.New("handlers: the approval timed out")
	// ErrRejected: UNLOQ refused the request (4xx: unknown or expired token,
	// no device, firewall, ...).
	ErrRejected = errors.New("handlers: UNLOQ refused the request")
	// ErrUnavailable: UNLOQ could not be reached or answered with a 5xx or a
	// malformed reply.
	ErrUnavailable = errors.New("handlers: UNLOQ is unavailable")
	// ErrCrossOrigin: a state-changing request came from another origin.
	ErrCrossOrigin = errors.New("handlers: cross-origin request rejected")
	// ErrMethod: the HTTP method is not allowed on this route.
	ErrMethod = errors.New("handlers: method not allowed")
	// ErrBadRequest: a form field is not what the route expects.
	ErrBadRequest = errors.New("handlers: bad request")
	// ErrStore: the UserStore failed (or has no such user), or returned a
	// second_factor other than exactly "UNLOQ" or "" (then the error also
	// matches store.ErrInvalidSecondFactor); nothing was changed.
	ErrStore = errors.New("handlers: user store failed")
	// ErrNoEmail: the user has no e-mail address to send a push to.
	ErrNoEmail = errors.New("handlers: the user has no e-mail address")
	// ErrGuard: the Guard failed; the request was refused (fail closed).
	ErrGuard = errors.New("handlers: guard failed")
	// ErrSession: the session could not be saved.
	ErrSession = errors.New("handlers: the session could not be saved")
	// ErrNoEnrollment: a confirm step arrived with no enrollment in progress.
	ErrNoEnrollment = errors.New("handlers: no enrollment is in progress")
	// ErrNotPaired: the confirm step arrived before the phone scanned the QR code.
	ErrNotPaired = errors.New("handlers: the phone has not scanned the code yet")
	// ErrAlreadyEnabled: Enable was called for a user whose second factor is already UNLOQ.
	ErrAlreadyEnabled = errors.New("handlers: two-step verification is already on")
	// ErrNotEnabled: Disable was called for a user without UNLOQ as second factor.
	ErrNotEnabled = errors.New("handlers: two-step verification is not on")
	// ErrCanceled: the browser went away; the UNLOQ call was cancelled.
	ErrCanceled = errors.New("handlers: the request was cancelled")
	// ErrDisabled: the Handlers run without UNLOQ (Disabled): two-step
	// verification can be neither used nor turned on or off.
	ErrDisabled = errors.New("handlers: two-step verification is unavailable")
	// ErrConfig: UNLOQ refused the application's configuration (its API
	// key) or the account's e-mail address; trying again will not help.
	// It is always logged (see WithLogger).
	ErrConfig = errors.New("handlers: UNLOQ refused the configuration or the account")
)

// UNLOQ's answer to a missing or wrong API key.
var errAppUnauthorized = &unloq.Error{Code: "APPLICATION.UNAUTHORIZED"}

// configProblem reports whether err says that the application's key or
// the account's e-mail address cannot work with UNLOQ, whatever the
// person does: a refused API key, a request UNLOQ (or the client, before
// sending) found malformed, which for these calls means the e-mail.
func configProblem(err error) bool {
	var ue *unloq.Error
	if !errors.As(err, &ue) {
		return false
	}
	return errors.Is(err, errAppUnauthorized) || ue.HTTPStatus == http.StatusUnauthorized ||
		errors.Is(err, unloq.ErrInvalidRequest) || ue.Code == "REQUEST.INVALID"
}

// opError ties a typed kind to the operation and the underlying cause.
type opError struct {
	op   string
	kind error
	err  error
}

func (e *opError) Error() string {
	s := "handlers: " + e.op + ": " + strings.TrimPrefix(e.kind.Error(), "handlers: ")
	if e.err != nil {
		s += ": " + e.err.Error()
	}
	return s
}

func (e *opError) Unwrap() []error {
	if e.err == nil {
		return []error{e.kind}
	}
	return []error{e.kind, e.err}
}

// wrap builds an *opError; an error that already is one is returned as is.
func wrap(op string, kind, cause error) error {
	var oe *opError
	if cause != nil && errors.As(cause, &oe) {
		return cause
	}
	return &opError{op: op, kind: kind, err: cause}
}

// vendorError classifies an error from the unloq client.
func vendorError(op string, err error, otpSent bool) error {
	switch {
	case errors.Is(err, context.Canceled):
		return wrap(op, ErrCanceled, err)
	case unloq.IsDenied(err):
		return wrap(op, ErrDenied, err)
	case unloq.IsTokenRequired(err):
		if otpSent {
			return wrap(op, ErrWrongOTP, err)
		}
		return wrap(op, ErrOTPRequired, err)
	case unloq.IsTimeout(err):
		return wrap(op, ErrTimeout, err)
	case configProblem(err):
		return wrap(op, ErrConfig, err)
	}
	var ue *unloq.Error
	if errors.As(err, &ue) && ue.HTTPStatus >= 400 && ue.HTTPStatus < 500 &&
		!errors.Is(err, unloq.ErrThrottled) {
		return wrap(op, ErrRejected, err)
	}
	if errors.Is(err, unloq.ErrNoDevice) || errors.Is(err, unloq.ErrPushUnregistered) ||
		errors.Is(err, unloq.ErrTokenExpired) || errors.Is(err, unloq.ErrFirewallBlocked) {
		return wrap(op, ErrRejected, err)
	}
	return wrap(op, ErrUnavailable, err)
}

// failure is what a user (or an API client) is told about an error.
type failure struct {
	status  int
	code    string
	message string
	askOTP  bool // the page should ask for the one-time code
}

func describe(err error) failure {
	switch {
	case errors.Is(err, ErrCrossOrigin):
		return failure{http.StatusForbidden, "cross_origin", "This request came from another site and was blocked. Nothing was changed.", false}
	case errors.Is(err, ErrMethod):
		return failure{http.StatusMethodNotAllowed, "method_not_allowed", "This address does not accept that kind of request.", false}
	case errors.Is(err, ErrPendingExpired):
		return failure{http.StatusUnauthorized, "pending_expired", "Your sign-in took too long and has expired. Please log in again.", false}
	case errors.Is(err, ErrNotPending):
		return failure{http.StatusUnauthorized, "not_pending", "There is no sign-in waiting for a second step in this browser. Please log in.", false}
	case errors.Is(err, ErrNotVerified):
		return failure{http.StatusUnauthorized, "not_verified", "Please log in first.", false}
	case errors.Is(err, ErrWrongUser):
		return failure{http.StatusForbidden, "wrong_user", "This approval belongs to a different account. Nothing was changed.", false}
	case errors.Is(err, ErrReplayed):
		return failure{http.StatusConflict, "replayed", "This approval was already used. Please start again.", false}
	case errors.Is(err, ErrRateLimited):
		return failure{http.StatusTooManyRequests, "rate_limited", "Too many requests were sent to your phone. Wait a few minutes, then try again.", false}
	case errors.Is(err, ErrInFlight):
		return failure{http.StatusConflict, "in_flight", "An approval is already waiting on your phone. Approve it there; if it has gone, wait a moment and try again.", false}
	case errors.Is(err, ErrBadToken):
		return failure{http.StatusBadRequest, "bad_token", "The sign-in link is missing or damaged. Please try again.", false}
	case errors.Is(err, ErrBadOTP):
		return failure{http.StatusBadRequest, "bad_otp", "The code must be the digits shown in your UNLOQ app.", true}
	case errors.Is(err, ErrBadRequest):
		return failure{http.StatusBadRequest, "bad_request", "The form was not filled in as expected. Please try again.", false}
	case errors.Is(err, ErrWrongOTP):
		return failure{http.StatusUnauthorized, "wrong_otp", "That code was not right. Enter the current code from your UNLOQ app and try again.", true}
	case errors.Is(err, ErrOTPRequired):
		return failure{http.StatusUnauthorized, "otp_required", "Enter the current code from your UNLOQ app, then approve the new request on your phone.", true}
	case errors.Is(err, ErrDenied):
		return failure{http.StatusForbidden, "denied", "The request was declined on your phone. Nothing was changed. To try again, enter the current code from your UNLOQ app and approve the new request.", true}
	case errors.Is(err, ErrTimeout):
		return failure{http.StatusGatewayTimeout, "timeout", "Your phone did not answer in time. Nothing was changed. Please try again.", false}
	case errors.Is(err, ErrDisabled):
		return failure{http.StatusServiceUnavailable, "unavailable_disabled", "Two-step verification is unavailable on this site right now, so this step cannot continue. Nothing was changed. Please contact the site's support.", false}
	case errors.Is(err, ErrConfig):
		return failure{http.StatusConflict, "account_unsupported", "This account cannot use UNLOQ right now. Nothing was changed. Please contact the site's support.", false}
	case errors.Is(err, ErrCanceled):
		return failure{http.StatusServiceUnavailable, "canceled", "The request was cancelled. Nothing was changed.", false}
	case errors.Is(err, ErrRejected):
		switch {
		case errors.Is(err, unloq.ErrNoDevice), errors.Is(err, unloq.ErrPushUnregistered):
			return failure{http.StatusConflict, "no_device", "Your UNLOQ app cannot receive requests. Open UNLOQ on your phone, check it is set up, and try again.", false}
		case errors.Is(err, unloq.ErrTokenExpired):
			return failure{http.StatusBadRequest, "token_expired", "The sign-in link expired. Please try again.", false}
		case errors.Is(err, unloq.ErrFirewallBlocked):
			return failure{http.StatusForbidden, "blocked", "UNLOQ blocked this request. Please contact the site's support.", false}
		}
		return failure{http.StatusBadRequest, "rejected", "UNLOQ did not accept this request; the sign-in may have expired. Nothing was changed. Please try again.", false}
	case errors.Is(err, ErrUnavailable):
		st := http.StatusBadGateway
		if errors.Is(err, unloq.ErrNetwork) || errors.Is(err, unloq.ErrThrottled) {
			st = http.StatusServiceUnavailable
		}
		return failure{st, "unavailable", "UNLOQ cannot be reached right now. Nothing was changed. Please try again in a few minutes.", false}
	case errors.Is(err, store.ErrInvalidSecondFactor):
		return failure{http.StatusInternalServerError, "invalid_second_factor", "Your account's sign-in settings could not be read, so this step cannot continue. Nothing was changed. Please contact the site's support.", false}
	case errors.Is(err, ErrStore):
		return failure{http.StatusServiceUnavailable, "store_unavailable", "Your account could not be loaded right now. Nothing was changed. Please try again shortly.", false}
	case errors.Is(err, ErrNoEmail):
		return failure{http.StatusConflict, "no_email", "Your account has no e-mail address, so UNLOQ cannot reach you.", false}
	case errors.Is(err, ErrGuard):
		return failure{http.StatusServiceUnavailable, "guard_unavailable", "The request could not be checked right now. Nothing was changed. Please try again shortly.", false}
	case errors.Is(err, ErrSession):
		return failure{http.StatusInternalServerError, "session_error", "Your session could not be saved. Please try again.", false}
	case errors.Is(err, ErrNoEnrollment):
		return failure{http.StatusConflict, "no_enrollment", "No setup is in progress. Start again from the settings page.", false}
	case errors.Is(err, ErrNotPaired):
		return failure{http.StatusConflict, "not_paired", "UNLOQ has not seen your phone scan the code yet. Scan it with the UNLOQ app, then continue.", false}
	case errors.Is(err, ErrAlreadyEnabled):
		return failure{http.StatusConflict, "already_enabled", "Two-step verification with UNLOQ is already on for your account.", false}
	case errors.Is(err, ErrNotEnabled):
		return failure{http.StatusConflict, "not_enabled", "Two-step verification with UNLOQ is not on for your account.", false}
	}
	return failure{http.StatusInternalServerError, "internal", "Something went wrong. Nothing was changed. Please try again.", false}
}
