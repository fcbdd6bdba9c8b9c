package handlers

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/unloq2fa/unloq2fa/session"
	"github.com/unloq2fa/unloq2fa/store"
	"github.com/unloq2fa/unloq2fa/unloq"
)

// Enable turns two-step verification on (POST Paths.Enable) for a verified
// session; other sessions are sent to the login page (401 for API clients).
//
// The first POST (no "step") calls POST /v1/enroll with the user's e-mail
// and the app name. When UNLOQ answers with a QR code, TemplateEnroll shows
// it; its script polls the status route (GET Paths.EnableStatus, JSON
// {"enrolled":bool}) and, once the phone scanned, submits step=confirm by
// itself; without JavaScript the user presses "I scanned it — continue",
// which posts the same. When UNLOQ already knows the user (it pushed the
// enrollment to the phone and the phone approved: exists=true, no QR code),
// the confirm step follows at once.
//
// The confirm step checks GET /v1/enrolled, then asks for one confirmed
// approval (push, token exchange, e-mail check); only after it succeeds is
// second_factor set to "UNLOQ" in the store and the browser sent (303) to
// Paths.Settings. After a denial the approval page asks for the one-time
// code. A store error or any UNLOQ failure changes nothing and shows an
// error page.
func (h *Handlers) Enable() http.Handler { return http.HandlerFunc(h.serveEnable) }

// EnableStatus serves GET Paths.EnableStatus: {"enrolled":bool} for a
// verified session with an enrollment in progress (401/409 otherwise). It
// calls UNLOQ at most once per user every 2 s and answers from that
// user's last result in between.
func (h *Handlers) EnableStatus() http.Handler { return http.HandlerFunc(h.serveEnableStatus) }

func (h *Handlers) serveEnable(w http.ResponseWriter, r *http.Request) {
	const op = "enable"
	setSecurityHeaders(w)
	if !h.checkPOST(w, r, FlowEnroll, op) {
		return
	}
	ctx := r.Context()
	sess, user, err := h.settingsUser(ctx, r, op)
	if err != nil {
		h.settingsFail(w, r, FlowEnroll, sess.UserID(), "Two-step verification", err)
		return
	}
	if hasUNLOQ(user) {
		if sess.Flow(flowEnroll) != "" {
			clearEnrollFlow(sess)
			_ = sess.Save(w, r)
		}
		h.settingsFail(w, r, FlowEnroll, user.ID, "Two-step verification is on", wrap(op, CodeAlreadyEnabled, nil))
		return
	}
	otp, err := formOTP(r, op)
	if err != nil {
		h.emit(ctx, EventFailed, FlowEnroll, user.ID, h.clientIP(r), err)
		h.renderApprove(w, r, "enable", user.Email, h.cfg.paths.Enable, "confirm", err)
		return
	}
	switch r.PostForm.Get("step") {
	case "":
		h.enableStart(w, r, sess, user)
	case "confirm":
		h.enableConfirm(w, r, sess, user, otp)
	default:
		h.settingsFail(w, r, FlowEnroll, user.ID, "Two-step verification", wrap(op, CodeBadRequest, nil))
	}
}

func (h *Handlers) enableStart(w http.ResponseWriter, r *http.Request, sess *session.Session, user store.User) {
	const op = "enable"
	ctx := r.Context()
	ip := h.clientIP(r)
	ctx, release, err := h.begin(ctx, op, keyInFlightUser(user.ID))
	if err != nil {
		h.settingsFail(w, r, FlowEnroll, user.ID, "Two-step verification", err)
		return
	}
	defer release()
	r = r.WithContext(ctx)
	// A phone already paired with this application gets no QR code (see
	// enable_paired.go); only an enrollment uses the push budget here.
	if h.enableIfPaired(w, r, sess, user) {
		return
	}
	if err := h.allow(ctx, op, keyPush(user.ID)); err != nil {
		h.settingsFail(w, r, FlowEnroll, user.ID, "Two-step verification", err)
		return
	}
	res, err := h.client.Enroll(ctx, unloq.EnrollRequest{Email: user.Email, Name: h.cfg.appName})
	if err != nil {
		if h.enrollRefused(w, r, user, vendorError(op+": enroll", err, false)) {
			return
		}
		h.settingsFail(w, r, FlowEnroll, user.ID, "Two-step verification was not turned on", vendorError(op+": enroll", err, false))
		return
	}
	switch {
	case res != nil && res.QRURL != "":
		if !validQRURL(res.QRURL) {
			h.settingsFail(w, r, FlowEnroll, user.ID, "Two-step verification was not turned on",
				wrap(op+": enroll", CodeUnavailable, errors.New("unusable qr_url")))
			return
		}
		sess.SetFlow(flowEnroll, "1")
		sess.SetFlow(flowEnrollQR, res.QRURL)
		exp := ""
		if !res.ExpireAt.IsZero() {
			exp = res.ExpireAt.UTC().Format(time.RFC3339)
		}
		sess.SetFlow(flowEnrollExp, exp)
		if err := sess.Save(w, r); err != nil {
			h.settingsFail(w, r, FlowEnroll, user.ID, "Two-step verification was not turned on", wrap(op, CodeSession, err))
			return
		}
		h.emit(ctx, EventChallenged, FlowEnroll, user.ID, ip, nil)
		h.renderEnroll(w, r, sess, user, nil)
	case res != nil && res.Exists:
		// UNLOQ knows the user and the phone approved the enrollment
		// push: the page says so and asks for one confirmed approval.
		h.enablePaired(w, r, sess, user)
	default:
		h.settingsFail(w, r, FlowEnroll, user.ID, "Two-step verification was not turned on",
			wrap(op+": enroll", CodeUnavailable, errors.New("neither a QR code nor an existing profile")))
	}
}

