package recoverytest

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/handlers/recovery"
)

// Harness connects the suite to an implementation.
type Harness struct {
	// New returns a fresh, empty store. It is called once per subtest; use
	// t.Cleanup to release what it opens.
	New func(t *testing.T) recovery.CodeStore
}

// Run runs the conformance suite against the implementation h describes.
func Run(t *testing.T, h Harness) {
	t.Helper()
	if h.New == nil {
		t.Fatal("recoverytest: Harness.New is required")
	}
	tests := []struct {
		name string
		fn   func(*testing.T, recovery.CodeStore)
	}{
		{"Empty", testEmpty},
		{"ConsumeOnce", testConsumeOnce},
		{"WrongDoesNotConsume", testWrongDoesNotConsume},
		{"ReplaceInvalidates", testReplaceInvalidates},
		{"ReplaceEmptyDeletes", testReplaceEmptyDeletes},
		{"ReplaceRejectsInvalid", testReplaceRejectsInvalid},
		{"KeepsOwnCopy", testKeepsOwnCopy},
		{"ExactUserIDs", testExactUserIDs},
		{"CanceledContext", testCanceledContext},
		{"ConcurrentConsumeOneCode", testConcurrentConsumeOne},
		{"ConcurrentConsumeAllCodes", testConcurrentConsumeAll},
		{"ReplaceWhileVerifying", testReplaceWhileVerifying},
		{"ConcurrentReplace", testConcurrentReplace},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := h.New(t)
			require.NotNil(t, s, "Harness.New returned nil")
			tc.fn(t, s)
		})
	}
}

// randomHash returns n random bytes with a NUL in the middle, so that a
// store that treats hashes as C strings or text fails.
func randomHash(t testing.TB) []byte {
	t.Helper()
	b := make([]byte, 48)
	_, err := rand.Read(b)
	require.NoError(t, err)
	b[20] = 0
	return b
}

// set returns codes with the given ids and random hashes.
func set(t testing.TB, ids ...string) []recovery.Hashed {
	t.Helper()
	out := make([]recovery.Hashed, len(ids))
	for i, id := range ids {
		out[i] = recovery.Hashed{ID: id, Hash: randomHash(t)}
	}
	return out
}

// consume calls Consume with a verify that records the hash it got and
// returns answer. It returns the outcome and the hashes verify saw.
func consume(t testing.TB, s recovery.CodeStore, user, id string, answer bool) (recovery.Outcome, [][]byte) {
	t.Helper()
	var seen [][]byte
	out, err := s.Consume(context.Background(), user, id, func(h []byte) bool {
		seen = append(seen, bytes.Clone(h))
		return answer
	})
	require.NoError(t, err, "Consume(%q, %q)", user, id)
	return out, seen
}

// requireRemaining asserts the number of unused codes.
func requireRemaining(t testing.TB, s recovery.CodeStore, user string, want int) {
	t.Helper()
	n, err := s.Remaining(context.Background(), user)
	require.NoError(t, err, "Remaining(%q)", user)
	require.Equal(t, want, n, "Remaining(%q)", user)
}

// requireUnused asserts that c is the user's, with its hash, and unused,
// by consuming it.
func requireUnused(t testing.TB, s recovery.CodeStore, user string, c recovery.Hashed) {
	t.Helper()
	out, seen := consume(t, s, user, c.ID, true)
	require.Equal(t, recovery.Consumed, out, "code %q of %q", c.ID, user)
	require.Equal(t, [][]byte{c.Hash}, seen, "hash of code %q of %q", c.ID, user)
}

func testEmpty(t *testing.T, s recovery.CodeStore) {
	requireRemaining(t, s, "nobody", 0)
	out, seen := consume(t, s, "nobody", "abcd", true)
	assert.Equal(t, recovery.NoMatch, out)
	assert.Empty(t, seen, "verify must not be called without a record")

	require.NoError(t, s.Replace(context.Background(), "alice", set(t, "a001")))
	out, seen = consume(t, s, "alice", "a002", true)
	assert.Equal(t, recovery.NoMatch, out, "unknown id")
	assert.Empty(t, seen, "verify must not be called for an unknown id")
	requireRemaining(t, s, "alice", 1)
}

