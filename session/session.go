package session

import (
	"crypto/rand"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/sessions"
)

// Keys of the values kept in the gorilla session.
const (
	keyWas2FA  = "was_2fa"
	keyUID     = "uid"
	keyEmail   = "email"
	keyPwAt    = "pw_at"
	keyLoginID = "login_id"
	keyIAT     = "iat" // when the login was issued (last renewal), unix ns
	flowPrefix = "f:"
)

// State is where a session stands in the login.
type State int

const (
	// StateAnonymous: nobody is logged in.
	StateAnonymous State = iota
	// StatePending: the password step passed, the second factor is
	// outstanding and still within its time window.
	StatePending
	// StatePendingExpired: the password step passed but the second factor
	// was not completed in time.
	StatePendingExpired
	// StateVerified: the login is complete (second factor done, or not
	// needed for this user).
	StateVerified
)

func (s State) String() string {
	switch s {
	case StateAnonymous:
		return "anonymous"
	case StatePending:
		return "pending"
	case StatePendingExpired:
		return "pending_expired"
	case StateVerified:
		return "verified"
	default:
		return "State(" + strconv.Itoa(int(s)) + ")"
	}
}

// Session is the typed login state of one request. Read methods accept a
// nil receiver (and then report an anonymous session). A Session is safe
// for concurrent use by the goroutines serving its request.
type Session struct {
	m   *Manager
	ctx sessionCtx // the context node that carries this session

	mu      sync.Mutex
	raw     *sessions.Session
	loadErr error

	// Typed copies of the login values, parsed once at load.
	uid, email, loginID string
	was2FA              bool
	pwAt                int64
	iat                 int64 // unix ns of the last renewal (revocation)

	dirty   bool   // something changed since load or the last save
	cleared bool   // Clear was called: the save deletes the cookie and record
	oldID   string // server-side record to erase on save (renewal)
}

