package handlers

import (
	"net/http"

	"github.com/unloq2fa/unloq2fa/session"
)

// Notice codes: what a settings flow that succeeded leaves for the page it
// returns to (see Handlers.Notice).
const (
	NoticeEnabled       = "enabled"        // two-step verification was turned on
	NoticeDisabled      = "disabled"       // two-step verification was turned off
	NoticeRecoveryCodes = "recovery_codes" // a new set of recovery codes was made
)

// flowNotice is the session flow value holding a Notice code.
const flowNotice = "notice"

// Notice is a one-time success message of a settings flow.
type Notice struct {
	Code    string // NoticeEnabled, NoticeDisabled or NoticeRecoveryCodes
	Message string // a sentence for the person, in English
}

func noticeText(code string) string {
	switch code {
	case NoticeEnabled:
		return "Two-step verification is on. From now on, every login waits for your approval on your phone."
	case NoticeDisabled:
		return "Two-step verification is off. Your password alone now opens your account."
	case NoticeRecoveryCodes:
		return "New recovery codes were made. Your earlier codes no longer work."
	}
	return ""
}

// Notice returns, once, the success notice that the last settings flow
// (turning two-step on or off, new recovery codes) left in the session
// before it sent the browser to Paths.Settings, and removes it. Call it
// from the settings page's handler before writing the response (it may
// set the session cookie), and show Message. ok is false when there is
// none. The notice lives in the signed session, so a link from elsewhere
// cannot make the page claim a change that did not happen.
func (h *Handlers) Notice(w http.ResponseWriter, r *http.Request) (n Notice, ok bool) {
	sess, _ := h.load(r, "notice") // unavailable: no notice
	if sess.State() != session.StateVerified {
		return Notice{}, false
	}
	code := sess.Flow(flowNotice)
	if code == "" {
		return Notice{}, false
	}
	sess.DeleteFlow(flowNotice)
	// A failed save only means the notice may show once more.
	_ = sess.Save(w, r)
	msg := noticeText(code)
	if msg == "" {
		return Notice{}, false
	}
	return Notice{Code: code, Message: msg}, true
}

// setNotice leaves code for Notice. A failed save is logged and otherwise
// ignored: the change itself is done, only its notice is lost.
func (h *Handlers) setNotice(w http.ResponseWriter, r *http.Request, sess *session.Session, code string) {
	sess.SetFlow(flowNotice, code)
	if err := sess.Save(w, r); err != nil && h.cfg.logger != nil {
		h.cfg.logger.Warn("unloq2fa: notice not saved", "user_id", sess.UserID(), "error", err.Error())
	}
}
