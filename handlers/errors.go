package handlers

import (
	"context"
	"errors"
	"net/http"

	"github.com/unloq2fa/unloq2fa/store"
	"github.com/unloq2fa/unloq2fa/unloq"
)

// Code says what went wrong. Every error the package returns or reports in
// an Event is an *Error carrying one; the JSON "error" code and the
// data-code attribute of a page are the Code, or a finer one for
// CodeRejected, CodeStore and CodeRecoveryCode (see the constants).
//
// A Code is itself an error, so it can be matched with errors.Is:
//
//	if errors.Is(err, handlers.CodeDenied) { … }
//
// or read with errors.As:
//
//	var e *handlers.Error
//	if errors.As(err, &e) && e.Code == handlers.CodeDenied { … }
type Code string

// The codes. Their string values are stable: programs read them as the
// JSON "error" code and the pages' data-code attribute.
const (
	// CodeNotPending: the session has no login waiting for its second step.
	CodeNotPending Code = "not_pending"
	// CodePendingExpired: the password step was too long ago.
	CodePendingExpired Code = "pending_expired"
	// CodeNotVerified: a settings route was called without a fully
	// logged-in session.
	CodeNotVerified Code = "not_verified"
	// CodeWrongUser: the approval or token belongs to a different user than
	// the one who passed the password step (or than the store's current
	// e-mail).
	CodeWrongUser Code = "wrong_user"
	// CodeReplayed: the token, or the pending login, was already used.
	CodeReplayed Code = "replayed"
	// CodeRateLimited: too many pushes for this user in the current window.
	CodeRateLimited Code = "rate_limited"
	// CodeInFlight: an approval for this login (or settings change) is
	// already waiting on the phone; no second push was sent.
	CodeInFlight Code = "in_flight"
	// CodeBadToken: the callback token is missing or malformed (UNLOQ was
	// not called).
	CodeBadToken Code = "bad_token"
	// CodeBadOTP: the one-time code is not 4–10 digits (UNLOQ was not
	// called).
	CodeBadOTP Code = "bad_otp"
	// CodeWrongOTP: UNLOQ rejected the one-time code that was sent.
	CodeWrongOTP Code = "wrong_otp"
	// CodeOTPRequired: UNLOQ wants the one-time code (after an earlier
	// denial).
	CodeOTPRequired Code = "otp_required"
	// CodeDenied: the user declined the request on the phone.
	CodeDenied Code = "denied"
	// CodeTimeout: the phone did not answer in time, or the call timed out.
	CodeTimeout Code = "timeout"
	// CodeRejected: UNLOQ refused the request (4xx: unknown or expired
	// token, no device, firewall, ...). The JSON code says which when it
	// can: no_device, token_expired, blocked, else rejected.
	CodeRejected Code = "rejected"
	// CodeUnavailable: UNLOQ could not be reached or answered with a 5xx
	// or a malformed reply.
	CodeUnavailable Code = "unavailable"
	// CodeCrossOrigin: a state-changing request came from another origin.
	CodeCrossOrigin Code = "cross_origin"
	// CodeMethod: the HTTP method is not allowed on this route.
	CodeMethod Code = "method_not_allowed"
	// CodeBadRequest: a form field is not what the route expects.
	CodeBadRequest Code = "bad_request"
	// CodeStore: the UserStore failed (or has no such user), or returned a
	// second_factor other than exactly "UNLOQ" or "" (then the error also
	// matches store.ErrInvalidSecondFactor and the JSON code is
	// invalid_second_factor); nothing was changed.
	CodeStore Code = "store_unavailable"
	// CodeNoEmail: the user has no e-mail address to send a push to.
	CodeNoEmail Code = "no_email"
	// CodeAddress: the user has no address UNLOQ accepts (say a username
	// where an e-mail address is expected), or the function set with
	// WithUNLOQAddress refused the user. UNLOQ was not called and nothing
	// was changed; the page says the account cannot use UNLOQ.
	CodeAddress Code = "no_unloq_address"
	// CodeGuard: the Guard failed; the request was refused (fail closed).
	CodeGuard Code = "guard_unavailable"
	// CodeSession: the session could not be saved.
	CodeSession Code = "session_error"
	// CodeSessionUnavailable: the session's revocation store could not
	// answer or record (session.ErrRevocation underneath, e.g. its Redis
	// is down). A route refuses the request with 503 and changes nothing;
	// LogOutEverywhere and Logout report that a login could not be ended
	// on the server.
	CodeSessionUnavailable Code = "session_unavailable"
	// CodeNoEnrollment: a confirm step arrived with no enrollment in
	// progress.
	CodeNoEnrollment Code = "no_enrollment"
	// CodeNotPaired: the confirm step arrived before the phone scanned the
	// QR code.
	CodeNotPaired Code = "not_paired"
	// CodeAlreadyEnabled: Enable was called for a user whose second factor
	// is already UNLOQ.
	CodeAlreadyEnabled Code = "already_enabled"
	// CodeNotEnabled: Disable was called for a user without UNLOQ as second
	// factor.
	CodeNotEnabled Code = "not_enabled"
	// CodeCanceled: the browser went away; the UNLOQ call was cancelled.
	CodeCanceled Code = "canceled"
	// CodeDisabled: the Handlers run without UNLOQ (Disabled): two-step
	// verification can be neither used nor turned on or off.
	CodeDisabled Code = "unavailable_disabled"
	// CodeConfig: UNLOQ refused the application's configuration (its API
	// key) or the account's e-mail address; trying again will not help.
	// It is always logged (see WithLogger).
	CodeConfig Code = "account_unsupported"
	// CodeRecoveryCode: a recovery code typed on the two-step page was not
	// accepted. The *recovery.Error underneath says why: match it with
	// errors.Is against recovery.ErrWrong, recovery.ErrMalformed,
	// recovery.ErrUsed, recovery.ErrLimited (429) or
	// recovery.ErrUnavailable (503: the code store or the limiter failed;
	// nothing changed). The JSON code is the finer one:
	// wrong_recovery_code, recovery_code_used, recovery_rate_limited or
	// recovery_unavailable.
	CodeRecoveryCode Code = "recovery_code"
)

