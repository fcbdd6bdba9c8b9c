package unloqtest

import (
	"context"
	"crypto/rsa"
	"fmt"
	"time"
)

// Approval types.
const (
	TypeAuthentication = "AUTHENTICATION"
	TypeAuthorization  = "AUTHORIZATION"
	TypeEncryptionKey  = "ENCRYPTION_KEY"
	TypeEnrollment     = "ENROLLMENT"
)

// Approval statuses.
const (
	StatusPending   = "pending"
	StatusApproved  = "approved"
	StatusDenied    = "denied"
	StatusExpired   = "expired"   // no answer within the approval timeout
	StatusCancelled = "cancelled" // the caller went away, the profile was deactivated or the simulator closed
)

// Approval is a snapshot of an approval request (a push to the phone, or an
// OTP / e-mail login).
type Approval struct {
	ID        string    `json:"id"`
	Email     string    `json:"email"`
	UnloqID   string    `json:"unloq_id"`
	Type      string    `json:"type"`   // AUTHENTICATION, AUTHORIZATION, ENCRYPTION_KEY, ENROLLMENT
	Method    string    `json:"method"` // UNLOQ, OTP, EMAIL
	Status    string    `json:"status"` // pending, approved, denied, expired, cancelled
	Title     string    `json:"title"`
	Message   string    `json:"message"`
	IP        string    `json:"ip"`
	Reference string    `json:"reference,omitempty"`
	Action    string    `json:"action,omitempty"` // the action code of an authorisation
	Delivered bool      `json:"delivered"`        // the push reached the phone (false when offline)
	CreatedAt time.Time `json:"created_at"`
}

type approval struct {
	id, typ, method string
	title, message  string
	ip, reference   string
	action          string // authorisation action code
	p               *profile
	created         time.Time
	status          string
	delivered       bool
	done            chan struct{} // closed when status leaves pending
	decidedAt       time.Time
	cancelReason    string
	otpUsed         bool // the request carried a valid OTP
	sourceClient    map[string]string
	publicKey       *rsa.PublicKey
	tokenType       string
	withEncryption  bool   // /token result carries encryption_key
	sid             string // attached session
	sidDuration     int64
}

func (a *approval) snapshot() Approval {
	return Approval{
		ID: a.id, Email: a.p.email, UnloqID: a.p.unloqID(), Type: a.typ, Method: a.method,
		Status: a.status, Title: a.title, Message: a.message, IP: a.ip, Reference: a.reference,
		Action: a.action, Delivered: a.delivered, CreatedAt: a.created,
	}
}

// newApprovalLocked records a new approval. For push methods the phone's
// behaviour decides at once (approve, deny) or leaves it pending. s.mu held.
func (s *Simulator) newApprovalLocked(a *approval, push bool) {
	a.id = newUUID()
	a.created = s.now()
	a.status = StatusPending
	a.done = make(chan struct{})
	if a.tokenType == "" {
		a.tokenType = "AUTHENTICATE"
	}
	s.approvals[a.id] = a
	s.order = append(s.order, a)
	if push {
		switch s.behaviorLocked(a.p.email) {
		case BehaviorOffline:
			// The push is lost: nobody can answer it.
		case BehaviorApprove:
			a.delivered = true
			s.decideLocked(a, StatusApproved, "")
		case BehaviorDeny:
			a.delivered = true
			s.decideLocked(a, StatusDenied, "")
		default:
			a.delivered = true
		}
	} else {
		s.decideLocked(a, StatusApproved, "")
	}
	s.pruneLocked()
	s.notifyLocked()
	s.log.Debug("unloqtest: approval", "id", a.id, "type", a.typ, "method", a.method, "status", a.status)
}

// decideLocked moves a pending approval to status. It reports false if the
// approval was no longer pending. s.mu held.
func (s *Simulator) decideLocked(a *approval, status, reason string) bool {
	if a.status != StatusPending {
		return false
	}
	a.status = status
	a.cancelReason = reason
	a.decidedAt = s.now()
	close(a.done)
	s.notifyLocked()
	return true
}

// pruneLocked forgets the oldest finished approvals beyond the cap.
func (s *Simulator) pruneLocked() {
	if len(s.order) <= maxFinishedApprovals*2 {
		return
	}
	finished := 0
	for _, a := range s.order {
		if a.status != StatusPending {
			finished++
		}
	}
	drop := finished - maxFinishedApprovals
	kept := s.order[:0]
	for _, a := range s.order {
		if drop > 0 && a.status != StatusPending {
			drop--
			delete(s.approvals, a.id)
			continue
		}
		kept = append(kept, a)
	}
	for i := len(kept); i < len(s.order); i++ {
		s.order[i] = nil
	}
	s.order = kept
}

