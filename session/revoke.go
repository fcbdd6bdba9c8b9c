package session

import (
	"context"
	"time"
)

// MaxAge is the absolute lifetime of a login, counted from the password
// step (see [WithMaxAge]).
func (m *Manager) MaxAge() time.Duration { return m.maxAge }

// EndLogin logs s out on the server: its login (pending or verified) is
// recorded as ended in the revocation store until its natural expiry, so
// that every copy of the cookie stops working, on every instance sharing
// the store. s is cleared whatever happens; save it to delete the cookie.
// An anonymous session needs no record. A failure to record it matches
// [ErrRevocation]: the browser still loses its cookie, but a copy may live
// on, so tell the user the logout did not complete.
func (m *Manager) EndLogin(ctx context.Context, s *Session) error {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	uid, lid, pwAt := s.uid, s.loginID, s.pwAt
	s.clearLocked()
	if uid == "" || lid == "" {
		return nil
	}
	until := time.Unix(pwAt, 0).Add(m.maxAge)
	if err := m.revoked.RevokeLogin(ctx, uid, lid, until); err != nil {
		return &opError{op: "end login", kind: ErrRevocation, cause: err}
	}
	return nil
}

// LogOutEverywhere ends every login of userID issued until now, on every
// instance sharing the revocation store: call it when the password
// changes, the account is locked, or the user asks for it. A session that
// should survive (the one of the request that asked) is kept with
// [Manager.LogOutOthers] instead.
func (m *Manager) LogOutEverywhere(ctx context.Context, userID string) error {
	if userID == "" {
		return &opError{op: "log out everywhere", kind: ErrRevocation, cause: errEmptyUser}
	}
	_, err := m.logOutEverywhere(ctx, userID)
	return err
}

func (m *Manager) logOutEverywhere(ctx context.Context, userID string) (time.Time, error) {
	now := m.now()
	if err := m.revoked.RevokeUser(ctx, userID, now, now.Add(m.maxAge)); err != nil {
		return now, &opError{op: "log out everywhere", kind: ErrRevocation, cause: err}
	}
	return now, nil
}

// LogOutOthers ends every other login of the user of s and keeps s: the
// user's logins issued until now end, and s is renewed (a new LoginID and
// issue time, its values and flow values kept) so that it survives. Save s
// afterwards. It fails, changing nothing in s, when s has no login or the
// revocation could not be recorded ([ErrRevocation]).
func (m *Manager) LogOutOthers(ctx context.Context, s *Session) error {
	if s == nil {
		return &opError{op: "log out others", kind: ErrRevocation, cause: errEmptyUser}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.uid == "" {
		return &opError{op: "log out others", kind: ErrRevocation, cause: errEmptyUser}
	}
	before, err := m.logOutEverywhere(ctx, s.uid)
	if err != nil {
		return err
	}
	// Issued strictly after the epoch, so it stays valid.
	s.reissueLocked(before.UnixNano() + 1)
	return nil
}

const errEmptyUser = constError("no user")