// Error returns the code's description, "handlers: …".
func (c Code) Error() string {
	if k, ok := kinds[c]; ok {
		return "handlers: " + k.text
	}
	return "handlers: " + string(c)
}

// Error is the error type of the package: what went wrong (Code), in which
// operation (Op), and the cause underneath (Err: an *unloq.Error, a store
// or session error, ...), which stays reachable with errors.Is and
// errors.As. Its text starts with "handlers:" and never contains a token,
// an OTP or a key.
type Error struct {
	Code Code
	// Op is the operation that failed ("two-step", "callback", "enable",
	// "logout", ...).
	Op  string
	Err error
}

// Error formats the error as "handlers: <op>: <description>: <cause>".
func (e *Error) Error() string {
	s := "handlers: "
	if e.Op != "" {
		s += e.Op + ": "
	}
	s += e.Code.Error()[len("handlers: "):]
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is e's Code, or an *Error with the same Code.
func (e *Error) Is(target error) bool {
	switch t := target.(type) {
	case Code:
		return e.Code == t
	case *Error:
		return t != nil && t.Code != "" && e.Code == t.Code
	}
	return false
}

// codeOf returns the Code of the first *Error (or bare Code) in err's
// chain, "" if there is none.
func codeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	var c Code
	if errors.As(err, &c) {
		return c
	}
	return ""
}

// withOp gives a bare Code (as pendingErr returns) its operation.
func withOp(op string, err error) error {
	if c, ok := err.(Code); ok {
		return &Error{Code: c, Op: op}
	}
	return err
}

// wrap builds an *Error; a cause that already is one is returned as is.
func wrap(op string, code Code, cause error) error {
	var e *Error
	if cause != nil && errors.As(cause, &e) {
		return cause
	}
	return &Error{Code: code, Op: op, Err: cause}
}

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

