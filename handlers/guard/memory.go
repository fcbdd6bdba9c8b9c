package guard

import (
	"context"
	"fmt"
	"hash/maphash"
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
//
// The records are kept in flat arrays without pointers, so that a full
// guard costs the garbage collector next to nothing and a call touches few
// cache lines; a steady flow of calls allocates nothing but the release
// function of Begin.
type Memory struct {
	cfg  memoryConfig
	base time.Time
	seed maphash.Seed

	mu        sync.Mutex
	recs      []record // index 0 unused
	freeRecs  []uint32
	live      int
	records   table    // of recs
	buckets   []bucket // index 0 unused
	freeBkts  []uint32
	bucketIdx table // of buckets
	used      list  // every replay record, oldest first
	exp       expiry
	keys      arena[byte]
	events    arena[int64]
	seq       uint64
	warmed    int64 // see warm
}

var _ Guard = (*Memory)(nil)

// Smallest runs in the arenas: 16 key bytes, 4 events.
const (
	minKeyClass   = 4
	minEventClass = 2
)

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
		cfg:       cfg,
		base:      time.Now(),
		seed:      maphash.MakeSeed(),
		recs:      make([]record, 1),
		records:   newTable(),
		buckets:   make([]bucket, 1),
		bucketIdx: newTable(),
		exp:       newExpiry(),
		keys:      arena[byte]{minClass: minKeyClass},
		events:    arena[int64]{minClass: minEventClass},
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
	h := m.hash(rateRec, k)
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	m.expire(now)
	i := m.find(rateRec, k, h)
	if i == 0 {
		var err error
		bh := m.bucketHash(k)
		if i, err = m.insert(op, rateRec, k, h, m.findBucket(k, bh), bh, window, now); err != nil {
			return false, err
		}
		r := &m.recs[i]
		r.evClass = m.events.class(1)
		*r.evRef() = m.events.alloc(r.evClass)
		m.record(r, now)
		return true, nil
	}
	r := &m.recs[i]
	ev := m.events.run(r.evClass, *r.evRef())
	mask := uint32(len(ev) - 1)
	cut := now - int64(window)
	head, n := r.evHead(), r.evLen()
	for *n > 0 && ev[*head] <= cut {
		*head = (*head + 1) & mask
		*n--
	}
	if int64(*n) >= int64(limit) {
		return false, nil
	}
	m.record(r, now)
	m.exp.remove(m.recs, i)
	r.exp = deadline(now, window)
	m.exp.add(m.recs, i, window)
	return true, nil
}

// record appends the event now to rate record r, growing its ring when it
// is full.
func (m *Memory) record(r *record, now int64) {
	ref, head, n := r.evRef(), r.evHead(), r.evLen()
	ev := m.events.run(r.evClass, *ref)
	if int(*n) == len(ev) {
		c := r.evClass + 1
		gref := m.events.alloc(c)
		grown := m.events.run(c, gref)
		ev = m.events.run(r.evClass, *ref) // alloc may have moved the chunk list
		k := copy(grown, ev[*head:])
		copy(grown[k:], ev[:*head])
		m.events.release(r.evClass, *ref)
		r.evClass, *ref, *head, ev = c, gref, 0, grown
	}
	ev[(*head+*n)&uint32(len(ev)-1)] = now
	*n++
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
	h, bh := m.hash(flightRec, k), m.bucketHash(k)
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	m.expire(now)
	b := m.warm(k, h, bh)
	if m.find(flightRec, k, h) != 0 {
		return nil, false, nil
	}
	i, err := m.insert(op, flightRec, k, h, b, bh, ttl, now)
	if err != nil {
		return nil, false, err
	}
	m.seq++
	seq := m.seq
	m.recs[i].setSeq(seq)
	return func() { m.release(i, seq) }, true, nil
}