func (h *Handlers) enableConfirm(w http.ResponseWriter, r *http.Request, sess *session.Session, user store.User, otp string) {
	const op = "enable"
	ctx := r.Context()
	if sess.Flow(flowEnroll) == "" {
		h.settingsFail(w, r, FlowEnroll, user.ID, "Two-step verification", wrap(op, CodeNoEnrollment, nil))
		return
	}
	fail := func(err error) {
		h.emit(ctx, kindFor(err), FlowEnroll, user.ID, h.clientIP(r), err)
		h.renderApprove(w, r, "enable", user.Email, h.cfg.paths.Enable, "confirm", err)
	}
	ctx, release, err := h.begin(ctx, op, keyInFlightUser(user.ID))
	if err != nil {
		fail(err)
		return
	}
	defer release()
	r = r.WithContext(ctx)
	// Not paired yet: back to the QR page, without using the push budget.
	enrolled, err := h.client.Enrolled(ctx, user.Email)
	switch {
	case err != nil:
		err = vendorError(op+": enrolled", err, false)
	case !enrolled:
		err = wrap(op, CodeNotPaired, nil)
	}
	if err != nil {
		h.emit(ctx, kindFor(err), FlowEnroll, user.ID, h.clientIP(r), err)
		h.renderEnroll(w, r, sess, user, err)
		return
	}
	if err := h.allow(ctx, op, keyPush(user.ID)); err != nil {
		fail(err)
		return
	}
	h.enableFinish(w, r, sess, user, otp, false)
}

// enableFinish runs the confirmed approval and then updates the store. The
// caller holds the user's in-flight marker. saveOnFail saves the session
// (its new enrollment flow) when the approval fails, so a retry can confirm.
func (h *Handlers) enableFinish(w http.ResponseWriter, r *http.Request, sess *session.Session, user store.User, otp string, saveOnFail bool) {
	const op = "enable"
	ctx := r.Context()
	ip := h.clientIP(r)
	fail := func(err error) {
		if saveOnFail {
			if serr := sess.Save(w, r); serr != nil {
				err = errors.Join(err, wrap(op, CodeSession, serr))
			}
		}
		h.emit(ctx, kindFor(err), FlowEnroll, user.ID, ip, err)
		h.renderApprove(w, r, "enable", user.Email, h.cfg.paths.Enable, "confirm", err)
	}
	err := h.approve(ctx, approval{op: op, flow: FlowEnroll, userID: user.ID, email: user.Email, ip: ip, otp: otp})
	if err != nil {
		fail(err)
		return
	}
	h.emit(ctx, EventApproved, FlowEnroll, user.ID, ip, nil)
	if err := h.endOtherSessions(w, r, sess, op); err != nil { // old password-only sessions end
		fail(err)
		return
	}
	if err := h.users.SetSecondFactor(ctx, user.ID, store.SecondFactorUNLOQ); err != nil {
		fail(wrap(op, CodeStore, err))
		return
	}
	clearEnrollFlow(sess)
	sess.SetFlow(flowNotice, NoticeEnabled) // for Notice on the settings page
	if err := sess.Save(w, r); err != nil && h.cfg.logger != nil {
		// The store already changed; a stale enrollment flow is harmless.
		h.cfg.logger.Warn("unloq2fa enroll: session not saved", "user_id", user.ID, "error", err.Error())
	}
	h.emit(ctx, EventEnrolled, FlowEnroll, user.ID, ip, nil)
	if h.cfg.recovery != nil { // show a new set of recovery codes once
		h.enabledWithCodes(w, r, user)
		return
	}
	h.redirect(w, r, h.cfg.paths.Settings, map[string]any{"enabled": true})
}