// State reports where the session stands; a pending session turns into
// StatePendingExpired once the Manager's pending TTL has passed since the
// password step.
func (s *Session) State() State {
	if s == nil {
		return StateAnonymous
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stateLocked()
}

func (s *Session) stateLocked() State {
	switch {
	case s.uid == "":
		return StateAnonymous
	case s.was2FA:
		return StateVerified
	case s.m.now().Before(time.Unix(s.pwAt, 0).Add(s.m.pendingTTL)):
		return StatePending
	default:
		return StatePendingExpired
	}
}

// UserID is the id of the user who passed the password step ("" if none).
// It does not mean the login is complete: check State or Was2FA.
func (s *Session) UserID() string {
	if s == nil {
		return ""
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.uid
}

// Email is the e-mail address given to BeginLogin.
func (s *Session) Email() string {
	if s == nil {
		return ""
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.email
}

// Was2FA reports whether the login is complete ("was_2fa").
func (s *Session) Was2FA() bool {
	if s == nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.uid != "" && s.was2FA
}

// PasswordAt is when the password step passed (zero if nobody is logged
// in), with a precision of one second.
func (s *Session) PasswordAt() time.Time {
	if s == nil {
		return time.Time{}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.uid == "" {
		return time.Time{}
	}
	return time.Unix(s.pwAt, 0)
}

// LoginID is the random identifier minted by the last renewal (BeginLogin
// or CompleteSecondFactor). Flows use it to bind their state to this login.
func (s *Session) LoginID() string {
	if s == nil {
		return ""
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.loginID
}

// IssuedAt is when the current login was issued: the last renewal
// ([Session.BeginLogin], [Session.CompleteSecondFactor], or the renewal of
// [Manager.LogOutOthers]). Zero if nobody is logged in. "Log out
// everywhere" ends the logins issued at or before its time.
func (s *Session) IssuedAt() time.Time {
	if s == nil {
		return time.Time{}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.uid == "" {
		return time.Time{}
	}
	return time.Unix(0, s.iat)
}

// BeginLogin records that userID passed the password step. It renews the
// session: every old value (including flow values) is dropped, a new LoginID
// is minted, and a server-side record gets a new ID on save while the old
// one is erased. When needSecondFactor is false the login is complete at
// once (was_2fa=true); otherwise the session is pending.
func (s *Session) BeginLogin(userID, email string, needSecondFactor bool) error {
	if s == nil {
		return errors.New("session: begin login: nil session")
	}
	if userID == "" {
		return errors.New("session: begin login: empty user id")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.renewLocked()
	s.uid, s.email = userID, email
	s.was2FA = !needSecondFactor
	now := s.m.now()
	s.pwAt = now.Unix()
	s.iat = now.UnixNano()
	s.storeFieldsLocked()
	return nil
}

// CompleteSecondFactor marks the pending login as complete (was_2fa=true).
// It renews the session like BeginLogin, keeping only the user, e-mail and
// password time. It fails with an error matching [ErrNotPending] unless the
// session is in [StatePending].
func (s *Session) CompleteSecondFactor() error {
	if s == nil {
		return errors.Join(errors.New("session: complete second factor: nil session"), ErrNotPending)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if st := s.stateLocked(); st != StatePending {
		return &stateError{op: "complete second factor", state: st}
	}
	uid, email, pwAt := s.uid, s.email, s.pwAt
	s.renewLocked()
	s.uid, s.email, s.pwAt = uid, email, pwAt
	s.was2FA = true
	s.iat = s.m.now().UnixNano()
	s.storeFieldsLocked()
	return nil
}

type stateError struct {
	op    string
	state State
}

func (e *stateError) Error() string {
	return "session: " + e.op + ": no pending second factor (state " + e.state.String() + ")"
}

func (e *stateError) Unwrap() error { return ErrNotPending }

// Clear logs out: every value is dropped and the next Save deletes the
// cookie (and the server-side record).
func (s *Session) Clear() {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clearLocked()
}

func (s *Session) clearLocked() {
	s.raw.Values = make(map[any]any)
	s.resetFields()
	s.cleared = true
	s.dirty = true
}

// Flow returns the flow value stored under key ("" if none).
func (s *Session) Flow(key string) string {
	if s == nil {
		return ""
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	v, _ := s.raw.Values[flowPrefix+key].(string)
	return v
}

// SetFlow stores a small flow value under key. Flow values are dropped by
// every renewal and by Clear.
func (s *Session) SetFlow(key, value string) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k := flowPrefix + key
	if old, ok := s.raw.Values[k].(string); ok && old == value {
		return
	}
	if s.raw.Values == nil {
		s.raw.Values = make(map[any]any) // loaded without a cookie
	}
	s.raw.Values[k] = value
	s.dirty = true
}

// DeleteFlow removes the flow value stored under key.
func (s *Session) DeleteFlow(key string) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k := flowPrefix + key
	if _, ok := s.raw.Values[k]; !ok {
		return
	}
	delete(s.raw.Values, k)
	s.dirty = true
}

// Save writes the session to the store and the response, but only if
// something changed since it was loaded or last saved; otherwise it is a
// no-op and sets no cookie. It must be called before the response header is
// written. The Manager's cookie settings (HttpOnly, Secure, SameSite, Path,
// Max-Age, Domain) are applied whatever the store's Options say. A cookie
// of the same name set earlier in this response is replaced.
func (s *Session) Save(w http.ResponseWriter, r *http.Request) error {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.dirty {
		return nil
	}
	m := s.m
	h := w.Header()
	// Erase the record the session had before a renewal, without letting
	// the store's deletion cookie reach the response.
	if s.oldID != "" {
		old := *s.raw
		old.ID = s.oldID
		old.Values = make(map[any]any)
		old.Options = m.options()
		old.Options.MaxAge = -1
		if err := m.store.Save(r, discardWriter{h: make(http.Header)}, &old); err != nil {
			return saveError(err)
		}
		s.oldID = ""
	}
	opts := m.options()
	if s.cleared {
		opts.MaxAge = -1
	}
	s.raw.Options = opts
	removeSetCookie(h, m.setCookiePrefix)
	if err := m.store.Save(r, w, s.raw); err != nil {
		if s.cleared {
			// Logging out fails closed: even when the store cannot erase
			// the record, the browser loses its cookie.
			removeSetCookie(h, m.setCookiePrefix)
			http.SetCookie(w, sessions.NewCookie(m.name, "", opts))
		}
		return saveError(err)
	}
	if s.cleared {
		// The record is gone; a later change starts a new one.
		s.raw.ID = ""
		s.cleared = false
	}
	s.dirty = false
	return nil
}

func saveError(err error) error {
	return &opError{op: "save", kind: ErrStore, cause: err}
}

// removeSetCookie drops Set-Cookie lines that set the cookie named by
// prefix ("name="), so that the response carries one authoritative value.
func removeSetCookie(h http.Header, prefix string) {
	lines := h["Set-Cookie"]
	if len(lines) == 0 {
		return
	}
	kept := lines[:0]
	for _, l := range lines {
		if !strings.HasPrefix(l, prefix) {
			kept = append(kept, l)
		}
	}
	if len(kept) == 0 {
		delete(h, "Set-Cookie")
		return
	}
	h["Set-Cookie"] = kept
}

// discardWriter swallows what a store writes while erasing an old record.
type discardWriter struct{ h http.Header }

func (d discardWriter) Header() http.Header         { return d.h }
func (d discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (d discardWriter) WriteHeader(int)             {}

// renewLocked drops every value, mints a new LoginID and, for a store with
// server-side records, arranges for a new record ID (the old record is
// erased on save).
func (s *Session) renewLocked() {
	if s.raw.ID != "" {
		if s.oldID == "" {
			s.oldID = s.raw.ID
		}
		s.raw.ID = ""
	}
	s.raw.Values = make(map[any]any)
	s.resetFields()
	s.loginID = rand.Text()
	s.cleared = false
	s.dirty = true
}

func (s *Session) resetFields() {
	s.uid, s.email, s.loginID = "", "", ""
	s.was2FA = false
	s.pwAt = 0
	s.iat = 0
}

// storeFieldsLocked writes the typed fields into the gorilla values.
func (s *Session) storeFieldsLocked() {
	v := s.raw.Values
	v[keyUID] = s.uid
	v[keyEmail] = s.email
	v[keyWas2FA] = s.was2FA
	v[keyPwAt] = s.pwAt
	v[keyLoginID] = s.loginID
	v[keyIAT] = s.iat
}

// parse fills the typed fields from the gorilla values. It reports false
// when a login value has the wrong type or a login is incomplete.
func (s *Session) parse() bool {
	v := s.raw.Values
	if len(v) == 0 {
		return true
	}
	uidV, ok := v[keyUID]
	if !ok {
		// No login. Stray login values without a user are not trusted.
		_, a := v[keyWas2FA]
		_, b := v[keyPwAt]
		_, c := v[keyLoginID]
		_, d := v[keyIAT]
		return !a && !b && !c && !d
	}
	uid, ok1 := uidV.(string)
	was, ok2 := v[keyWas2FA].(bool)
	pwAt, ok3 := v[keyPwAt].(int64)
	lid, ok4 := v[keyLoginID].(string)
	email, ok5 := v[keyEmail].(string)
	if !ok1 || !ok2 || !ok3 || !ok4 || uid == "" || lid == "" {
		return false
	}
	if _, has := v[keyEmail]; has && !ok5 {
		return false
	}
	// A cookie of a release without "iat" counts as issued at the password
	// step: it stays valid and "log out everywhere" still covers it.
	iat := pwAt * int64(time.Second)
	if iv, has := v[keyIAT]; has {
		if iat, ok = iv.(int64); !ok {
			return false
		}
	}
	s.uid, s.email, s.was2FA, s.pwAt, s.loginID, s.iat = uid, email, was, pwAt, lid, iat
	return true
}

// reissueLocked renews a logged-in session in place, keeping the login and
// its flow values: a new LoginID, the issue time at, and for server-side
// stores a new record ID. [Manager.LogOutOthers] uses it to keep the
// current session alive past a user epoch.
func (s *Session) reissueLocked(at int64) {
	keep := make(map[any]any, len(s.raw.Values))
	for k, v := range s.raw.Values {
		if ks, ok := k.(string); ok && strings.HasPrefix(ks, flowPrefix) {
			keep[k] = v
		}
	}
	uid, email, pwAt, was := s.uid, s.email, s.pwAt, s.was2FA
	s.renewLocked()
	s.uid, s.email, s.pwAt, s.was2FA, s.iat = uid, email, pwAt, was, at
	s.storeFieldsLocked()
	for k, v := range keep {
		s.raw.Values[k] = v
	}
}
