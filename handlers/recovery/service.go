package recovery

import (
	"context"
	"errors"
	"log/slog"
	"sync"
)

// Service generates and verifies a user's recovery codes. It is safe for
// concurrent use; its configuration is fixed by New.
type Service struct {
	codes  CodeStore
	cfg    config
	sem    chan struct{} // one token per hash computed at once
	params hashParams    // for new hashes; stored hashes name their own

	dummyOnce sync.Once
	dummy     []byte // a hash verified when there is no record, for equal timing
	dummyErr  error
}

// New returns a Service over codes. Without options it makes sets of 10
// codes and checks at most 5 codes per user per 15 minutes, with a
// MemoryLimiter.
func New(codes CodeStore, opts ...Option) (*Service, error) {
	if codes == nil {
		return nil, errors.New("recovery: new: nil CodeStore")
	}
	cfg := config{
		count:     DefaultCount,
		attempts:  DefaultAttempts,
		window:    DefaultWindow,
		maxHashes: DefaultMaxConcurrentHashes,
	}
	for _, opt := range opts {
		if opt == nil {
			return nil, errors.New("recovery: new: nil option")
		}
		if err := opt(&cfg); err != nil {
			return nil, err
		}
	}
	if cfg.limiter == nil {
		l, err := NewMemoryLimiter(0)
		if err != nil {
			return nil, err
		}
		cfg.limiter = l
	}
	return &Service{codes: codes, cfg: cfg, sem: make(chan struct{}, cfg.maxHashes), params: defaultParams}, nil
}

// Generate makes a new set of codes for the user, stores their hashes in
// place of any earlier set (which stops working at once, used or not) and
// returns the codes, formatted "xxxx-xxxx-xxxx", to be shown to the person
// once. They are not kept anywhere in clear.
//
// Call it only right after the person proved the second factor afresh (an
// approval on the phone): when two-step is turned on, and when they ask for
// new codes. Errors match ErrUnavailable; then the earlier set, if any, is
// unchanged.
func (s *Service) Generate(ctx context.Context, userID string) ([]string, error) {
	if userID == "" {
		return nil, &Error{Kind: KindUnavailable, Op: "generate", Err: errors.New("recovery: empty user id")}
	}
	set, err := newSet(s.cfg.count)
	if err != nil {
		return nil, s.fail(ctx, "generate", userID, err)
	}
	hashed := make([]Hashed, len(set))
	out := make([]string, len(set))
	for i, c := range set {
		h, err := s.hash(ctx, userID, c)
		if err != nil {
			return nil, s.fail(ctx, "generate", userID, err)
		}
		hashed[i] = Hashed{ID: c.id, Hash: h}
		out[i] = c.String()
	}
	if err := s.codes.Replace(ctx, userID, hashed); err != nil {
		return nil, s.fail(ctx, "generate", userID, err)
	}
	s.log(ctx, slog.LevelInfo, "recovery: codes generated", userID, slog.Int("count", len(out)))
	return out, nil
}

