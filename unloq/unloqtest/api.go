package unloqtest

import (
	"crypto/subtle"
	"fmt"
	"net/http"
	"net/mail"
	"sort"
	"strings"
	"time"

	"github.com/unloq2fa/unloq2fa/unloq"
)

// Result types of the Gen 2 envelope ({"type": …, "result": …}).
const (
	typeEnroll        = "api.application.enroll.user"
	typeEnrolled      = "api.application.enroll.check"
	typeDeactivate    = "api.application.enroll.deactivate"
	typeAuthenticate  = "api.application.approval.authenticate"
	typeAuthorize     = "api.application.approval.authorize"
	typeEncryption    = "api.application.approval.encryption"
	typeToken         = "api.application.approval.token"
	typeSession       = "api.application.approval.session"
	typeDevice        = "api.application.approval.device"
	typeGenerateToken = "api.application.approval.generate" // [sim] not documented
)

// emailLinkTTL is the lifetime of the token in an EMAIL-method login link
// (a mail needs longer than the 60 s of pushed tokens).
const emailLinkTTL = 10 * time.Minute

type apiHandler func(rp *responder, r *http.Request, f fields)

// api wraps an endpoint: API-key check, body parsing, JSON envelope.
func (s *Simulator) api(h apiHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		rp := newResponder(w)
		if !s.authorized(r) {
			rp.fail(errUnauthorized)
			return
		}
		f, e := parseFields(r)
		if e != nil {
			rp.fail(e)
			return
		}
		h(rp, r, f)
	}
}

func constEq(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// authorized checks "Authorization: Bearer <API key>", or the Gen 1
// "X-Api-Secret: <API key>" header of legacy clients.
func (s *Simulator) authorized(r *http.Request) bool {
	if h := r.Header.Get("Authorization"); len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return constEq(strings.TrimSpace(h[7:]), s.cfg.apiKey)
	}
	if sec := r.Header.Get("X-Api-Secret"); sec != "" {
		return constEq(sec, s.cfg.apiKey)
	}
	return false
}

func validEmail(e string) bool {
	if len(e) > 254 || !strings.Contains(e, "@") {
		return false
	}
	a, err := mail.ParseAddress(e)
	return err == nil && a.Address == e
}

func requireEmail(f fields) (string, *apiError) {
	e := f.text("email")
	if e == "" {
		return "", badRequest("The field \"email\" is required.")
	}
	if !validEmail(e) {
		return "", badRequest("The field \"email\" must be a valid e-mail address.")
	}
	return e, nil
}

// lookupLocked finds the request's profile by email or unloq_id. s.mu held.
func (s *Simulator) lookupLocked(f fields) (*profile, *apiError) {
	if e := f.text("email"); e != "" {
		if !validEmail(e) {
			return nil, badRequest("The field \"email\" must be a valid e-mail address.")
		}
		if p := s.profileLocked(e); p != nil {
			return p, nil
		}
		return nil, errNoProfile
	}
	id, ok, e := f.integer("unloq_id")
	if e != nil {
		return nil, e
	}
	if !ok {
		return nil, badRequest("The field \"email\" or \"unloq_id\" is required.")
	}
	if p := s.byID[id]; p != nil {
		return p, nil
	}
	return nil, errNoProfile
}

// outcomeError maps a non-approved approval outcome to its API error.
func (s *Simulator) outcomeError(status, reason string) *apiError {
	switch status {
	case StatusDenied:
		return errDenied
	case StatusExpired:
		return newErr(s.cfg.timeoutStatus, "APPROVAL.TIMEOUT", "The user did not answer the request in time.")
	case StatusCancelled:
		switch reason {
		case reasonShutdown:
			return errShutdown
		case reasonDeactivated:
			return newErr(http.StatusConflict, "APPROVAL.CANCELLED", "The request was cancelled because the profile was deactivated.")
		}
		return newErr(http.StatusConflict, "APPROVAL.CANCELLED", "The request was cancelled.")
	}
	return newErr(http.StatusInternalServerError, "SERVER.ERROR", "Unexpected approval state "+status+".")
}

// pushLocked checks that p can receive a push and records the approval.
// s.mu held.
func (s *Simulator) pushLocked(a *approval) *apiError {
	if !a.p.enrolled() {
		return errNoDevice
	}
	if s.behaviorLocked(a.p.email) == BehaviorUnregistered {
		return errUnregistered
	}
	s.newApprovalLocked(a, true)
	return nil
}

// --- enrollment -----------------------------------------------------------

