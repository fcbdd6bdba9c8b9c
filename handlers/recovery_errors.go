package handlers

import (
	"errors"
	"net/http"

	"github.com/unloq2fa/unloq2fa/handlers/recovery"
)

// FlowRecoveryCodes names the flow of POST Paths.RecoveryCodes in events.
const FlowRecoveryCodes = "recovery_codes"

// refineRecovery explains a recovery-code failure by the *recovery.Error
// underneath.
func refineRecovery(err error, _ failure) failure {
	switch {
	case errors.Is(err, recovery.ErrLimited):
		return failure{http.StatusTooManyRequests, "recovery_rate_limited",
			"Too many recovery codes were tried. Wait 15 minutes, then try again.", false}
	case errors.Is(err, recovery.ErrUsed):
		return failure{http.StatusUnauthorized, "recovery_code_used",
			"That recovery code was already used. Each code works once: type another one from your list.", false}
	case errors.Is(err, recovery.ErrWrong), errors.Is(err, recovery.ErrMalformed):
		return failure{http.StatusUnauthorized, "wrong_recovery_code",
			"That recovery code is not right. Check it and type it again.", false}
	}
	return failure{http.StatusServiceUnavailable, "recovery_unavailable",
		"Recovery codes cannot be checked right now. Nothing was changed. Please try again shortly.", false}
}
