package redisrevocation

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// run keeps the subscription and the mirror current until ctx ends.
func (s *Store) run(ctx context.Context) {
	defer close(s.done)
	backoff := 50 * time.Millisecond
	for ctx.Err() == nil {
		start := time.Now()
		err := s.subscribe(ctx)
		s.ready.Store(false)
		if ctx.Err() != nil {
			return
		}
		if s.logger != nil {
			s.logger.LogAttrs(ctx, slog.LevelWarn, "redisrevocation: subscription lost, revocation checks fail until resynchronised",
				slog.String("error", err.Error()))
		}
		if time.Since(start) > 5*time.Second {
			backoff = 50 * time.Millisecond
		}
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		backoff = min(2*backoff, 2*time.Second)
	}
}

var errPingLost = errors.New("ping not answered")

// subscribe runs one subscription: confirm it, rescan, serve changes.
func (s *Store) subscribe(ctx context.Context) error {
	ps := s.client.Subscribe(ctx, s.channel)
	defer ps.Close()
	// A blocked read does not always watch ctx: closing the subscription
	// ends it when the store closes.
	defer context.AfterFunc(ctx, func() { _ = ps.Close() })()
	// The subscription is confirmed before the scan, so that every change
	// is either seen by the scan or arrives as a message.
	if _, err := ps.ReceiveTimeout(ctx, 2*s.ping+time.Second); err != nil {
		return err
	}
	if err := s.resync(ctx); err != nil {
		return err
	}
	s.ready.Store(true)
	s.once.Do(func() { close(s.synced) })
	pinged := false
	for {
		msg, err := ps.ReceiveTimeout(ctx, s.ping)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() && !pinged {
				if err := ps.Ping(ctx); err != nil {
					return err
				}
				pinged = true
				continue
			}
			if pinged && errors.As(err, &ne) && ne.Timeout() {
				return errPingLost
			}
			return err
		}
		pinged = false
		switch m := msg.(type) {
		case *redis.Message:
			s.apply(ctx, m.Payload)
		case *redis.Subscription:
			if m.Kind == "subscribe" { // resubscribed after a reconnection
				s.ready.Store(false)
				if err := s.resync(ctx); err != nil {
					return err
				}
				s.ready.Store(true)
			}
		}
	}
}

// apply merges one published change into the mirror. A malformed message
// cannot be trusted to mean nothing, so it forces a resubscription.
func (s *Store) apply(ctx context.Context, payload string) {
	now := time.Now()
	kind, rest, _ := strings.Cut(payload, " ")
	switch kind {
	case "u":
		b, rest, ok1 := strings.Cut(rest, " ")
		ttl, uid, ok2 := strings.Cut(rest, " ")
		ns, err1 := strconv.ParseInt(b, 10, 64)
		ms, err2 := strconv.ParseInt(ttl, 10, 64)
		if ok1 && ok2 && err1 == nil && err2 == nil && uid != "" {
			_ = s.mirror.RevokeUser(ctx, uid, time.Unix(0, ns), now.Add(time.Duration(ms)*time.Millisecond))
			return
		}
	case "l":
		ttl, rest, ok1 := strings.Cut(rest, " ")
		n, ids, ok2 := strings.Cut(rest, " ")
		ms, err1 := strconv.ParseInt(ttl, 10, 64)
		ulen, err2 := strconv.Atoi(n)
		if ok1 && ok2 && err1 == nil && err2 == nil && ulen > 0 && ulen < len(ids) {
			_ = s.mirror.RevokeLogin(ctx, ids[:ulen], ids[ulen:], now.Add(time.Duration(ms)*time.Millisecond))
			return
		}
	}
	// Unknown or malformed: treat as a lost subscription.
	s.ready.Store(false)
	if s.logger != nil {
		s.logger.LogAttrs(ctx, slog.LevelError, "redisrevocation: malformed change message on the channel")
	}
}

// resync merges every record under the prefix into the mirror.
func (s *Store) resync(ctx context.Context) error {
	iter := s.client.Scan(ctx, 0, s.prefix+"*", 500).Iterator()
	var keys []string
	flush := func() error {
		if len(keys) == 0 {
			return nil
		}
		defer func() { keys = keys[:0] }()
		return s.load(ctx, keys)
	}
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
		if len(keys) >= 500 {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := iter.Err(); err != nil {
		return err
	}
	return flush()
}

// load reads a batch of record keys in one pipeline and merges them.
func (s *Store) load(ctx context.Context, keys []string) error {
	type rec struct {
		key   string
		pttl  *redis.DurationCmd
		val   *redis.StringCmd
		hash  *redis.MapStringStringCmd
		isTag byte
	}
	recs := make([]rec, 0, len(keys))
	pipe := s.client.Pipeline()
	for _, k := range keys {
		rest := k[len(s.prefix):]
		switch {
		case strings.HasPrefix(rest, "u:"):
			recs = append(recs, rec{key: rest[2:], isTag: 'u', val: pipe.Get(ctx, k), pttl: pipe.PTTL(ctx, k)})
		case strings.HasPrefix(rest, "l:"):
			recs = append(recs, rec{key: rest[2:], isTag: 'l', hash: pipe.HGetAll(ctx, k)})
		}
	}
	if len(recs) == 0 {
		return nil
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return err
	}
	now := time.Now()
	for _, r := range recs {
		switch r.isTag {
		case 'u':
			v, err := r.val.Result()
			if errors.Is(err, redis.Nil) {
				continue // expired meanwhile
			}
			if err != nil {
				return err
			}
			ns, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return errors.New("malformed epoch record")
			}
			ttl := r.pttl.Val()
			if ttl <= 0 {
				ttl = time.Hour * 24 * 365 // no TTL: keep, the safe way
			}
			_ = s.mirror.RevokeUser(ctx, r.key, time.Unix(0, ns), now.Add(ttl))
		case 'l':
			m, err := r.hash.Result()
			if err != nil {
				return err
			}
			for lid, till := range m {
				ms, err := strconv.ParseInt(till, 10, 64)
				if err != nil {
					return errors.New("malformed login record")
				}
				_ = s.mirror.RevokeLogin(ctx, r.key, lid, time.UnixMilli(ms))
			}
		}
	}
	return nil
}
