package recovery

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	_ "modernc.org/sqlite" // driver "sqlite"
)

// newService returns a Service over cs whose new hashes use cheapParams,
// so that tests run fast; TestServiceDefaultParams covers the real ones.
func newService(t testing.TB, cs CodeStore, opts ...Option) *Service {
	t.Helper()
	s, err := New(cs, opts...)
	require.NoError(t, err)
	s.params = cheapParams
	return s
}

// generous lifts the rate limit out of the way of tests about other things.
var generous = WithRateLimit(1000, time.Hour)

func generate(t testing.TB, s *Service, user string) []string {
	t.Helper()
	codes, err := s.Generate(context.Background(), user)
	require.NoError(t, err)
	return codes
}

func remaining(t testing.TB, s *Service, user string) int {
	t.Helper()
	n, err := s.Remaining(context.Background(), user)
	require.NoError(t, err)
	return n
}

// otherSecret returns c with its last symbol changed: the same id, a wrong
// secret.
func otherSecret(c string) string {
	last := c[len(c)-1]
	repl := byte('0')
	if last == '0' {
		repl = '1'
	}
	return c[:len(c)-1] + string(repl)
}

func TestServiceGenerate(t *testing.T) {
	s := newService(t, NewMemoryStore())
	codes := generate(t, s, "alice")
	require.Len(t, codes, DefaultCount)
	ids := map[string]bool{}
	for _, c := range codes {
		require.Regexp(t, codeShape, c)
		assert.False(t, ids[c[:IDLen]], "ids within a set differ")
		ids[c[:IDLen]] = true
	}
	assert.Equal(t, DefaultCount, remaining(t, s, "alice"))

	s3 := newService(t, NewMemoryStore(), WithCount(3))
	assert.Len(t, generate(t, s3, "alice"), 3)
}

func TestServiceStoresOnlyHashes(t *testing.T) {
	m := NewMemoryStore()
	s := newService(t, m)
	codes := generate(t, s, "alice")
	m.mu.Lock()
	defer m.mu.Unlock()
	stored := m.users["alice"]
	require.Len(t, stored, len(codes))
	for _, c := range codes {
		compact := strings.ReplaceAll(c, "-", "")
		rec := stored[c[:IDLen]]
		require.NotNil(t, rec, "the record is found by the code's first group")
		for _, plain := range []string{c, compact, compact[IDLen:], c[5:9], c[10:]} {
			assert.NotContains(t, string(rec.hash), plain, "hash holds part of the code")
			assert.NotContains(t, strings.ToLower(string(rec.hash)), plain)
		}
		assert.True(t, bytes.HasPrefix(rec.hash, []byte("$argon2id$")))
	}
}

func TestServiceSingleUse(t *testing.T) {
	s := newService(t, NewMemoryStore(), generous)
	ctx := context.Background()
	codes := generate(t, s, "alice")
	for i, c := range codes {
		require.NoError(t, s.Verify(ctx, "alice", c), "code %d", i)
		assert.Equal(t, len(codes)-i-1, remaining(t, s, "alice"))
		err := s.Verify(ctx, "alice", c)
		assert.ErrorIs(t, err, ErrUsed, "code %d a second time", i)
		err = s.Verify(ctx, "alice", strings.ToUpper(strings.ReplaceAll(c, "-", " ")))
		assert.ErrorIs(t, err, ErrUsed, "code %d, typed differently", i)
	}
}

func TestServiceVerifyNormalises(t *testing.T) {
	s := newService(t, NewMemoryStore(), generous)
	codes := generate(t, s, "alice")
	typed := []string{
		strings.ToUpper(codes[0]),
		" " + strings.ReplaceAll(codes[1], "-", " ") + " ",
		strings.ReplaceAll(codes[2], "-", ""),
		strings.NewReplacer("0", "O", "1", "l").Replace(codes[3]),
	}
	for i, in := range typed {
		assert.NoError(t, s.Verify(context.Background(), "alice", in), "code %d typed as %q", i, in)
	}
}

