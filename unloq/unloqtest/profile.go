package unloqtest

import (
	"encoding/hex"
	"fmt"
	"sort"
	"strconv"
	"time"
)

// Behavior is how a profile's simulated phone answers pushes.
type Behavior string

// Behaviours of the simulated phone.
const (
	// BehaviorManual shows the push and waits for Approve or Deny (the
	// default).
	BehaviorManual Behavior = "manual"
	// BehaviorApprove approves every push as soon as it arrives.
	BehaviorApprove Behavior = "approve"
	// BehaviorDeny denies every push as soon as it arrives.
	BehaviorDeny Behavior = "deny"
	// BehaviorIgnore shows the push but never answers: the call times out.
	BehaviorIgnore Behavior = "ignore"
	// BehaviorOffline receives no push at all: the call times out with
	// APPROVAL.TIMEOUT and the approval cannot be answered.
	BehaviorOffline Behavior = "offline"
	// BehaviorUnregistered makes the push provider refuse the push: the
	// call fails at once with PUSH.UNREGISTERED.
	BehaviorUnregistered Behavior = "unregistered"
)

func (b Behavior) valid() bool {
	switch b {
	case BehaviorManual, BehaviorApprove, BehaviorDeny, BehaviorIgnore, BehaviorOffline, BehaviorUnregistered:
		return true
	}
	return false
}

type enrollState int

const (
	stateNone enrollState = iota
	stateQRPending
	stateEnrolled
	stateDeactivated
)

func (e enrollState) String() string {
	switch e {
	case stateQRPending:
		return "qr_pending"
	case stateEnrolled:
		return "enrolled"
	case stateDeactivated:
		return "deactivated"
	}
	return "none"
}

// profile is a UNLOQ user as this application sees it.
type profile struct {
	id                  int64
	email               string
	firstName, lastName string
	image               string
	displayName         string // the enroll "name": how the profile is labelled in the app
	virtual             bool

	state         enrollState
	pairing       *pairing
	device        *device
	otpRequired   bool   // set by a push denial, cleared by a success with a valid OTP
	authenticated bool   // has authenticated to the app (needed by authorize/encryption)
	encKey        []byte // per (app, profile) encryption key, created on first use, kept across deactivation
}

func (p *profile) unloqID() string { return strconv.FormatInt(p.id, 10) }

func (p *profile) enrolled() bool { return p.state == stateEnrolled && p.device != nil }

type device struct {
	secret     []byte // TOTP secret
	linkSecret string // 32-char app-link secret (legacy link_signature)
}

type pairing struct {
	id       string
	profile  *profile
	expireAt time.Time
}

// profileLocked returns the profile for email, or nil. s.mu held.
func (s *Simulator) profileLocked(email string) *profile { return s.profiles[normEmail(email)] }

// createProfileLocked creates a profile. s.mu held.
func (s *Simulator) createProfileLocked(email, first, last string, virtual bool) *profile {
	p := &profile{id: s.nextID, email: email, firstName: first, lastName: last, virtual: virtual}
	s.nextID++
	s.profiles[normEmail(email)] = p
	s.byID[p.id] = p
	return p
}

// AddProfile pre-seeds a (verified, non-virtual) UNLOQ profile without a
// device. It is a no-op, apart from updating the names, if the profile
// exists.
func (s *Simulator) AddProfile(email, firstName, lastName string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := s.profileLocked(email); p != nil {
		p.firstName, p.lastName = firstName, lastName
		return
	}
	s.createProfileLocked(email, firstName, lastName, false)
}

// startPairingLocked returns the profile's live pairing or a new one.
// s.mu held.
func (s *Simulator) startPairingLocked(p *profile) *pairing {
	now := s.now()
	if p.pairing != nil && now.Before(p.pairing.expireAt) {
		return p.pairing
	}
	if p.pairing != nil {
		delete(s.pairings, p.pairing.id)
	}
	pr := &pairing{id: hex.EncodeToString(randomBytes(12)), profile: p, expireAt: now.Add(qrTTL).Truncate(time.Millisecond)}
	p.pairing = pr
	p.state = stateQRPending
	s.pairings[pr.id] = pr
	return pr
}

