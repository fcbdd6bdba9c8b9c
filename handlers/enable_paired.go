package handlers

import (
	"net/http"

	"github.com/unloq2fa/unloq2fa/session"
	"github.com/unloq2fa/unloq2fa/store"
)

// enableIfPaired handles the start of Enable for a phone that is already
// paired with this application (two-step was on before, and turning it off
// kept the pairing): there is no QR code to scan, so instead of enrolling
// again (which UNLOQ answers with a push to the phone while the browser
// waits on a blank request) it shows the paired page. It reports whether
// it answered; a failed check of the pairing is an error page.
func (h *Handlers) enableIfPaired(w http.ResponseWriter, r *http.Request, sess *session.Session, user store.User) bool {
	const op = "enable"
	paired, err := h.client.Enrolled(r.Context(), user.Email)
	if err != nil {
		h.settingsFail(w, r, FlowEnroll, user.ID, "Two-step verification was not turned on", vendorError(op+": enrolled", err, false))
		return true
	}
	if !paired {
		return false
	}
	h.enablePaired(w, r, sess, user)
	return true
}

// enablePaired records the enrollment in the session and renders the
// paired page: "your phone is already paired; approve on your phone; this
// page continues by itself". Its form posts step=confirm, which checks
// the pairing again and asks for the one confirmed approval.
func (h *Handlers) enablePaired(w http.ResponseWriter, r *http.Request, sess *session.Session, user store.User) {
	const op = "enable"
	clearEnrollFlow(sess)
	sess.SetFlow(flowEnroll, "1")
	if err := sess.Save(w, r); err != nil {
		h.settingsFail(w, r, FlowEnroll, user.ID, "Two-step verification was not turned on", wrap(op, CodeSession, err))
		return
	}
	if wantsJSON(r) {
		writeJSON(w, http.StatusOK, map[string]any{
			"status":  "paired",
			"confirm": map[string]string{"method": http.MethodPost, "url": h.cfg.paths.Enable, "step": "confirm"},
		})
		return
	}
	h.html(w, http.StatusOK, TemplateApprove, ApprovePage{
		Page:        h.page(r, "Turn on two-step verification"),
		Purpose:     "enable",
		Email:       user.Email,
		Action:      h.cfg.paths.Enable,
		Step:        "confirm",
		SettingsURL: h.cfg.paths.Settings,
		Paired:      true,
		AutoSubmit:  true,
	})
}

// enrollRefused answers an enrollment that the phone declined (UNLOQ
// pushed it because it knows the user): an enrollment takes no one-time
// code, so the page offers to start again rather than asking for one. It
// reports whether err was such a refusal.
func (h *Handlers) enrollRefused(w http.ResponseWriter, r *http.Request, user store.User, err error) bool {
	if !isAny(err, CodeDenied, CodeOTPRequired, CodeWrongOTP) {
		return false
	}
	h.emit(r.Context(), kindFor(err), FlowEnroll, user.ID, h.clientIP(r), err)
	f := describe(err)
	if wantsJSON(r) {
		writeJSON(w, f.status, jsonError{Error: jsonErrorBody{f.code, enrollRefusedText}})
		return true
	}
	p := ApprovePage{
		Page:        h.page(r, "Turn on two-step verification"),
		Purpose:     "enable",
		Email:       user.Email,
		Action:      h.cfg.paths.Enable,
		SettingsURL: h.cfg.paths.Settings,
	}
	p.Error, p.ErrorCode = enrollRefusedText, f.code
	h.html(w, f.status, TemplateApprove, p)
	return true
}

const enrollRefusedText = "The request to add this site was declined on your phone. Nothing was changed. To try again, send a new request and approve it."
