package session

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	testHashKey  = bytes.Repeat([]byte{0x11}, 32)
	testBlockKey = bytes.Repeat([]byte{0x22}, 32)
)

func TestVerifiedCacheBounded(t *testing.T) {
	for _, size := range []int{1, 3, 127, 128, 1000, DefaultVerifiedCacheSize} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			c := newVerifiedCache(size)
			for i := range size * 3 {
				c.put(fmt.Sprint("cookie", i), map[any]any{"i": i}, 100)
				require.LessOrEqual(t, c.count(), size)
			}
			assert.Greater(t, c.count(), size*3/4, "the cache fills up")
			assert.LessOrEqual(t, len(c.shards), maxShards)
			for i := range c.shards {
				assert.GreaterOrEqual(t, c.shards[i].size, min(size, minShardSize))
			}
		})
	}
}

// TestVerifiedCacheClock: recently used entries survive eviction.
func TestVerifiedCacheClock(t *testing.T) {
	c := newVerifiedCache(4)
	for i := range 4 {
		c.put(fmt.Sprint(i), map[any]any{}, 100)
	}
	_, ok := c.get("0", 0)
	require.True(t, ok)
	c.put("new", map[any]any{}, 100) // evicts one of 1..3, not the hot 0
	_, ok = c.get("0", 0)
	assert.True(t, ok, "recently used entry evicted")
	_, ok = c.get("new", 0)
	assert.True(t, ok)
	assert.Equal(t, 4, c.count())
}

func TestVerifiedCacheCopiesValues(t *testing.T) {
	c := newVerifiedCache(10)
	in := map[any]any{"uid": "u1"}
	c.put("k", in, 100)
	in["uid"] = "changed by the writer"
	got, ok := c.get("k", 0)
	require.True(t, ok)
	assert.Equal(t, "u1", got["uid"])
	got["uid"] = "changed by a reader"
	got["extra"] = true
	again, ok := c.get("k", 0)
	require.True(t, ok)
	assert.Equal(t, map[any]any{"uid": "u1"}, again)
}

func TestVerifiedCacheExpiry(t *testing.T) {
	c := newVerifiedCache(10)
	c.put("k", map[any]any{}, 100)
	_, ok := c.get("k", 100)
	assert.True(t, ok, "valid through its last second")
	_, ok = c.get("k", 101)
	assert.False(t, ok, "expired")
	assert.Zero(t, c.count(), "an expired entry is dropped")
	c.put("k2", map[any]any{}, 100) // reuses the emptied slot
	assert.Equal(t, 1, c.count())
}

func TestVerifiedCacheConcurrent(t *testing.T) {
	c := newVerifiedCache(200)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 2000 {
				k := fmt.Sprint((g*7 + i) % 500)
				if v, ok := c.get(k, 0); ok {
					assert.Equal(t, k, v["k"])
					v["k"] = "mine"
				} else {
					c.put(k, map[any]any{"k": k}, 100)
				}
			}
		})
	}
	wg.Wait()
	assert.LessOrEqual(t, c.count(), 200)
}

// cacheManager returns a WithKeys Manager on a settable clock.
func cacheManager(t *testing.T, now *time.Time, opts ...Option) *Manager {
	t.Helper()
	opts = append([]Option{WithKeys(testHashKey, testBlockKey), WithClock(func() time.Time { return *now })}, opts...)
	m, err := NewManager(opts...)
	require.NoError(t, err)
	return m
}

func saveCookie(t *testing.T, m *Manager, edit func(*Session)) *http.Cookie {
	t.Helper()
	s, err := m.Load(httptest.NewRequest(http.MethodGet, "/", nil))
	require.NoError(t, err)
	edit(s)
	rec := httptest.NewRecorder()
	require.NoError(t, s.Save(rec, httptest.NewRequest(http.MethodGet, "/", nil)))
	cs := rec.Result().Cookies()
	require.Len(t, cs, 1)
	return &http.Cookie{Name: cs[0].Name, Value: cs[0].Value}
}

func loadWith(m *Manager, c *http.Cookie) (*Session, error) {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.AddCookie(c)
	return m.Load(r)
}

// TestCacheOnlyVerifiedCookiesUntilTheirExpiry: only cookies that
// securecookie accepted enter the cache, each until its signed timestamp
// plus the max age, and the Manager's clock ends a hit at that time.
func TestCacheOnlyVerifiedCookiesUntilTheirExpiry(t *testing.T) {
	now := time.Now()
	m := cacheManager(t, &now)
	before := time.Now().Unix()
	c := saveCookie(t, m, func(s *Session) { s.SetFlow("k", "v") })

	for _, bad := range []string{"", "x", c.Value[:len(c.Value)-4], c.Value + "A"} {
		_, err := loadWith(m, &http.Cookie{Name: c.Name, Value: bad})
		require.ErrorIs(t, err, ErrUnreadable)
	}
	assert.Zero(t, m.cache.count(), "failed decodes are not cached")

	s, err := loadWith(m, c)
	require.NoError(t, err)
	assert.Equal(t, "v", s.Flow("k"))
	require.Equal(t, 1, m.cache.count())
	sh := m.cache.shard(c.Value)
	e := sh.slots[sh.index[c.Value]].e
	maxAge := int64(DefaultMaxAge / time.Second)
	assert.GreaterOrEqual(t, e.expires, before+maxAge)
	assert.LessOrEqual(t, e.expires, time.Now().Unix()+maxAge)

	// A change on one request does not reach the cache.
	s.SetFlow("k", "changed")
	s2, err := loadWith(m, c)
	require.NoError(t, err)
	assert.Equal(t, "v", s2.Flow("k"))

	// Past the cookie's expiry (on the Manager's clock) the entry is not
	// served any more.
	now = time.Unix(e.expires+1, 0)
	_, ok := m.cache.get(c.Value, max(time.Now().Unix(), m.now().Unix()))
	assert.False(t, ok)
}

func TestWithVerifiedCacheOption(t *testing.T) {
	now := time.Now()
	m := cacheManager(t, &now)
	require.NotNil(t, m.cache, "on by default")
	assert.Equal(t, DefaultVerifiedCacheSize, totalSize(m.cache))

	m = cacheManager(t, &now, WithVerifiedCache(0))
	assert.Nil(t, m.cache)
	c := saveCookie(t, m, func(s *Session) { require.NoError(t, s.BeginLogin("u1", "", false)) })
	s, err := loadWith(m, c)
	require.NoError(t, err)
	assert.Equal(t, "u1", s.UserID(), "works without a cache")

	m = cacheManager(t, &now, WithVerifiedCache(500))
	assert.Equal(t, 500, totalSize(m.cache))

	for _, n := range []int{-1, maxVerifiedCacheSize + 1} {
		_, err := NewManager(WithKeys(testHashKey, testBlockKey), WithVerifiedCache(n))
		assert.ErrorContains(t, err, "session: WithVerifiedCache:")
	}
	// A server-side store's records change under the same cookie: no cache.
	m, err = NewManager(WithStore(m.store))
	require.NoError(t, err)
	assert.Nil(t, m.cache)
	_, err = NewManager(WithVerifiedCache(10), WithStore(m.store))
	assert.ErrorContains(t, err, "session: NewManager: WithVerifiedCache needs WithKeys")
	_, err = NewManager(WithVerifiedCache(0), WithStore(m.store))
	assert.NoError(t, err)
}

func totalSize(c *verifiedCache) int {
	n := 0
	for i := range c.shards {
		n += c.shards[i].size
	}
	return n
}