// release ends the mark that record i holds with seq, if it still stands:
// seq is unique to one mark, and a dropped record holds none.
func (m *Memory) release(i uint32, seq uint64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if r := &m.recs[i]; r.typ == flightRec && r.seq() == seq {
		m.drop(i)
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
	h, bh := m.hash(usedRec, k), m.bucketHash(k)
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	m.expire(now)
	b := m.warm(k, h, bh)
	if m.find(usedRec, k, h) != 0 {
		return false, nil
	}
	if _, err := m.insert(op, usedRec, k, h, b, bh, ttl, now); err != nil {
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
	h := m.hash(usedRec, k)
	m.mu.Lock()
	defer m.mu.Unlock()
	m.expire(m.now())
	return m.find(usedRec, k, h) != 0, nil
}

// Len reports the number of live records.
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.expire(m.now())
	return m.live
}

func (m *Memory) now() int64 { return int64(time.Since(m.base)) }

// keyHash is what Memory.records knows a record by: a hash of its type
// and key, and the tag it is filed under in the table.
type keyHash struct {
	full uint64
	tag  uint32
}

// Bits of a record's tag that come from the hash of its whole key; the
// others come from the hash of its User and ID alone.
const tagKeyBits = 8

// hash hashes typ and k. The tag's top bits, which choose its home slot in
// the table, hash only k's User and ID (unambiguously: the user's length is
// written out), so the records of one user and id, whatever their kind
// (the done-check, in-flight marker and token of one login), share a cache
// line of the table: a login's calls then miss the cache once there, not
// once per call. Its low bits, like full, depend on the whole key, so that
// a probe still looks at a record of another kind only by rare chance.
// Kinds are few, so no home collects more than a handful of records
// beyond the chance collisions of the seeded hash.
func (m *Memory) hash(typ recType, k Key) keyHash {
	var h maphash.Hash
	h.SetSeed(m.seed)
	n := len(k.User)
	_ = h.WriteByte(byte(n))
	_ = h.WriteByte(byte(n >> 8))
	_, _ = h.WriteString(k.User)
	_, _ = h.WriteString(k.ID)
	userID := h.Sum64()
	// The kind holds no 0xff byte, so typ and kind are read back unambiguously.
	h.Reset()
	_, _ = h.WriteString(k.Kind)
	_ = h.WriteByte(0xff)
	_ = h.WriteByte(byte(typ))
	full := userID ^ h.Sum64()
	return keyHash{full: full, tag: uint32(userID>>32)&^(1<<tagKeyBits-1) | uint32(full)&(1<<tagKeyBits-1)}
}

// bucketHash hashes k's kind and user, unambiguously as above.
func (m *Memory) bucketHash(k Key) uint64 {
	var h maphash.Hash
	h.SetSeed(m.seed)
	_, _ = h.WriteString(k.Kind)
	_ = h.WriteByte(0xff)
	_, _ = h.WriteString(k.User)
	return h.Sum64()
}

// find returns the index of the record of typ and k, whose hash is h, or 0.
// A match is checked on the whole key, byte for byte.
func (m *Memory) find(typ recType, k Key, h keyHash) uint32 {
	return m.records.find(h.tag, func(i uint32) bool {
		r := &m.recs[i]
		return r.hash == h.full && r.typ == typ &&
			int(r.kindLen) == len(k.Kind) && int(r.userLen) == len(k.User) && int(r.idLen) == len(k.ID) &&
			keyIs(m.keys.run(r.keyClass, r.keyRef), len(k.Kind), len(k.User), k)
	})
}

// findBucket returns the index of the bucket of k's kind and user, whose
// hash is h, or 0.
func (m *Memory) findBucket(k Key, h uint64) uint32 {
	return m.bucketIdx.find(uint32(h>>32), func(i uint32) bool {
		b := &m.buckets[i]
		return b.hash == h && int(b.kindLen) == len(k.Kind) && int(b.userLen) == len(k.User) &&
			keyIs(m.keys.run(b.keyClass, b.keyRef), len(k.Kind), len(k.User), Key{Kind: k.Kind, User: k.User})
	})
}

// expire drops every record that expired at now, oldest first.
func (m *Memory) expire(now int64) {
	for i := m.exp.next(now); i != 0; i = m.exp.next(now) {
		m.drop(i)
	}
}

// warm returns the bucket of k's kind and user (bh is their hash), or 0.
// On the way it starts reading the table slot of k's hash h and, when the
// bucket is full, the replay record an insert would evict: with a million
// records neither is likely in the cache, and the two loads then overlap
// each other and the bucket lookup instead of following one another.
func (m *Memory) warm(k Key, h keyHash, bh uint64) uint32 {
	m.warmed += int64(m.records.slots[m.records.home(h.tag)].idx)
	b := m.findBucket(k, bh)
	if b != 0 {
		if bk := &m.buckets[b]; bk.used.head != 0 && int(bk.n) >= m.maxFor(k.Kind) {
			m.warmed += m.recs[bk.used.head].exp
		}
	}
	return b
}

// touch reads what dropping record i (0: none), the head of a list of
// replay records through links[which], will read: its table slot and its
// neighbours on the lists it is on, its key run; and the record after it, whose own
// slot and neighbours the touch at the next eviction reads. With a million
// records none of them is likely in the cache, and a record must be read
// before its slot; read here, one eviction ahead, the misses overlap each
// other and the rest of the call instead of following one another, and
// the evictions find them in the cache (a user's next eviction of a kind
// comes after the other users' calls, but a core's own cache holds what
// those calls touch many times over).
func (m *Memory) touch(i uint32, which int) {
	if i == 0 {
		return
	}
	r := &m.recs[i]
	w := int64(m.records.slots[m.records.home(r.tag)].idx)
	for _, l := range r.links {
		w += m.recs[l.prev].exp + m.recs[l.next].exp
	}
	w += int64(m.keys.run(r.keyClass, r.keyRef)[0]) // reused by the next insert
	m.warmed += w + int64(m.recs[r.links[which].next].tag)
}

// insert adds the record of typ and k, whose hash is h, in bucket b (0:
// none yet) of hash bh, expiring ttl after now, making room under the caps by evicting replay records, or refusing
// with ErrFull. It returns the record's index.
func (m *Memory) insert(op string, typ recType, k Key, h keyHash, b uint32, bh uint64, ttl time.Duration, now int64) (uint32, error) {
	// Decide before changing anything: refuse, or evict the user's oldest
	// replay record of the kind, or the oldest of all.
	var evict uint32
	switch {
	case b != 0 && int(m.buckets[b].n) >= m.maxFor(k.Kind):
		if evict = m.buckets[b].used.head; evict == 0 {
			return 0, &codedError{
				msg:  fmt.Sprintf("guard: memory: %s: full: the user holds %d records of kind %q", op, m.buckets[b].n, k.Kind),
				code: ErrFull,
			}
		}
	case m.live >= m.cfg.maxRecords:
		if evict = m.used.head; evict == 0 {
			return 0, &codedError{
				msg:  fmt.Sprintf("guard: memory: %s: full: %d records, none of them evictable", op, m.live),
				code: ErrFull,
			}
		}
	}
	// Take the record and its key run before the eviction frees others:
	// the runs freed last (a released marker's, say) are likely still in
	// the cache, the evicted record's key run is not.
	i := m.newRecord()
	keyClass := m.keys.class(len(k.Kind) + len(k.User) + len(k.ID))
	keyRef := m.keys.alloc(keyClass)
	if evict != 0 {
		m.drop(evict)
		if b != 0 && m.buckets[b].n == 0 { // dropped with its last record
			b = 0
		}
		// The next eviction from the same list takes its new head.
		if b != 0 && evict != m.used.head {
			m.touch(m.buckets[b].used.head, linkBucket)
		} else {
			m.touch(m.used.head, linkAll)
		}
	}
	if b == 0 {
		b = m.newBucket(k, bh)
	}
	r := &m.recs[i]
	r.hash, r.tag, r.typ, r.exp, r.bucket = h.full, h.tag, typ, deadline(now, ttl), b
	r.kindLen, r.userLen, r.idLen = uint8(len(k.Kind)), uint16(len(k.User)), uint16(len(k.ID))
	r.keyClass, r.keyRef = keyClass, keyRef
	kb := m.keys.run(keyClass, keyRef)
	n := copy(kb, k.Kind)
	n += copy(kb[n:], k.User)
	copy(kb[n:], k.ID)
	m.buckets[b].n++
	m.records.insert(h.tag, i)
	m.exp.add(m.recs, i, ttl)
	if typ == usedRec {
		m.buckets[b].used.pushBack(m.recs, linkBucket, i)
		m.used.pushBack(m.recs, linkAll, i)
	}
	m.live++
	return i, nil
}

// newRecord returns the index of a zeroed record, reusing a dropped one.
func (m *Memory) newRecord() uint32 {
	if n := len(m.freeRecs); n > 0 {
		i := m.freeRecs[n-1]
		m.freeRecs = m.freeRecs[:n-1]
		return i
	}
	m.recs = append(m.recs, record{})
	return uint32(len(m.recs) - 1)
}

// newBucket adds the empty bucket of k's kind and user, whose hash is h.
func (m *Memory) newBucket(k Key, h uint64) uint32 {
	var b uint32
	if n := len(m.freeBkts); n > 0 {
		b = m.freeBkts[n-1]
		m.freeBkts = m.freeBkts[:n-1]
	} else {
		m.buckets = append(m.buckets, bucket{})
		b = uint32(len(m.buckets) - 1)
	}
	bk := &m.buckets[b]
	bk.hash, bk.kindLen, bk.userLen = h, uint8(len(k.Kind)), uint16(len(k.User))
	bk.keyClass = m.keys.class(len(k.Kind) + len(k.User))
	bk.keyRef = m.keys.alloc(bk.keyClass)
	kb := m.keys.run(bk.keyClass, bk.keyRef)
	n := copy(kb, k.Kind)
	copy(kb[n:], k.User)
	m.bucketIdx.insert(uint32(h>>32), b)
	return b
}

// drop removes record i from every index and frees it for reuse, with its
// bucket when it was the bucket's last record.
func (m *Memory) drop(i uint32) {
	r := &m.recs[i]
	m.records.remove(r.tag, i)
	m.exp.remove(m.recs, i)
	bi := r.bucket
	b := &m.buckets[bi]
	if r.typ == usedRec {
		b.used.remove(m.recs, linkBucket, i)
		m.used.remove(m.recs, linkAll, i)
	}
	if r.typ == rateRec {
		m.events.release(r.evClass, *r.evRef())
	}
	m.keys.release(r.keyClass, r.keyRef)
	*r = record{}
	m.freeRecs = append(m.freeRecs, i)
	m.live--
	b.n--
	if b.n == 0 {
		m.bucketIdx.remove(uint32(b.hash>>32), bi)
		m.keys.release(b.keyClass, b.keyRef)
		*b = bucket{}
		m.freeBkts = append(m.freeBkts, bi)
	}
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
