package handlers

import (
	"context"
	"errors"
	"net/http"
	"net/url"

	"github.com/unloq2fa/unloq2fa/session"
	"github.com/unloq2fa/unloq2fa/store"
)

// settingsUser returns the verified session of r and its user from the
// store, with user.Email set to the user's UNLOQ address: CodeNotVerified
// for any other session, CodeDisabled while the Handlers are Disabled,
// CodeStore when the store fails, CodeNoEmail or CodeAddress when the user has
// no address UNLOQ accepts.
func (h *Handlers) settingsUser(ctx context.Context, r *http.Request, op string) (*session.Session, store.User, error) {
	sess, err := h.load(r, op)
	if err != nil {
		return sess, store.User{}, err
	}
	if sess.State() != session.StateVerified || sess.UserID() == "" {
		return sess, store.User{}, wrap(op, CodeNotVerified, nil)
	}
	if h.cfg.disabled {
		return sess, store.User{}, wrap(op, CodeDisabled, nil)
	}
	user, err := h.user(ctx, op, sess.UserID())
	if err != nil {
		return sess, store.User{}, err
	}
	// From here on user.Email is the user's UNLOQ address (address.go):
	// CodeNoEmail or CodeAddress when there is none UNLOQ accepts.
	if user.Email, err = h.address(op, user); err != nil {
		return sess, user, err
	}
	return sess, user, nil
}

// settingsFail reports err and answers: a login redirect for CodeNotVerified,
// else a message page with a link back to the settings page.
func (h *Handlers) settingsFail(w http.ResponseWriter, r *http.Request, flow, uid, title string, err error) {
	h.emit(r.Context(), kindFor(err), flow, uid, h.clientIP(r), err)
	if errors.Is(err, CodeNotVerified) {
		h.denyRedirect(w, r, h.loginURL(h.cfg.paths.Settings), err)
		return
	}
	h.message(w, r, err, title, h.cfg.paths.Settings, "Back to settings")
}

// loginURL is the login page with next set.
func (h *Handlers) loginURL(next string) string {
	return h.cfg.paths.Login + "?next=" + url.QueryEscape(next)
}

// renderApprove renders the fresh-approval page for a settings change,
// explaining err.
func (h *Handlers) renderApprove(w http.ResponseWriter, r *http.Request, purpose, email, action, step string, err error) {
	f := describe(err)
	if wantsJSON(r) {
		writeJSON(w, f.status, jsonError{Error: jsonErrorBody{f.code, f.message}, OTP: f.askOTP})
		return
	}
	title := "Turn on two-step verification"
	if purpose == "disable" {
		title = "Turn off two-step verification"
	}
	p := ApprovePage{
		Page:        h.page(r, title),
		Purpose:     purpose,
		Email:       email,
		Action:      action,
		Step:        step,
		OTPRequired: f.askOTP,
		SettingsURL: h.cfg.paths.Settings,
	}
	if errors.Is(err, CodeInFlight) {
		p.Notice = f.message
	} else {
		p.Error, p.ErrorCode = f.message, f.code
	}
	h.html(w, f.status, TemplateApprove, p)
}

// checkPOST applies the method and cross-origin rules of a state-changing
// route. It answers and returns false when the request must stop.
func (h *Handlers) checkPOST(w http.ResponseWriter, r *http.Request, flow, op string) bool {
	if r.Method != http.MethodPost {
		h.methodNotAllowed(w, r, http.MethodPost)
		return false
	}
	if err := h.cop.Check(r); err != nil {
		err = wrap(op, CodeCrossOrigin, nil)
		h.emit(r.Context(), EventFailed, flow, "", h.clientIP(r), err)
		h.message(w, r, err, "Request blocked", h.cfg.paths.Settings, "Back to settings")
		return false
	}
	limitBody(w, r)
	return true
}
