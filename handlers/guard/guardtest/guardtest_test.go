package guardtest_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/handlers/guard"
	"github.com/unloq2fa/unloq2fa/handlers/guard/guardtest"
)

// brokenEnv selects, in a child test process, the flaw of the guard
// TestBrokenGuardChild runs the suite against, and the clock ("flaw/bubble"
// or "flaw/real").
const brokenEnv = "GUARDTEST_BROKEN_GUARD"

// broken is a deliberately wrong Guard: each flaw breaks one rule the suite
// must catch. Without a flaw it is a correct, if simple, guard.
type broken struct {
	flaw string

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

func newBroken(flaw string) *broken {
	return &broken{
		flaw: flaw,
		hits: map[string][]time.Time{}, starts: map[string]time.Time{},
		used: map[string]time.Time{}, flights: map[string]brokenFlight{},
	}
}

// key flattens k, or reports it invalid.
func (b *broken) key(k guard.Key, space string) (string, error) {
	// sharedspace: a Begin or MarkUsed finds the other's record, as on a
	// backend that stores both under one name.
	if b.flaw == "sharedspace" {
		space = ""
	}
	if b.flaw != "novalidate" {
		if err := k.Validate(); err != nil {
			return "", err
		}
	}
	switch b.flaw {
	case "trimkeys":
		k.User, k.ID = strings.TrimSpace(k.User), strings.TrimSpace(k.ID)
	case "foldkeys":
		k.Kind, k.User, k.ID = strings.ToLower(k.Kind), strings.ToLower(k.User), strings.ToLower(k.ID)
	case "ignoreuser":
		k.User = ""
	case "concatkeys":
		return space + k.Kind + ":" + k.User + ":" + k.ID, nil
	}
	return fmt.Sprintf("%s%s:%d:%s:%s", space, k.Kind, len(k.User), k.User, k.ID), nil
}

// pause widens the gap between a check and its write for the racy flaws.
func (b *broken) pause() {
	b.mu.Unlock()
	time.Sleep(time.Millisecond)
	b.mu.Lock()
}

func (b *broken) Allow(ctx context.Context, k guard.Key, limit int, window time.Duration) (bool, error) {
	key, err := b.key(k, "rate:")
	if err != nil {
		return false, err
	}
	if b.flaw != "novalidate" && (limit < 1 || window <= 0) {
		return false, guard.ErrInvalid
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.flaw == "globalrate" {
		key = ""
	}
	now := time.Now()
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

func (b *broken) Begin(ctx context.Context, k guard.Key, ttl time.Duration) (func(), bool, error) {
	key, err := b.key(k, "flight:")
	if err != nil {
		return nil, false, err
	}
	if b.flaw != "novalidate" && ttl <= 0 {
		return nil, false, guard.ErrInvalid
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	now := time.Now()
	if b.flaw == "fixedttl" {
		ttl = time.Hour
	}
	if exp, ok := b.used[key]; b.flaw == "sharedspace" && ok && now.Before(exp) {
		return nil, false, nil
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
		if b.flaw == "releasectx" && ctx.Err() != nil {
			return
		}
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

func (b *broken) MarkUsed(_ context.Context, k guard.Key, ttl time.Duration) (bool, error) {
	key, err := b.key(k, "used:")
	if err != nil {
		return false, err
	}
	if b.flaw != "novalidate" && ttl <= 0 {
		return false, guard.ErrInvalid
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	now := time.Now()
	if b.flaw == "markalwaystrue" {
		b.used[key] = now.Add(ttl)
		return true, nil
	}
	if b.flaw == "fixedttl" {
		ttl = time.Hour
	}
	if f, ok := b.flights[key]; b.flaw == "sharedspace" && ok && now.Before(f.exp) {
		return false, nil
	}
	if exp, ok := b.used[key]; ok && (b.flaw == "nousedexpiry" || now.Before(exp)) {
		return false, nil
	}
	if b.flaw == "racymark" {
		b.pause()
	}
	b.used[key] = now.Add(ttl)
	return true, nil
}

func (b *broken) Used(_ context.Context, k guard.Key) (bool, error) {
	key, err := b.key(k, "used:")
	if err != nil {
		return false, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	now := time.Now()
	exp, ok := b.used[key]
	if b.flaw == "usedrecords" && !ok {
		b.used[key] = now.Add(time.Hour)
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
	guardtest.Run(t, guardtest.Harness{
		New:      func(t *testing.T) guard.Guard { return newBroken(flaw) },
		Synctest: mode == "bubble",
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
		{"trimkeys", []string{"AllowLimit", "AllowWindowExpiry", "BeginInFlight", "MarkUsed", "MarkUsedExpiry", "Used", "UserIsolation"}, false},
		{"foldkeys", []string{"AllowLimit", "BeginInFlight", "MarkUsed", "Used", "UserIsolation"}, false},
		{"ignoreuser", []string{"AllowLimit", "BeginInFlight", "MarkUsed", "Used", "UserIsolation", "ConcurrentUsers"}, false},
		{"concatkeys", []string{"AllowLimit", "BeginInFlight", "MarkUsed"}, false},
		{"sharedspace", []string{"RecordTypesSeparate"}, false},
		{"novalidate", []string{"InvalidArguments"}, false},
		{"globalrate", []string{"AllowLimit", "AllowWindowExpiry", "ConcurrentAllow", "UserIsolation"}, false},
		{"fixedwindow", []string{"AllowSlidingWindow"}, true},
		{"noratexpiry", []string{"AllowSlidingWindow", "AllowRefusedNotRecorded", "AllowWindowExpiry"}, true},
		{"countrefused", []string{"AllowSlidingWindow", "AllowRefusedNotRecorded"}, true},
		{"racyallow", []string{"ConcurrentAllow"}, false},
		{"loserrelease", []string{"BeginInFlight", "BeginRelease", "BeginExpiry", "ConcurrentBegin"}, false},
		{"stalerelease", []string{"BeginRelease", "BeginStaleRelease", "ReleaseConcurrent"}, true},
		{"releasepanics", []string{"BeginRelease", "ReleaseConcurrent"}, false},
		{"releasectx", []string{"ReleaseAfterCancel"}, false},
		{"noflightexpiry", []string{"BeginStaleRelease", "BeginExpiry"}, true},
		{"racybegin", []string{"ConcurrentBegin"}, false},
		{"markalwaystrue", []string{"MarkUsed", "MarkUsedExpiry", "ConcurrentMarkUsed"}, false},
		{"nousedexpiry", []string{"MarkUsedExpiry", "Used"}, true},
		{"usednoexpiry", []string{"Used"}, true},
		{"usedrecords", []string{"Used"}, false},
		{"racymark", []string{"ConcurrentMarkUsed"}, false},
		{"fixedttl", []string{"BeginExpiry", "MarkUsedExpiry", "Used"}, true},
	}
	// The children mostly sleep (or run in bubbles): start them all at once
	// rather than a few at a time as t.Parallel would.
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
		modes := []string{"bubble"}
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
