package revocation

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"
)

// Defaults of [NewMemory].
const (
	// DefaultMaxLoginsPerUser is how many login records one user may have.
	// One more ends every login of that user issued so far (a user epoch).
	DefaultMaxLoginsPerUser = 32
	// DefaultMaxRecords caps the records of the whole store (login records
	// and user epochs). One more ends every login issued so far.
	DefaultMaxRecords = 500_000
)

// Memory is the in-process [Store], the default of a single instance. Its
// Revoked takes a read lock and does two map lookups, without allocating.
// Expired records are dropped, earliest expiry first, on every write.
type Memory struct {
	now        func() time.Time
	maxPerUser int
	maxRecords int

	mu      sync.RWMutex
	users   map[string]*userRecord
	all     bool  // a global epoch is in force
	allAt   int64 // logins issued at or before it are dead
	allTill int64 // the global epoch's expiry
	records int   // login records + user epochs
	exp     expiryHeap
}

// userRecord holds the records of one user.
type userRecord struct {
	epoch     bool
	epochAt   int64            // logins issued at or before it are dead
	epochTill int64            // the epoch's expiry
	logins    map[string]int64 // login id → expiry
}

// MemoryOption configures [NewMemory].
type MemoryOption func(*Memory) error

// WithClock sets the time source used to drop expired records.
func WithClock(now func() time.Time) MemoryOption {
	return func(m *Memory) error {
		if now == nil {
			return errors.New("revocation: WithClock: nil clock")
		}
		m.now = now
		return nil
	}
}

// WithMaxLoginsPerUser sets how many login records one user may have
// (default [DefaultMaxLoginsPerUser]). Beyond it, the user's login records
// are replaced by a user epoch at the current time: every login of that
// user issued so far ends, which is the safe direction.
func WithMaxLoginsPerUser(n int) MemoryOption {
	return func(m *Memory) error {
		if n < 1 {
			return fmt.Errorf("revocation: WithMaxLoginsPerUser: %d is less than 1", n)
		}
		m.maxPerUser = n
		return nil
	}
}

// WithMaxRecords caps the records of the whole store (default
// [DefaultMaxRecords]). Beyond it, every record is replaced by one global
// epoch at the current time: every login issued so far ends.
func WithMaxRecords(n int) MemoryOption {
	return func(m *Memory) error {
		if n < 1 {
			return fmt.Errorf("revocation: WithMaxRecords: %d is less than 1", n)
		}
		m.maxRecords = n
		return nil
	}
}

