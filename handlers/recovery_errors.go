package handlers

import (
	"errors"
	"net/http"

	"github.com/unloq2fa/unloq2fa/handlers/recovery"
)

// ErrRecoveryCode: a recovery code typed on the two-step page was not
// accepted. The *recovery.Error underneath says why: match it with
// errors.Is against recovery.ErrWrong, recovery.ErrMalformed,
// recovery.ErrUsed, recovery.ErrLimited (429) or recovery.ErrUnavailable
// (503: the code store or the limiter failed; nothing changed).
var ErrRecoveryCode = errors.New("handlers: the recovery code was not accepted")

// FlowRecoveryCodes names the flow of POST Paths.RecoveryCodes in events.
const FlowRecoveryCodes = "recovery_codes"

// describeRecovery explains a recovery-code failure (ok=false for any
// other error).
func describeRecovery(err error) (failure, bool) {
	if !errors.Is(err, ErrRecoveryCode) {
		return failure{}, false
	}
	switch {
	case errors.Is(err, recovery.ErrLimited):
		return failure{http.StatusTooManyRequests, "recovery_rate_limited",
			"Too many recovery codes were tried. Wait 15 minutes, then try again.", false}, true
	case errors.Is(err, recovery.ErrUsed):
		return failure{http.StatusUnauthorized, "recovery_code_used",
			"That recovery code was already used. Each code works once: type another one from your list.", false}, true
	case errors.Is(err, recovery.ErrWrong), errors.Is(err, recovery.ErrMalformed):
		return failure{http.StatusUnauthorized, "wrong_recovery_code",
			"That recovery code is not right. Check it and type it again.", false}, true
	}
	return failure{http.StatusServiceUnavailable, "recovery_unavailable",
		"Recovery codes cannot be checked right now. Nothing was changed. Please try again shortly.", false}, true
}
