package guardtest

import (
	"context"
	"crypto/rand"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/handlers"
)

// DefaultTTL is the ttl and window the suite uses in real time (Harness
// without Advance) unless Harness.TTL is set.
const DefaultTTL = 150 * time.Millisecond

// fakeTTL is the ttl and window the suite uses with Harness.Advance.
const fakeTTL = time.Minute

// Harness connects the suite to an implementation.
type Harness struct {
	// New returns a fresh guard holding no records. It is called once per
	// subtest; use t.Cleanup to release what it opens.
	New func(t *testing.T) handlers.Guard
	// Advance, if set, moves the clock of every guard New returns forward
	// by d. Without it the suite sleeps.
	Advance func(d time.Duration)
	// TTL is the ttl and window used without Advance (default DefaultTTL).
	// The suite then takes about ten TTLs in all.
	TTL time.Duration
}

// Run runs the conformance suite against the implementation h describes.
func Run(t *testing.T, h Harness) {
	t.Helper()
	if h.New == nil {
		t.Fatal("guardtest: Harness.New is required")
	}
	if h.TTL < 0 {
		t.Fatal("guardtest: Harness.TTL must not be negative")
	}
	tests := []struct {
		name string
		fn   func(*env)
	}{
		{"AllowLimit", testAllowLimit},
		{"AllowSlidingWindow", testAllowSlidingWindow},
		{"AllowRefusedNotRecorded", testAllowRefusedNotRecorded},
		{"AllowWindowExpiry", testAllowWindowExpiry},
		{"BeginInFlight", testBeginInFlight},
		{"BeginRelease", testBeginRelease},
		{"BeginStaleRelease", testBeginStaleRelease},
		{"BeginExpiry", testBeginExpiry},
		{"MarkUsed", testMarkUsed},
		{"MarkUsedExpiry", testMarkUsedExpiry},
		{"Used", testUsed},
		{"ConcurrentBegin", testConcurrentBegin},
		{"ConcurrentMarkUsed", testConcurrentMarkUsed},
		{"ConcurrentAllow", testConcurrentAllow},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := h.New(t)
			require.NotNil(t, g, "Harness.New returned nil")
			tc.fn(newEnv(t, h, g))
		})
	}
}

// env is one subtest's guard and clock.
type env struct {
	t      *testing.T
	g      handlers.Guard
	ctx    context.Context
	prefix string

	advance func(time.Duration)
	ttl     time.Duration // the ttl and window of the subtest
	step    time.Duration // ttl/10
	start   time.Time     // real time: when the subtest began
	fake    time.Duration // fake time: how far the suite moved the clock
}

func newEnv(t *testing.T, h Harness, g handlers.Guard) *env {
	e := &env{t: t, g: g, ctx: context.Background(), advance: h.Advance, start: time.Now()}
	switch {
	case h.Advance != nil:
		e.ttl = fakeTTL
	case h.TTL > 0:
		e.ttl = h.TTL
	default:
		e.ttl = DefaultTTL
	}
	e.step = e.ttl / 10
	e.prefix = "guardtest-" + rand.Text()[:12] + "-"
	return e
}

// key returns the run's key for name.
func (e *env) key(name string) string { return e.prefix + name }

// lookalikes are keys that must not share records with "k" or each other.
var lookalikes = []string{"k", "K", "k ", " k", "k1", "k:", "k/1", "kk"}

// now is the subtest's clock: the fake time moved by the suite, or the real
// time since the subtest began.
func (e *env) now() time.Duration {
	if e.advance != nil {
		return e.fake
	}
	return time.Since(e.start)
}

// wait moves the clock forward by at least d.
func (e *env) wait(d time.Duration) {
	if e.advance != nil {
		e.advance(d)
		e.fake += d
		return
	}
	time.Sleep(d)
}

// expire waits until every record made before the call is past its ttl
// (ttl plus two steps; for a record made with a ttl of n*ttl, call it n
// times).
func (e *env) expire() { e.wait(e.ttl + 2*e.step) }

// fresh reports whether a record made at since with a ttl of d is surely
// still live: the check matters only then. In real time a very slow machine
// may make it false; the suite then skips the check rather than fail.
func (e *env) fresh(since, d time.Duration) bool {
	if e.now()-since < d-e.step {
		return true
	}
	e.t.Logf("guardtest: %v passed since the record was made (ttl %v); check skipped", e.now()-since, d)
	return false
}

func (e *env) markUsed(key string, ttl time.Duration) bool {
	e.t.Helper()
	first, err := e.g.MarkUsed(e.ctx, e.key(key), ttl)
	require.NoError(e.t, err, "MarkUsed(%q)", key)
	return first
}

