package handlers

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
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

// Callback serves the widget's redirect (GET Paths.Callback?token=…).
//
// It accepts the token only for a pending, unexpired login in this browser
// session. The token must be well formed ("AU" + URL-safe characters, at
// most 4096 bytes; otherwise UNLOQ is not called). It is exchanged at
// POST /v1/token (with the login's sid and the client IP); the token's
// e-mail must match, case-insensitively after trimming, both the session's
// e-mail and the store's current e-mail of that user; a token is accepted
// once (the Guard keeps a replay record of its SHA-256) and a pending login
// completes once. Then the session is renewed with was_2fa=true and the
// browser is sent (303) to the remembered next: a clean URL, without the
// token.
//
// Any failure changes nothing and renders TemplateMessage with a 4xx/5xx
// status (or JSON); the Event carries the typed error.
func (h *Handlers) Callback() http.Handler { return http.HandlerFunc(h.serveCallback) }

func (h *Handlers) serveCallback(w http.ResponseWriter, r *http.Request) {
	const op = "callback"
	setSecurityHeaders(w)
	if r.Method != http.MethodGet {
		h.methodNotAllowed(w, r, "GET")
		return
	}
	ctx := r.Context()
	ip := h.clientIP(r)
	sess := h.load(r)
	uid := sess.UserID()
	fail := func(err error) {
		h.emit(ctx, kindFor(err), FlowLogin, uid, ip, err)
		link, text := h.cfg.paths.Login, "Log in again"
		if h.pendingErr(sess) == nil {
			link, text = h.cfg.paths.TwoStep, "Back to the sign-in"
		}
		h.message(w, r, err, "Sign-in not completed", link, text)
	}
	if err := h.pendingErr(sess); err != nil {
		fail(wrap(op, err, nil))
		return
	}
	q, err := parseQueryStrict(r.URL.RawQuery)
	if err != nil || len(q["token"]) != 1 || !validToken(q["token"][0]) {
		fail(wrap(op, ErrBadToken, nil))
		return
	}
	token := q["token"][0]
	allowed, err := h.guard.Allow(ctx, keyCallback+uid, h.cfg.pushLimit, h.cfg.pushWindow)
	if err != nil {
		fail(wrap(op, ErrGuard, err))
		return
	}
	if !allowed {
		fail(wrap(op, ErrRateLimited, nil))
		return
	}
	user, err := h.users.User(ctx, uid)
	if err != nil {
		fail(wrap(op, ErrStore, err))
		return
	}
	if !sameEmail(user.Email, sess.Email()) {
		// The account's e-mail changed or was removed since the password
		// step. Checked here because exchange skips an empty "also".
		fail(wrap(op, ErrWrongUser, nil))
		return
	}
	err = h.exchange(ctx, r, approval{
		op:     op,
		flow:   FlowLogin,
		userID: uid,
		email:  sess.Email(),
		also:   user.Email,
		sid:    sidFor(sess.LoginID()),
	}, token)
	if err != nil {
		fail(err)
		return
	}
	h.complete(w, r, sess, op, h.cfg.paths.TwoStep)
}

// parseQueryStrict parses a query string, refusing malformed or oversized ones.
func parseQueryStrict(raw string) (url.Values, error) {
	if len(raw) > maxTokenLen+1024 {
		return nil, errors.New("query too long")
	}
	return url.ParseQuery(raw)
}