// vendorError classifies an error from the unloq client.
func vendorError(op string, err error, otpSent bool) error {
	switch {
	case errors.Is(err, context.Canceled):
		return wrap(op, CodeCanceled, err)
	case unloq.IsDenied(err):
		return wrap(op, CodeDenied, err)
	case unloq.IsTokenRequired(err):
		if otpSent {
			return wrap(op, CodeWrongOTP, err)
		}
		return wrap(op, CodeOTPRequired, err)
	case unloq.IsTimeout(err):
		return wrap(op, CodeTimeout, err)
	case configProblem(err):
		return wrap(op, CodeConfig, err)
	}
	var ue *unloq.Error
	if errors.As(err, &ue) && ue.HTTPStatus >= 400 && ue.HTTPStatus < 500 &&
		!errors.Is(err, unloq.ErrThrottled) {
		return wrap(op, CodeRejected, err)
	}
	if errors.Is(err, unloq.ErrNoDevice) || errors.Is(err, unloq.ErrPushUnregistered) ||
		errors.Is(err, unloq.ErrTokenExpired) || errors.Is(err, unloq.ErrFirewallBlocked) {
		return wrap(op, CodeRejected, err)
	}
	return wrap(op, CodeUnavailable, err)
}

// failure is what a user (or an API client) is told about an error.
type failure struct {
	status  int
	code    string
	message string
	askOTP  bool // the page should ask for the one-time code
}

// kind describes a Code: its text for developers, and what a person (or
// an API client) is told.
type kind struct {
	text    string
	status  int
	message string
	askOTP  bool
	// refine, if set, picks a finer failure from the cause underneath.
	refine func(err error, f failure) failure
}

var kinds = map[Code]kind{
	CodeCrossOrigin: {"cross-origin request rejected", http.StatusForbidden,
		"This request came from another site and was blocked. Nothing was changed.", false, nil},
	CodeMethod: {"method not allowed", http.StatusMethodNotAllowed,
		"This address does not accept that kind of request.", false, nil},
	CodePendingExpired: {"the pending login expired", http.StatusUnauthorized,
		"Your sign-in took too long and has expired. Please log in again.", false, nil},
	CodeNotPending: {"no login is waiting for a second step", http.StatusUnauthorized,
		"There is no sign-in waiting for a second step in this browser. Please log in.", false, nil},
	CodeNotVerified: {"the session is not fully logged in", http.StatusUnauthorized,
		"Please log in first.", false, nil},
	CodeWrongUser: {"the approval belongs to another user", http.StatusForbidden,
		"This approval belongs to a different account. Nothing was changed.", false, nil},
	CodeReplayed: {"the approval was already used", http.StatusConflict,
		"This approval was already used. Please start again.", false, nil},
	CodeRateLimited: {"too many approval requests", http.StatusTooManyRequests,
		"Too many requests were sent to your phone. Wait a few minutes, then try again.", false, nil},
	CodeInFlight: {"an approval is already waiting on the phone", http.StatusConflict,
		"An approval is already waiting on your phone. Approve it there; if it has gone, wait a moment and try again.", false, nil},
	CodeBadToken: {"missing or malformed token", http.StatusBadRequest,
		"The sign-in link is missing or damaged. Please try again.", false, nil},
	CodeBadOTP: {"malformed one-time code", http.StatusBadRequest,
		"The code must be the digits shown in your UNLOQ app.", true, nil},
	CodeBadRequest: {"bad request", http.StatusBadRequest,
		"The form was not filled in as expected. Please try again.", false, nil},
	CodeWrongOTP: {"the one-time code was rejected", http.StatusUnauthorized,
		"That code was not right. Enter the current code from your UNLOQ app and try again.", true, nil},
	CodeOTPRequired: {"a one-time code is required", http.StatusUnauthorized,
		"Enter the current code from your UNLOQ app, then approve the new request on your phone.", true, nil},
	CodeDenied: {"the request was declined on the phone", http.StatusForbidden,
		"The request was declined on your phone. Nothing was changed. To try again, enter the current code from your UNLOQ app and approve the new request.", true, nil},
	CodeTimeout: {"the approval timed out", http.StatusGatewayTimeout,
		"Your phone did not answer in time. Nothing was changed. Please try again.", false, nil},
	CodeDisabled: {"two-step verification is unavailable", http.StatusServiceUnavailable,
		"Two-step verification is unavailable on this site right now, so this step cannot continue. Nothing was changed. Please contact the site's support.", false, nil},
	CodeConfig: {"UNLOQ refused the configuration or the account", http.StatusConflict,
		"This account cannot use UNLOQ right now. Nothing was changed. Please contact the site's support.", false, nil},
	CodeCanceled: {"the request was cancelled", http.StatusServiceUnavailable,
		"The request was cancelled. Nothing was changed.", false, nil},
	CodeRejected: {"UNLOQ refused the request", http.StatusBadRequest,
		"UNLOQ did not accept this request; the sign-in may have expired. Nothing was changed. Please try again.", false, refineRejected},
	CodeUnavailable: {"UNLOQ is unavailable", http.StatusBadGateway,
		"UNLOQ cannot be reached right now. Nothing was changed. Please try again in a few minutes.", false, refineUnavailable},
	CodeStore: {"user store failed", http.StatusServiceUnavailable,
		"Your account could not be loaded right now. Nothing was changed. Please try again shortly.", false, refineStore},
	CodeAddress: {"this account cannot use UNLOQ", http.StatusConflict,
		"This account cannot use UNLOQ: it has no address UNLOQ accepts. Nothing was changed. Please contact the site's support.", false, nil},
	CodeNoEmail: {"the user has no e-mail address", http.StatusConflict,
		"Your account has no e-mail address, so UNLOQ cannot reach you.", false, nil},
	CodeGuard: {"guard failed", http.StatusServiceUnavailable,
		"The request could not be checked right now. Nothing was changed. Please try again shortly.", false, nil},
	CodeSession: {"the session could not be saved", http.StatusInternalServerError,
		"Your session could not be saved. Please try again.", false, nil},
	CodeSessionUnavailable: {"the session check is unavailable", http.StatusServiceUnavailable,
		"Sign-in is temporarily unavailable. Nothing was changed. Please try again in a moment.", false, nil},
	CodeNoEnrollment: {"no enrollment is in progress", http.StatusConflict,
		"No setup is in progress. Start again from the settings page.", false, nil},
	CodeNotPaired: {"the phone has not scanned the code yet", http.StatusConflict,
		"UNLOQ has not seen your phone scan the code yet. Scan it with the UNLOQ app, then continue.", false, nil},
	CodeAlreadyEnabled: {"two-step verification is already on", http.StatusConflict,
		"Two-step verification with UNLOQ is already on for your account.", false, nil},
	CodeNotEnabled: {"two-step verification is not on", http.StatusConflict,
		"Two-step verification with UNLOQ is not on for your account.", false, nil},
	CodeRecoveryCode: {"the recovery code was not accepted", http.StatusUnauthorized,
		"That recovery code is not right. Check it and type it again.", false, refineRecovery},
}

