package handlers

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"time"

	"github.com/unloq2fa/unloq2fa/handlers/guard"
	"github.com/unloq2fa/unloq2fa/unloq"
)

// approval describes one confirmed approval: a push to email, the token
// exchange, and the check of the token's user. The login flows check the
// store's current e-mail against the session's separately (checkAccount),
// before and after UNLOQ is called.
type approval struct {
	op     string // for error text
	flow   string // FlowLogin, FlowEnroll, FlowDisable
	userID string
	email  string // the address the push goes to; the token must be for it
	ip     string // the client IP sent to UNLOQ ("" = unknown)
	otp    string // the OTP, "" if none
	sid    string // UNLOQ session id for /token ("" = none)
}

// approve sends the push (POST /v1/authenticate, blocking until the phone
// answers; cancelled with ctx), then exchanges the token and checks it. It
// changes no state except the Guard's replay record of the token.
func (h *Handlers) approve(ctx context.Context, a approval) error {
	h.emit(ctx, EventChallenged, a.flow, a.userID, a.ip, nil)
	res, err := h.push(ctx, a) // an action for enable/disable where possible (actions.go)
	if err != nil {
		return err
	}
	if res == nil || res.Token == "" || len(res.Token) > maxTokenLen {
		return wrap(a.op+": authenticate", CodeUnavailable, errors.New("the reply carries no usable token"))
	}
	return h.exchange(ctx, a, res.Token)
}

// exchange redeems token at POST /v1/token and checks that it belongs to
// a.email and was not used before.
func (h *Handlers) exchange(ctx context.Context, a approval, token string) error {
	td, err := h.client.Token(ctx, unloq.TokenRequest{Token: token, SID: a.sid, IP: a.ip})
	if err != nil {
		return vendorError(a.op+": token", err, false)
	}
	if td == nil {
		return wrap(a.op+": token", CodeUnavailable, errors.New("empty reply"))
	}
	if !sameEmail(td.Email, a.email) {
		return wrap(a.op, CodeWrongUser, nil)
	}
	first, err := h.guard.MarkUsed(ctx, keyToken(a.userID, token), tokenReplayTTL)
	if err != nil {
		return wrap(a.op, CodeGuard, err)
	}
	if !first {
		return wrap(a.op, CodeReplayed, nil)
	}
	return h.bindUnloqID(ctx, a, td) // unloq_id, when the store keeps it (unloqid.go)
}

// reserve takes the in-flight marker inFlightKey and one push from the
// user's budget rateKey. On success the caller must call release, and do
// the guarded work with the returned context (see begin); on error the
// context returned is ctx.
func (h *Handlers) reserve(ctx context.Context, op string, inFlightKey, rateKey guard.Key) (context.Context, func(), error) {
	wctx, release, err := h.begin(ctx, op, inFlightKey)
	if err != nil {
		return ctx, nil, err
	}
	if err := h.allow(wctx, op, rateKey); err != nil {
		release()
		return ctx, nil, err
	}
	return wctx, release, nil
}

// begin takes the in-flight marker key (CodeInFlight when it is taken). On
// success the caller must call release, and do the guarded work with the
// returned context: its deadline (inFlightWork) ends before the marker
// (inFlightTTL) can expire, so that no second approval can start while
// the first one may still be waiting on the phone, whatever approval
// timeout the client has.
func (h *Handlers) begin(ctx context.Context, op string, key guard.Key) (context.Context, func(), error) {
	unmark, ok, err := h.guard.Begin(ctx, key, h.inFlightTTL())
	if err != nil {
		return ctx, nil, wrap(op, CodeGuard, err)
	}
	if !ok {
		return ctx, nil, wrap(op, CodeInFlight, nil)
	}
	wctx, cancel := context.WithTimeout(ctx, h.inFlightWork())
	return wctx, func() { cancel(); unmark() }, nil
}

// inFlightWork bounds what an in-flight marker guards: one approval call
// (the client's approval timeout, the phone's wait) and up to three other
// UNLOQ calls (enrolled, token; each the client's call timeout), with the
// store calls around them.
func (h *Handlers) inFlightWork() time.Duration {
	return h.client.ApprovalTimeout() + 3*h.client.CallTimeout()
}

// inFlightTTL is the lifetime of an in-flight marker: it outlives the
// longest work it guards by inFlightMargin. Requests release it as soon as
// that work ends; the TTL matters only when a request never releases it
// (a crashed process with a shared Guard).
func (h *Handlers) inFlightTTL() time.Duration { return h.inFlightWork() + inFlightMargin }

// allow takes one request from the per-user budget rateKey (pushes, or
// widget callbacks): CodeRateLimited when it is spent.
func (h *Handlers) allow(ctx context.Context, op string, rateKey guard.Key) error {
	allowed, err := h.guard.Allow(ctx, rateKey, h.cfg.pushLimit, h.cfg.pushWindow)
	if err != nil {
		return wrap(op, CodeGuard, err)
	}
	if !allowed {
		return wrap(op, CodeRateLimited, nil)
	}
	return nil
}

var otpPattern = regexp.MustCompile(`^[0-9]{4,10}$`)

// formOTP reads the optional "otp" form field: empty, or 4–10 digits
// (spaces around are ignored).
func formOTP(r *http.Request, op string) (string, error) {
	if err := r.ParseForm(); err != nil {
		return "", wrap(op, CodeBadRequest, nil)
	}
	vals := r.PostForm["otp"]
	if len(vals) > 1 {
		return "", wrap(op, CodeBadOTP, nil)
	}
	if len(vals) == 0 {
		return "", nil
	}
	otp := trimSpaceASCII(vals[0])
	if otp == "" {
		return "", nil
	}
	if !otpPattern.MatchString(otp) {
		return "", wrap(op, CodeBadOTP, nil)
	}
	return otp, nil
}

func trimSpaceASCII(s string) string {
	i, j := 0, len(s)
	for i < j && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	for j > i && (s[j-1] == ' ' || s[j-1] == '\t') {
		j--
	}
	return s[i:j]
}

// maxBody bounds the size of the small forms these routes accept.
const maxBody = 16 << 10

func limitBody(w http.ResponseWriter, r *http.Request) {
	if r.Body != nil {
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	}
}
