package unloqtest

import (
	"encoding/json"
	"net/http"
	"strings"
)

// apiError is an error answer in UNLOQ's Gen 2 envelope:
// {"error":{"code","ns","message","status":<number>}}.
type apiError struct {
	status  int
	code    string
	message string
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

func newErr(status int, code, message string) *apiError {
	return &apiError{status: status, code: code, message: message}
}

func badRequest(message string) *apiError {
	return newErr(http.StatusBadRequest, "REQUEST.INVALID", message)
}

// Error codes and statuses used by the simulator. UNLOQ documents the
// codes (except the ones marked [sim]) but almost none of the statuses.
var (
	errUnauthorized  = newErr(http.StatusUnauthorized, "APPLICATION.UNAUTHORIZED", "The API key is missing or invalid.")
	errDenied        = newErr(http.StatusBadRequest, "APPROVAL.DENIED", "The user denied the request.")
	errTokenRequired = newErr(http.StatusBadRequest, "APPROVAL.TOKEN", "The 2FA token is missing or invalid.")
	errNoDevice      = newErr(http.StatusBadRequest, "APPROVAL.DEVICE", "The user has no device synchronised with this application.")
	errUnregistered  = newErr(http.StatusBadRequest, "PUSH.UNREGISTERED", "The user's device does not accept push notifications.")
	errTokenExpired  = newErr(http.StatusBadRequest, "ACCESS_TOKEN.EXPIRED", "The access token has expired.")
	errTokenInvalid  = newErr(http.StatusBadRequest, "ACCESS_TOKEN.INVALID", "The access token is invalid or was already used.") // [sim]
	errNoProfile     = newErr(http.StatusNotFound, "PROFILE.NOT_FOUND", "No UNLOQ profile with that e-mail or UnloqID.")         // [sim]
	errShutdown      = newErr(http.StatusServiceUnavailable, "SERVER.SHUTDOWN", "The simulator is shutting down.")               // [sim]
	errBlocked       = newErr(http.StatusForbidden, "FIREWALL.BLOCKED", "Your IP address was blocked by the application firewall.")
	errThrottled     = newErr(http.StatusTooManyRequests, "FIREWALL.THROTTLE", "Too many requests. Please try again in a couple of minutes.")
)

type envelope struct {
	Type   string       `json:"type,omitempty"`
	Result any          `json:"result,omitempty"`
	Error  *errorObject `json:"error,omitempty"`
}

type errorObject struct {
	Code    string `json:"code"`
	NS      string `json:"ns"`
	Message string `json:"message"`
	Status  int    `json:"status"`
}

func errorBody(e *apiError) envelope {
	ns, _, _ := strings.Cut(e.code, ".")
	return envelope{Error: &errorObject{Code: e.code, NS: strings.ToLower(ns), Message: e.message, Status: e.status}}
}

// responder writes one API answer. Blocking calls may first write
// whitespace pings; after the first ping the status is committed as 200.
type responder struct {
	w      http.ResponseWriter
	pinged bool
	done   bool
}

func newResponder(w http.ResponseWriter) *responder { return &responder{w: w} }

func (rp *responder) header() {
	h := rp.w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
}

// ping writes a "\n" keep-alive chunk and flushes it.
func (rp *responder) ping() {
	if rp.done {
		return
	}
	if !rp.pinged {
		rp.header()
		rp.w.WriteHeader(http.StatusOK)
		rp.pinged = true
	}
	_, _ = rp.w.Write([]byte("\n"))
	_ = http.NewResponseController(rp.w).Flush()
}

func (rp *responder) write(status int, body envelope) {
	if rp.done {
		return
	}
	rp.done = true
	b, err := json.Marshal(body)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"error":{"code":"SERVER.ERROR","ns":"server","message":"encoding failed","status":500}}`)
	}
	b = append(b, '\n')
	if !rp.pinged {
		rp.header()
		rp.w.WriteHeader(status)
	}
	_, _ = rp.w.Write(b)
}

func (rp *responder) result(typ string, result any) {
	rp.write(http.StatusOK, envelope{Type: typ, Result: result})
}

func (rp *responder) fail(e *apiError) {
	rp.write(e.status, errorBody(e))
}

// writeJSON writes a plain JSON value (control API).
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func controlError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}
