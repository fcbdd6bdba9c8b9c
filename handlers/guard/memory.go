package guard

import (
	"context"
	"fmt"
	"math"
	"sync"
	"time"
)

// Memory is the Guard of a single process. It is safe for concurrent use.
//
// Its records are bounded and never swept:
//
//   - Each record expires at its ttl (a rate record one window after its
//     last admitted event) and is dropped, in order of expiry, by the next
//     call: each call costs O(1) amortized plus O(log q) for q distinct
//     ttls, whatever the number of records.
//   - One user holds at most WithMaxPerUser records of one kind (see
//     WithKindMax). A new replay record (MarkUsed) over that cap evicts the
//     user's oldest replay record of the kind; a new rate record or
//     in-flight marker, which may not be evicted (that would reset a budget
//     or allow a second approval at once), is refused with ErrFull, for that
//     user and kind only.
//   - The guard holds at most WithMaxRecords records. A new record over
//     that cap evicts the oldest replay record of any user; only when no
//     replay record is left is it refused with ErrFull. Keep the cap well
//     above what all users hold in flight at once (DefaultMaxRecords is
//     far above it for the handlers' few kinds).
//
// Eviction trades the oldest replay records, the ones closest to their end
// anyway, for the availability of every other user: a user who floods one
// kind evicts only their own records of it.
type Memory struct {
	cfg  memoryConfig
	base time.Time

	mu      sync.Mutex
	records table
	buckets map[bucketKey]*bucket
	used    list // every replay record, oldest first
	exp     expiry
	seq     uint64
	spare   *record // a dropped record, reused by the next insert
}

// recType separates the records of Allow, Begin and MarkUsed.
type recType uint8

const (
	rateRec recType = iota
	flightRec
	usedRec
)

type recKey struct {
	typ recType
	key Key
}

// bucketKey names the records one user holds of one kind.
type bucketKey struct{ kind, user string }

type bucket struct {
	n    int  // records of any type
	used list // its replay records, oldest first
}

type record struct {
	key    recKey
	hash   uint64 // of key, set by table.put
	exp    int64  // nanoseconds after Memory.base
	q      *queue
	b      *bucket
	links  [numLinks]link
	events []int64 // rate records: the admitted events in the window
	seq    uint64  // in-flight markers: tells a mark from a later one
}

var _ Guard = (*Memory)(nil)

// NewMemory returns an empty Memory. Options that fail are reported.
func NewMemory(opts ...MemoryOption) (*Memory, error) {
	cfg := memoryConfig{
		maxPerUser: DefaultMaxPerUser,
		maxRecords: DefaultMaxRecords,
		kindMax:    make(map[string]int),
	}
	if err := cfg.apply(opts); err != nil {
		return nil, err
	}
	return &Memory{
		cfg:     cfg,
		base:    time.Now(),
		records: newTable(),
		buckets: make(map[bucketKey]*bucket),
		used:    list{which: linkAll},
		exp:     newExpiry(),
	}, nil
}

