package encryptionkey

import (
	"errors"
	"net/http"

	"github.com/unloq2fa/unloq2fa/internal/approval"
)

// Typed errors. Every failure of Fetch (and every refusal of With) matches
// one of these with errors.Is; the cause underneath (an *unloq.Error, a
// store or session error) stays reachable. No error text contains the
// key, the reply that carried it, a token or a cookie.
var (
	// ErrNotLoggedIn: the session is anonymous or unreadable.
	ErrNotLoggedIn = errors.New("encryptionkey: not logged in")
	// ErrNotVerified: the login is pending (the second step is not done).
	ErrNotVerified = errors.New("encryptionkey: the login is not complete")
	// ErrNoUNLOQ: the user has no UNLOQ second factor, so there is no key.
	ErrNoUNLOQ = errors.New("encryptionkey: the user has no UNLOQ second factor")
	// ErrAccountChanged: the session's user no longer exists, the store's
	// user no longer maps to the session's UNLOQ address, or UNLOQ's reply
	// names another account (unloq_id or e-mail).
	ErrAccountChanged = errors.New("encryptionkey: the account changed")
	// ErrAddress: the user has no address UNLOQ accepts (see
	// WithUNLOQAddress); UNLOQ was not called.
	ErrAddress = errors.New("encryptionkey: this account cannot use UNLOQ")
	// ErrStore: the UserStore failed.
	ErrStore = errors.New("encryptionkey: user store failed")
	// ErrSession: the session could not be loaded from its store.
	ErrSession = errors.New("encryptionkey: session failure")
	// ErrMethod: the request is not a POST (or another non-safe method):
	// a safe method never sends a push.
	ErrMethod = errors.New("encryptionkey: method not allowed")
	// ErrCrossOrigin: the request came from another origin.
	ErrCrossOrigin = errors.New("encryptionkey: cross-origin request rejected")
	// ErrInFlight: a key request of this session is already waiting on the
	// phone; no second push was sent.
	ErrInFlight = errors.New("encryptionkey: a request is already waiting on the phone")
	// ErrDenied: the user declined on the phone.
	ErrDenied = errors.New("encryptionkey: declined on the phone")
	// ErrTimeout: the phone did not answer in time.
	ErrTimeout = errors.New("encryptionkey: the request timed out")
	// ErrUnavailable: UNLOQ failed (unreachable, 5xx, malformed reply,
	// refusal), or the in-flight marker store failed.
	ErrUnavailable = errors.New("encryptionkey: UNLOQ is unavailable")
	// ErrBadKey: the reply carried no key, a key that does not decrypt with
	// the private key, or one of an implausible length.
	ErrBadKey = errors.New("encryptionkey: no usable key in the reply")
	// ErrCanceled: the client went away; the UNLOQ call was cancelled.
	ErrCanceled = errors.New("encryptionkey: the request was cancelled")
	// ErrConfig: the request to UNLOQ was malformed (message, e-mail), or
	// no key pair could be made.
	ErrConfig = errors.New("encryptionkey: invalid configuration")
)

// Error is the error type of every failure: the operation, the kind (one
// of the Err… sentinels) and the cause, if any.
type Error struct {
	Op   string
	Kind error
	Err  error
}

func (e *Error) Error() string { return approval.Message("encryptionkey", e.Op, e.Kind, e.Err) }

// Unwrap returns the kind and the cause.
func (e *Error) Unwrap() []error { return approval.Unwrap(e.Kind, e.Err) }

func wrap(op string, kind, cause error) error { return &Error{Op: op, Kind: kind, Err: cause} }

// kinds names this package's errors for the shared steps (internal/approval).
var kinds = approval.Kinds{
	NotLoggedIn: ErrNotLoggedIn, NotVerified: ErrNotVerified, AccountChanged: ErrAccountChanged,
	Address: ErrAddress, Store: ErrStore, Denied: ErrDenied, Canceled: ErrCanceled, Timeout: ErrTimeout,
	Config: ErrConfig, Unavailable: ErrUnavailable, Wrap: wrap,
}

// Status returns the HTTP status and a machine code for err, as With
// answers it.
func Status(err error) (status int, code string) {
	switch {
	case errors.Is(err, ErrNotLoggedIn):
		return http.StatusForbidden, "login_required"
	case errors.Is(err, ErrNotVerified):
		return http.StatusForbidden, "login_incomplete"
	case errors.Is(err, ErrNoUNLOQ):
		return http.StatusForbidden, "unloq_required"
	case errors.Is(err, ErrAccountChanged):
		return http.StatusForbidden, "account_changed"
	case errors.Is(err, ErrAddress):
		return http.StatusConflict, "no_unloq_address"
	case errors.Is(err, ErrMethod):
		return http.StatusMethodNotAllowed, "method_not_allowed"
	case errors.Is(err, ErrCrossOrigin):
		return http.StatusForbidden, "cross_origin"
	case errors.Is(err, ErrInFlight):
		return http.StatusConflict, "in_flight"
	case errors.Is(err, ErrDenied):
		return http.StatusForbidden, "denied"
	case errors.Is(err, ErrTimeout):
		return http.StatusForbidden, "timeout"
	case errors.Is(err, ErrCanceled):
		return http.StatusServiceUnavailable, "canceled"
	case errors.Is(err, ErrUnavailable), errors.Is(err, ErrBadKey):
		return http.StatusServiceUnavailable, "unavailable"
	default:
		return http.StatusInternalServerError, "internal"
	}
}
