package recovery

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/unloq2fa/unloq2fa/handlers/guard"
)

// limiterKeyPrefix starts every key the Service gives its Limiter; the
// user id follows.
const limiterKeyPrefix = "recovery:"

// WithGuard counts attempts in g, the same kind of Guard the handlers take
// (handlers.WithGuard), so that one Guard, in memory or shared between
// instances (package guard/redisguard), serves both. Each user's attempts
// are charged to guard.Key{Kind: "recovery", User: userID}. It replaces
// WithLimiter.
func WithGuard(g guard.Guard) Option {
	return func(c *config) error {
		if g == nil {
			return errors.New("recovery: WithGuard: nil guard")
		}
		c.limiter = guardLimiter{g: g}
		return nil
	}
}

// guardLimiter is a Limiter over a guard.Guard.
type guardLimiter struct{ g guard.Guard }

func (l guardLimiter) Allow(ctx context.Context, key string, limit int, window time.Duration) (bool, error) {
	uid, ok := strings.CutPrefix(key, limiterKeyPrefix)
	if !ok {
		return false, errors.New("recovery: guard limiter: unexpected key")
	}
	return l.g.Allow(ctx, guard.Key{Kind: "recovery", User: uid}, limit, window)
}