func TestServiceWrongCodes(t *testing.T) {
	s := newService(t, NewMemoryStore(), generous)
	ctx := context.Background()
	alice := generate(t, s, "alice")
	bob := generate(t, s, "bob")

	assert.ErrorIs(t, s.Verify(ctx, "alice", otherSecret(alice[0])), ErrWrong, "right id, wrong secret")
	assert.ErrorIs(t, s.Verify(ctx, "alice", bob[0]), ErrWrong, "another user's code")
	assert.ErrorIs(t, s.Verify(ctx, "carol", alice[0]), ErrWrong, "a user without codes")
	assert.ErrorIs(t, s.Verify(ctx, "Alice", alice[0]), ErrWrong, "user ids are exact")
	assert.ErrorIs(t, s.Verify(ctx, "alice", "zzzz-zzzz-zzzz"), ErrWrong, "an unknown id")
	assert.Equal(t, DefaultCount, remaining(t, s, "alice"), "wrong codes consume nothing")
	assert.NoError(t, s.Verify(ctx, "alice", alice[0]))
	assert.NoError(t, s.Verify(ctx, "bob", bob[0]))

	for _, in := range []string{"", "abcd", "\u0430bcd-efgh-jkmn", alice[1] + "x"} {
		err := s.Verify(ctx, "alice", in)
		assert.ErrorIs(t, err, ErrMalformed, "%q", in)
	}
	var e *Error
	require.ErrorAs(t, s.Verify(ctx, "alice", otherSecret(alice[1])), &e)
	assert.Equal(t, KindWrong, e.Kind)
	assert.Equal(t, "verify", e.Op)
	assert.Equal(t, "recovery: verify: wrong recovery code", e.Error())
}

func TestServiceRegenerateInvalidates(t *testing.T) {
	s := newService(t, NewMemoryStore(), generous)
	ctx := context.Background()
	old := generate(t, s, "alice")
	require.NoError(t, s.Verify(ctx, "alice", old[0]))
	fresh := generate(t, s, "alice")
	assert.Equal(t, DefaultCount, remaining(t, s, "alice"))
	for i, c := range old {
		assert.ErrorIs(t, s.Verify(ctx, "alice", c), ErrWrong, "old code %d", i)
	}
	for i, c := range fresh {
		assert.NoError(t, s.Verify(ctx, "alice", c), "new code %d", i)
	}
}

func TestServiceDelete(t *testing.T) {
	s := newService(t, NewMemoryStore(), generous)
	ctx := context.Background()
	codes := generate(t, s, "alice")
	bob := generate(t, s, "bob")
	require.NoError(t, s.Delete(ctx, "alice"))
	assert.Zero(t, remaining(t, s, "alice"))
	assert.ErrorIs(t, s.Verify(ctx, "alice", codes[0]), ErrWrong)
	assert.NoError(t, s.Verify(ctx, "bob", bob[0]))
}

func TestServiceRateLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newService(t, NewMemoryStore()) // 5 per 15 minutes
		ctx := context.Background()
		codes := generate(t, s, "alice")
		bob := generate(t, s, "bob")

		for i := range 20 {
			require.ErrorIs(t, s.Verify(ctx, "alice", "not a code"), ErrMalformed, "malformed %d", i)
		}
		for i := range DefaultAttempts {
			require.ErrorIs(t, s.Verify(ctx, "alice", otherSecret(codes[0])), ErrWrong, "guess %d", i)
		}
		err := s.Verify(ctx, "alice", codes[0])
		require.ErrorIs(t, err, ErrLimited, "the right code is not even checked once limited")
		assert.Equal(t, DefaultCount, remaining(t, s, "alice"), "a limited attempt consumes nothing")
		assert.NoError(t, s.Verify(ctx, "bob", bob[0]), "another user is not limited")

		time.Sleep(DefaultWindow - time.Second)
		assert.ErrorIs(t, s.Verify(ctx, "alice", codes[0]), ErrLimited)
		time.Sleep(2 * time.Second)
		assert.NoError(t, s.Verify(ctx, "alice", codes[0]), "the window passed")

		// Successes count too: a code a minute for five minutes, then wait.
		time.Sleep(DefaultWindow)
		for i := 1; i <= DefaultAttempts; i++ {
			require.NoError(t, s.Verify(ctx, "alice", codes[i]))
		}
		assert.ErrorIs(t, s.Verify(ctx, "alice", codes[DefaultAttempts+1]), ErrLimited)
	})
}

func TestServiceConcurrentUseOfOneCode(t *testing.T) {
	s := newService(t, NewMemoryStore(), generous)
	codes := generate(t, s, "alice")
	const n = 12
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs[i] = s.Verify(context.Background(), "alice", codes[0]) })
	}
	wg.Wait()
	wins := 0
	for _, err := range errs {
		if err == nil {
			wins++
			continue
		}
		assert.ErrorIs(t, err, ErrUsed)
	}
	assert.Equal(t, 1, wins, "exactly one of the concurrent uses wins")
	assert.Equal(t, DefaultCount-1, remaining(t, s, "alice"))
}

func TestServiceConcurrentGuessesRespectTheLimit(t *testing.T) {
	s := newService(t, NewMemoryStore())
	codes := generate(t, s, "alice")
	const n = 30
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs[i] = s.Verify(context.Background(), "alice", otherSecret(codes[i%len(codes)])) })
	}
	wg.Wait()
	wrong, limited := 0, 0
	for _, err := range errs {
		switch {
		case errors.Is(err, ErrWrong):
			wrong++
		case errors.Is(err, ErrLimited):
			limited++
		default:
			t.Errorf("unexpected %v", err)
		}
	}
	assert.Equal(t, DefaultAttempts, wrong, "exactly the limit is checked, however concurrent")
	assert.Equal(t, n-DefaultAttempts, limited)
}

