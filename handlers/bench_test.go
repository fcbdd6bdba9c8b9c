package handlers_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/unloq2fa/unloq2fa/handlers"
)

func BenchmarkSafeNext(b *testing.B) {
	for b.Loop() {
		handlers.SafeNext("/reports/2024?tab=summary&sort=%2Fdate#top")
		handlers.SafeNext("/%2F%2Fevil.com")
	}
}

func BenchmarkMemoryGuard(b *testing.B) {
	g := handlers.NewMemoryGuard()
	ctx := context.Background()
	i := 0
	for b.Loop() {
		key := strconv.Itoa(i % 1000)
		_, _ = g.Allow(ctx, "push:"+key, 5, time.Minute)
		_, _ = g.MarkUsed(ctx, "token:"+strconv.Itoa(i), time.Minute)
		if rel, ok, _ := g.Begin(ctx, "login:"+key, time.Minute); ok {
			rel()
		}
		i++
	}
}
