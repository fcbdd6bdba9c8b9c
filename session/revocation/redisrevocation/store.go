package redisrevocation

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/unloq2fa/unloq2fa/session/revocation"
)

// Defaults of [New].
const (
	// DefaultPrefix starts every key and the channel name.
	DefaultPrefix = "unloq2fa:revocation:"
	// DefaultPingInterval is how long the subscription may stay silent
	// before a ping checks it; an unanswered ping (two intervals of
	// silence) marks the store unavailable.
	DefaultPingInterval = 400 * time.Millisecond
)

// Store is the Redis revocation store. It is safe for concurrent use.
type Store struct {
	client     redis.UniversalClient
	prefix     string
	channel    string
	maxPerUser int
	ping       time.Duration
	logger     *slog.Logger

	mirror *revocation.Memory
	ready  atomic.Bool
	synced chan struct{} // closed after the first synchronisation
	once   sync.Once

	cancel context.CancelFunc
	done   chan struct{}
}

var _ revocation.Store = (*Store)(nil)

// Option configures [New].
type Option func(*Store) error

// WithPrefix sets the key prefix (default [DefaultPrefix]).
func WithPrefix(p string) Option {
	return func(s *Store) error {
		if p == "" || strings.ContainsAny(p, "*?[]\\") {
			return fmt.Errorf("redisrevocation: WithPrefix: invalid prefix %q (empty or with glob characters)", p)
		}
		s.prefix = p
		return nil
	}
}

// WithMaxLoginsPerUser sets how many login records one user may have in
// Redis (default [revocation.DefaultMaxLoginsPerUser]).
func WithMaxLoginsPerUser(n int) Option {
	return func(s *Store) error {
		if n < 1 {
			return fmt.Errorf("redisrevocation: WithMaxLoginsPerUser: %d is less than 1", n)
		}
		s.maxPerUser = n
		return nil
	}
}

// WithPingInterval sets how often a silent subscription is checked
// (default [DefaultPingInterval], at least 10 ms). A lost connection makes
// the store unavailable within two intervals.
func WithPingInterval(d time.Duration) Option {
	return func(s *Store) error {
		if d < 10*time.Millisecond {
			return fmt.Errorf("redisrevocation: WithPingInterval: %v is shorter than 10ms", d)
		}
		s.ping = d
		return nil
	}
}

// WithLogger reports connection losses and resynchronisations. Without it
// the Store logs nothing; a nil logger is an error.
func WithLogger(l *slog.Logger) Option {
	return func(s *Store) error {
		if l == nil {
			return errors.New("redisrevocation: WithLogger: nil logger")
		}
		s.logger = l
		return nil
	}
}

// New returns a Store on client and starts its background subscription.
// It does not wait for Redis: until the first synchronisation Revoked
// fails with [revocation.ErrUnavailable] (use [Store.WaitReady] at start
// up). Call Close when done.
func New(client redis.UniversalClient, opts ...Option) (*Store, error) {
	if client == nil {
		return nil, errors.New("redisrevocation: New: nil client")
	}
	s := &Store{
		client:     client,
		prefix:     DefaultPrefix,
		maxPerUser: revocation.DefaultMaxLoginsPerUser,
		ping:       DefaultPingInterval,
		synced:     make(chan struct{}),
		done:       make(chan struct{}),
	}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(s); err != nil {
			return nil, err
		}
	}
	s.channel = s.prefix + "events"
	// The mirror may hold more login records per user than Redis (it
	// never prunes early); its own caps only ever end more logins.
	mirror, err := revocation.NewMemory(revocation.WithMaxLoginsPerUser(4 * s.maxPerUser))
	if err != nil {
		return nil, err
	}
	s.mirror = mirror
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	go s.run(ctx)
	return s, nil
}

// Close stops the background subscription and waits for it. The store
// is unavailable afterwards. The Redis client is not closed.
func (s *Store) Close() error {
	s.cancel()
	<-s.done
	s.ready.Store(false)
	return nil
}

// WaitReady waits until the store has synchronised with Redis once, or
// ctx ends.
func (s *Store) WaitReady(ctx context.Context) error {
	select {
	case <-s.synced:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("redisrevocation: wait ready: %w: %w", revocation.ErrUnavailable, ctx.Err())
	}
}

var errNotSynced = fmt.Errorf("redisrevocation: not synchronised with Redis: %w", revocation.ErrUnavailable)

// Revoked implements [revocation.Store] from the local mirror, without a
// network round trip. It fails while the mirror cannot be vouched for.
func (s *Store) Revoked(ctx context.Context, userID, loginID string, issued time.Time) (bool, error) {
	if !s.ready.Load() {
		return false, errNotSynced
	}
	return s.mirror.Revoked(ctx, userID, loginID, issued)
}

func (s *Store) userKey(userID string) string  { return s.prefix + "u:" + userID }
func (s *Store) loginKey(userID string) string { return s.prefix + "l:" + userID }

// epochString is the fixed-width decimal form of an epoch, so that the
// script can compare epochs as strings (Lua numbers lose nanoseconds).
func epochString(ns int64) string {
	if ns < 0 {
		ns = 0
	}
	return fmt.Sprintf("%020d", ns)
}

// encodeLogin packs a user id and a login id for the channel.
func encodeLogin(userID, loginID string) string {
	return strconv.Itoa(len(userID)) + " " + userID + loginID
}

func writeError(op string, err error) error {
	return fmt.Errorf("redisrevocation: %s: %w: %w", op, revocation.ErrUnavailable, err)
}

// RevokeLogin implements [revocation.Store].
func (s *Store) RevokeLogin(ctx context.Context, userID, loginID string, until time.Time) error {
	if userID == "" || loginID == "" {
		return fmt.Errorf("redisrevocation: revoke login: empty user or login id: %w", revocation.ErrInvalid)
	}
	now := time.Now()
	ttl := until.Sub(now).Milliseconds() + 1
	if !until.After(now) {
		return nil
	}
	keys := []string{s.loginKey(userID), s.userKey(userID), s.channel}
	_, err := loginScript.Run(ctx, s.client, keys, loginID, ttl, now.UnixMilli(), s.maxPerUser,
		epochString(now.UnixNano()), encodeLogin(userID, loginID), userID).Result()
	if err != nil {
		return writeError("revoke login", err)
	}
	// Read your own writes at once; the published copy arrives later.
	return s.mirror.RevokeLogin(ctx, userID, loginID, until)
}

// RevokeUser implements [revocation.Store].
func (s *Store) RevokeUser(ctx context.Context, userID string, before, until time.Time) error {
	if userID == "" {
		return fmt.Errorf("redisrevocation: revoke user: empty user id: %w", revocation.ErrInvalid)
	}
	now := time.Now()
	if !until.After(now) {
		return nil
	}
	ttl := until.Sub(now).Milliseconds() + 1
	b := int64(0)
	if !before.IsZero() {
		b = before.UnixNano()
	}
	keys := []string{s.userKey(userID), s.channel}
	if _, err := epochScript.Run(ctx, s.client, keys, epochString(b), ttl, userID).Result(); err != nil {
		return writeError("revoke user", err)
	}
	return s.mirror.RevokeUser(ctx, userID, before, until)
}
