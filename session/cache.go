package session

import (
	"hash/maphash"
	"maps"
	"strings"
	"sync"
	"sync/atomic"
)

// DefaultVerifiedCacheSize is the default number of entries of the cache
// of verified cookies (see [WithVerifiedCache]).
const DefaultVerifiedCacheSize = 10_000

// maxVerifiedCacheSize bounds [WithVerifiedCache].
const maxVerifiedCacheSize = 1 << 20

// minShardSize is the smallest shard worth its own lock.
const minShardSize = 128

// maxShards bounds the number of shards (a power of two).
const maxShards = 64

// verifiedCache remembers the decoded values of cookies whose signature,
// encryption and timestamp securecookie has verified, keyed by the exact
// cookie value, so that a request presenting the same cookie again skips
// the cryptography and the decoding.
//
// It caches the raw values only, never a verdict: the caller parses them
// and runs every check (the login's absolute lifetime, the pending window,
// server-side revocation) on every request, hit or miss. That is why the
// cache needs no invalidation: a revoked session's cookie still maps to
// the same values, and the checks after the lookup reject it. An entry
// never outlives the cookie's own signed expiry.
//
// It is bounded: the entries are split over shards (each with its own
// lock, so concurrent requests rarely contend), and each shard evicts with
// the CLOCK algorithm, an O(1) approximation of least recently used.
type verifiedCache struct {
	seed   maphash.Seed
	mask   uint64
	shards []cacheShard
}

type cacheShard struct {
	mu    sync.RWMutex
	index map[string]int // cookie value -> slot
	slots []cacheSlot    // grows up to size, then recycled by the hand
	size  int
	hand  int
	_     [64]byte // keep shards on separate cache lines
}

type cacheSlot struct {
	key string
	e   *cacheEntry
	ref atomic.Bool // used since the hand last passed
}

// cacheEntry is immutable once stored: hits copy values out of it.
type cacheEntry struct {
	values  map[any]any
	expires int64 // unix seconds: the last second securecookie accepts the cookie
}

// newVerifiedCache returns a cache of at most size entries (size > 0).
func newVerifiedCache(size int) *verifiedCache {
	n := 1
	for n*2 <= maxShards && size/(n*2) >= minShardSize {
		n *= 2
	}
	c := &verifiedCache{seed: maphash.MakeSeed(), mask: uint64(n - 1), shards: make([]cacheShard, n)}
	for i := range c.shards {
		c.shards[i].size = size / n
		if i < size%n {
			c.shards[i].size++ // exactly size in all
		}
		c.shards[i].index = make(map[string]int)
	}
	return c
}

func (c *verifiedCache) shard(key string) *cacheShard {
	if c.mask == 0 {
		return &c.shards[0]
	}
	return &c.shards[maphash.String(c.seed, key)&c.mask]
}

// get returns a private copy of the values cached for key, if any and not
// expired at unix time now.
func (c *verifiedCache) get(key string, now int64) (map[any]any, bool) {
	sh := c.shard(key)
	sh.mu.RLock()
	i, ok := sh.index[key]
	var e *cacheEntry
	if ok {
		sl := &sh.slots[i]
		e = sl.e
		if !sl.ref.Load() {
			sl.ref.Store(true)
		}
	}
	sh.mu.RUnlock()
	if e == nil {
		return nil, false
	}
	if now > e.expires {
		sh.remove(key, e)
		return nil, false
	}
	// A copy: the caller may change its session's values freely.
	return maps.Clone(e.values), true
}

// put stores a private copy of values for key until expires (unix seconds).
func (c *verifiedCache) put(key string, values map[any]any, expires int64) {
	e := &cacheEntry{values: maps.Clone(values), expires: expires}
	sh := c.shard(key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if i, ok := sh.index[key]; ok {
		sh.slots[i].e = e
		return
	}
	if sh.size == 0 {
		return
	}
	key = strings.Clone(key) // do not keep the request's header alive
	if len(sh.slots) < sh.size {
		sh.slots = append(sh.slots, cacheSlot{key: key, e: e})
		sh.index[key] = len(sh.slots) - 1
		return
	}
	// CLOCK: skip (and clear) recently used slots; the second pass at the
	// latest finds one.
	for {
		sl := &sh.slots[sh.hand]
		if sl.ref.Load() {
			sl.ref.Store(false)
			sh.hand = (sh.hand + 1) % len(sh.slots)
			continue
		}
		if sl.e != nil {
			delete(sh.index, sl.key)
		}
		sl.key, sl.e = key, e
		sh.index[key] = sh.hand
		sh.hand = (sh.hand + 1) % len(sh.slots)
		return
	}
}

// remove drops key if it still maps to e.
func (sh *cacheShard) remove(key string, e *cacheEntry) {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	i, ok := sh.index[key]
	if !ok || sh.slots[i].e != e {
		return
	}
	delete(sh.index, key)
	// Keep the slot (the ring's length stays put); an empty slot is the
	// hand's first victim.
	sh.slots[i] = cacheSlot{}
}

// count returns the number of entries.
func (c *verifiedCache) count() int {
	n := 0
	for i := range c.shards {
		sh := &c.shards[i]
		sh.mu.RLock()
		n += len(sh.index)
		sh.mu.RUnlock()
	}
	return n
}