func testConsumeOnce(t *testing.T, s recovery.CodeStore) {
	codes := set(t, "a001", "a002", "a003")
	require.NoError(t, s.Replace(context.Background(), "alice", codes))
	requireRemaining(t, s, "alice", 3)

	out, seen := consume(t, s, "alice", "a002", true)
	require.Equal(t, recovery.Consumed, out)
	require.Equal(t, [][]byte{codes[1].Hash}, seen, "verify gets the stored hash, once")
	requireRemaining(t, s, "alice", 2)

	for range 3 {
		out, seen = consume(t, s, "alice", "a002", true)
		assert.Equal(t, recovery.AlreadyUsed, out, "a used code")
		assert.Equal(t, [][]byte{codes[1].Hash}, seen)
	}
	out, _ = consume(t, s, "alice", "a002", false)
	assert.Equal(t, recovery.NoMatch, out, "a used code whose verify fails is no match")
	requireRemaining(t, s, "alice", 2)

	requireUnused(t, s, "alice", codes[0])
	requireUnused(t, s, "alice", codes[2])
	requireRemaining(t, s, "alice", 0)
}

func testWrongDoesNotConsume(t *testing.T, s recovery.CodeStore) {
	codes := set(t, "a001")
	require.NoError(t, s.Replace(context.Background(), "alice", codes))
	for range 3 {
		out, seen := consume(t, s, "alice", "a001", false)
		require.Equal(t, recovery.NoMatch, out)
		require.Len(t, seen, 1)
	}
	requireRemaining(t, s, "alice", 1)
	requireUnused(t, s, "alice", codes[0])
}

func testReplaceInvalidates(t *testing.T, s recovery.CodeStore) {
	ctx := context.Background()
	old := set(t, "a001", "a002", "a003")
	require.NoError(t, s.Replace(ctx, "alice", old))
	requireUnused(t, s, "alice", old[0]) // a001 used

	// a001 comes back with a new hash, unused; a002 keeps its id with a
	// new hash; a003 disappears.
	fresh := set(t, "a001", "a002", "b001", "b002")
	require.NoError(t, s.Replace(ctx, "alice", fresh))
	requireRemaining(t, s, "alice", 4)

	out, seen := consume(t, s, "alice", "a003", true)
	assert.Equal(t, recovery.NoMatch, out, "a code of the old set")
	assert.Empty(t, seen)
	for _, c := range fresh {
		requireUnused(t, s, "alice", c)
	}
	requireRemaining(t, s, "alice", 0)
}

func testReplaceEmptyDeletes(t *testing.T, s recovery.CodeStore) {
	ctx := context.Background()
	require.NoError(t, s.Replace(ctx, "alice", set(t, "a001", "a002")))
	require.NoError(t, s.Replace(ctx, "bob", set(t, "a001")))
	require.NoError(t, s.Replace(ctx, "alice", nil))
	requireRemaining(t, s, "alice", 0)
	out, seen := consume(t, s, "alice", "a001", true)
	assert.Equal(t, recovery.NoMatch, out)
	assert.Empty(t, seen)
	require.NoError(t, s.Replace(ctx, "alice", []recovery.Hashed{}), "deleting twice")
	require.NoError(t, s.Replace(ctx, "carol", nil), "deleting an unknown user")
	requireRemaining(t, s, "bob", 1)
}

func testReplaceRejectsInvalid(t *testing.T, s recovery.CodeStore) {
	ctx := context.Background()
	codes := set(t, "a001", "a002")
	require.NoError(t, s.Replace(ctx, "alice", codes))

	tooMany := make([]string, recovery.MaxSetSize+1)
	for i := range tooMany {
		tooMany[i] = fmt.Sprintf("x%03d", i)
	}
	bad := map[string][]recovery.Hashed{
		"repeated id": append(set(t, "b001", "b002"), set(t, "b001")...),
		"empty id":    append(set(t, "b001"), recovery.Hashed{ID: "", Hash: randomHash(t)}),
		"empty hash":  append(set(t, "b001"), recovery.Hashed{ID: "b002", Hash: nil}),
		"too many":    set(t, tooMany...),
	}
	for name, b := range bad {
		assert.Error(t, s.Replace(ctx, "alice", b), name)
		assert.Error(t, s.Replace(ctx, "dave", b), name+" (new user)")
	}
	requireRemaining(t, s, "dave", 0)
	requireRemaining(t, s, "alice", 2)
	requireUnused(t, s, "alice", codes[0])
	requireUnused(t, s, "alice", codes[1])

	full := set(t, tooMany[:recovery.MaxSetSize]...)
	require.NoError(t, s.Replace(ctx, "erin", full), "MaxSetSize codes")
	requireRemaining(t, s, "erin", recovery.MaxSetSize)
}

