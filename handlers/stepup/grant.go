package stepup

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/unloq2fa/unloq2fa/session"
)

// A grant is an approval kept in the session as the flow value
// "stepup:<code>": "1|<LoginID>|<approved at, Unix ms>|<scope>". The scope
// is "*" (every request of the action, for Action.MaxAge) or "get:<hash>"
// (one GET of one URL, once, within the grant TTL). A grant counts only
// while the session's LoginID is the one it was recorded under; every
// renewal of the session (login, logout) drops flow values anyway.

const (
	grantVersion  = "1"
	scopeAll      = "*"
	scopeGET      = "get:"
	flowKeyPrefix = "stepup:"
	// maxClockSkew tolerates an approval time slightly in the future.
	maxClockSkew = time.Minute
)

func flowKey(code string) string { return flowKeyPrefix + code }

func getScope(r *http.Request) string {
	sum := sha256.Sum256([]byte("GET " + r.URL.RequestURI()))
	return scopeGET + hex.EncodeToString(sum[:16])
}

func encodeGrant(loginID string, at time.Time, scope string) string {
	return grantVersion + "|" + loginID + "|" + strconv.FormatInt(at.UnixMilli(), 10) + "|" + scope
}

// useGrant reports whether sess holds a grant of a that covers r; consume
// is true when the grant is one-time and must be deleted (and the session
// saved) before the request runs.
func (s *StepUp) useGrant(sess *session.Session, a Action, r *http.Request) (ok, consume bool) {
	v := sess.Flow(flowKey(a.Code))
	if v == "" {
		return false, false
	}
	parts := strings.Split(v, "|")
	if len(parts) != 4 || parts[0] != grantVersion || parts[1] == "" || parts[1] != sess.LoginID() {
		return false, false
	}
	ms, err := strconv.ParseInt(parts[2], 10, 64)
	if err != nil {
		return false, false
	}
	age := time.Since(time.UnixMilli(ms))
	if age < -maxClockSkew {
		return false, false
	}
	switch scope := parts[3]; {
	case scope == scopeAll:
		return a.MaxAge > 0 && age < a.MaxAge, false
	case strings.HasPrefix(scope, scopeGET):
		if (r.Method != http.MethodGet && r.Method != http.MethodHead) || scope != getScope(r) || age >= s.cfg.grantTTL {
			return false, false
		}
		return true, true
	}
	return false, false
}
