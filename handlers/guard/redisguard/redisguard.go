package redisguard

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/unloq2fa/unloq2fa/handlers/guard"
)

// Guard is a guard.Guard on Redis. It is safe for concurrent use.
type Guard struct {
	client         redis.UniversalClient
	prefix         string
	releaseTimeout time.Duration
	logger         *slog.Logger
	scripts        scripts
}

var _ guard.Guard = (*Guard)(nil)

// New returns a Guard on client (a *redis.Client, *redis.ClusterClient or
// *redis.Ring; every operation touches one key). It does not contact
// Redis: an unreachable server shows as an error on each call.
func New(client redis.UniversalClient, opts ...Option) (*Guard, error) {
	if client == nil {
		return nil, errors.New("redisguard: nil client")
	}
	g := &Guard{
		client:         client,
		prefix:         DefaultPrefix,
		releaseTimeout: DefaultReleaseTimeout,
		scripts:        newScripts(),
	}
	for _, o := range opts {
		if o == nil {
			return nil, errors.New("redisguard: nil option")
		}
		if err := o(g); err != nil {
			return nil, err
		}
	}
	return g, nil
}

// Allow implements guard.Guard.
func (g *Guard) Allow(ctx context.Context, k guard.Key, limit int, window time.Duration) (bool, error) {
	const op = "allow"
	if err := check(ctx, op, k); err != nil {
		return false, err
	}
	if limit < 1 || window <= 0 {
		return false, fmt.Errorf("redisguard: allow: limit %d and window %v must be positive: %w", limit, window, guard.ErrInvalid)
	}
	us := window.Microseconds()
	if us < 1 {
		us = 1
	}
	n, err := g.scripts.allow.Run(ctx, g.client, []string{g.redisKey(typeRate, k)}, limit, us, rand.Text()).Int()
	if err != nil {
		return false, fmt.Errorf("redisguard: allow: %w", err)
	}
	return n == 1, nil
}

// Begin implements guard.Guard.
func (g *Guard) Begin(ctx context.Context, k guard.Key, ttl time.Duration) (func(), bool, error) {
	const op = "begin"
	if err := check(ctx, op, k); err != nil {
		return nil, false, err
	}
	if ttl <= 0 {
		return nil, false, fmt.Errorf("redisguard: begin: ttl %v must be positive: %w", ttl, guard.ErrInvalid)
	}
	key, token := g.redisKey(typeFlight, k), rand.Text()
	ok, err := g.client.SetNX(ctx, key, token, ceilMs(ttl)).Result()
	if err != nil {
		return nil, false, fmt.Errorf("redisguard: begin: %w", err)
	}
	if !ok {
		return nil, false, nil
	}
	// The request's context may be canceled by the time release runs (the
	// client went away): release on a context of its own, keeping ctx's
	// values.
	base := context.WithoutCancel(ctx)
	var once sync.Once
	release := func() {
		once.Do(func() {
			rctx, cancel := context.WithTimeout(base, g.releaseTimeout)
			defer cancel()
			if err := g.scripts.release.Run(rctx, g.client, []string{key}, token).Err(); err != nil && g.logger != nil {
				g.logger.LogAttrs(rctx, slog.LevelWarn, "redisguard: release failed; the in-flight mark lasts its ttl",
					slog.String("kind", k.Kind), slog.Duration("ttl", ttl), slog.String("error", err.Error()))
			}
		})
	}
	return release, true, nil
}

// MarkUsed implements guard.Guard.
func (g *Guard) MarkUsed(ctx context.Context, k guard.Key, ttl time.Duration) (bool, error) {
	const op = "mark used"
	if err := check(ctx, op, k); err != nil {
		return false, err
	}
	if ttl <= 0 {
		return false, fmt.Errorf("redisguard: mark used: ttl %v must be positive: %w", ttl, guard.ErrInvalid)
	}
	first, err := g.client.SetNX(ctx, g.redisKey(typeUsed, k), "1", ceilMs(ttl)).Result()
	if err != nil {
		return false, fmt.Errorf("redisguard: mark used: %w", err)
	}
	return first, nil
}

// Used implements guard.Guard.
func (g *Guard) Used(ctx context.Context, k guard.Key) (bool, error) {
	const op = "used"
	if err := check(ctx, op, k); err != nil {
		return false, err
	}
	n, err := g.client.Exists(ctx, g.redisKey(typeUsed, k)).Result()
	if err != nil {
		return false, fmt.Errorf("redisguard: used: %w", err)
	}
	return n == 1, nil
}

// check refuses a canceled context and an invalid key before any round
// trip.
func check(ctx context.Context, op string, k guard.Key) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("redisguard: %s: %w", op, err)
	}
	if err := k.Validate(); err != nil {
		return fmt.Errorf("redisguard: %s: %w", op, err)
	}
	return nil
}

// ceilMs rounds a positive d up to whole milliseconds, Redis's precision,
// so that a record never ends before its ttl.
func ceilMs(d time.Duration) time.Duration {
	return (d + time.Millisecond - 1) / time.Millisecond * time.Millisecond
}
