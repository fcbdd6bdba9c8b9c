package handlers

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/unloq2fa/unloq2fa/session"
)

// TwoStep serves the second login step (GET|POST Paths.TwoStep).
//
// GET renders TemplateTwoStep: the UNLOQ widget (ModeWidget, ModeBoth)
// and/or a push form (ModePush, ModeBoth). POST (push modes only) sends a
// push to the user's phone (POST /v1/authenticate, method UNLOQ, with the
// client IP), waits for the answer, exchanges the token (POST /v1/token with
// sid = first 32 hex digits of SHA-256(LoginID)), checks that the token is
// for the user who passed the password step, and then completes the login
// and redirects (303) to the remembered next.
//
// Only a pending, unexpired session may use it: an anonymous session is
// sent to Paths.Login, an expired one is cleared and sent there too, and a
// verified one goes to Paths.AfterLogin.
//
// After a denial UNLOQ requires the one-time code: the page then asks for
// it (form field "otp", digits only) and the next POST sends it with the
// push. Double submits: while a push for this login is waiting on the
// phone, a second POST does not push again; it gets 409 and the page says
// an approval is already waiting (CodeInFlight). A login that already
// completed or was logged out (an old copy of its cookie) pushes no more
// (CodeReplayed). If the browser goes away, the UNLOQ call is cancelled with
// the request.
func (h *Handlers) TwoStep() http.Handler { return http.HandlerFunc(h.serveTwoStep) }

func (h *Handlers) serveTwoStep(w http.ResponseWriter, r *http.Request) {
	setSecurityHeaders(w)
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		h.twoStepPage(w, r)
	case http.MethodPost:
		if h.cfg.disabled {
			h.twoStepDisabled(w, r)
			return
		}
		if h.cfg.recovery != nil { // a recovery code, or the push (recovery_twostep.go)
			h.twoStepPost(w, r)
			return
		}
		if !h.pushEnabled() {
			h.methodNotAllowed(w, r, "GET, HEAD")
			return
		}
		h.twoStepPush(w, r)
	default:
		if h.pushEnabled() || h.cfg.recovery != nil {
			h.methodNotAllowed(w, r, "GET, HEAD, POST")
		} else {
			h.methodNotAllowed(w, r, "GET, HEAD")
		}
	}
}

func (h *Handlers) twoStepPage(w http.ResponseWriter, r *http.Request) {
	sess, ok := h.pendingSession(w, r, "two-step")
	if !ok {
		return
	}
	if wantsJSON(r) && !h.cfg.disabled {
		body := map[string]any{
			"state": "pending",
			"email": sess.Email(),
			"push":  h.pushEnabled(),
		}
		if h.widgetEnabled() {
			body["widget"] = map[string]string{"script_url": h.cfg.widgetScriptURL, "key": h.cfg.widgetKey}
		}
		writeJSON(w, http.StatusOK, body)
		return
	}
	h.renderTwoStep(w, r, sess, nil)
}

// leaveTwoStep sends a request that may not use the two-step route away:
// verified → AfterLogin, expired → cleared and Login, anonymous → Login.
func (h *Handlers) leaveTwoStep(w http.ResponseWriter, r *http.Request, sess *session.Session, err error) {
	ip := h.clientIP(r)
	if sess.State() == session.StateVerified {
		h.redirect(w, r, h.cfg.paths.AfterLogin, map[string]any{"state": "verified"})
		return
	}
	err = withOp("two-step", err)
	if errors.Is(err, CodePendingExpired) {
		uid := sess.UserID()
		sess.Clear()
		if serr := sess.Save(w, r); serr != nil {
			err = errors.Join(err, wrap("two-step", CodeSession, serr))
		}
		h.emit(r.Context(), EventFailed, FlowLogin, uid, ip, err)
	}
	h.denyRedirect(w, r, h.cfg.paths.Login, err)
}

// pendingSession loads the session of a request to the two-step route
// and returns it when its login waits for the second step. Otherwise it
// answers (unavailable page, or leaveTwoStep) and ok is false.
func (h *Handlers) pendingSession(w http.ResponseWriter, r *http.Request, op string) (sess *session.Session, ok bool) {
	sess, err := h.load(r, op)
	if err != nil {
		h.unavailable(w, r, FlowLogin, err)
		return nil, false
	}
	if err := h.pendingErr(sess); err != nil {
		h.leaveTwoStep(w, r, sess, err)
		return nil, false
	}
	return sess, true
}

// twoStepOrigin applies the cross-origin rule to a POST to the two-step
// route and bounds its body. It answers and returns false when the
// request must stop.
func (h *Handlers) twoStepOrigin(w http.ResponseWriter, r *http.Request, op string) bool {
	if err := h.cop.Check(r); err != nil {
		err = wrap(op, CodeCrossOrigin, nil)
		h.emit(r.Context(), EventFailed, FlowLogin, "", h.clientIP(r), err)
		h.message(w, r, err, "Request blocked", h.cfg.paths.TwoStep, "Back to the sign-in")
		return false
	}
	limitBody(w, r)
	return true
}

// twoStepDisabled answers a POST of a pending user while the Handlers are
// Disabled: the page says two-step verification is unavailable.
func (h *Handlers) twoStepDisabled(w http.ResponseWriter, r *http.Request) {
	sess, ok := h.pendingSession(w, r, "two-step")
	if !ok {
		return
	}
	err := wrap("two-step", CodeDisabled, nil)
	h.emit(r.Context(), EventFailed, FlowLogin, sess.UserID(), h.clientIP(r), err)
	h.renderTwoStep(w, r, sess, err)
}

