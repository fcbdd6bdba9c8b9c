package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// Memory is an in-memory UserStore, safe for concurrent use. Users are
// stored and returned by value, so callers never share state with it. The
// zero value is an empty store ready to use; NewMemory returns one too.
type Memory struct {
	mu    sync.RWMutex
	users map[string]User
}

var (
	_ UserStore    = (*Memory)(nil)
	_ UnloqIDStore = (*Memory)(nil)
)

// NewMemory returns an empty Memory store.
func NewMemory() *Memory {
	return &Memory{users: make(map[string]User)}
}

// Put adds u, or replaces the user with the same id. The id must not be
// empty, the second factor must be "" or SecondFactorUNLOQ and the UNLOQ
// id must pass ValidateUnloqID.
func (m *Memory) Put(ctx context.Context, u User) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("store: memory: put: %w", err)
	}
	if u.ID == "" {
		return errors.New("store: memory: put: empty user id")
	}
	if !validSecondFactor(u.SecondFactor) {
		return &InvalidSecondFactorError{Op: "memory: put", Value: u.SecondFactor}
	}
	if !validUnloqID(u.UnloqID) {
		return &InvalidUnloqIDError{Op: "memory: put", Value: u.UnloqID}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.users == nil {
		m.users = make(map[string]User)
	}
	m.users[u.ID] = u
	return nil
}

// User implements UserStore.
func (m *Memory) User(ctx context.Context, id string) (User, error) {
	if err := ctx.Err(); err != nil {
		return User{}, fmt.Errorf("store: memory: user: %w", err)
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	u, ok := m.users[id]
	if !ok {
		return User{}, ErrUserNotFound
	}
	return u, nil
}

// SetSecondFactor implements UserStore.
func (m *Memory) SetSecondFactor(ctx context.Context, id, value string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("store: memory: set second factor: %w", err)
	}
	if !validSecondFactor(value) {
		return &InvalidSecondFactorError{Op: "memory: set second factor", Value: value}
	}
	return m.update(id, func(u *User) { u.SecondFactor = value })
}

// SetUnloqID implements UnloqIDStore.
func (m *Memory) SetUnloqID(ctx context.Context, id, unloqID string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("store: memory: set unloq id: %w", err)
	}
	if !validUnloqID(unloqID) {
		return &InvalidUnloqIDError{Op: "memory: set unloq id", Value: unloqID}
	}
	return m.update(id, func(u *User) { u.UnloqID = unloqID })
}

// update applies set to the stored user id (ErrUserNotFound when there is
// none), under the lock.
func (m *Memory) update(id string, set func(*User)) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	u, ok := m.users[id]
	if !ok {
		return ErrUserNotFound
	}
	set(&u)
	m.users[id] = u
	return nil
}
