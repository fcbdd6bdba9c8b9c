package guardtest_test

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/handlers"
	"github.com/unloq2fa/unloq2fa/handlers/guardtest"
	"github.com/unloq2fa/unloq2fa/unloq/unloqtest"
)

func TestRunPassesOnMemoryGuard(t *testing.T) {
	clk := unloqtest.NewFakeClock(time.Unix(1_700_000_000, 0))
	guardtest.Run(t, guardtest.Harness{
		New: func(t *testing.T) handlers.Guard {
			return handlers.NewMemoryGuard(handlers.GuardClock(clk.Now))
		},
		Advance: clk.Advance,
	})
}

func TestRunPassesOnMemoryGuardRealTime(t *testing.T) {
	if testing.Short() {
		t.Skip("sleeps")
	}
	guardtest.Run(t, guardtest.Harness{
		New: func(t *testing.T) handlers.Guard { return handlers.NewMemoryGuard() },
	})
}

// brokenEnv selects, in a child test process, the flaw of the guard
// TestBrokenGuardChild runs the suite against, and the clock ("flaw/fake"
// or "flaw/real").
const brokenEnv = "GUARDTEST_BROKEN_GUARD"

// broken is a deliberately wrong Guard: each flaw breaks one rule the suite
// must catch. Without a flaw it is a correct, if simple, guard.
type broken struct {
	flaw string
	now  func() time.Time

	mu      sync.Mutex
	hits    map[string][]time.Time
	starts  map[string]time.Time // fixedwindow: start of the key's window
	used    map[string]time.Time
	flights map[string]brokenFlight
	seq     int
}

type brokenFlight struct {
	id  int
	exp time.Time
}

func newBroken(flaw string, now func() time.Time) *broken {
	return &broken{
		flaw: flaw, now: now,
		hits: map[string][]time.Time{}, starts: map[string]time.Time{},
		used: map[string]time.Time{}, flights: map[string]brokenFlight{},
	}
}

func (b *broken) key(key string) string {
	if b.flaw == "trimkeys" {
		return strings.TrimSpace(key)
	}
	return key
}

// pause widens the gap between a check and its write for the racy flaws.
func (b *broken) pause() {
	b.mu.Unlock()
	time.Sleep(time.Millisecond)
	b.mu.Lock()
}

func (b *broken) Allow(_ context.Context, key string, limit int, window time.Duration) (bool, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	key = b.key(key)
	if b.flaw == "globalrate" {
		key = ""
	}
	now := b.now()
	if b.flaw == "fixedwindow" {
		if s, ok := b.starts[key]; !ok || now.Sub(s) >= window {
			b.starts[key] = now
			b.hits[key] = nil
		}
	}
	var in []time.Time
	for _, at := range b.hits[key] {
		if b.flaw == "noratexpiry" || b.flaw == "fixedwindow" || now.Sub(at) < window {
			in = append(in, at)
		}
	}
	if b.flaw == "racyallow" {
		b.pause()
	}
	if len(in) >= limit {
		if b.flaw == "countrefused" {
			in = append(in, now)
		}
		b.hits[key] = in
		return false, nil
	}
	b.hits[key] = append(in, now)
	return true, nil
}

func (b *broken) Begin(_ context.Context, key string, ttl time.Duration) (func(), bool, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	key = b.key(key)
	now := b.now()
	if b.flaw == "fixedttl" {
		ttl = time.Minute
	}
	f, inFlight := b.flights[key]
	if inFlight && (b.flaw == "noflightexpiry" || now.Before(f.exp)) {
		if b.flaw == "loserrelease" {
			return func() {}, false, nil
		}
		return nil, false, nil
	}
	if b.flaw == "racybegin" {
		b.pause()
	}
	b.seq++
	id := b.seq
	b.flights[key] = brokenFlight{id: id, exp: now.Add(ttl)}
	released := false
	return func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		if released && b.flaw == "releasepanics" {
			panic("released twice")
		}
		released = true
		if f, ok := b.flights[key]; ok && (b.flaw == "stalerelease" || f.id == id) {
			delete(b.flights, key)
		}
	}, true, nil
}

func (b *broken) MarkUsed(_ context.Context, key string, ttl time.Duration) (bool, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	key = b.key(key)
	if b.flaw == "markalwaystrue" {
		b.used[key] = b.now().Add(ttl)
		return true, nil
	}
	if b.flaw == "fixedttl" {
		ttl = time.Minute
	}
	now := b.now()
	if exp, ok := b.used[key]; ok && (b.flaw == "nousedexpiry" || now.Before(exp)) {
		return false, nil
	}
	if b.flaw == "racymark" {
		b.pause()
	}
	b.used[key] = now.Add(ttl)
	return true, nil
}