func clearEnrollFlow(sess *session.Session) {
	sess.DeleteFlow(flowEnroll)
	sess.DeleteFlow(flowEnrollQR)
	sess.DeleteFlow(flowEnrollExp)
}

// renderEnroll renders the QR page of the enrollment in progress.
func (h *Handlers) renderEnroll(w http.ResponseWriter, r *http.Request, sess *session.Session, user store.User, err error) {
	qr := sess.Flow(flowEnrollQR)
	var exp time.Time
	if v := sess.Flow(flowEnrollExp); v != "" {
		exp, _ = time.Parse(time.RFC3339, v)
	}
	status := http.StatusOK
	if wantsJSON(r) {
		if err != nil {
			f := describe(err)
			writeJSON(w, f.status, jsonError{Error: jsonErrorBody{f.code, f.message}})
			return
		}
		body := map[string]any{
			"status":     "scan",
			"qr_url":     qr,
			"status_url": h.cfg.paths.EnableStatus,
			"confirm":    map[string]string{"method": http.MethodPost, "url": h.cfg.paths.Enable, "step": "confirm"},
		}
		if !exp.IsZero() {
			body["expire_at"] = exp
		}
		writeJSON(w, status, body)
		return
	}
	p := EnrollPage{
		Page:        h.page(r, "Turn on two-step verification"),
		Email:       user.Email,
		QRURL:       qr,
		ExpireAt:    exp,
		StatusURL:   h.cfg.paths.EnableStatus,
		Action:      h.cfg.paths.Enable,
		Step:        "confirm",
		SettingsURL: h.cfg.paths.Settings,
	}
	if err != nil {
		f := describe(err)
		status = f.status
		p.Error, p.ErrorCode = f.message, f.code
	}
	if qr == "" {
		// Nothing to show (the exists path has no QR code): offer the
		// approval form instead.
		h.renderApprove(w, r, "enable", user.Email, h.cfg.paths.Enable, "confirm", err)
		return
	}
	h.html(w, status, TemplateEnroll, p)
}

// validQRURL accepts an http(s) URL with a host, or a same-origin path.
func validQRURL(raw string) bool {
	if len(raw) > 2048 || strings.ContainsAny(raw, " \t\r\n\\\"'<>") {
		return false
	}
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	if u.Scheme == "" && u.Host == "" {
		_, ok := SafeNext(raw)
		return ok
	}
	return (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" && u.User == nil
}

func (h *Handlers) serveEnableStatus(w http.ResponseWriter, r *http.Request) {
	const op = "enable status"
	setSecurityHeaders(w)
	jsonFail := func(err error) {
		f := describe(err)
		retryAfter(w, f)
		writeJSON(w, f.status, jsonError{Error: jsonErrorBody{f.code, f.message}})
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		jsonFail(CodeMethod)
		return
	}
	ctx := r.Context()
	sess, user, err := h.settingsUser(ctx, r, op)
	if err != nil {
		jsonFail(err)
		return
	}
	if sess.Flow(flowEnroll) == "" {
		jsonFail(wrap(op, CodeNoEnrollment, nil))
		return
	}
	enrolled, err := h.enrolledStatus(ctx, op, user)
	if err != nil {
		jsonFail(err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"enrolled": enrolled})
}

// statusInterval is the least time between two UNLOQ /v1/enrolled calls
// of the status route for one user; the enrollment page polls every 2 s.
const statusInterval = 2 * time.Second

// enrolledStatus asks UNLOQ whether user's phone has scanned, at most once
// per statusInterval per user (the Guard counts the calls, so the limit
// holds across instances with a shared Guard). In between it answers from
// the last result: true while a positive answer is less than
// statusInterval old, else false (the page polls again; the confirm step
// asks UNLOQ itself).
func (h *Handlers) enrolledStatus(ctx context.Context, op string, user store.User) (bool, error) {
	allowed, err := h.guard.Allow(ctx, keyStatus(user.ID), 1, statusInterval)
	if err != nil {
		return false, wrap(op, CodeGuard, err)
	}
	if !allowed {
		yes, err := h.guard.Used(ctx, keyStatusYes(user.ID))
		if err != nil {
			return false, wrap(op, CodeGuard, err)
		}
		return yes, nil
	}
	enrolled, err := h.client.Enrolled(ctx, user.Email)
	if err != nil {
		return false, vendorError(op+": enrolled", err, false)
	}
	if enrolled {
		if _, err := h.guard.MarkUsed(ctx, keyStatusYes(user.ID), statusInterval); err != nil {
			return false, wrap(op, CodeGuard, err)
		}
	}
	return enrolled, nil
}