// Scan completes the profile's pending QR pairing, as if the user scanned
// the QR code with the UNLOQ app: the profile gets a device and counts as
// enrolled. It fires the "activate" webhook.
func (s *Simulator) Scan(email string) error {
	s.mu.Lock()
	p := s.profileLocked(email)
	if p == nil {
		s.mu.Unlock()
		return fmt.Errorf("unloqtest: scan %q: %w", email, errUnknownProfile)
	}
	if p.pairing == nil || p.state != stateQRPending {
		s.mu.Unlock()
		return fmt.Errorf("unloqtest: scan %q: no pending QR pairing", email)
	}
	if !s.now().Before(p.pairing.expireAt) {
		s.mu.Unlock()
		return fmt.Errorf("unloqtest: scan %q: the QR code expired", email)
	}
	s.completePairingLocked(p)
	params := hookParams(p, "")
	s.mu.Unlock()
	s.fireAsync(EventActivate, params)
	return nil
}

// scanPairing completes a pairing by its id (used by the /device page).
func (s *Simulator) scanPairing(id string) error {
	s.mu.Lock()
	pr := s.pairings[id]
	if pr == nil || pr.profile.pairing != pr {
		s.mu.Unlock()
		return fmt.Errorf("unloqtest: scan: unknown pairing")
	}
	email := pr.profile.email
	s.mu.Unlock()
	return s.Scan(email)
}

func (s *Simulator) completePairingLocked(p *profile) {
	delete(s.pairings, p.pairing.id)
	p.pairing = nil
	if p.device == nil {
		p.device = &device{secret: randomBytes(20), linkSecret: hex.EncodeToString(randomBytes(16))}
	}
	p.state = stateEnrolled
}

// SetBehavior scripts how the phone of email answers pushes from now on.
// It may be called before the profile exists.
func (s *Simulator) SetBehavior(email string, b Behavior) error {
	if !b.valid() {
		return fmt.Errorf("unloqtest: set behavior %q: unknown behaviour %q", email, b)
	}
	if normEmail(email) == "" {
		return fmt.Errorf("unloqtest: set behavior: empty e-mail")
	}
	s.mu.Lock()
	s.behaviors[normEmail(email)] = b
	s.mu.Unlock()
	return nil
}

// Behavior returns the current behaviour of email's phone.
func (s *Simulator) Behavior(email string) Behavior {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.behaviorLocked(email)
}

func (s *Simulator) behaviorLocked(email string) Behavior {
	if b, ok := s.behaviors[normEmail(email)]; ok {
		return b
	}
	return BehaviorManual
}

// OTP returns the profile's current one-time password (RFC 6238: 6 digits,
// SHA-1, 60 s step) at the simulator's clock.
func (s *Simulator) OTP(email string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.profileLocked(email)
	if p == nil {
		return "", fmt.Errorf("unloqtest: otp %q: %w", email, errUnknownProfile)
	}
	if p.device == nil {
		return "", fmt.Errorf("unloqtest: otp %q: profile has no device", email)
	}
	return totpAt(p.device.secret, s.now()), nil
}

// LinkSecret returns the 32-character app-link secret of email's device,
// the key of the legacy link_signature emitted with WithLegacyFields.
func (s *Simulator) LinkSecret(email string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.profileLocked(email)
	if p == nil || p.device == nil {
		return "", fmt.Errorf("unloqtest: link secret %q: no device", email)
	}
	return p.device.linkSecret, nil
}

// Profile describes a simulated profile (for the control API and /device).
type Profile struct {
	UnloqID   string   `json:"unloq_id"`
	Email     string   `json:"email"`
	FirstName string   `json:"first_name"`
	LastName  string   `json:"last_name"`
	Name      string   `json:"name,omitempty"` // display name given to /v1/enroll
	Virtual   bool     `json:"virtual"`
	State     string   `json:"state"` // none, qr_pending, enrolled, deactivated
	Enrolled  bool     `json:"enrolled"`
	OTP       string   `json:"otp,omitempty"` // current TOTP when a device is attached
	Behavior  Behavior `json:"behavior"`
	// OTPRequired is set after a denial until a success with a valid OTP.
	OTPRequired bool   `json:"otp_required"`
	PairingID   string `json:"pairing_id,omitempty"`
}

// Profiles lists all profiles ordered by e-mail.
func (s *Simulator) Profiles() []Profile {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	out := make([]Profile, 0, len(s.profiles))
	for _, p := range s.profiles {
		pr := Profile{
			UnloqID: p.unloqID(), Email: p.email, FirstName: p.firstName, LastName: p.lastName, Name: p.displayName,
			Virtual: p.virtual, State: p.state.String(), Enrolled: p.enrolled(),
			Behavior: s.behaviorLocked(p.email), OTPRequired: p.otpRequired,
		}
		if p.device != nil {
			pr.OTP = totpAt(p.device.secret, now)
		}
		if p.pairing != nil && now.Before(p.pairing.expireAt) {
			pr.PairingID = p.pairing.id
		}
		out = append(out, pr)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Email < out[j].Email })
	return out
}
