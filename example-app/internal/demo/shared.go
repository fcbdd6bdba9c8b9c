package demo

import (
	"context"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/unloq2fa/unloq2fa/handlers/guard"
	"github.com/unloq2fa/unloq2fa/handlers/guard/redisguard"
	"github.com/unloq2fa/unloq2fa/session/revocation"
	"github.com/unloq2fa/unloq2fa/session/revocation/redisrevocation"
)

// backends are the stores that decide, across requests, whether a session
// still counts (revocation) and whether a push, token or login may be used
// (the Guard). Without -redis they live in this process; with it they live
// on Redis, so that every instance of the app sees the same ones.
type backends struct {
	guard      guard.Guard
	revocation revocation.Store // nil: the session package's in-memory default

	client *redis.Client // nil without Redis
	closed func() error  // releases what openBackends started
}

// openBackends returns the in-memory backends, or with cfg.RedisURL the
// Redis ones. With Redis it fails, with a message naming the server, unless
// Redis answers and the revocation store has synchronised within
// cfg.RedisTimeout: an app that cannot check revocations would refuse
// every logged-in request, so it had better not start.
func openBackends(ctx context.Context, cfg Config) (*backends, error) {
	if cfg.RedisURL == "" {
		g, err := guard.NewMemory()
		if err != nil {
			return nil, fmt.Errorf("demo: guard: %w", err)
		}
		return &backends{guard: g, closed: func() error { return nil }}, nil
	}
	where := redactURL(cfg.RedisURL)
	opts, err := redis.ParseURL(cfg.RedisURL)
	if err != nil {
		return nil, fmt.Errorf("demo: redis %s: %w", where, err)
	}
	client := redis.NewClient(opts)
	ctx, cancel := context.WithTimeout(ctx, cfg.RedisTimeout)
	defer cancel()
	if err := client.Ping(ctx).Err(); err != nil {
		_ = client.Close()
		return nil, fmt.Errorf("demo: redis %s is unreachable (waited up to %s): %w", where, cfg.RedisTimeout, err)
	}
	rev, err := redisrevocation.New(client,
		redisrevocation.WithPrefix(cfg.RedisPrefix+"revocation:"),
		redisrevocation.WithLogger(cfg.Logger),
	)
	if err != nil {
		_ = client.Close()
		return nil, fmt.Errorf("demo: redis revocation store: %w", err)
	}
	b := &backends{client: client, revocation: rev}
	b.closed = func() error {
		return errors.Join(rev.Close(), client.Close())
	}
	if err := rev.WaitReady(ctx); err != nil {
		_ = b.closed()
		return nil, fmt.Errorf("demo: redis %s: the revocation store did not synchronise within %s: %w", where, cfg.RedisTimeout, err)
	}
	g, err := redisguard.New(client,
		redisguard.WithPrefix(cfg.RedisPrefix+"guard:"),
		redisguard.WithLogger(cfg.Logger),
	)
	if err != nil {
		_ = b.closed()
		return nil, fmt.Errorf("demo: redis guard: %w", err)
	}
	b.guard = g
	return b, nil
}

// shared reports whether the backends are on Redis.
func (b *backends) shared() bool { return b.client != nil }

// Close stops the revocation store's subscription and closes the Redis
// client.
func (b *backends) Close() error {
	if err := b.closed(); err != nil {
		return fmt.Errorf("demo: close redis: %w", err)
	}
	return nil
}