func (b *broken) Used(_ context.Context, key string) (bool, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	key = b.key(key)
	now := b.now()
	exp, ok := b.used[key]
	if b.flaw == "usedrecords" && !ok {
		b.used[key] = now.Add(time.Minute)
	}
	return ok && (b.flaw == "usednoexpiry" || now.Before(exp)), nil
}

// TestBrokenGuardChild runs the suite against a broken guard; it only runs
// in the child process that TestRunCatchesBrokenGuards starts.
func TestBrokenGuardChild(t *testing.T) {
	flaw, mode, _ := strings.Cut(os.Getenv(brokenEnv), "/")
	if flaw == "" {
		t.Skip("child process of TestRunCatchesBrokenGuards")
	}
	if mode == "real" {
		guardtest.Run(t, guardtest.Harness{
			New: func(t *testing.T) handlers.Guard { return newBroken(flaw, time.Now) },
		})
		return
	}
	clk := unloqtest.NewFakeClock(time.Unix(1_700_000_000, 0))
	guardtest.Run(t, guardtest.Harness{
		New:     func(t *testing.T) handlers.Guard { return newBroken(flaw, clk.Now) },
		Advance: clk.Advance,
	})
}

func TestRunCatchesBrokenGuards(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	tests := []struct {
		flaw     string
		failures []string // subtests that must fail
		real     bool     // also in real time (the flaws about time)
	}{
		{"none", nil, true},
		{"trimkeys", []string{"AllowLimit", "AllowWindowExpiry", "BeginInFlight", "MarkUsed", "MarkUsedExpiry", "Used"}, false},
		{"globalrate", []string{"AllowLimit", "AllowWindowExpiry", "ConcurrentAllow"}, false},
		{"fixedwindow", []string{"AllowSlidingWindow"}, true},
		{"noratexpiry", []string{"AllowSlidingWindow", "AllowRefusedNotRecorded", "AllowWindowExpiry"}, true},
		{"countrefused", []string{"AllowSlidingWindow", "AllowRefusedNotRecorded"}, true},
		{"racyallow", []string{"ConcurrentAllow"}, false},
		{"loserrelease", []string{"BeginInFlight", "BeginRelease", "BeginExpiry", "ConcurrentBegin"}, false},
		{"stalerelease", []string{"BeginRelease", "BeginStaleRelease"}, true},
		{"releasepanics", []string{"BeginRelease"}, false},
		{"noflightexpiry", []string{"BeginStaleRelease", "BeginExpiry"}, true},
		{"racybegin", []string{"ConcurrentBegin"}, false},
		{"markalwaystrue", []string{"MarkUsed", "MarkUsedExpiry", "ConcurrentMarkUsed"}, false},
		{"nousedexpiry", []string{"MarkUsedExpiry", "Used"}, true},
		{"usednoexpiry", []string{"Used"}, true},
		{"usedrecords", []string{"Used"}, false},
		{"racymark", []string{"ConcurrentMarkUsed"}, false},
		{"fixedttl", []string{"BeginExpiry", "MarkUsedExpiry", "Used"}, true},
	}
	// The children mostly sleep: start them all at once rather than a few
	// at a time as t.Parallel would.
	type result struct {
		out []byte
		err error
	}
	type child struct {
		flaw, mode string
		failures   []string
		done       chan result
	}
	var children []child
	for _, tc := range tests {
		modes := []string{"fake"}
		if tc.real {
			modes = append(modes, "real")
		}
		for _, mode := range modes {
			c := child{flaw: tc.flaw, mode: mode, failures: tc.failures, done: make(chan result, 1)}
			cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestBrokenGuardChild$", "-test.v", "-test.count=1")
			cmd.Env = append(os.Environ(), brokenEnv+"="+tc.flaw+"/"+mode)
			go func() {
				out, err := cmd.CombinedOutput()
				c.done <- result{out, err}
			}()
			children = append(children, c)
		}
	}
	for _, c := range children {
		t.Run(c.flaw+"/"+c.mode, func(t *testing.T) {
			r := <-c.done
			if len(c.failures) == 0 {
				require.NoError(t, r.err, "%s", r.out)
				assert.Contains(t, string(r.out), "--- PASS: TestBrokenGuardChild")
				return
			}
			require.Error(t, r.err, "the suite passed a guard with flaw %q:\n%s", c.flaw, r.out)
			for _, name := range c.failures {
				assert.Contains(t, string(r.out), "--- FAIL: TestBrokenGuardChild/"+name+" ", "flaw %q", c.flaw)
			}
		})
	}
}