// renderTwoStep renders the two-step page, with err (if any) explained.
// While the Handlers are Disabled it offers no way to approve and says
// that two-step verification is unavailable (fail closed).
func (h *Handlers) renderTwoStep(w http.ResponseWriter, r *http.Request, sess *session.Session, err error) {
	if h.cfg.disabled && err == nil {
		err = wrap("two-step", CodeDisabled, nil)
	}
	status := http.StatusOK
	p := TwoStepPage{
		Page:            h.page(r, "Confirm it's you"),
		Email:           sess.Email(),
		Widget:          h.widgetEnabled() && !h.cfg.disabled,
		WidgetScriptURL: h.cfg.widgetScriptURL,
		WidgetKey:       h.cfg.widgetKey,
		Push:            h.pushEnabled() && !h.cfg.disabled,
		Action:          h.cfg.paths.TwoStep,
		Recovery:        h.cfg.recovery != nil,
	}
	if err != nil {
		f := describe(err)
		if wantsJSON(r) {
			writeJSON(w, f.status, jsonError{Error: jsonErrorBody{f.code, f.message}, OTP: f.askOTP})
			return
		}
		status = f.status
		p.OTPRequired = f.askOTP
		if errors.Is(err, CodeInFlight) {
			p.Notice = f.message
		} else {
			p.Error, p.ErrorCode = f.message, f.code
		}
	}
	h.html(w, status, TemplateTwoStep, p)
}

func (h *Handlers) twoStepPush(w http.ResponseWriter, r *http.Request) {
	const op = "two-step"
	if !h.twoStepOrigin(w, r, op) {
		return
	}
	ctx := r.Context()
	ip := h.clientIP(r)
	sess, ok := h.pendingSession(w, r, "two-step")
	if !ok {
		return
	}
	uid := sess.UserID()
	fail := func(err error) {
		h.emit(ctx, kindFor(err), FlowLogin, uid, ip, err)
		h.renderTwoStep(w, r, sess, err)
	}
	otp, err := formOTP(r, op)
	if err != nil {
		fail(err)
		return
	}
	if err := h.checkNotDone(ctx, op, sess); err != nil {
		fail(err)
		return
	}
	if err := h.checkAccount(ctx, op, sess); err != nil {
		fail(err)
		return
	}
	ctx, release, err := h.reserve(ctx, op, keyInFlightLogin(uid, sess.LoginID()), keyPush(uid))
	if err != nil {
		fail(err)
		return
	}
	defer release()
	r = r.WithContext(ctx)
	err = h.approve(ctx, approval{
		op:     op,
		flow:   FlowLogin,
		userID: uid,
		email:  sess.Email(),
		ip:     ip,
		otp:    otp,
		sid:    h.remoteSID(sess),
	})
	if err != nil {
		fail(err)
		return
	}
	h.complete(w, r, sess, op)
}

// complete finishes a login whose approval was checked (see finishLogin),
// or renders why it could not.
func (h *Handlers) complete(w http.ResponseWriter, r *http.Request, sess *session.Session, op string) {
	if err := h.finishLogin(w, r, sess, op, FactorUNLOQ); err != nil {
		h.signInFailed(w, r, sess, err)
	}
}

// signInFailed reports err of a login step that may not be retried on the
// two-step page's form (a callback, or the completion): a message page
// linking back to the two-step page while the login is still pending, else
// to the login page.
func (h *Handlers) signInFailed(w http.ResponseWriter, r *http.Request, sess *session.Session, err error) {
	h.emit(r.Context(), kindFor(err), FlowLogin, sess.UserID(), h.clientIP(r), err)
	link, text := h.cfg.paths.Login, "Log in again"
	if h.pendingErr(sess) == nil {
		link, text = h.cfg.paths.TwoStep, "Back to the sign-in"
	}
	h.message(w, r, err, "Sign-in not completed", link, text)
}

// checkAccount refuses a pending login whose account changed since the
// password step: the store must still hold the user, with the e-mail the
// session (and so the push and the token check) uses.
func (h *Handlers) checkAccount(ctx context.Context, op string, sess *session.Session) error {
	user, err := h.user(ctx, op, sess.UserID())
	if err != nil {
		return err
	}
	return h.sameAccount(op, user, sess.Email()) // by UNLOQ address (address.go)
}

// checkNotDone refuses, with CodeReplayed, a pending login that already
// completed or was logged out: an old copy of its cookie must not send
// pushes or redeem tokens. complete's MarkUsed stays the atomic check.
func (h *Handlers) checkNotDone(ctx context.Context, op string, sess *session.Session) error {
	done, err := h.guard.Used(ctx, keyLoginDone(sess.UserID(), sess.LoginID()))
	if err != nil {
		return wrap(op, CodeGuard, err)
	}
	if done {
		return wrap(op, CodeReplayed, nil)
	}
	return nil
}

// loginDoneTTL outlives the pending window, so a consumed login stays
// consumed for as long as its cookie could be pending.
func (h *Handlers) loginDoneTTL() time.Duration { return h.sm.PendingTTL() + time.Minute }
