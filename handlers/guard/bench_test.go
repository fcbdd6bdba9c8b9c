package guard_test

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/unloq2fa/unloq2fa/handlers/guard"
)

// benchUsers is the number of users logging in during a benchmark; the
// other records belong to users who are idle.
const benchUsers = 100

// fixture is a Memory at its cap of n live records, built once per size
// and reused by every run of a benchmark: the benchmarked flow keeps the
// number of records at the cap (each new record evicts the oldest replay
// record), or one below it once the users' token records reach their
// per-user cap (the token then evicts the user's own oldest token, in the
// slot the released in-flight marker left).
type fixture struct {
	n    int
	once sync.Once
	m    *guard.Memory
	err  error
	seq  int
}

var fixtures = map[int]*fixture{1_000: {n: 1_000}, 1_000_000: {n: 1_000_000}}

var benchUserNames = func() []string {
	users := make([]string, benchUsers)
	for u := range users {
		users[u] = fmt.Sprint("user-", u)
	}
	return users
}()

func (f *fixture) get(b *testing.B) *fixture {
	b.Helper()
	f.once.Do(func() { f.m, f.err = fill(f.n) })
	if f.err != nil {
		b.Fatal(f.err)
	}
	if got := f.m.Len(); got < f.n-1 || got > f.n {
		b.Fatalf("fixture holds %d records, want %d or one less", got, f.n)
	}
	return f
}

// fill returns a Memory capped at n records holding n replay records of
// idle users, 500 each.
func fill(n int) (*guard.Memory, error) {
	m, err := guard.NewMemory(guard.WithMaxRecords(n))
	if err != nil {
		return nil, err
	}
	ctx := context.Background()
	for i := range n {
		k := guard.Key{Kind: "login-done", User: "idle-" + strconv.Itoa(i/500), ID: strconv.Itoa(i)}
		if _, err := m.MarkUsed(ctx, k, time.Hour); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// benchLogin runs one login's Guard traffic per op, five calls: the
// done-check, the push budget, the in-flight marker and its release, and
// the token's replay record.
func benchLogin(b *testing.B, n int) {
	f := fixtures[n].get(b)
	m, ctx := f.m, context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		f.seq++
		user := benchUserNames[f.seq%benchUsers]
		id := strconv.Itoa(f.seq)
		if _, err := m.Used(ctx, guard.Key{Kind: "login-done", User: user, ID: id}); err != nil {
			b.Fatal(err)
		}
		if _, err := m.Allow(ctx, guard.Key{Kind: "push", User: user}, 5, time.Hour); err != nil {
			b.Fatal(err)
		}
		rel, ok, err := m.Begin(ctx, guard.Key{Kind: "inflight-login", User: user, ID: id}, 2*time.Minute)
		if err != nil || !ok {
			b.Fatal(ok, err)
		}
		rel()
		if first, err := m.MarkUsed(ctx, guard.Key{Kind: "token", User: user, ID: id}, time.Hour); err != nil || !first {
			b.Fatal(first, err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/5, "ns/call")
}

func BenchmarkMemoryLogin1k(b *testing.B) { benchLogin(b, 1_000) }
func BenchmarkMemoryLogin1M(b *testing.B) { benchLogin(b, 1_000_000) }