func (s *Simulator) handleEnroll(rp *responder, r *http.Request, f fields) {
	email, e := requireEmail(f)
	if e != nil {
		rp.fail(e)
		return
	}
	name := f.text("name")
	s.mu.Lock()
	p := s.profileLocked(email)
	if p != nil && p.enrolled() {
		// A known user: UNLOQ asks the phone instead of pairing again.
		a := &approval{typ: TypeEnrollment, method: string(unloq.MethodUNLOQ), p: p, ip: f.text("ip"),
			title: "Add application", message: "Allow this application to use UNLOQ as " + p.email + "?"}
		if e := s.pushLocked(a); e != nil {
			s.mu.Unlock()
			rp.fail(e)
			return
		}
		s.mu.Unlock()
		st, reason := s.await(r.Context(), rp, a)
		if st != StatusApproved {
			rp.fail(s.outcomeError(st, reason))
			return
		}
		rp.result(typeEnroll, map[string]any{"exists": true})
		return
	}
	exists := p != nil
	if p == nil {
		p = s.createProfileLocked(email, "", "", true)
	}
	if name != "" {
		p.displayName = name
	}
	pr := s.startPairingLocked(p)
	id, exp := pr.id, pr.expireAt
	s.mu.Unlock()
	rp.result(typeEnroll, map[string]any{
		"exists":    exists,
		"qr_url":    s.publicBase(r) + "/qr/" + id + ".png",
		"expire_at": exp.UTC().Format("2006-01-02T15:04:05.000Z07:00"),
	})
}

func (s *Simulator) handleEnrolled(rp *responder, _ *http.Request, f fields) {
	email, e := requireEmail(f)
	if e != nil {
		rp.fail(e)
		return
	}
	s.mu.Lock()
	p := s.profileLocked(email)
	enrolled := p != nil && p.enrolled()
	s.mu.Unlock()
	rp.result(typeEnrolled, map[string]any{"enrolled": enrolled, "has_device": enrolled})
}

func (s *Simulator) handleDeactivate(rp *responder, _ *http.Request, f fields) {
	email, e := requireEmail(f)
	if e != nil {
		rp.fail(e)
		return
	}
	s.mu.Lock()
	p := s.profileLocked(email)
	if p == nil || p.state == stateNone {
		s.mu.Unlock()
		rp.fail(newErr(http.StatusNotFound, "PROFILE.NOT_FOUND", "The profile is not enrolled with this application."))
		return
	}
	wasEnrolled := p.state == stateEnrolled
	if p.pairing != nil {
		delete(s.pairings, p.pairing.id)
		p.pairing = nil
	}
	p.state = stateDeactivated
	p.device = nil
	p.otpRequired = false
	p.authenticated = false
	// p.encKey stays: the account's key survives deactivation.
	s.cancelProfileLocked(p, reasonDeactivated)
	params := hookParams(p, f.text("ip"))
	s.mu.Unlock()
	if wasEnrolled {
		s.fireAsync(EventDeactivate, params)
	}
	rp.result(typeDeactivate, map[string]any{"deactivated": true})
}

// --- authentication -------------------------------------------------------

