package inflight

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Marker marks keys as in flight. Begin reports ok=false (and a nil
// release) when key is already in flight. release ends the mark early; it
// is safe to call more than once and never ends a later mark of the same
// key. Any error must make the caller refuse (fail closed).
type Marker interface {
	Begin(ctx context.Context, key string, ttl time.Duration) (release func(), ok bool, err error)
}

// ErrFull is returned by Memory when it holds its maximum number of
// unexpired marks.
var ErrFull = errors.New("inflight: too many requests in flight")

// DefaultCapacity is the default maximum number of marks a Memory holds.
const DefaultCapacity = 10_000

// Memory is the in-process Marker. It is safe for concurrent use.
type Memory struct {
	now func() time.Time
	max int

	mu    sync.Mutex
	marks map[string]mark
	seq   uint64
}

type mark struct {
	id  uint64
	exp time.Time
}

// NewMemory returns a Memory holding at most capacity marks (DefaultCapacity
// when capacity < 1), with the clock now (time.Now when nil).
func NewMemory(capacity int, now func() time.Time) *Memory {
	if capacity < 1 {
		capacity = DefaultCapacity
	}
	if now == nil {
		now = time.Now
	}
	return &Memory{now: now, max: capacity, marks: make(map[string]mark)}
}

var _ Marker = (*Memory)(nil)

// Begin implements Marker.
func (m *Memory) Begin(ctx context.Context, key string, ttl time.Duration) (func(), bool, error) {
	if err := ctx.Err(); err != nil {
		return nil, false, fmt.Errorf("inflight: begin: %w", err)
	}
	if ttl <= 0 {
		return nil, false, errors.New("inflight: begin: ttl must be positive")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	if mk, ok := m.marks[key]; ok && now.Before(mk.exp) {
		return nil, false, nil
	}
	if len(m.marks) >= m.max {
		for k, mk := range m.marks {
			if !now.Before(mk.exp) {
				delete(m.marks, k)
			}
		}
		if len(m.marks) >= m.max {
			return nil, false, ErrFull
		}
	}
	m.seq++
	id := m.seq
	m.marks[key] = mark{id: id, exp: now.Add(ttl)}
	var once sync.Once
	return func() {
		once.Do(func() {
			m.mu.Lock()
			defer m.mu.Unlock()
			if mk, ok := m.marks[key]; ok && mk.id == id {
				delete(m.marks, key)
			}
		})
	}, true, nil
}

// Len reports the number of marks held (expired ones included until they
// are swept).
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.marks)
}