// Allow implements Guard.
func (m *Memory) Allow(ctx context.Context, k Key, limit int, window time.Duration) (bool, error) {
	const op = "allow"
	if err := check(ctx, op, k); err != nil {
		return false, err
	}
	if limit < 1 || window <= 0 {
		return false, invalid(op, fmt.Sprintf("limit %d and window %v must be positive", limit, window))
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	m.expire(now)
	rk := recKey{rateRec, k}
	if r := m.records.get(rk); r != nil {
		cut := now - int64(window)
		i := 0
		for i < len(r.events) && r.events[i] <= cut {
			i++
		}
		r.events = r.events[i:]
		if len(r.events) >= limit {
			return false, nil
		}
		r.events = append(r.events, now)
		m.exp.remove(r)
		r.exp = deadline(now, window)
		m.exp.add(r, window)
		return true, nil
	}
	r, err := m.insert(op, rk, window, now)
	if err != nil {
		return false, err
	}
	r.events = append(r.events[:0], now)
	return true, nil
}

// Begin implements Guard.
func (m *Memory) Begin(ctx context.Context, k Key, ttl time.Duration) (func(), bool, error) {
	const op = "begin"
	if err := check(ctx, op, k); err != nil {
		return nil, false, err
	}
	if ttl <= 0 {
		return nil, false, invalid(op, fmt.Sprintf("ttl %v must be positive", ttl))
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	m.expire(now)
	rk := recKey{flightRec, k}
	if m.records.get(rk) != nil {
		return nil, false, nil
	}
	r, err := m.insert(op, rk, ttl, now)
	if err != nil {
		return nil, false, err
	}
	m.seq++
	r.seq = m.seq
	seq := r.seq
	return func() { m.release(rk, seq) }, true, nil
}

// release ends the mark rk made with seq, if it still stands.
func (m *Memory) release(rk recKey, seq uint64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if r := m.records.get(rk); r != nil && r.seq == seq {
		m.drop(r)
	}
}

// MarkUsed implements Guard.
func (m *Memory) MarkUsed(ctx context.Context, k Key, ttl time.Duration) (bool, error) {
	const op = "mark used"
	if err := check(ctx, op, k); err != nil {
		return false, err
	}
	if ttl <= 0 {
		return false, invalid(op, fmt.Sprintf("ttl %v must be positive", ttl))
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	m.expire(now)
	rk := recKey{usedRec, k}
	if m.records.get(rk) != nil {
		return false, nil
	}
	if _, err := m.insert(op, rk, ttl, now); err != nil {
		return false, err
	}
	return true, nil
}

// Used implements Guard.
func (m *Memory) Used(ctx context.Context, k Key) (bool, error) {
	const op = "used"
	if err := check(ctx, op, k); err != nil {
		return false, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	m.expire(now)
	return m.records.get(recKey{usedRec, k}) != nil, nil
}

// Len reports the number of live records.
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.expire(m.now())
	return m.records.n
}

func (m *Memory) now() int64 { return int64(time.Since(m.base)) }

// expire drops every record that expired at now, oldest first.
func (m *Memory) expire(now int64) {
	for r := m.exp.next(now); r != nil; r = m.exp.next(now) {
		m.drop(r)
	}
}

// insert adds the record rk, expiring ttl after now, making room under the
// caps by evicting replay records, or refusing with ErrFull.
func (m *Memory) insert(op string, rk recKey, ttl time.Duration, now int64) (*record, error) {
	bk := bucketKey{rk.key.Kind, rk.key.User}
	if b := m.buckets[bk]; b != nil && b.n >= m.maxFor(bk.kind) {
		if b.used.head == nil {
			return nil, &codedError{
				msg:  fmt.Sprintf("guard: memory: %s: full: the user holds %d records of kind %q", op, b.n, bk.kind),
				code: ErrFull,
			}
		}
		m.drop(b.used.head)
	}
	if m.records.n >= m.cfg.maxRecords {
		if m.used.head == nil {
			return nil, &codedError{
				msg:  fmt.Sprintf("guard: memory: %s: full: %d records, none of them evictable", op, m.records.n),
				code: ErrFull,
			}
		}
		m.drop(m.used.head)
	}
	b := m.buckets[bk]
	if b == nil {
		b = &bucket{used: list{which: linkBucket}}
		m.buckets[bk] = b
	}
	r := m.spare
	if r != nil {
		m.spare = nil
	} else {
		r = new(record)
	}
	r.key, r.exp, r.b = rk, deadline(now, ttl), b
	b.n++
	m.records.put(r)
	m.exp.add(r, ttl)
	if rk.typ == usedRec {
		b.used.pushBack(r)
		m.used.pushBack(r)
	}
	return r, nil
}

// drop removes r from every index and keeps it for reuse.
func (m *Memory) drop(r *record) {
	m.records.del(r)
	m.exp.remove(r)
	b := r.b
	if r.key.typ == usedRec {
		b.used.remove(r)
		m.used.remove(r)
	}
	b.n--
	if b.n == 0 {
		delete(m.buckets, bucketKey{r.key.key.Kind, r.key.key.User})
	}
	*r = record{}
	m.spare = r
}

func (m *Memory) maxFor(kind string) int {
	if n, ok := m.cfg.kindMax[kind]; ok {
		return n
	}
	return m.cfg.maxPerUser
}

// deadline is now+d, saturating instead of overflowing.
func deadline(now int64, d time.Duration) int64 {
	if int64(d) > math.MaxInt64-now {
		return math.MaxInt64
	}
	return now + int64(d)
}

// check refuses a canceled context and an invalid key.
func check(ctx context.Context, op string, k Key) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("guard: memory: %s: %w", op, err)
	}
	if p := k.problem(); p != "" {
		return invalid(op, "invalid key: "+p)
	}
	return nil
}

func invalid(op, reason string) error {
	return &codedError{msg: "guard: memory: " + op + ": " + reason, code: ErrInvalid}
}