// Outcome reasons for a blocked call that did not get an answer.
const (
	reasonClient      = "client disconnected"
	reasonShutdown    = "simulator closed"
	reasonDeactivated = "profile deactivated"
)

// await blocks until a is decided, the approval timeout passes, ctx ends or
// the simulator closes, writing keep-alive pings meanwhile if configured.
// It returns the final status and, for cancellations, the reason. It starts
// no goroutine; its timer and ticker are stopped on return.
func (s *Simulator) await(ctx context.Context, rp *responder, a *approval) (status, reason string) {
	timer := time.NewTimer(s.cfg.approvalTimeout)
	defer timer.Stop()
	var pings <-chan time.Time
	if s.cfg.pings > 0 && rp != nil {
		tk := time.NewTicker(s.cfg.pings)
		defer tk.Stop()
		pings = tk.C
	}
	for {
		select {
		case <-a.done:
		case <-timer.C:
			s.finish(a, StatusExpired, "")
		case <-ctx.Done():
			s.finish(a, StatusCancelled, reasonClient)
		case <-s.closed:
			s.finish(a, StatusCancelled, reasonShutdown)
		case <-pings:
			rp.ping()
			continue
		}
		s.mu.Lock()
		status, reason = a.status, a.cancelReason
		s.mu.Unlock()
		return status, reason
	}
}

func (s *Simulator) finish(a *approval, status, reason string) {
	s.mu.Lock()
	s.decideLocked(a, status, reason)
	s.mu.Unlock()
}

// Approvals lists approvals in creation order, filtered by e-mail and
// status ("" matches any).
func (s *Simulator) Approvals(email, status string) []Approval {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []Approval{}
	for _, a := range s.order {
		if email != "" && normEmail(a.p.email) != normEmail(email) {
			continue
		}
		if status != "" && a.status != status {
			continue
		}
		out = append(out, a.snapshot())
	}
	return out
}

// Approval returns one approval by id.
func (s *Simulator) Approval(id string) (Approval, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.approvals[id]
	if a == nil {
		return Approval{}, fmt.Errorf("unloqtest: approval %q: %w", id, errUnknownApproval)
	}
	return a.snapshot(), nil
}

// WaitForApproval returns the oldest pending approval of email, waiting
// for one to be created if there is none. It returns ctx's error when ctx
// ends first.
func (s *Simulator) WaitForApproval(ctx context.Context, email string) (Approval, error) {
	for {
		s.mu.Lock()
		for _, a := range s.order {
			if a.status == StatusPending && normEmail(a.p.email) == normEmail(email) {
				snap := a.snapshot()
				s.mu.Unlock()
				return snap, nil
			}
		}
		changed := s.changed
		s.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			return Approval{}, fmt.Errorf("unloqtest: wait for approval of %q: %w", email, ctx.Err())
		case <-s.closed:
			return Approval{}, fmt.Errorf("unloqtest: wait for approval of %q: simulator closed", email)
		}
	}
}

// Approve answers a pending approval with "approve", as the user would on
// the phone.
func (s *Simulator) Approve(id string) error { return s.answer(id, StatusApproved) }

// Deny answers a pending approval with "deny".
func (s *Simulator) Deny(id string) error { return s.answer(id, StatusDenied) }

func (s *Simulator) answer(id, status string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.approvals[id]
	if a == nil {
		return fmt.Errorf("unloqtest: answer %q: %w", id, errUnknownApproval)
	}
	if a.status != StatusPending {
		return fmt.Errorf("unloqtest: answer %q: approval is %s, not pending", id, a.status)
	}
	if !a.delivered {
		return fmt.Errorf("unloqtest: answer %q: the phone is offline and never received the push", id)
	}
	s.decideLocked(a, status, "")
	return nil
}

// cancelProfileLocked cancels all pending approvals of p. s.mu held.
func (s *Simulator) cancelProfileLocked(p *profile, reason string) {
	for _, a := range s.order {
		if a.p == p && a.status == StatusPending {
			s.decideLocked(a, StatusCancelled, reason)
		}
	}
}