func (s *Simulator) handleAuthenticate(rp *responder, r *http.Request, f fields) {
	method := unloq.Method(strings.ToUpper(f.text("method")))
	if method == "" {
		method = unloq.MethodUNLOQ
	}
	switch method {
	case unloq.MethodUNLOQ, unloq.MethodOTP, unloq.MethodEmail:
	default:
		rp.fail(badRequest("The field \"method\" must be UNLOQ, OTP or EMAIL."))
		return
	}
	if !s.cfg.methods[method] {
		rp.fail(newErr(http.StatusBadRequest, "APPROVAL.METHOD", "The authentication method "+string(method)+" is not enabled for this application."))
		return
	}
	genToken, e := f.boolean("generate_token", true)
	if e != nil {
		rp.fail(e)
		return
	}
	if _, e := f.boolean("ask_trusted", false); e != nil {
		rp.fail(e)
		return
	}
	pub, e := f.publicKey()
	if e != nil {
		rp.fail(e)
		return
	}
	otp := f.text("token")
	a := &approval{typ: TypeAuthentication, method: string(method), ip: f.text("ip"),
		sourceClient: f.object("source_client"), publicKey: pub, tokenType: "AUTHENTICATE"}

	s.mu.Lock()
	p, e := s.lookupLocked(f)
	if e != nil {
		s.mu.Unlock()
		rp.fail(e)
		return
	}
	a.p = p
	a.title = "Log in?"
	a.message = "Login request"
	if a.ip != "" {
		a.message += " from " + a.ip
	}
	now := s.now()
	switch method {
	case unloq.MethodEmail:
		link := s.absoluteLoginURL(r)
		if u := f.text("email_login_url"); strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "http://") {
			link = u
		}
		a.title, a.message = "E-mail login", "Login link sent by e-mail"
		s.newApprovalLocked(a, false)
		s.approvedLocked(a)
		link = withToken(link, s.mintLocked(a, emailLinkTTL))
		s.mails = append(s.mails, Mail{
			To:      p.email,
			Subject: "Your login link",
			Body: "Hello,\n\nSomeone asked to log in as " + p.email + ".\nOpen this link within " +
				emailLinkTTL.String() + " to log in:\n\n" + link + "\n\nIf this was not you, ignore this e-mail.\n",
			Link:   link,
			SentAt: now,
		})
		if len(s.mails) > maxMails {
			s.mails = append([]Mail(nil), s.mails[len(s.mails)-maxMails:]...)
		}
		id := p.unloqID()
		s.mu.Unlock()
		rp.result(typeAuthenticate, map[string]any{"unloq_id": id})
		return

	case unloq.MethodOTP:
		if p.device == nil || p.state != stateEnrolled {
			s.mu.Unlock()
			rp.fail(errNoDevice)
			return
		}
		if !totpValid(p.device.secret, otp, now) {
			s.mu.Unlock()
			rp.fail(errTokenRequired)
			return
		}
		a.otpUsed = true
		a.title = "OTP login"
		s.newApprovalLocked(a, false)
		s.approvedLocked(a)
		res, err := s.approvalResultLocked(a, genToken)
		s.mu.Unlock()
		s.writeApprovalResult(rp, typeAuthenticate, res, err)
		return
	}

	// UNLOQ push.
	if !p.enrolled() {
		s.mu.Unlock()
		rp.fail(errNoDevice)
		return
	}
	otpOK := otp != "" && totpValid(p.device.secret, otp, now)
	if (otp != "" && !otpOK) || (p.otpRequired && !otpOK) {
		s.mu.Unlock()
		rp.fail(errTokenRequired)
		return
	}
	a.otpUsed = otpOK
	if e := s.pushLocked(a); e != nil {
		s.mu.Unlock()
		rp.fail(e)
		return
	}
	s.mu.Unlock()

	st, reason := s.await(r.Context(), rp, a)
	switch st {
	case StatusApproved:
		s.mu.Lock()
		s.approvedLocked(a)
		res, err := s.approvalResultLocked(a, genToken)
		s.mu.Unlock()
		s.writeApprovalResult(rp, typeAuthenticate, res, err)
	case StatusDenied:
		s.mu.Lock()
		p.otpRequired = true
		s.mu.Unlock()
		rp.fail(errDenied)
	default:
		rp.fail(s.outcomeError(st, reason))
	}
}

// approvalResultLocked is {unloq_id, token} or, with generate_token=false,
// the user data with approval_id and no token. s.mu held.
func (s *Simulator) approvalResultLocked(a *approval, genToken bool) (map[string]any, error) {
	if genToken {
		return map[string]any{"unloq_id": a.p.unloqID(), "token": s.mintLocked(a, tokenTTL)}, nil
	}
	return s.userDataLocked(a)
}

func (s *Simulator) writeApprovalResult(rp *responder, typ string, res map[string]any, err error) {
	if err != nil {
		rp.fail(newErr(http.StatusInternalServerError, "SERVER.ERROR", "Could not build the result: "+err.Error()))
		return
	}
	rp.result(typ, res)
}

// --- tokens ---------------------------------------------------------------

func readSID(f fields) (string, bool, *apiError) {
	sid, ok := f.str("sid")
	sid = strings.TrimSpace(sid)
	if !ok || sid == "" {
		return "", false, nil
	}
	if len(sid) > maxSIDLen {
		return "", false, badRequest(fmt.Sprintf("The field \"sid\" must be at most %d characters.", maxSIDLen))
	}
	return sid, true, nil
}

var errSessionAttached = newErr(http.StatusConflict, "SESSION.ATTACHED", "A session id is already attached to this token.") // [sim]

// attachLocked attaches sid to a's session, once, within the window.
// s.mu held.
func (s *Simulator) attachLocked(a *approval, sid string, duration int64) *apiError {
	if a.status != StatusApproved {
		return newErr(http.StatusBadRequest, "APPROVAL.NOT_APPROVED", "The approval was not approved.")
	}
	if a.sid != "" {
		return errSessionAttached
	}
	if s.now().Sub(a.decidedAt) > sessionWindow {
		return newErr(http.StatusBadRequest, "SESSION.EXPIRED", "The session id must be attached within 60 seconds.")
	}
	a.sid, a.sidDuration = sid, duration
	return nil
}