// NewMemory returns an empty in-memory Store.
func NewMemory(opts ...MemoryOption) (*Memory, error) {
	m := &Memory{
		now:        time.Now,
		maxPerUser: DefaultMaxLoginsPerUser,
		maxRecords: DefaultMaxRecords,
		users:      make(map[string]*userRecord),
	}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(m); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// nanos converts t to unix nanoseconds; the zero time is the earliest
// instant, so that every epoch covers it.
func nanos(t time.Time) int64 {
	if t.IsZero() {
		return math.MinInt64
	}
	return t.UnixNano()
}

// Revoked implements [Store]. It never fails.
func (m *Memory) Revoked(_ context.Context, userID, loginID string, issued time.Time) (bool, error) {
	at := nanos(issued)
	m.mu.RLock()
	dead := m.all && at <= m.allAt
	if !dead {
		if u := m.users[userID]; u != nil {
			_, gone := u.logins[loginID]
			dead = gone || u.epoch && at <= u.epochAt
		}
	}
	m.mu.RUnlock()
	return dead, nil
}

// RevokeLogin implements [Store].
func (m *Memory) RevokeLogin(_ context.Context, userID, loginID string, until time.Time) error {
	if userID == "" || loginID == "" {
		return fmt.Errorf("revocation: revoke login: empty user or login id: %w", ErrInvalid)
	}
	now := m.now()
	if !until.After(now) {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sweepLocked(now.UnixNano())
	m.loginLocked(userID, loginID, until.UnixNano(), now.UnixNano())
	return nil
}

// RevokeUser implements [Store].
func (m *Memory) RevokeUser(_ context.Context, userID string, before, until time.Time) error {
	if userID == "" {
		return fmt.Errorf("revocation: revoke user: empty user id: %w", ErrInvalid)
	}
	now := m.now()
	if !until.After(now) {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sweepLocked(now.UnixNano())
	m.epochLocked(userID, nanos(before), until.UnixNano(), now.UnixNano())
	return nil
}

func (m *Memory) user(userID string) *userRecord {
	u := m.users[userID]
	if u == nil {
		u = &userRecord{}
		m.users[userID] = u
	}
	return u
}

func (m *Memory) loginLocked(userID, loginID string, till, now int64) {
	u := m.user(userID)
	if old, ok := u.logins[loginID]; ok {
		if old >= till {
			return
		}
	} else {
		m.records++
	}
	if u.logins == nil {
		u.logins = make(map[string]int64)
	}
	u.logins[loginID] = till
	m.push(expiry{till: till, user: userID, login: loginID})
	if len(u.logins) > m.maxPerUser {
		// Too many login records for one user: end all of the user's
		// logins issued so far instead, and keep that as long as the
		// longest of the records it replaces.
		maxTill := int64(0)
		for _, t := range u.logins {
			maxTill = max(maxTill, t)
		}
		m.records -= len(u.logins)
		u.logins = nil
		m.epochLocked(userID, now, maxTill, now)
		return
	}
	m.capLocked(now)
}

func (m *Memory) epochLocked(userID string, at, till, now int64) {
	u := m.user(userID)
	if !u.epoch {
		u.epoch = true
		u.epochAt, u.epochTill = at, till
		m.records++
	} else {
		if at <= u.epochAt && till <= u.epochTill {
			return
		}
		u.epochAt, u.epochTill = max(u.epochAt, at), max(u.epochTill, till)
	}
	m.push(expiry{till: u.epochTill, user: userID})
	m.capLocked(now)
}

// capLocked enforces the global cap: beyond it, one global epoch at now
// replaces every record.
func (m *Memory) capLocked(now int64) {
	if m.records <= m.maxRecords {
		return
	}
	till := m.allTill
	for _, e := range m.exp {
		till = max(till, e.till)
	}
	m.all = true
	m.allAt = max(m.allAt, now)
	m.allTill = till
	clear(m.users)
	m.exp = m.exp[:0]
	m.records = 0
}

// push adds an expiry entry, rebuilding the heap from the live records
// when stale entries (replaced or extended records) pile up.
func (m *Memory) push(e expiry) {
	heap.Push(&m.exp, e)
	if len(m.exp) <= 2*m.records+64 {
		return
	}
	m.exp = m.exp[:0]
	for uid, u := range m.users {
		if u.epoch {
			m.exp = append(m.exp, expiry{till: u.epochTill, user: uid})
		}
		for lid, t := range u.logins {
			m.exp = append(m.exp, expiry{till: t, user: uid, login: lid})
		}
	}
	heap.Init(&m.exp)
}

// sweepLocked drops the records that expired at or before now.
func (m *Memory) sweepLocked(now int64) {
	if m.all && m.allTill <= now {
		m.all = false
	}
	for len(m.exp) > 0 && m.exp[0].till <= now {
		e := heap.Pop(&m.exp).(expiry)
		u := m.users[e.user]
		if u == nil {
			continue
		}
		if e.login == "" {
			if u.epoch && u.epochTill == e.till {
				u.epoch = false
				m.records--
			}
		} else if t, ok := u.logins[e.login]; ok && t == e.till {
			delete(u.logins, e.login)
			m.records--
		}
		if !u.epoch && len(u.logins) == 0 {
			delete(m.users, e.user)
		}
	}
}

// expiry is one entry of the expiry queue; login is "" for a user epoch.
// An entry whose record was since extended or dropped is stale and
// ignored when popped.
type expiry struct {
	till  int64
	user  string
	login string
}

type expiryHeap []expiry

func (h expiryHeap) Len() int           { return len(h) }
func (h expiryHeap) Less(i, j int) bool { return h[i].till < h[j].till }
func (h expiryHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *expiryHeap) Push(x any)        { *h = append(*h, x.(expiry)) }
func (h *expiryHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}
