package middleware_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/unloq2fa/unloq2fa/middleware"
	"github.com/unloq2fa/unloq2fa/session"
	"github.com/unloq2fa/unloq2fa/session/revocation"
)

// noRevocation is a revocation store that never revokes: the floor the
// revocation check is measured against.
type noRevocation struct{}

func (noRevocation) RevokeLogin(context.Context, string, string, time.Time) error { return nil }
func (noRevocation) RevokeUser(context.Context, string, time.Time, time.Time) error {
	return nil
}
func (noRevocation) Revoked(context.Context, string, string, time.Time) (bool, error) {
	return false, nil
}

// revocationBench holds two middlewares over the same keys: one checking
// a populated in-memory revocation store, one with no check.
type revocationBench struct {
	with, without *middleware.Middleware
	withCookie    *http.Cookie
	withoutCookie *http.Cookie
}

var (
	revBenchOnce sync.Once
	revBench     revocationBench
)

func setupRevocation(tb testing.TB) *revocationBench {
	revBenchOnce.Do(func() {
		mem, err := revocation.NewMemory()
		if err != nil {
			panic(err)
		}
		// A store with traffic behind it: 10 000 ended logins and 1 000
		// user epochs, one of them for the benchmark's own user.
		ctx := context.Background()
		until := time.Now().Add(time.Hour)
		for i := range 10000 {
			if err := mem.RevokeLogin(ctx, fmt.Sprint("user", i), "login", until); err != nil {
				panic(err)
			}
		}
		for i := range 1000 {
			if err := mem.RevokeUser(ctx, fmt.Sprint("other", i), time.Now(), until); err != nil {
				panic(err)
			}
		}
		if err := mem.RevokeUser(ctx, "u1", time.Now().Add(-time.Minute), until); err != nil {
			panic(err)
		}
		mk := func(st revocation.Store) (*middleware.Middleware, *http.Cookie) {
			sm, err := session.NewManager(session.WithKeys(hashKey, blockKey), session.WithRevocation(st))
			if err != nil {
				panic(err)
			}
			mw, err := middleware.New(sm)
			if err != nil {
				panic(err)
			}
			return mw, loginCookie(tb, sm, "u1", false)
		}
		revBench.with, revBench.withCookie = mk(mem)
		revBench.without, revBench.withoutCookie = mk(noRevocation{})
	})
	return &revBench
}

func BenchmarkVerifiedSessionRevocationCheck(b *testing.B) {
	s := setupRevocation(b)
	runBench(b, s.with.Wrap(benchHandler), benchRequest("/dashboard", s.withCookie), http.StatusOK)
}

func BenchmarkVerifiedSessionNoRevocation(b *testing.B) {
	s := setupRevocation(b)
	runBench(b, s.without.Wrap(benchHandler), benchRequest("/dashboard", s.withoutCookie), http.StatusOK)
}