// Verify checks a code the person typed and, when it is one of the user's
// unused codes, marks it used and returns nil: the second step is then
// complete. Otherwise it returns an *Error:
//
//   - ErrMalformed: not shaped like a code (nothing counted or looked up);
//   - ErrLimited: too many attempts for this user lately (not checked);
//   - ErrWrong: not one of the user's current codes;
//   - ErrUsed: one of the user's codes, already used;
//   - ErrUnavailable: the store, the limiter or the context failed.
//
// Only nil means success. What is typed is normalised first (see
// Normalize): ASCII only, spaces, tabs and hyphens ignored, case ignored,
// o read as 0 and i, l as 1.
func (s *Service) Verify(ctx context.Context, userID, typed string) error {
	const op = "verify"
	if userID == "" {
		return &Error{Kind: KindUnavailable, Op: op, Err: errors.New("recovery: empty user id")}
	}
	c, ok := parse(typed)
	if !ok {
		return s.refuse(ctx, op, userID, KindMalformed)
	}
	allowed, err := s.cfg.limiter.Allow(ctx, limiterKeyPrefix+userID, s.cfg.attempts, s.cfg.window)
	if err != nil {
		return s.fail(ctx, op, userID, err)
	}
	if !allowed {
		return s.refuse(ctx, op, userID, KindLimited)
	}
	if err := s.acquire(ctx); err != nil {
		return s.fail(ctx, op, userID, err)
	}
	defer s.release()

	var called bool
	var hashErr error
	outcome, err := s.codes.Consume(ctx, userID, c.id, func(stored []byte) bool {
		called = true
		ok, err := verifyHash(stored, userID, c)
		if err != nil {
			hashErr = err
			return false
		}
		return ok
	})
	switch {
	case err != nil:
		return s.fail(ctx, op, userID, err)
	case hashErr != nil:
		return s.fail(ctx, op, userID, hashErr)
	}
	switch outcome {
	case Consumed:
		s.log(ctx, slog.LevelInfo, "recovery: code used", userID)
		return nil
	case AlreadyUsed:
		return s.refuse(ctx, op, userID, KindUsed)
	case NoMatch:
		if !called {
			// No record has this id: spend the time one check takes, so
			// that the answer's timing does not tell which ids exist.
			s.spendDummy(userID, c)
		}
		return s.refuse(ctx, op, userID, KindWrong)
	default:
		return s.fail(ctx, op, userID, errors.New("recovery: code store returned "+outcome.String()))
	}
}

// Remaining returns how many unused codes the user has, for the settings
// page ("3 recovery codes left").
func (s *Service) Remaining(ctx context.Context, userID string) (int, error) {
	n, err := s.codes.Remaining(ctx, userID)
	if err != nil {
		return 0, s.fail(ctx, "remaining", userID, err)
	}
	return n, nil
}

// Delete removes the user's codes, used or not. Call it when two-step is
// turned off.
func (s *Service) Delete(ctx context.Context, userID string) error {
	if err := s.codes.Replace(ctx, userID, nil); err != nil {
		return s.fail(ctx, "delete", userID, err)
	}
	s.log(ctx, slog.LevelInfo, "recovery: codes deleted", userID)
	return nil
}

// hash computes the hash of c for user within the concurrency bound.
func (s *Service) hash(ctx context.Context, user string, c code) ([]byte, error) {
	if err := s.acquire(ctx); err != nil {
		return nil, err
	}
	defer s.release()
	return hashCode(s.params, user, c)
}

// acquire takes a hashing slot, or fails when ctx ends first.
func (s *Service) acquire(ctx context.Context) error {
	select {
	case s.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *Service) release() { <-s.sem }

// spendDummy verifies c against a fixed hash. The caller holds a slot.
func (s *Service) spendDummy(user string, c code) {
	s.dummyOnce.Do(func() {
		s.dummy, s.dummyErr = hashCode(s.params, "", code{id: "0000", secret: "00000000"})
	})
	if s.dummyErr == nil {
		_, _ = verifyHash(s.dummy, user, c)
	}
}

// refuse returns an *Error of kind k, logged at Info.
func (s *Service) refuse(ctx context.Context, op, user string, k Kind) error {
	s.log(ctx, slog.LevelInfo, "recovery: "+op+" refused", user, slog.String("reason", k.String()))
	return &Error{Kind: k, Op: op}
}

// fail returns an *Error of KindUnavailable wrapping err, logged at Error.
func (s *Service) fail(ctx context.Context, op, user string, err error) error {
	s.log(ctx, slog.LevelError, "recovery: "+op+" failed", user, slog.String("error", err.Error()))
	return &Error{Kind: KindUnavailable, Op: op, Err: err}
}

// log writes to the configured logger, if any.
func (s *Service) log(ctx context.Context, level slog.Level, msg, user string, attrs ...slog.Attr) {
	if s.cfg.logger == nil {
		return
	}
	s.cfg.logger.LogAttrs(ctx, level, msg, append([]slog.Attr{slog.String("user_id", user)}, attrs...)...)
}
