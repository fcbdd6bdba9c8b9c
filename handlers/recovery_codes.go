package handlers

import (
	"context"
	"net/http"

	"github.com/unloq2fa/unloq2fa/store"
)

// TemplateRecoveryCodes is the page that shows a new set of recovery codes
// once (data: RecoveryCodesPage). It is required in a template set given
// to WithTemplates only together with WithRecoveryCodes.
const TemplateRecoveryCodes = "recovery_codes"

// RecoveryCodesPage is the data of TemplateRecoveryCodes. The response is
// sent with Cache-Control: no-store; the codes are in it and nowhere else.
type RecoveryCodesPage struct {
	Page
	Email string
	// Codes is the new set, formatted "xxxx-xxxx-xxxx"; empty when
	// making them failed (Error says so).
	Codes []string
	// Enabled: the page ends turning two-step on (Page.Notice says so).
	Enabled bool
	// ContinueURL is the settings page ("I saved them, continue").
	ContinueURL string
	// RegenerateURL is Paths.RecoveryCodes: a POST there (after a fresh
	// approval on the phone) makes a new set.
	RegenerateURL string
}

// RecoveryCodes serves POST Paths.RecoveryCodes (mounted by Register with
// WithRecoveryCodes) for a verified session of a user with two-step on:
// after a fresh approval on the phone (after a denial the page asks for
// the one-time code, field "otp"), it makes a new set of recovery codes,
// which replaces the old one at once, and shows it once
// (TemplateRecoveryCodes). Without WithRecoveryCodes it answers 404. Any
// failure changes nothing: the old codes keep working.
func (h *Handlers) RecoveryCodes() http.Handler { return http.HandlerFunc(h.serveRecoveryCodes) }

func (h *Handlers) serveRecoveryCodes(w http.ResponseWriter, r *http.Request) {
	const op = "recovery codes"
	setSecurityHeaders(w)
	if h.cfg.recovery == nil {
		http.NotFound(w, r)
		return
	}
	a, ok := h.freshApproval(w, r, settingsAction{
		op: op, flow: FlowRecoveryCodes, title: "Recovery codes", purpose: "recovery", path: h.cfg.paths.RecoveryCodes,
	})
	if !ok {
		return
	}
	defer a.release()
	ctx, user := a.ctx, a.user
	codes, err := h.cfg.recovery.Generate(ctx, user.ID)
	if err != nil {
		err = wrap(op, CodeRecoveryCode, err)
		h.emit(ctx, EventFailed, FlowRecoveryCodes, user.ID, a.ip, err)
		h.renderRecoveryCodes(w, r, user, nil, false, "No new recovery codes were made; your current codes still work. Please try again shortly.")
		return
	}
	h.setNotice(w, r, a.sess, NoticeRecoveryCodes)
	h.renderRecoveryCodes(w, r, user, codes, false, "")
}

// enabledWithCodes ends turning two-step on when recovery codes are on:
// a new set replaces any earlier one and is shown once. When making it
// fails, any earlier set is deleted (it belonged to an earlier time two-step
// was on) and the page says that no codes exist yet.
func (h *Handlers) enabledWithCodes(w http.ResponseWriter, r *http.Request, user store.User) {
	const op = "enable: recovery codes"
	ctx := r.Context()
	codes, err := h.cfg.recovery.Generate(ctx, user.ID)
	if err != nil {
		err = wrap(op, CodeRecoveryCode, err)
		if derr := h.cfg.recovery.Delete(ctx, user.ID); derr != nil && h.cfg.logger != nil {
			h.cfg.logger.Warn("unloq2fa enroll: earlier recovery codes not deleted", "user_id", user.ID, "error", derr.Error())
		}
		h.emit(ctx, EventFailed, FlowEnroll, user.ID, h.clientIP(r), err)
		h.renderRecoveryCodes(w, r, user, nil, true,
			"Two-step verification is on, but no recovery codes exist yet: they could not be made right now. Make them below.")
		return
	}
	h.renderRecoveryCodes(w, r, user, codes, true, "")
}

// renderRecoveryCodes shows codes once (or, with errMsg, that none were
// made), with Cache-Control: no-store.
func (h *Handlers) renderRecoveryCodes(w http.ResponseWriter, r *http.Request, user store.User, codes []string, enabled bool, errMsg string) {
	setSecurityHeaders(w)
	if wantsJSON(r) {
		body := map[string]any{"redirect": h.cfg.paths.Settings, "recovery_codes": codes}
		if enabled {
			body["enabled"] = true
		}
		status := http.StatusOK
		if errMsg != "" {
			status = http.StatusServiceUnavailable
			body["error"] = jsonErrorBody{"recovery_unavailable", errMsg}
		}
		writeJSON(w, status, body)
		return
	}
	p := RecoveryCodesPage{
		Page:          h.page(r, "Your recovery codes"),
		Email:         user.Email,
		Codes:         codes,
		Enabled:       enabled,
		ContinueURL:   h.cfg.paths.Settings,
		RegenerateURL: h.cfg.paths.RecoveryCodes,
	}
	if enabled {
		p.Notice = noticeText(NoticeEnabled)
	}
	status := http.StatusOK
	if errMsg != "" {
		p.Error, p.ErrorCode = errMsg, "recovery_unavailable"
		status = http.StatusServiceUnavailable
	}
	h.html(w, status, TemplateRecoveryCodes, p)
}

// deleteRecoveryCodes removes the user's codes when two-step is turned off
// (nothing to do when recovery codes are off).
func (h *Handlers) deleteRecoveryCodes(ctx context.Context, op, userID string) error {
	if h.cfg.recovery == nil {
		return nil
	}
	if err := h.cfg.recovery.Delete(ctx, userID); err != nil {
		return wrap(op, CodeRecoveryCode, err)
	}
	return nil
}

// RecoveryCodesLeft reports how many unused recovery codes the user has,
// for the settings page; ok is false when recovery codes are off (no
// WithRecoveryCodes). An error matches CodeRecoveryCode and
// recovery.ErrUnavailable.
func (h *Handlers) RecoveryCodesLeft(ctx context.Context, userID string) (n int, ok bool, err error) {
	if h.cfg.recovery == nil {
		return 0, false, nil
	}
	n, err = h.cfg.recovery.Remaining(ctx, userID)
	if err != nil {
		return 0, true, wrap("recovery codes left", CodeRecoveryCode, err)
	}
	return n, true, nil
}
