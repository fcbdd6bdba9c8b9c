package recovery

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Limiter counts verification attempts. Its method has the shape of
// guard.Guard's Allow with a string key; WithGuard adapts a Guard (in
// memory, or shared on Redis) to it.
//
// NewMemoryLimiter is for a single process. Several instances of an
// application behind a load balancer each keep their own memory, which
// multiplies the limit by the number of instances: give them a shared
// Limiter instead. Any error makes the Service refuse (fail closed).
type Limiter interface {
	// Allow records one event for key and reports whether it is within
	// limit events per window (a sliding window). A refused event is not
	// recorded.
	Allow(ctx context.Context, key string, limit int, window time.Duration) (bool, error)
}

// DefaultLimiterCapacity is the default number of keys a MemoryLimiter
// holds at once.
const DefaultLimiterCapacity = 10_000

// ErrLimiterFull is returned by a MemoryLimiter that holds its maximum
// number of keys with events still in their window; the Service then
// refuses (fail closed) until some expire.
var ErrLimiterFull = errors.New("recovery: memory limiter: too many keys")

// MemoryLimiter is a bounded, in-memory sliding-window Limiter. It keeps
// at most limit timestamps per key and at most its capacity of keys; keys
// whose events have all left their window are swept as it is used. It is
// safe for concurrent use.
type MemoryLimiter struct {
	max int

	mu     sync.Mutex
	hits   map[string][]time.Time
	window time.Duration // the longest window seen, for sweeping
	ops    int
}

var _ Limiter = (*MemoryLimiter)(nil)

// NewMemoryLimiter returns an empty limiter that holds at most capacity
// keys; capacity 0 means DefaultLimiterCapacity.
func NewMemoryLimiter(capacity int) (*MemoryLimiter, error) {
	if capacity < 0 {
		return nil, fmt.Errorf("recovery: memory limiter: negative capacity %d", capacity)
	}
	if capacity == 0 {
		capacity = DefaultLimiterCapacity
	}
	return &MemoryLimiter{max: capacity, hits: make(map[string][]time.Time)}, nil
}

// Allow implements Limiter.
func (l *MemoryLimiter) Allow(ctx context.Context, key string, limit int, window time.Duration) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, fmt.Errorf("recovery: memory limiter: allow: %w", err)
	}
	if limit < 1 || window <= 0 {
		return false, errors.New("recovery: memory limiter: allow: limit and window must be positive")
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	if window > l.window {
		l.window = window
	}
	l.ops++
	_, known := l.hits[key]
	if l.ops%256 == 0 || (!known && len(l.hits) >= l.max) {
		l.sweepLocked(now)
		if _, known = l.hits[key]; !known && len(l.hits) >= l.max {
			return false, ErrLimiterFull
		}
	}
	cut := now.Add(-window)
	ts := l.hits[key]
	i := 0
	for i < len(ts) && !ts[i].After(cut) {
		i++
	}
	ts = ts[i:]
	if len(ts) >= limit {
		l.hits[key] = ts
		return false, nil
	}
	l.hits[key] = append(ts, now)
	return true, nil
}

// Len reports the number of keys held (expired ones included until the
// next sweep).
func (l *MemoryLimiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.hits)
}

// sweepLocked drops keys whose newest event is older than the longest
// window seen.
func (l *MemoryLimiter) sweepLocked(now time.Time) {
	cut := now.Add(-l.window)
	for k, ts := range l.hits {
		if len(ts) == 0 || !ts[len(ts)-1].After(cut) {
			delete(l.hits, k)
		}
	}
}
