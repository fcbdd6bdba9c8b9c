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
// number of records constant (each new replay record evicts the oldest).
type fixture struct {
	n     int
	once  sync.Once
	m     *guard.Memory
	users []string
	seq   int
}

var fixtures = map[int]*fixture{1_000: {n: 1_000}, 1_000_000: {n: 1_000_000}}

func (f *fixture) get(b *testing.B) *fixture {
	f.once.Do(func() {
		m, err := guard.NewMemory(guard.WithMaxRecords(f.n))
		if err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		for i := range f.n {
			k := guard.Key{Kind: "login-done", User: "idle-" + strconv.Itoa(i/500), ID: strconv.Itoa(i)}
			if _, err := m.MarkUsed(ctx, k, time.Hour); err != nil {
				b.Fatal(err)
			}
		}
		f.m = m
		for u := range benchUsers {
			f.users = append(f.users, fmt.Sprint("user-", u))
		}
	})
	if got := f.m.Len(); got != f.n {
		b.Fatalf("fixture holds %d records, want %d", got, f.n)
	}
	return f
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
		user := f.users[f.seq%benchUsers]
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