func (s *Simulator) handleToken(rp *responder, _ *http.Request, f fields) {
	tok := f.text("token")
	if tok == "" {
		rp.fail(badRequest("The field \"token\" is required."))
		return
	}
	sid, hasSID, e := readSID(f)
	if e != nil {
		rp.fail(e)
		return
	}
	duration, _, e := f.integer("duration")
	if e != nil {
		rp.fail(e)
		return
	}
	if _, e := f.boolean("temporary_keys", false); e != nil {
		rp.fail(e)
		return
	}
	res, e := s.exchangeToken(tok, sid, hasSID, duration)
	if e != nil {
		rp.fail(e)
		return
	}
	rp.result(typeToken, res)
}

// exchangeToken consumes a one-time token and returns the user data.
func (s *Simulator) exchangeToken(tok, sid string, hasSID bool, duration int64) (map[string]any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tokens[tok]
	if t == nil || t.used {
		return nil, errTokenInvalid
	}
	if s.now().Sub(t.issued) > t.ttl {
		return nil, errTokenExpired
	}
	if hasSID {
		if e := s.attachLocked(t.a, sid, duration); e != nil {
			return nil, e
		}
	}
	t.used = true
	res, err := s.userDataLocked(t.a)
	if err != nil {
		return nil, newErr(http.StatusInternalServerError, "SERVER.ERROR", "Could not build the result: "+err.Error())
	}
	return res, nil
}

func (s *Simulator) handleSession(rp *responder, _ *http.Request, f fields) {
	sid, ok, e := readSID(f)
	if e == nil && !ok {
		e = badRequest("The field \"sid\" is required.")
	}
	if e != nil {
		rp.fail(e)
		return
	}
	duration, _, e := f.integer("duration")
	if e != nil {
		rp.fail(e)
		return
	}
	if e := s.attachSession(f.text("token"), f.text("approval_id"), sid, duration); e != nil {
		rp.fail(e)
		return
	}
	rp.result(typeSession, map[string]any{})
}

// attachSession attaches sid to the approval of token or approvalID.
func (s *Simulator) attachSession(tok, approvalID, sid string, duration int64) *apiError {
	s.mu.Lock()
	defer s.mu.Unlock()
	var a *approval
	switch {
	case tok != "":
		t := s.tokens[tok]
		if t == nil {
			return errTokenInvalid
		}
		a = t.a
	case approvalID != "":
		a = s.approvals[approvalID]
		if a == nil {
			return newErr(http.StatusNotFound, "APPROVAL.NOT_FOUND", "No approval with that id.")
		}
	default:
		return badRequest("The field \"token\" or \"approval_id\" is required.")
	}
	return s.attachLocked(a, sid, duration)
}

// handleDeviceToken is the /token/device stub: it checks that a
// token is given and answers with the documented empty result.
func (s *Simulator) handleDeviceToken(rp *responder, _ *http.Request, f fields) {
	if f.text("token") == "" {
		rp.fail(badRequest("The field \"token\" is required."))
		return
	}
	rp.result(typeDevice, map[string]any{})
}

func (s *Simulator) handleGenerateToken(rp *responder, _ *http.Request, f fields) {
	dt := f.text("device_token")
	if dt == "" {
		rp.fail(badRequest("The field \"device_token\" is required."))
		return
	}
	dur, ok, e := f.integer("duration")
	if e != nil {
		rp.fail(e)
		return
	}
	if !ok {
		dur = 60
	}
	if dur <= 0 || dur > 86400 {
		rp.fail(badRequest("The field \"duration\" must be between 1 and 86400 seconds."))
		return
	}
	res, e := s.generateToken(f, dt, time.Duration(dur)*time.Second)
	if e != nil {
		rp.fail(e)
		return
	}
	rp.result(typeGenerateToken, res)
}

// generateToken mints a temporary token for a valid device OTP.
func (s *Simulator) generateToken(f fields, otp string, ttl time.Duration) (map[string]any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, e := s.lookupLocked(f)
	if e != nil {
		return nil, e
	}
	if !p.enrolled() {
		return nil, errNoDevice
	}
	if !totpValid(p.device.secret, otp, s.now()) {
		return nil, errTokenRequired
	}
	a := &approval{typ: TypeAuthentication, method: string(unloq.MethodOTP), p: p, otpUsed: true,
		title: "Temporary token", message: "Generated with the device token", tokenType: "AUTHENTICATE"}
	s.newApprovalLocked(a, false)
	s.approvedLocked(a)
	return map[string]any{"unloq_id": p.unloqID(), "token": s.mintLocked(a, ttl)}, nil
}