func testKeepsOwnCopy(t *testing.T, s recovery.CodeStore) {
	codes := set(t, "a001", "a002")
	want := [][]byte{bytes.Clone(codes[0].Hash), bytes.Clone(codes[1].Hash)}
	require.NoError(t, s.Replace(context.Background(), "alice", codes))
	codes[0].Hash[0] ^= 0xff // the caller's slice, changed after Replace

	// verify scribbles on what it is given.
	out, err := s.Consume(context.Background(), "alice", "a002", func(h []byte) bool {
		for i := range h {
			h[i] = 0
		}
		return false
	})
	require.NoError(t, err)
	require.Equal(t, recovery.NoMatch, out)

	requireUnused(t, s, "alice", recovery.Hashed{ID: "a001", Hash: want[0]})
	requireUnused(t, s, "alice", recovery.Hashed{ID: "a002", Hash: want[1]})
}

func testExactUserIDs(t *testing.T, s recovery.CodeStore) {
	ctx := context.Background()
	users := map[string][]recovery.Hashed{
		"1":       set(t, "a001"),
		"abc":     set(t, "a001", "a002"),
		"\u00e9":  set(t, "a001", "a002", "a003"), // é, composed
		"alice-1": set(t, "a001", "a002", "a003", "a004"),
	}
	for u, c := range users {
		require.NoError(t, s.Replace(ctx, u, c))
	}
	for _, other := range []string{"1 ", " 1", "01", "1.0", "ABC", "Abc", "abc ", "e\u0301", "\u00c9", "alice", "alice-10", "ALICE-1", ""} {
		requireRemaining(t, s, other, 0)
		out, seen := consume(t, s, other, "a001", true)
		assert.Equal(t, recovery.NoMatch, out, "user %q", other)
		assert.Empty(t, seen, "user %q must not see another user's hash", other)
	}
	for u, c := range users {
		requireRemaining(t, s, u, len(c))
	}
	for u, c := range users {
		for _, code := range c {
			requireUnused(t, s, u, code)
		}
	}
}

func testCanceledContext(t *testing.T, s recovery.CodeStore) {
	codes := set(t, "a001", "a002")
	require.NoError(t, s.Replace(context.Background(), "alice", codes))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()

	err := s.Replace(ctx, "alice", set(t, "b001"))
	require.Error(t, err, "Replace with a canceled context")
	assert.ErrorIs(t, err, context.Canceled)
	err = s.Replace(ctx, "alice", nil)
	require.Error(t, err, "Replace (delete) with a canceled context")
	assert.ErrorIs(t, err, context.Canceled)

	called := false
	out, err := s.Consume(ctx, "alice", "a001", func([]byte) bool { called = true; return true })
	require.Error(t, err, "Consume with a canceled context")
	assert.ErrorIs(t, err, context.Canceled)
	assert.NotEqual(t, recovery.Consumed, out)
	assert.False(t, called, "verify must not run with a canceled context")

	_, err = s.Remaining(ctx, "alice")
	require.Error(t, err, "Remaining with a canceled context")
	assert.ErrorIs(t, err, context.Canceled)

	// A context canceled while verify runs: nothing is consumed.
	ctx2, cancel2 := context.WithCancel(context.Background())
	out, err = s.Consume(ctx2, "alice", "a002", func([]byte) bool { cancel2(); return true })
	assert.Error(t, err, "Consume whose context ended during verify")
	assert.NotEqual(t, recovery.Consumed, out)

	requireRemaining(t, s, "alice", 2)
	requireUnused(t, s, "alice", codes[0])
	requireUnused(t, s, "alice", codes[1])
}