func TestServiceFailsClosed(t *testing.T) {
	ctx := context.Background()

	t.Run("store error", func(t *testing.T) {
		db, err := sql.Open("sqlite", "file:"+t.Name()+"?mode=memory&cache=shared")
		require.NoError(t, err)
		cs, err := NewSQLStore(db)
		require.NoError(t, err)
		require.NoError(t, cs.CreateTable(ctx))
		s := newService(t, cs, generous)
		codes := generate(t, s, "alice")
		require.NoError(t, db.Close())

		err = s.Verify(ctx, "alice", codes[0])
		assert.ErrorIs(t, err, ErrUnavailable)
		assert.ErrorContains(t, err, "sql: database is closed")
		_, err = s.Generate(ctx, "alice")
		assert.ErrorIs(t, err, ErrUnavailable)
		_, err = s.Remaining(ctx, "alice")
		assert.ErrorIs(t, err, ErrUnavailable)
		assert.ErrorIs(t, s.Delete(ctx, "alice"), ErrUnavailable)
	})

	t.Run("limiter error", func(t *testing.T) {
		full, err := NewMemoryLimiter(1)
		require.NoError(t, err)
		s := newService(t, NewMemoryStore(), WithLimiter(full))
		codes := generate(t, s, "alice")
		require.ErrorIs(t, s.Verify(ctx, "bob", "zzzz-zzzz-zzzz"), ErrWrong, "bob's attempt fills the limiter")
		err = s.Verify(ctx, "alice", codes[0])
		assert.ErrorIs(t, err, ErrUnavailable)
		assert.ErrorIs(t, err, ErrLimiterFull)
		assert.Equal(t, DefaultCount, remaining(t, s, "alice"), "nothing consumed")
	})

	t.Run("canceled context", func(t *testing.T) {
		s := newService(t, NewMemoryStore(), generous)
		codes := generate(t, s, "alice")
		canceled, cancel := context.WithCancel(ctx)
		cancel()
		err := s.Verify(canceled, "alice", codes[0])
		assert.ErrorIs(t, err, ErrUnavailable)
		assert.ErrorIs(t, err, context.Canceled)
		_, err = s.Generate(canceled, "alice")
		assert.ErrorIs(t, err, ErrUnavailable)
		assert.Equal(t, DefaultCount, remaining(t, s, "alice"))
		require.NoError(t, s.Verify(ctx, "alice", codes[0]), "the old set is intact")
	})

	t.Run("all hashing slots taken", func(t *testing.T) {
		s := newService(t, NewMemoryStore(), generous, WithMaxConcurrentHashes(1))
		codes := generate(t, s, "alice")
		s.sem <- struct{}{} // another verification holds the only slot
		short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
		defer cancel()
		err := s.Verify(short, "alice", codes[0])
		assert.ErrorIs(t, err, ErrUnavailable)
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		<-s.sem
		require.NoError(t, s.Verify(ctx, "alice", codes[0]))
	})

	t.Run("corrupt stored hash", func(t *testing.T) {
		m := NewMemoryStore()
		s := newService(t, m, generous)
		c := mustParse(t, "abcd-efgh-jkmn")
		require.NoError(t, m.Replace(ctx, "alice", []Hashed{{ID: c.id, Hash: []byte("$argon2id$v=19$m=4194304,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5aw")}}))
		err := s.Verify(ctx, "alice", c.String())
		assert.ErrorIs(t, err, ErrUnavailable, "an unreadable hash is a failure, not a wrong code")
		assert.ErrorIs(t, err, errBadHash)
		assert.Equal(t, 1, remaining(t, s, "alice"))
	})

	t.Run("empty user id", func(t *testing.T) {
		s := newService(t, NewMemoryStore(), generous)
		_, err := s.Generate(ctx, "")
		assert.ErrorIs(t, err, ErrUnavailable)
		assert.ErrorIs(t, s.Verify(ctx, "", "abcd-efgh-jkmn"), ErrUnavailable)
	})
}

func TestServiceDefaultParams(t *testing.T) {
	m := NewMemoryStore()
	s, err := New(m, WithCount(2))
	require.NoError(t, err)
	codes, err := s.Generate(context.Background(), "alice")
	require.NoError(t, err)
	for _, rec := range m.users["alice"] {
		assert.True(t, bytes.HasPrefix(rec.hash, []byte("$argon2id$v=19$m=19456,t=2,p=1$")), "%s", rec.hash)
	}
	require.NoError(t, s.Verify(context.Background(), "alice", codes[0]))
	assert.ErrorIs(t, s.Verify(context.Background(), "alice", codes[0]), ErrUsed)
	assert.ErrorIs(t, s.Verify(context.Background(), "alice", otherSecret(codes[1])), ErrWrong)
}

