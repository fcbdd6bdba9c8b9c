package redisguard

import (
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// DefaultPrefix starts every key of a Guard unless WithPrefix says
// otherwise.
const DefaultPrefix = "unloq2fa:guard:"

// DefaultReleaseTimeout bounds the Redis call of a release func.
const DefaultReleaseTimeout = 5 * time.Second

// maxPrefixLen bounds WithPrefix.
const maxPrefixLen = 256

// Option configures a Guard. Options check their input and New returns
// their error.
type Option func(*Guard) error

// WithPrefix sets the prefix of every key (default DefaultPrefix): give
// each application sharing a Redis its own. It must be 1 to 256 bytes.
func WithPrefix(prefix string) Option {
	return func(g *Guard) error {
		if prefix == "" || len(prefix) > maxPrefixLen {
			return fmt.Errorf("redisguard: WithPrefix: the prefix must be 1 to %d bytes", maxPrefixLen)
		}
		g.prefix = prefix
		return nil
	}
}

// WithReleaseTimeout bounds the Redis call a release func makes (default
// DefaultReleaseTimeout). d must be positive.
func WithReleaseTimeout(d time.Duration) Option {
	return func(g *Guard) error {
		if d <= 0 {
			return fmt.Errorf("redisguard: WithReleaseTimeout(%v): must be positive", d)
		}
		g.releaseTimeout = d
		return nil
	}
}

// WithLogger logs what the Guard cannot return as an error: a release
// func that could not reach Redis (the mark then lasts its ttl). Without
// it the Guard logs nothing; a nil logger is an error.
func WithLogger(l *slog.Logger) Option {
	return func(g *Guard) error {
		if l == nil {
			return errors.New("redisguard: WithLogger: nil logger")
		}
		g.logger = l
		return nil
	}
}
