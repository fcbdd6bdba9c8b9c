package handlers

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/unloq2fa/unloq2fa/session"
)

// Token format accepted at the callback (checked before UNLOQ is called).
const (
	minTokenLen = 10
	maxTokenLen = 4096
)

// validToken reports whether t looks like an UNLOQ access token: "AU",
// then URL-safe characters, 10 to 4096 bytes in all.
func validToken(t string) bool {
	if len(t) < minTokenLen || len(t) > maxTokenLen || !strings.HasPrefix(t, "AU") {
		return false
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9',
			c == '-', c == '_', c == '.', c == '~':
		default:
			return false
		}
	}
	return true
}

// Callback serves the widget's redirect (GET Paths.Callback?token=…). In
// ModePush there is no widget: it answers 404 and Mount does not mount
// it.
//
// It accepts the token only for a pending, unexpired login in this browser
// session. The token must be well formed ("AU" + URL-safe characters, at
// most 4096 bytes; otherwise UNLOQ is not called). It is exchanged at
// POST /v1/token (with the login's sid and the client IP); the token's
// e-mail must match exactly (ASCII letters in any case, ASCII space
// around ignored, every other byte equal) both the session's
// e-mail and the store's current e-mail of that user; a token is accepted
// once (the Guard keeps a replay record of its SHA-256) and a pending login
// completes once.
//
// Callbacks are limited like pushes (WithPushLimit), but per pending login:
// someone who knows the password and sends bogus tokens from a login of
// their own spends that login's budget, not the owner's. Failed exchanges
// are also charged to the user; once the user's budget is spent, a login
// that already failed is refused without calling UNLOQ, while a login's
// first callback still goes through. Then the session is renewed with was_2fa=true and the
// browser is sent (303) to the remembered next: a clean URL, without the
// token.
//
// Any failure changes nothing and renders TemplateMessage with a 4xx/5xx
// status (or JSON); the Event carries the typed error.
func (h *Handlers) Callback() http.Handler { return http.HandlerFunc(h.serveCallback) }

func (h *Handlers) serveCallback(w http.ResponseWriter, r *http.Request) {
	const op = "callback"
	setSecurityHeaders(w)
	if !h.widgetEnabled() {
		// Push-only: there is no widget, so no token may arrive here.
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet {
		h.methodNotAllowed(w, r, "GET")
		return
	}
	ctx := r.Context()
	sess, err := h.load(r, op)
	if err != nil {
		h.unavailable(w, r, FlowLogin, err)
		return
	}
	if h.cfg.disabled {
		h.signInFailed(w, r, sess, wrap(op, CodeDisabled, nil))
		return
	}
	uid := sess.UserID()
	if err := h.pendingErr(sess); err != nil {
		h.signInFailed(w, r, sess, withOp(op, err))
		return
	}
	q, err := parseQueryStrict(r.URL.RawQuery)
	if err != nil || len(q["token"]) != 1 || !validToken(q["token"][0]) {
		h.signInFailed(w, r, sess, wrap(op, CodeBadToken, nil))
		return
	}
	token := q["token"][0]
	if err := h.checkNotDone(ctx, op, sess); err != nil {
		h.signInFailed(w, r, sess, err)
		return
	}
	failedBefore, err := h.callbackBudget(ctx, op, sess)
	if err != nil {
		h.signInFailed(w, r, sess, err)
		return
	}
	// Checked before the token is redeemed, and again at completion.
	if err := h.checkAccount(ctx, op, sess); err != nil {
		h.signInFailed(w, r, sess, err)
		return
	}
	err = h.exchange(ctx, approval{
		op:     op,
		flow:   FlowLogin,
		userID: uid,
		email:  sess.Email(),
		ip:     h.clientIP(r),
		sid:    h.remoteSID(sess),
	}, token)
	if err != nil {
		if cerr := h.chargeCallbackFailure(ctx, op, sess, failedBefore); cerr != nil {
			err = errors.Join(err, cerr)
		}
		h.signInFailed(w, r, sess, err)
		return
	}
	h.complete(w, r, sess, op)
}

// parseQueryStrict parses a query string, refusing malformed or oversized ones.
func parseQueryStrict(raw string) (url.Values, error) {
	if len(raw) > maxTokenLen+1024 {
		return nil, errors.New("query too long")
	}
	return url.ParseQuery(raw)
}

// callbackBudget takes one callback from the pending login's budget and,
// for a login whose earlier callback failed, one from the user's failure
// budget (CodeRateLimited when either is spent). It reports whether the
// login failed before.
func (h *Handlers) callbackBudget(ctx context.Context, op string, sess *session.Session) (failedBefore bool, err error) {
	uid, login := sess.UserID(), sess.LoginID()
	if err := h.allow(ctx, op, keyCallbackLogin(uid, login)); err != nil {
		return false, err
	}
	failedBefore, err = h.guard.Used(ctx, keyCallbackFailed(uid, login))
	if err != nil {
		return false, wrap(op, CodeGuard, err)
	}
	if failedBefore {
		if err := h.allow(ctx, op, keyCallback(uid)); err != nil {
			return true, err
		}
	}
	return failedBefore, nil
}

// chargeCallbackFailure records a failed token exchange: the login is
// marked as failed and, unless callbackBudget already charged it, the
// user's failure budget is charged (a spent budget is not an error here).
func (h *Handlers) chargeCallbackFailure(ctx context.Context, op string, sess *session.Session, failedBefore bool) error {
	if failedBefore {
		return nil
	}
	if _, err := h.guard.MarkUsed(ctx, keyCallbackFailed(sess.UserID(), sess.LoginID()), h.cfg.pushWindow); err != nil {
		return wrap(op, CodeGuard, err)
	}
	if _, err := h.guard.Allow(ctx, keyCallback(sess.UserID()), h.cfg.pushLimit, h.cfg.pushWindow); err != nil {
		return wrap(op, CodeGuard, err)
	}
	return nil
}
