package stepup

import (
	"errors"
	"net/http"

	"github.com/unloq2fa/unloq2fa/internal/approval"
)

// Typed errors. Every refusal matches one of these with errors.Is (the
// hook of WithOnRefusal receives it); the cause underneath (an
// *unloq.Error, a store or session error) stays reachable with errors.Is
// and errors.As. No error text contains a cookie, a token or form values.
var (
	// ErrNotLoggedIn: the session is anonymous or unreadable.
	ErrNotLoggedIn = errors.New("stepup: not logged in")
	// ErrNotVerified: the login is pending (the second step is not done).
	ErrNotVerified = errors.New("stepup: the login is not complete")
	// ErrPasswordOnly: the user has no UNLOQ second factor (refused unless
	// WithAllowPasswordOnly).
	ErrPasswordOnly = errors.New("stepup: the user has no UNLOQ second factor")
	// ErrAccountChanged: the session's user no longer exists, the store's
	// user no longer maps to the session's UNLOQ address (or UNLOQ id), or
	// UNLOQ's reply names another account.
	ErrAccountChanged = errors.New("stepup: the account changed")
	// ErrAddress: the user has UNLOQ but no address UNLOQ accepts (see
	// WithUNLOQAddress); UNLOQ was not called.
	ErrAddress = errors.New("stepup: this account cannot use UNLOQ")
	// ErrStore: the UserStore failed.
	ErrStore = errors.New("stepup: user store failed")
	// ErrSession: the session could not be loaded from its store or saved.
	ErrSession = errors.New("stepup: session failure")
	// ErrCrossOrigin: a state-changing request came from another origin.
	ErrCrossOrigin = errors.New("stepup: cross-origin request rejected")
	// ErrBadRequest: the request (form, step-up header, URL) is malformed.
	ErrBadRequest = errors.New("stepup: bad request")
	// ErrUnsupported: a browser request whose body cannot be replayed safely
	// (not application/x-www-form-urlencoded, or too large).
	ErrUnsupported = errors.New("stepup: the request cannot be confirmed")
	// ErrInFlight: an approval of this action in this session is already
	// waiting on the phone; no second push was sent.
	ErrInFlight = errors.New("stepup: an approval is already waiting on the phone")
	// ErrDenied: the user declined on the phone.
	ErrDenied = errors.New("stepup: declined on the phone")
	// ErrTimeout: the phone did not answer in time.
	ErrTimeout = errors.New("stepup: the approval timed out")
	// ErrUnavailable: UNLOQ failed (unreachable, 5xx, malformed reply,
	// refusal), or the in-flight marker store failed.
	ErrUnavailable = errors.New("stepup: UNLOQ is unavailable")
	// ErrCanceled: the client went away; the UNLOQ call was cancelled.
	ErrCanceled = errors.New("stepup: the request was cancelled")
	// ErrConfig: the Action produced an invalid reference or variables, or
	// UNLOQ rejected the request as malformed.
	ErrConfig = errors.New("stepup: invalid action configuration")
)

// Error is the error type of every refusal: the operation, the kind (one of
// the Err… sentinels) and the cause, if any.
type Error struct {
	Op   string // "step-up", "approve", ...
	Kind error  // one of the Err… sentinels
	Err  error  // the cause, may be nil
}

func (e *Error) Error() string { return approval.Message("stepup", e.Op, e.Kind, e.Err) }

// Unwrap returns the kind and the cause.
func (e *Error) Unwrap() []error { return approval.Unwrap(e.Kind, e.Err) }

func wrap(op string, kind, cause error) error { return &Error{Op: op, Kind: kind, Err: cause} }

// kinds names this package's errors for the shared steps (internal/approval).
var kinds = approval.Kinds{
	NotLoggedIn: ErrNotLoggedIn, NotVerified: ErrNotVerified, AccountChanged: ErrAccountChanged,
	Address: ErrAddress, Store: ErrStore, Denied: ErrDenied, Canceled: ErrCanceled, Timeout: ErrTimeout,
	Config: ErrConfig, Unavailable: ErrUnavailable, Wrap: wrap,
}

// refusal is how an error is shown: HTTP status, machine code, message.
type refusal struct {
	status  int
	code    string
	message string
}

func describe(err error) refusal {
	switch {
	case errors.Is(err, ErrNotLoggedIn):
		return refusal{http.StatusForbidden, "login_required", "Please log in first."}
	case errors.Is(err, ErrNotVerified):
		return refusal{http.StatusForbidden, "login_incomplete", "Finish logging in (the second step) first."}
	case errors.Is(err, ErrPasswordOnly):
		return refusal{http.StatusForbidden, "unloq_required", "This action needs two-step verification with UNLOQ. Turn it on in your settings, log in again with it, and try once more."}
	case errors.Is(err, ErrAccountChanged):
		return refusal{http.StatusForbidden, "account_changed", "Your account changed. Please log in again."}
	case errors.Is(err, ErrAddress):
		return refusal{http.StatusConflict, "no_unloq_address", "This account cannot use UNLOQ: it has no address UNLOQ accepts. Nothing was done."}
	case errors.Is(err, ErrCrossOrigin):
		return refusal{http.StatusForbidden, "cross_origin", "This request came from another site and was refused."}
	case errors.Is(err, ErrBadRequest):
		return refusal{http.StatusBadRequest, "bad_request", "The request was not understood."}
	case errors.Is(err, ErrUnsupported):
		return refusal{http.StatusUnsupportedMediaType, "unsupported", "This request cannot be confirmed on the phone. Go back and try again from the page."}
	case errors.Is(err, ErrInFlight):
		return refusal{http.StatusConflict, "in_flight", "A request is already waiting on your phone. Answer it there."}
	case errors.Is(err, ErrDenied):
		return refusal{http.StatusForbidden, "denied", "You declined the request on your phone. Nothing was done."}
	case errors.Is(err, ErrTimeout):
		return refusal{http.StatusForbidden, "timeout", "Your phone did not answer in time. Nothing was done."}
	case errors.Is(err, ErrCanceled):
		return refusal{http.StatusServiceUnavailable, "canceled", "The request was cancelled. Nothing was done."}
	case errors.Is(err, ErrUnavailable):
		return refusal{http.StatusServiceUnavailable, "unavailable", "UNLOQ cannot be reached right now. Nothing was done; please try again later."}
	default: // ErrStore, ErrSession, ErrConfig and anything unexpected
		return refusal{http.StatusInternalServerError, "internal", "Something went wrong. Nothing was done."}
	}
}