// --- authorisation and encryption ------------------------------------------

// reservedAuthorize are authorize fields that are not template variables.
var reservedAuthorize = map[string]bool{
	"unloq_id": true, "email": true, "reference": true, "ip": true, "generate_token": true,
	"token": true, "method": true,
}

func (s *Simulator) handleAuthorize(rp *responder, r *http.Request, f fields) {
	code := r.PathValue("code")
	s.mu.Lock()
	act, ok := s.actions[code]
	s.mu.Unlock()
	if !ok {
		rp.fail(newErr(http.StatusNotFound, "ACTION.NOT_FOUND", "No action with that code."))
		return
	}
	ref := f.text("reference")
	if ref == "" {
		rp.fail(badRequest("The field \"reference\" is required."))
		return
	}
	if len([]rune(ref)) > maxReferenceLen {
		rp.fail(badRequest(fmt.Sprintf("The field \"reference\" must be at most %d characters.", maxReferenceLen)))
		return
	}
	// UNLOQ documents generate_token as false by default for authorize:
	// only an explicit true returns {unloq_id, token}; otherwise the result
	// is the user data with approval_id and no token.
	genToken, e := f.boolean("generate_token", false)
	if e != nil {
		rp.fail(e)
		return
	}
	vars := map[string]string{}
	keys := make([]string, 0, len(f))
	for k := range f {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !reservedAuthorize[k] {
			if v, ok := f.str(k); ok {
				vars[k] = v
			}
		}
	}
	s.blockingApproval(rp, r, f, &approval{
		typ: TypeAuthorization, method: string(unloq.MethodUNLOQ), ip: f.text("ip"), reference: ref,
		title: render(act.Title, vars), message: render(act.Message, vars), tokenType: "AUTHORIZE", action: code,
	}, typeAuthorize, func(a *approval) (map[string]any, error) {
		return s.approvalResultLocked(a, genToken)
	})
}

func (s *Simulator) handleEncryption(rp *responder, r *http.Request, f fields) {
	genToken, e := f.boolean("generate_token", false)
	if e != nil {
		rp.fail(e)
		return
	}
	if _, _, e := f.integer("requester_id"); e != nil {
		rp.fail(e)
		return
	}
	pub, e := f.publicKey()
	if e != nil {
		rp.fail(e)
		return
	}
	msg := f.text("message")
	if msg == "" {
		msg = "The application asks for your encryption key."
	}
	s.blockingApproval(rp, r, f, &approval{
		typ: TypeEncryptionKey, method: string(unloq.MethodUNLOQ), ip: f.text("ip"),
		title: "Share your encryption key?", message: msg, publicKey: pub, withEncryption: true,
		tokenType: "ENCRYPTION",
	}, typeEncryption, func(a *approval) (map[string]any, error) {
		if genToken {
			return s.approvalResultLocked(a, true)
		}
		k, err := encodeKey(s.encKeyLocked(a.p), a.publicKey)
		if err != nil {
			return nil, err
		}
		return map[string]any{"unloq_id": a.p.unloqID(), "encryption_key": k}, nil
	})
}

// blockingApproval runs a push approval for a user who authenticated to
// the application before (authorize, encryption).
func (s *Simulator) blockingApproval(rp *responder, r *http.Request, f fields, a *approval, typ string, result func(*approval) (map[string]any, error)) {
	s.mu.Lock()
	p, e := s.lookupLocked(f)
	if e == nil && p.enrolled() && !p.authenticated {
		e = newErr(http.StatusForbidden, "APPROVAL.NOT_AUTHENTICATED", "The user has not authenticated to this application yet.")
	}
	if e == nil {
		a.p = p
		e = s.pushLocked(a)
	}
	s.mu.Unlock()
	if e != nil {
		rp.fail(e)
		return
	}
	st, reason := s.await(r.Context(), rp, a)
	if st != StatusApproved {
		rp.fail(s.outcomeError(st, reason))
		return
	}
	s.mu.Lock()
	res, err := result(a)
	s.mu.Unlock()
	s.writeApprovalResult(rp, typ, res, err)
}

func (s *Simulator) handleNotFound(rp *responder, _ *http.Request, _ fields) {
	rp.fail(newErr(http.StatusNotFound, "ROUTE.NOT_FOUND", "No such API endpoint."))
}