func (e *env) used(key string) bool {
	e.t.Helper()
	used, err := e.g.Used(e.ctx, e.key(key))
	require.NoError(e.t, err, "Used(%q)", key)
	return used
}

// begin calls Begin and checks that release is set exactly when ok.
func (e *env) begin(key string, ttl time.Duration) (func(), bool) {
	e.t.Helper()
	release, ok, err := e.g.Begin(e.ctx, e.key(key), ttl)
	require.NoError(e.t, err, "Begin(%q)", key)
	if ok {
		require.NotNil(e.t, release, "Begin(%q) = ok with a nil release", key)
	} else {
		require.Nil(e.t, release, "Begin(%q) on a key in flight must return a nil release", key)
	}
	return release, ok
}

// release calls a release func, reporting a panic as a failure.
func (e *env) release(what string, release func()) {
	e.t.Helper()
	defer func() {
		if p := recover(); p != nil {
			e.t.Errorf("%s: release panicked: %v", what, p)
		}
	}()
	release()
}

// window is a model of one Allow key: the events the guard admitted, each
// known to lie between the times read before and after the call.
type window struct {
	e      *env
	key    string
	limit  int
	length time.Duration
	events [][2]time.Duration
}

func (e *env) window(key string, limit int, length time.Duration) *window {
	return &window{e: e, key: key, limit: limit, length: length}
}

// allow calls Allow and checks the answer against the model whenever the
// model is sure of it (in real time an event near the edge of the window
// may be either side of it; with Advance the suite avoids the edge). It
// returns the answer.
func (w *window) allow(msg string) bool {
	e := w.e
	e.t.Helper()
	lo := e.now()
	ok, err := e.g.Allow(e.ctx, e.key(w.key), w.limit, w.length)
	hi := e.now()
	require.NoError(e.t, err, "Allow(%q, %d, %v): %s", w.key, w.limit, w.length, msg)
	in, maybe := 0, 0
	for _, ev := range w.events {
		switch {
		case ev[0] > hi-w.length: // surely inside the window
			in++
		case ev[1] < lo-w.length: // surely outside
		default:
			maybe++
		}
	}
	switch {
	case in >= w.limit:
		assert.False(e.t, ok, "Allow(%q, %d, %v): %s: %d events in the window, want refused", w.key, w.limit, w.length, msg, in)
	case in+maybe < w.limit:
		assert.True(e.t, ok, "Allow(%q, %d, %v): %s: %d events in the window, want allowed", w.key, w.limit, w.length, msg, in)
	default:
		e.t.Logf("guardtest: Allow(%q): %s: events at the edge of the window; answer not checked", w.key, msg)
	}
	if ok {
		w.events = append(w.events, [2]time.Duration{lo, hi})
	}
	return ok
}

func testAllowLimit(e *env) {
	for _, limit := range []int{1, 3} {
		for _, k := range lookalikes {
			w := e.window(fmt.Sprintf("limit%d/%s", limit, k), limit, e.ttl)
			for i := range limit {
				w.allow(fmt.Sprintf("event %d of %d", i+1, limit))
			}
			w.allow("over the limit")
			w.allow("over the limit again")
		}
	}
}

func testAllowSlidingWindow(e *env) {
	// Limit 3 per window of ten steps: events at 0, 3 and 6 steps.
	w := e.window("slide", 3, e.ttl)
	w.allow("first event")
	e.wait(3 * e.step)
	w.allow("second event")
	e.wait(3 * e.step)
	w.allow("third event")
	w.allow("fourth event in the window")
	// At 11 steps only the first event has left the window: one more fits.
	// A fixed window that restarted at 10 steps would take three.
	e.wait(5 * e.step)
	w.allow("after the first event left the window")
	w.allow("window full again")
	// At 14 steps the second has left too.
	e.wait(3 * e.step)
	w.allow("after the second event left the window")
	w.allow("window full again")
	// Once a whole window has passed, all three fit again.
	e.expire()
	for i := range 3 {
		w.allow(fmt.Sprintf("event %d after the window passed", i+1))
	}
	w.allow("over the limit after the window passed")
}

func testAllowRefusedNotRecorded(e *env) {
	// Limit 2: two events at 0, refused ones at 4 and 8 steps.
	w := e.window("refused", 2, e.ttl)
	w.allow("first event")
	w.allow("second event")
	e.wait(4 * e.step)
	w.allow("refused at 4 steps")
	e.wait(4 * e.step)
	w.allow("refused at 8 steps")
	// At 11 steps both admitted events have left; the refused ones, had
	// they been recorded, would still fill the window.
	e.wait(3 * e.step)
	w.allow("after the admitted events left the window")
	w.allow("second event of the new window")
	w.allow("over the limit")
}

