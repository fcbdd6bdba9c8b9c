package recovery

import (
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Defaults of a Service.
const (
	// DefaultCount is the number of codes Generate makes.
	DefaultCount = 10
	// DefaultAttempts and DefaultWindow: at most 5 checked codes per user
	// per 15 minutes (a sliding window).
	DefaultAttempts = 5
	DefaultWindow   = 15 * time.Minute
	// DefaultMaxConcurrentHashes bounds the hashes computed at once, and
	// so the memory they take (19 MiB each).
	DefaultMaxConcurrentHashes = 4
)

// config is a Service's configuration, fixed by New.
type config struct {
	count     int
	limiter   Limiter
	attempts  int
	window    time.Duration
	maxHashes int
	logger    *slog.Logger
}

// Option configures New. Options validate their argument and return an
// error that New reports.
type Option func(*config) error

// WithCount sets how many codes Generate makes (default 10, 1 to
// MaxSetSize).
func WithCount(n int) Option {
	return func(c *config) error {
		if n < 1 || n > MaxSetSize {
			return fmt.Errorf("recovery: WithCount: %d, want 1 to %d", n, MaxSetSize)
		}
		c.count = n
		return nil
	}
}

// WithLimiter sets the Limiter (default: a MemoryLimiter of
// DefaultLimiterCapacity keys). Applications on several instances pass a
// shared one, or give WithGuard the Guard the handlers use. The Service's
// keys are "recovery:" and the user id.
func WithLimiter(l Limiter) Option {
	return func(c *config) error {
		if l == nil {
			return errors.New("recovery: WithLimiter: nil limiter")
		}
		c.limiter = l
		return nil
	}
}

// WithRateLimit sets the number of codes checked per user per window
// (default 5 per 15 minutes). Every checked code counts, right or wrong;
// text that is not shaped like a code does not, as it costs nothing and
// reveals nothing.
func WithRateLimit(attempts int, window time.Duration) Option {
	return func(c *config) error {
		if attempts < 1 || window <= 0 {
			return fmt.Errorf("recovery: WithRateLimit: %d per %s, want both positive", attempts, window)
		}
		c.attempts, c.window = attempts, window
		return nil
	}
}

// WithMaxConcurrentHashes bounds how many Argon2id hashes the Service
// computes at once (default 4); more wait for a free slot, or for their
// context to end. Each takes 19 MiB while it runs.
func WithMaxConcurrentHashes(n int) Option {
	return func(c *config) error {
		if n < 1 {
			return fmt.Errorf("recovery: WithMaxConcurrentHashes: %d, want at least 1", n)
		}
		c.maxHashes = n
		return nil
	}
}

// WithLogger makes the Service log what happens (codes generated, a code
// used, refusals, failures) with the user id and never a code or a hash.
// Without it the Service is silent; a nil logger is an error.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return errors.New("recovery: WithLogger: nil logger")
		}
		c.logger = l
		return nil
	}
}