// internalFailure is what any error without a known Code is told.
var internalFailure = failure{http.StatusInternalServerError, "internal", "Something went wrong. Nothing was changed. Please try again.", false}

// describe explains err to the person (or API client) by its Code.
func describe(err error) failure {
	code := codeOf(err)
	k, ok := kinds[code]
	if !ok {
		return internalFailure
	}
	f := failure{k.status, string(code), k.message, k.askOTP}
	if k.refine != nil {
		f = k.refine(err, f)
	}
	return f
}

// refineRejected names the reason UNLOQ refused, when it is one a person
// can act on.
func refineRejected(err error, f failure) failure {
	switch {
	case errors.Is(err, unloq.ErrNoDevice), errors.Is(err, unloq.ErrPushUnregistered):
		return failure{http.StatusConflict, "no_device", "Your UNLOQ app cannot receive requests. Open UNLOQ on your phone, check it is set up, and try again.", false}
	case errors.Is(err, unloq.ErrTokenExpired):
		return failure{http.StatusBadRequest, "token_expired", "The sign-in link expired. Please try again.", false}
	case errors.Is(err, unloq.ErrFirewallBlocked):
		return failure{http.StatusForbidden, "blocked", "UNLOQ blocked this request. Please contact the site's support.", false}
	}
	return f
}

// refineUnavailable answers 503 instead of 502 when UNLOQ could not be
// reached or throttled the request.
func refineUnavailable(err error, f failure) failure {
	if errors.Is(err, unloq.ErrNetwork) || errors.Is(err, unloq.ErrThrottled) {
		f.status = http.StatusServiceUnavailable
	}
	return f
}

// refineStore tells an unreadable second_factor apart from a store failure.
func refineStore(err error, f failure) failure {
	if errors.Is(err, store.ErrInvalidSecondFactor) {
		return failure{http.StatusInternalServerError, "invalid_second_factor", "Your account's sign-in settings could not be read, so this step cannot continue. Nothing was changed. Please contact the site's support.", false}
	}
	return f
}