func testAllowWindowExpiry(e *env) {
	var ws []*window
	for _, k := range lookalikes {
		w := e.window("expiry/"+k, 2, e.ttl)
		w.allow("first event")
		w.allow("second event")
		w.allow("over the limit")
		ws = append(ws, w)
	}
	// A longer window on another key keeps its events.
	long := e.window("expiry-long", 1, 4*e.ttl)
	long.allow("first event")
	e.expire()
	for _, w := range ws {
		w.allow("after the window passed")
		w.allow("second event after the window passed")
		w.allow("over the limit after the window passed")
	}
	long.allow("within a window of four ttls")
}

func testBeginInFlight(e *env) {
	var releases []func()
	for _, k := range lookalikes {
		rel, ok := e.begin(k, e.ttl)
		require.True(e.t, ok, "Begin(%q) on a fresh key", k)
		releases = append(releases, rel)
	}
	for _, k := range lookalikes {
		for range 2 {
			_, ok := e.begin(k, e.ttl)
			assert.False(e.t, ok, "Begin(%q) while in flight", k)
		}
	}
	for i, rel := range releases {
		e.release(lookalikes[i], rel)
	}
}

func testBeginRelease(e *env) {
	rel1, ok := e.begin("k", e.ttl)
	require.True(e.t, ok, "first Begin")
	rel1b, ok := e.begin("other", e.ttl)
	require.True(e.t, ok, "Begin on another key")
	e.release("first release", rel1)
	rel2, ok := e.begin("k", e.ttl)
	require.True(e.t, ok, "Begin after release")
	at := e.now()

	e.release("release called twice", rel1)
	if e.fresh(at, e.ttl) {
		_, ok = e.begin("k", e.ttl)
		assert.False(e.t, ok, "a second call of an old release ended the later mark")
	}
	_, ok = e.begin("other", e.ttl)
	assert.False(e.t, ok, "releasing one key ended the mark of another")

	e.release("second mark", rel2)
	e.release("second mark, twice", rel2)
	rel3, ok := e.begin("k", e.ttl)
	require.True(e.t, ok, "Begin after the second release")
	e.release("third mark", rel3)
	e.release("other key", rel1b)
}

func testBeginStaleRelease(e *env) {
	rel1, ok := e.begin("k", e.ttl)
	require.True(e.t, ok, "first Begin")
	e.expire()
	rel2, ok := e.begin("k", e.ttl)
	require.True(e.t, ok, "Begin after the first mark expired")
	at := e.now()
	e.release("release of the expired mark", rel1)
	if e.fresh(at, e.ttl) {
		_, ok = e.begin("k", e.ttl)
		assert.False(e.t, ok, "the release of an expired mark ended the later mark")
	}
	e.release("second mark", rel2)
	rel3, ok := e.begin("k", e.ttl)
	require.True(e.t, ok, "Begin after the second release")
	e.release("third mark", rel3)
}

func testBeginExpiry(e *env) {
	_, ok := e.begin("k", e.ttl)
	require.True(e.t, ok, "first Begin")
	_, ok = e.begin("long", 4*e.ttl)
	require.True(e.t, ok, "Begin with a longer ttl")
	at := e.now()
	_, ok = e.begin("k", e.ttl)
	assert.False(e.t, ok, "Begin while in flight")

	e.expire()
	rel, ok := e.begin("k", e.ttl)
	assert.True(e.t, ok, "Begin after the mark's ttl")
	if ok {
		e.release("new mark", rel)
	}
	if e.fresh(at, 4*e.ttl) {
		_, ok = e.begin("long", e.ttl)
		assert.False(e.t, ok, "a mark with a ttl of four ttls ended after one")
	}
}

func testMarkUsed(e *env) {
	assert.True(e.t, e.markUsed("k", e.ttl), "first MarkUsed")
	for i := range 3 {
		assert.False(e.t, e.markUsed("k", e.ttl), "MarkUsed again (%d)", i+1)
	}
	for _, k := range lookalikes[1:] {
		assert.True(e.t, e.markUsed(k, e.ttl), "first MarkUsed(%q): keys are independent", k)
		assert.False(e.t, e.markUsed(k, e.ttl), "MarkUsed(%q) again", k)
	}
}