func testConcurrentConsumeOne(t *testing.T, s recovery.CodeStore) {
	codes := set(t, "a001", "a002")
	require.NoError(t, s.Replace(context.Background(), "alice", codes))
	const n = 16
	var (
		wg       sync.WaitGroup
		start    = make(chan struct{})
		consumed atomic.Int32
		used     atomic.Int32
		errs     = make(chan error, n)
	)
	for range n {
		wg.Go(func() {
			<-start
			out, err := s.Consume(context.Background(), "alice", "a001", func(h []byte) bool {
				return bytes.Equal(h, codes[0].Hash)
			})
			switch {
			case err != nil:
				errs <- err
			case out == recovery.Consumed:
				consumed.Add(1)
			case out == recovery.AlreadyUsed:
				used.Add(1)
			default:
				errs <- fmt.Errorf("unexpected outcome %s", out)
			}
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	assert.Equal(t, int32(1), consumed.Load(), "exactly one winner")
	assert.Equal(t, int32(n-1), used.Load(), "every other call sees the code used")
	requireRemaining(t, s, "alice", 1)
	requireUnused(t, s, "alice", codes[1])
}

func testConcurrentConsumeAll(t *testing.T, s recovery.CodeStore) {
	ids := make([]string, 10)
	for i := range ids {
		ids[i] = fmt.Sprintf("c%03d", i)
	}
	codes := set(t, ids...)
	require.NoError(t, s.Replace(context.Background(), "alice", codes))
	require.NoError(t, s.Replace(context.Background(), "bob", set(t, ids...)))
	var wg sync.WaitGroup
	outs := make([]recovery.Outcome, len(codes))
	errs := make([]error, len(codes))
	for i, c := range codes {
		wg.Go(func() {
			outs[i], errs[i] = s.Consume(context.Background(), "alice", c.ID, func(h []byte) bool {
				return bytes.Equal(h, c.Hash)
			})
		})
	}
	wg.Wait()
	for i := range codes {
		require.NoError(t, errs[i], "code %d", i)
		assert.Equal(t, recovery.Consumed, outs[i], "code %d", i)
	}
	requireRemaining(t, s, "alice", 0)
	requireRemaining(t, s, "bob", len(ids))
}

func testReplaceWhileVerifying(t *testing.T, s recovery.CodeStore) {
	ctx := context.Background()
	old := set(t, "a001", "a002")
	require.NoError(t, s.Replace(ctx, "alice", old))
	fresh := set(t, "a001", "b001")

	// verify of the old a001 says yes, but only after the set was replaced
	// (a001 kept its id, with a new hash): the store must notice.
	var replaceErr error
	out, err := s.Consume(ctx, "alice", "a001", func(h []byte) bool {
		replaceErr = s.Replace(ctx, "alice", fresh)
		return bytes.Equal(h, old[0].Hash)
	})
	require.NoError(t, replaceErr, "Replace while verify runs (the store must not hold a lock or a transaction)")
	require.NoError(t, err)
	assert.Equal(t, recovery.NoMatch, out, "a code replaced during verify must not be consumed")
	requireRemaining(t, s, "alice", 2)

	// Same, with the set deleted during verify.
	out, err = s.Consume(ctx, "alice", "b001", func(h []byte) bool {
		replaceErr = s.Replace(ctx, "alice", nil)
		return true
	})
	require.NoError(t, replaceErr)
	require.NoError(t, err)
	assert.Equal(t, recovery.NoMatch, out, "a code deleted during verify must not be consumed")
	requireRemaining(t, s, "alice", 0)

	require.NoError(t, s.Replace(ctx, "alice", fresh))
	for _, c := range fresh {
		requireUnused(t, s, "alice", c)
	}
}

func testConcurrentReplace(t *testing.T, s recovery.CodeStore) {
	const writers, size = 8, 5
	sets := make([][]recovery.Hashed, writers)
	for w := range sets {
		ids := make([]string, size)
		for i := range ids {
			ids[i] = fmt.Sprintf("w%dc%d", w, i)
		}
		sets[w] = set(t, ids...)
	}
	var wg sync.WaitGroup
	errs := make([]error, writers)
	start := make(chan struct{})
	for w := range sets {
		wg.Go(func() {
			<-start
			errs[w] = s.Replace(context.Background(), "alice", sets[w])
		})
	}
	close(start)
	wg.Wait()
	for w, err := range errs {
		require.NoError(t, err, "writer %d", w)
	}
	requireRemaining(t, s, "alice", size)
	whole := 0
	for _, st := range sets {
		found := 0
		for _, c := range st {
			out, seen := consume(t, s, "alice", c.ID, false)
			require.Equal(t, recovery.NoMatch, out)
			if len(seen) == 1 {
				require.Equal(t, c.Hash, seen[0])
				found++
			}
		}
		require.True(t, found == 0 || found == size, "a set is stored whole or not at all, found %d of %d", found, size)
		if found == size {
			whole++
		}
	}
	assert.Equal(t, 1, whole, "exactly one set remains")
}
