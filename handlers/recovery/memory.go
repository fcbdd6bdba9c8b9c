package recovery

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"sync"
)

// MemoryStore is a CodeStore in a map guarded by a mutex, for tests, demos
// and single-process applications that keep their users in memory too.
// Its size is bounded by the number of users times MaxSetSize. The zero
// value is not usable; call NewMemoryStore.
type MemoryStore struct {
	mu    sync.Mutex
	users map[string]map[string]*memoryCode // user id → code id → code
}

type memoryCode struct {
	hash []byte
	used bool
}

var _ CodeStore = (*MemoryStore)(nil)

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{users: make(map[string]map[string]*memoryCode)}
}

// Replace implements CodeStore.
func (m *MemoryStore) Replace(ctx context.Context, userID string, codes []Hashed) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("recovery: memory store: replace: %w", err)
	}
	if err := checkSet("memory store", codes); err != nil {
		return err
	}
	set := make(map[string]*memoryCode, len(codes))
	for _, c := range codes {
		set[c.ID] = &memoryCode{hash: slices.Clone(c.Hash)}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(set) == 0 {
		delete(m.users, userID)
		return nil
	}
	m.users[userID] = set
	return nil
}

// Consume implements CodeStore. The lock is not held while verify runs;
// the write checks that the record read is still the user's, by identity.
func (m *MemoryStore) Consume(ctx context.Context, userID, id string, verify func([]byte) bool) (Outcome, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("recovery: memory store: consume: %w", err)
	}
	m.mu.Lock()
	rec := m.users[userID][id]
	var hash []byte
	if rec != nil {
		hash = slices.Clone(rec.hash)
	}
	m.mu.Unlock()
	if rec == nil || !verify(hash) {
		return NoMatch, nil
	}
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("recovery: memory store: consume: %w", err)
	}

	m.mu.Lock()
	defer m.mu.Unlock()
	cur := m.users[userID][id]
	switch {
	case cur != rec || !bytes.Equal(cur.hash, hash):
		return NoMatch, nil // replaced meanwhile
	case cur.used:
		return AlreadyUsed, nil
	}
	cur.used = true
	return Consumed, nil
}

// Remaining implements CodeStore.
func (m *MemoryStore) Remaining(ctx context.Context, userID string) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("recovery: memory store: remaining: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, c := range m.users[userID] {
		if !c.used {
			n++
		}
	}
	return n, nil
}
