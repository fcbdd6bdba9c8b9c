package handlers

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// DefaultGuardCapacity is the default maximum number of records a
// MemoryGuard holds at once.
const DefaultGuardCapacity = 100_000

// ErrGuardFull is returned by a MemoryGuard that holds its maximum number of
// unexpired records; the handlers then refuse the request (fail closed).
var ErrGuardFull = errors.New("handlers: memory guard: too many records")

// MemoryGuard is the in-memory Guard of a single process. Records expire on
// their own; expired ones are swept as the guard is used. It is safe for
// concurrent use.
type MemoryGuard struct {
	now func() time.Time
	max int

	mu      sync.Mutex
	hits    map[string][]time.Time // rate windows: times of allowed events
	used    map[string]time.Time   // replay records: key → expiry
	flights map[string]flight      // in-flight markers
	seq     uint64
	ops     int
	window  time.Duration // the longest rate window seen so far
}

type flight struct {
	id  uint64
	exp time.Time
}

// MemoryGuardOption configures a MemoryGuard.
type MemoryGuardOption func(*MemoryGuard)

// GuardClock sets the MemoryGuard's time source (default time.Now).
func GuardClock(now func() time.Time) MemoryGuardOption {
	return func(g *MemoryGuard) {
		if now != nil {
			g.now = now
		}
	}
}

// GuardCapacity sets the maximum number of records (default
// DefaultGuardCapacity). Values below 1 keep the default.
func GuardCapacity(n int) MemoryGuardOption {
	return func(g *MemoryGuard) {
		if n > 0 {
			g.max = n
		}
	}
}

// NewMemoryGuard returns an empty in-memory Guard.
func NewMemoryGuard(opts ...MemoryGuardOption) *MemoryGuard {
	g := &MemoryGuard{
		now:     time.Now,
		max:     DefaultGuardCapacity,
		hits:    make(map[string][]time.Time),
		used:    make(map[string]time.Time),
		flights: make(map[string]flight),
	}
	for _, o := range opts {
		if o != nil {
			o(g)
		}
	}
	return g
}

var _ Guard = (*MemoryGuard)(nil)

// Allow implements Guard.
func (g *MemoryGuard) Allow(ctx context.Context, key string, limit int, window time.Duration) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, fmt.Errorf("handlers: memory guard: allow: %w", err)
	}
	if limit < 1 || window <= 0 {
		return false, errors.New("handlers: memory guard: allow: limit and window must be positive")
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	if err := g.maintainLocked(now, key); err != nil {
		return false, err
	}
	if window > g.window {
		g.window = window
	}
	cut := now.Add(-window)
	ts := g.hits[key]
	i := 0
	for i < len(ts) && !ts[i].After(cut) {
		i++
	}
	ts = ts[i:]
	if len(ts) >= limit {
		g.hits[key] = ts
		return false, nil
	}
	g.hits[key] = append(ts, now)
	return true, nil
}

// Begin implements Guard.
func (g *MemoryGuard) Begin(ctx context.Context, key string, ttl time.Duration) (func(), bool, error) {
	if err := ctx.Err(); err != nil {
		return nil, false, fmt.Errorf("handlers: memory guard: begin: %w", err)
	}
	if ttl <= 0 {
		return nil, false, errors.New("handlers: memory guard: begin: ttl must be positive")
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	if f, ok := g.flights[key]; ok && now.Before(f.exp) {
		return nil, false, nil
	}
	if err := g.maintainLocked(now, key); err != nil {
		return nil, false, err
	}
	g.seq++
	id := g.seq
	g.flights[key] = flight{id: id, exp: now.Add(ttl)}
	var once sync.Once
	release := func() {
		once.Do(func() {
			g.mu.Lock()
			defer g.mu.Unlock()
			if f, ok := g.flights[key]; ok && f.id == id {
				delete(g.flights, key)
			}
		})
	}
	return release, true, nil
}

// MarkUsed implements Guard.
func (g *MemoryGuard) MarkUsed(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, fmt.Errorf("handlers: memory guard: mark used: %w", err)
	}
	if ttl <= 0 {
		return false, errors.New("handlers: memory guard: mark used: ttl must be positive")
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	if exp, ok := g.used[key]; ok && now.Before(exp) {
		return false, nil
	}
	if err := g.maintainLocked(now, key); err != nil {
		return false, err
	}
	g.used[key] = now.Add(ttl)
	return true, nil
}

// Used implements Guard.
func (g *MemoryGuard) Used(ctx context.Context, key string) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, fmt.Errorf("handlers: memory guard: used: %w", err)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	exp, ok := g.used[key]
	return ok && g.now().Before(exp), nil
}

// Len reports the number of records held (expired ones included until the
// next sweep).
func (g *MemoryGuard) Len() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.hits) + len(g.used) + len(g.flights)
}

// maintainLocked sweeps expired records now and then, and refuses a new key
// when the guard is full.
func (g *MemoryGuard) maintainLocked(now time.Time, key string) error {
	g.ops++
	full := len(g.hits)+len(g.used)+len(g.flights) >= g.max
	if g.ops%256 == 0 || full {
		g.sweepLocked(now)
		full = len(g.hits)+len(g.used)+len(g.flights) >= g.max
	}
	if full {
		_, h := g.hits[key]
		_, u := g.used[key]
		_, f := g.flights[key]
		if !h && !u && !f {
			return ErrGuardFull
		}
	}
	return nil
}

func (g *MemoryGuard) sweepLocked(now time.Time) {
	for k, exp := range g.used {
		if !now.Before(exp) {
			delete(g.used, k)
		}
	}
	for k, f := range g.flights {
		if !now.Before(f.exp) {
			delete(g.flights, k)
		}
	}
	for k, ts := range g.hits {
		if len(ts) == 0 || now.Sub(ts[len(ts)-1]) > g.window {
			delete(g.hits, k)
		}
	}
}