func testMarkUsedExpiry(e *env) {
	for _, k := range lookalikes {
		require.True(e.t, e.markUsed(k, e.ttl), "first MarkUsed(%q)", k)
	}
	require.True(e.t, e.markUsed("long", 4*e.ttl), "first MarkUsed with a longer ttl")
	at := e.now()
	e.expire()
	for _, k := range lookalikes {
		assert.True(e.t, e.markUsed(k, e.ttl), "MarkUsed(%q) after the ttl", k)
		assert.False(e.t, e.markUsed(k, e.ttl), "MarkUsed(%q) again after the ttl", k)
	}
	if e.fresh(at, 4*e.ttl) {
		assert.False(e.t, e.markUsed("long", e.ttl), "a record with a ttl of four ttls ended after one")
	}
}

func testUsed(e *env) {
	for range 3 {
		assert.False(e.t, e.used("k"), "Used before MarkUsed")
	}
	assert.True(e.t, e.markUsed("k", e.ttl), "MarkUsed after Used: Used must record nothing")
	assert.True(e.t, e.used("k"), "Used after MarkUsed")
	assert.True(e.t, e.used("k"), "Used after MarkUsed, again")
	for _, k := range lookalikes[1:] {
		assert.False(e.t, e.used(k), "Used(%q): keys are independent", k)
	}
	require.True(e.t, e.markUsed("long", 4*e.ttl), "MarkUsed with a longer ttl")
	at := e.now()

	e.expire()
	assert.False(e.t, e.used("k"), "Used after the ttl")
	if e.fresh(at, 4*e.ttl) {
		assert.True(e.t, e.used("long"), "a record with a ttl of four ttls ended after one")
	}
	assert.False(e.t, e.used("k"), "Used after the ttl, again")
	assert.True(e.t, e.markUsed("k", e.ttl), "MarkUsed after the ttl")
	assert.True(e.t, e.used("k"), "Used after a new MarkUsed")
	assert.False(e.t, e.used("never"), "Used on a key never marked")
	assert.True(e.t, e.markUsed("never", e.ttl), "MarkUsed after Used on that key")
}

const (
	racers = 32
	rounds = 10
)

// race runs fn in racers goroutines released at once and returns how many
// reported true. Errors fail the test.
func (e *env) race(fn func() (bool, error)) int {
	e.t.Helper()
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		wins  int
		errs  []error
		start = make(chan struct{})
	)
	for range racers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			ok, err := fn()
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
			} else if ok {
				wins++
			}
		}()
	}
	close(start)
	wg.Wait()
	require.Empty(e.t, errs)
	return wins
}

// The racing calls use a long ttl: every racer must run while the winner's
// record lasts, even on a slow machine.

func testConcurrentBegin(e *env) {
	for r := range rounds {
		key := e.key(fmt.Sprint("race-begin-", r))
		var (
			mu       sync.Mutex
			releases []func()
		)
		wins := e.race(func() (bool, error) {
			rel, ok, err := e.g.Begin(e.ctx, key, 100*e.ttl)
			if err != nil {
				return false, fmt.Errorf("Begin: %w", err)
			}
			if ok != (rel != nil) {
				return false, fmt.Errorf("Begin: ok %v with release set %v", ok, rel != nil)
			}
			if ok {
				mu.Lock()
				releases = append(releases, rel)
				mu.Unlock()
			}
			return ok, nil
		})
		assert.Equal(e.t, 1, wins, "round %d: racing Begin calls on one key must have one winner", r)
		for _, rel := range releases {
			e.release("winner", rel)
		}
		rel, ok := e.begin(fmt.Sprint("race-begin-", r), e.ttl)
		if assert.True(e.t, ok, "round %d: Begin after the winner's release", r) {
			e.release("after the race", rel)
		}
	}
}

func testConcurrentMarkUsed(e *env) {
	for r := range rounds {
		key := e.key(fmt.Sprint("race-used-", r))
		wins := e.race(func() (bool, error) {
			first, err := e.g.MarkUsed(e.ctx, key, 100*e.ttl)
			if err != nil {
				return false, fmt.Errorf("MarkUsed: %w", err)
			}
			return first, nil
		})
		assert.Equal(e.t, 1, wins, "round %d: racing MarkUsed calls on one key must have one first use", r)
		assert.True(e.t, e.used(fmt.Sprint("race-used-", r)), "round %d: Used after the race", r)
	}
}

func testConcurrentAllow(e *env) {
	const limit = 5
	for r := range rounds {
		key := e.key(fmt.Sprint("race-allow-", r))
		wins := e.race(func() (bool, error) {
			ok, err := e.g.Allow(e.ctx, key, limit, 100*e.ttl)
			if err != nil {
				return false, fmt.Errorf("Allow: %w", err)
			}
			return ok, nil
		})
		assert.Equal(e.t, limit, wins, "round %d: racing Allow calls with limit %d", r, limit)
	}
}
