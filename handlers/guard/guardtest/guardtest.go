package guardtest

import (
	"context"
	"crypto/rand"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/handlers/guard"
)

// DefaultTTL is the ttl and window the suite uses in real time unless
// Harness.TTL is set.
const DefaultTTL = 150 * time.Millisecond

// bubbleTTL is the ttl and window the suite uses in a synctest bubble.
const bubbleTTL = time.Minute

// Harness connects the suite to an implementation.
type Harness struct {
	// New returns a fresh guard. It is called once per subtest (inside the
	// bubble with Synctest); use t.Cleanup to release what it opens.
	New func(t *testing.T) guard.Guard
	// TTL is the ttl and window used in real time (default DefaultTTL).
	TTL time.Duration
	// Synctest runs each subtest in a testing/synctest bubble, where
	// time.Now and time.Sleep are fake. Only for a guard that lives in the
	// test's process and reads time.Now.
	Synctest bool
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
		{"ReleaseAfterCancel", testReleaseAfterCancel},
		{"ReleaseConcurrent", testReleaseConcurrent},
		{"MarkUsed", testMarkUsed},
		{"MarkUsedExpiry", testMarkUsedExpiry},
		{"Used", testUsed},
		{"UserIsolation", testUserIsolation},
		{"RecordTypesSeparate", testRecordTypesSeparate},
		{"InvalidArguments", testInvalidArguments},
		{"KeyLimits", testKeyLimits},
		{"ConcurrentBegin", testConcurrentBegin},
		{"ConcurrentMarkUsed", testConcurrentMarkUsed},
		{"ConcurrentAllow", testConcurrentAllow},
		{"ConcurrentUsers", testConcurrentUsers},
	}
	for _, tc := range tests {
		run := func(t *testing.T) {
			g := h.New(t)
			require.NotNil(t, g, "Harness.New returned nil")
			tc.fn(newEnv(t, h, g))
		}
		t.Run(tc.name, func(t *testing.T) {
			if h.Synctest {
				synctest.Test(t, run)
				return
			}
			run(t)
		})
	}
}

// env is one subtest's guard and clock.
type env struct {
	t      *testing.T
	g      guard.Guard
	ctx    context.Context
	prefix string // of every kind the subtest uses

	ttl   time.Duration // the ttl and window of the subtest
	step  time.Duration // ttl/10
	start time.Time
}

func newEnv(t *testing.T, h Harness, g guard.Guard) *env {
	e := &env{t: t, g: g, ctx: context.Background(), start: time.Now()}
	switch {
	case h.Synctest:
		e.ttl = bubbleTTL
	case h.TTL > 0:
		e.ttl = h.TTL
	default:
		e.ttl = DefaultTTL
	}
	e.step = e.ttl / 10
	e.prefix = "gt-" + rand.Text()[:12] + "-"
	return e
}

// key returns the subtest's key for k: its kind gets the subtest's prefix.
func (e *env) key(k guard.Key) guard.Key {
	k.Kind = e.prefix + k.Kind
	return k
}

// k is the key of the subtest's default kind and user with id.
func k(id string) guard.Key { return guard.Key{Kind: "t", User: "user-1", ID: id} }

// lookalikes are keys that must not share records with each other.
var lookalikes = []guard.Key{
	{Kind: "k", User: "u", ID: "i"},
	{Kind: "K", User: "u", ID: "i"},
	{Kind: "k1", User: "u", ID: "i"},
	{Kind: "k", User: "U", ID: "i"},
	{Kind: "k", User: "u ", ID: "i"},
	{Kind: "k", User: " u", ID: "i"},
	{Kind: "k", User: "", ID: "i"},
	{Kind: "k", User: "u", ID: "I"},
	{Kind: "k", User: "u", ID: "i "},
	{Kind: "k", User: "u", ID: ""},
	{Kind: "k", User: "ui", ID: ""},
	{Kind: "k", User: "", ID: "ui"},
	{Kind: "k", User: "u:", ID: "i"},
	{Kind: "k", User: "u", ID: ":i"},
	{Kind: "k", User: "u:i", ID: ""},
	{Kind: "k", User: "", ID: "u:i"},
	{Kind: "k", User: "", ID: ""},
	{Kind: "k", User: "1:u", ID: "i"},
	{Kind: "k", User: "u", ID: "i\x00"},
}

// now is the time since the subtest began (fake in a bubble).
func (e *env) now() time.Duration { return time.Since(e.start) }

// wait moves the clock forward by at least d.
func (e *env) wait(d time.Duration) { time.Sleep(d) }

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

func (e *env) markUsed(k guard.Key, ttl time.Duration) bool {
	e.t.Helper()
	first, err := e.g.MarkUsed(e.ctx, e.key(k), ttl)
	require.NoError(e.t, err, "MarkUsed(%+v)", k)
	return first
}

func (e *env) used(k guard.Key) bool {
	e.t.Helper()
	used, err := e.g.Used(e.ctx, e.key(k))
	require.NoError(e.t, err, "Used(%+v)", k)
	return used
}

// begin calls Begin and checks that release is set exactly when ok.
func (e *env) begin(k guard.Key, ttl time.Duration) (func(), bool) {
	e.t.Helper()
	release, ok, err := e.g.Begin(e.ctx, e.key(k), ttl)
	require.NoError(e.t, err, "Begin(%+v)", k)
	if ok {
		require.NotNil(e.t, release, "Begin(%+v) = ok with a nil release", k)
	} else {
		require.Nil(e.t, release, "Begin(%+v) on a key in flight must return a nil release", k)
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
	key    guard.Key
	limit  int
	length time.Duration
	events [][2]time.Duration
}

func (e *env) window(k guard.Key, limit int, length time.Duration) *window {
	return &window{e: e, key: k, limit: limit, length: length}
}

// allow calls Allow and checks the answer against the model whenever the
// model is sure of it (in real time an event near the edge of the window
// may be either side of it). It returns the answer.
func (w *window) allow(msg string) bool {
	e := w.e
	e.t.Helper()
	lo := e.now()
	ok, err := e.g.Allow(e.ctx, e.key(w.key), w.limit, w.length)
	hi := e.now()
	require.NoError(e.t, err, "Allow(%+v, %d, %v): %s", w.key, w.limit, w.length, msg)
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
		assert.False(e.t, ok, "Allow(%+v, %d, %v): %s: %d events in the window, want refused", w.key, w.limit, w.length, msg, in)
	case in+maybe < w.limit:
		assert.True(e.t, ok, "Allow(%+v, %d, %v): %s: %d events in the window, want allowed", w.key, w.limit, w.length, msg, in)
	default:
		e.t.Logf("guardtest: Allow(%+v): %s: events at the edge of the window; answer not checked", w.key, msg)
	}
	if ok {
		w.events = append(w.events, [2]time.Duration{lo, hi})
	}
	return ok
}