func TestServiceHashesFromOtherParamsStillVerify(t *testing.T) {
	m := NewMemoryStore()
	s := newService(t, m, generous)
	codes := generate(t, s, "alice") // stored with cheapParams
	s.params = hashParams{memory: 128, time: 2, threads: 2}
	require.NoError(t, s.Verify(context.Background(), "alice", codes[0]), "a stored hash names its own parameters")
}

func TestServiceLogsNoSecrets(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	m := NewMemoryStore()
	s := newService(t, m, WithLogger(logger), WithRateLimit(4, time.Hour))
	ctx := context.Background()

	codes := generate(t, s, "alice")
	var errTexts []string
	note := func(err error) {
		if err != nil {
			errTexts = append(errTexts, err.Error())
		}
	}
	note(s.Verify(ctx, "alice", codes[0]))                  // used now
	note(s.Verify(ctx, "alice", codes[0]))                  // used
	note(s.Verify(ctx, "alice", otherSecret(codes[1])))     // wrong
	note(s.Verify(ctx, "alice", codes[2]+"x"))              // malformed
	note(s.Verify(ctx, "alice", "а"+codes[3][1:]))          // malformed
	note(s.Verify(ctx, "alice", strings.ToUpper(codes[4]))) // right
	note(s.Verify(ctx, "alice", codes[5]))                  // limited
	require.NoError(t, m.Replace(ctx, "bob", []Hashed{{ID: codes[6][:IDLen], Hash: []byte("$argon2id$broken")}}))
	note(s.Verify(ctx, "bob", codes[6])) // unavailable
	note(s.Delete(ctx, "alice"))

	logs := buf.String()
	require.NotEmpty(t, logs, "the logger was used")
	assert.Contains(t, logs, "user_id=alice")
	assert.Len(t, errTexts, 6)
	all := logs + strings.Join(errTexts, "\n")
	for i, c := range codes {
		compact := strings.ReplaceAll(c, "-", "")
		for _, secret := range []string{c, compact, compact[IDLen:], c[5:9], c[10:], strings.ToUpper(c[5:9])} {
			assert.NotContains(t, all, secret, "code %d leaked", i)
		}
	}
	assert.NotContains(t, all, "argon2id", "no hash in logs or errors")
}

func TestNewRejectsBadOptions(t *testing.T) {
	m := NewMemoryStore()
	cases := []struct {
		name string
		cs   CodeStore
		opts []Option
		want string
	}{
		{"nil store", nil, nil, "recovery: new: nil CodeStore"},
		{"nil option", m, []Option{nil}, "recovery: new: nil option"},
		{"count 0", m, []Option{WithCount(0)}, "recovery: WithCount: 0, want 1 to 100"},
		{"count too large", m, []Option{WithCount(MaxSetSize + 1)}, "recovery: WithCount: 101, want 1 to 100"},
		{"nil limiter", m, []Option{WithLimiter(nil)}, "recovery: WithLimiter: nil limiter"},
		{"zero attempts", m, []Option{WithRateLimit(0, time.Minute)}, "recovery: WithRateLimit: 0 per 1m0s, want both positive"},
		{"zero window", m, []Option{WithRateLimit(5, 0)}, "recovery: WithRateLimit: 5 per 0s, want both positive"},
		{"zero hashes", m, []Option{WithMaxConcurrentHashes(0)}, "recovery: WithMaxConcurrentHashes: 0, want at least 1"},
		{"nil logger", m, []Option{WithLogger(nil)}, "recovery: WithLogger: nil logger"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := New(tc.cs, tc.opts...)
			require.EqualError(t, err, tc.want)
			assert.Nil(t, s)
		})
	}
}

func TestErrorMatching(t *testing.T) {
	kinds := []*Error{ErrMalformed, ErrWrong, ErrUsed, ErrLimited, ErrUnavailable}
	for i, a := range kinds {
		for j, b := range kinds {
			e := fmt.Errorf("wrapped: %w", &Error{Kind: a.Kind, Op: "verify"})
			assert.Equal(t, i == j, errors.Is(e, b), "%s is %s", a.Kind, b.Kind)
		}
	}
	assert.Equal(t, "Kind(99)", Kind(99).String())
	inner := errors.New("boom")
	e := &Error{Kind: KindUnavailable, Op: "generate", Err: inner}
	assert.Equal(t, "recovery: generate: unavailable: boom", e.Error())
	assert.ErrorIs(t, e, inner)
}
