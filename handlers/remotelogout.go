package handlers

import (
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/unloq2fa/unloq2fa/handlers/guard"
	"github.com/unloq2fa/unloq2fa/session"
	"github.com/unloq2fa/unloq2fa/store"
	"github.com/unloq2fa/unloq2fa/unloq"
)

// DefaultRemoteLogoutPath is the conventional path of UNLOQ's remote
// logout webhook.
const DefaultRemoteLogoutPath = "/uauth/logout"

// keyWebhook is the Guard's replay record of one remote-logout delivery
// (by the SHA-256 of its signature) for the user it names.
func keyWebhook(uid, signature string) guard.Key {
	return guard.Key{Kind: "webhook-logout", User: uid, ID: hashHex(signature)}
}

// FlowRemoteLogout names the remote-logout webhook in Events.
const FlowRemoteLogout = "remote_logout"

// EventRemoteLogout: a signed remote-logout webhook ended every session of
// the user.
const EventRemoteLogout EventKind = "remote_logout"

// maxSIDLen is UNLOQ's limit on a session id.
const maxSIDLen = 128

// remoteSID is the UNLOQ session id sent with the token exchange of a
// login: "<32 hex digits of SHA-256(LoginID)>.<password time, unix
// seconds, base 36>.<user id, base64url>". UNLOQ sends it back, inside a
// signed webhook, when the user logs out from the phone; the user id and
// the password time let any instance act on it without a lookup table.
// When it would exceed UNLOQ's 128 characters (a very long user id) it is
// the hash alone, and a remote logout of that login is answered 404.
// Without WithRemoteLogout nothing would act on the webhook, so the sid is
// the hash alone and UNLOQ does not learn the app's user ids.
func (h *Handlers) remoteSID(sess *session.Session) string {
	base := sidFor(sess.LoginID())
	if base == "" || h.cfg.webhookSecret == "" {
		return base
	}
	sid := base + "." + strconv.FormatInt(sess.PasswordAt().Unix(), 36) + "." +
		base64.RawURLEncoding.EncodeToString([]byte(sess.UserID()))
	if len(sid) > maxSIDLen {
		return base
	}
	return sid
}

// parseRemoteSID returns the user id and password time of a remoteSID.
func parseRemoteSID(sid string) (userID string, pwAt time.Time, ok bool) {
	hash, rest, ok1 := strings.Cut(sid, ".")
	ts, enc, ok2 := strings.Cut(rest, ".")
	if !ok1 || !ok2 || len(hash) != 32 || len(sid) > maxSIDLen {
		return "", time.Time{}, false
	}
	sec, err := strconv.ParseInt(ts, 36, 64)
	if err != nil || sec <= 0 {
		return "", time.Time{}, false
	}
	uid, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil || len(uid) == 0 {
		return "", time.Time{}, false
	}
	return string(uid), time.Unix(sec, 0), true
}

// RemoteLogout returns the route that receives UNLOQ's remote-logout
// webhook at POST Paths.RemoteLogout (default DefaultRemoteLogoutPath).
// With WithRemoteLogout (the webhook's secret) Mount mounts it and the
// middleware lets it through; without, it answers 404. It has no
// cross-origin protection of its own (UNLOQ's servers call it): the
// signature is the check. Mount it outside the host's CSRF middleware.
//
// A delivery carries unloq_id and the sid the login sent with its token
// exchange: a hash of the login id, the password time and the user id
// (base64url), so every instance can act on it without a lookup table.
// UNLOQ thus learns the application's user id of each login. The route:
//
//   - checks the X-Unloq-Signature (HMAC-SHA256 over the path and the
//     sorted body values, compared in constant time): missing or wrong
//     gives 401 and changes nothing;
//   - refuses a sid it did not mint (404), a sid whose login has outlived
//     the session lifetime (410: stale, nothing left to end), and a
//     delivery it has already acted on (409: replay), recorded in the
//     Guard until the login's lifetime is over;
//   - loads the user by the exact id from the store (404 when there is no
//     such user, 503 when the store fails);
//   - ends every session of that user issued so far
//     ([session.Manager.LogOutEverywhere]), on every instance sharing the
//     revocation store, and answers 200 {"status":true}.
//
// A Guard, store or revocation failure answers 503 and changes nothing, so
// that UNLOQ's retry can succeed later.
func (h *Handlers) RemoteLogout() http.Handler {
	return &remoteLogout{h: h, secret: h.cfg.webhookSecret}
}

type remoteLogout struct {
	h      *Handlers
	secret string
}

func (rl *remoteLogout) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := rl.h
	setSecurityHeaders(w)
	ctx := r.Context()
	ip := h.clientIP(r)
	answer := func(status int, code, msg string) {
		if status == http.StatusOK {
			writeJSON(w, status, map[string]any{"status": true})
			return
		}
		writeJSON(w, status, jsonError{Error: jsonErrorBody{code, msg}})
	}
	if rl.secret == "" {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		answer(http.StatusMethodNotAllowed, "method_not_allowed", "POST only")
		return
	}
	params, err := unloq.VerifyWebhookRequest(r, rl.secret)
	if err != nil {
		if errors.Is(err, unloq.ErrBadSignature) {
			h.emit(ctx, EventFailed, FlowRemoteLogout, "", ip, wrap("remote logout", CodeBadRequest, err))
			answer(http.StatusUnauthorized, "bad_signature", "missing or wrong signature")
			return
		}
		answer(http.StatusBadRequest, "bad_request", "malformed webhook")
		return
	}
	userID, pwAt, ok := parseRemoteSID(params.Get("sid"))
	if !ok || params.Get("unloq_id") == "" {
		answer(http.StatusNotFound, "unknown_session", "no session of this application")
		return
	}
	now := time.Now()
	left := pwAt.Add(h.sm.MaxAge()).Sub(now)
	if left <= 0 {
		answer(http.StatusGone, "stale", "the session has expired")
		return
	}
	key := keyWebhook(userID, r.Header.Get(unloq.SignatureHeader))
	if used, err := h.guard.Used(ctx, key); err != nil {
		answer(http.StatusServiceUnavailable, "guard_unavailable", "try again later")
		return
	} else if used {
		answer(http.StatusConflict, "replayed", "this delivery was already handled")
		return
	}
	user, err := h.users.User(ctx, userID)
	switch {
	case errors.Is(err, store.ErrUserNotFound):
		answer(http.StatusNotFound, "unknown_user", "no such user")
		return
	case err != nil:
		h.emit(ctx, EventFailed, FlowRemoteLogout, userID, ip, wrap("remote logout", CodeStore, err))
		answer(http.StatusServiceUnavailable, "store_unavailable", "try again later")
		return
	case user.ID != userID:
		answer(http.StatusNotFound, "unknown_user", "no such user")
		return
	}
	if err := h.LogOutEverywhere(ctx, user.ID); err != nil {
		h.emit(ctx, EventFailed, FlowRemoteLogout, user.ID, ip, err)
		answer(http.StatusServiceUnavailable, "revocation_unavailable", "try again later")
		return
	}
	// Recorded after the logout, so that a failed attempt can be retried;
	// two concurrent deliveries both ending the sessions is harmless.
	if _, err := h.guard.MarkUsed(ctx, key, left); err != nil && h.cfg.logger != nil {
		h.cfg.logger.Warn("unloq2fa remote logout: replay record not kept", "error", err.Error())
	}
	h.emit(ctx, EventRemoteLogout, FlowRemoteLogout, user.ID, ip, nil)
	answer(http.StatusOK, "", "")
}
