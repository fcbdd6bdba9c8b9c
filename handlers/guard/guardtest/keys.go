package guardtest

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/handlers/guard"
)

// testUserIsolation: user A spends their budget, holds a mark and uses an
// id; user B, with the same kind and id, and the user "" are untouched.
func testUserIsolation(e *env) {
	a := guard.Key{Kind: "push", User: "alice", ID: "login-1"}
	wa := e.window(a, 2, 100*e.ttl)
	wa.allow("A's first push")
	wa.allow("A's second push")
	wa.allow("A over the limit")
	_, ok := e.begin(a, 100*e.ttl)
	require.True(e.t, ok, "A's Begin")
	require.True(e.t, e.markUsed(a, 100*e.ttl), "A's MarkUsed")

	for _, user := range []string{"bob", "", "alice ", "Alice", "alicE"} {
		b := a
		b.User = user
		wb := e.window(b, 2, 100*e.ttl)
		wb.allow("another user's first push")
		wb.allow("another user's second push")
		wb.allow("another user over the limit")
		assert.False(e.t, e.used(b), "Used(%q): A's record leaked to another user", user)
		rel, ok := e.begin(b, 100*e.ttl)
		if assert.True(e.t, ok, "Begin(%q) while A is in flight", user) {
			e.release("another user", rel)
		}
		assert.True(e.t, e.markUsed(b, 100*e.ttl), "MarkUsed(%q) after A's", user)
	}
	_, ok = e.begin(a, 100*e.ttl)
	assert.False(e.t, ok, "A is still in flight")
	assert.True(e.t, e.used(a), "A's record still stands")
	wa.allow("A still over the limit")
}

// testRecordTypesSeparate: the same key given to Allow, Begin and MarkUsed
// names three different records.
func testRecordTypesSeparate(e *env) {
	x := k("x")
	require.True(e.t, e.markUsed(x, 100*e.ttl), "MarkUsed")
	rel, ok := e.begin(x, 100*e.ttl)
	require.True(e.t, ok, "Begin on a key that is marked used")
	w := e.window(x, 1, 100*e.ttl)
	w.allow("Allow on a key that is in flight and used")
	w.allow("over the limit")
	e.release("mark", rel)
	assert.True(e.t, e.used(x), "a release ended a replay record")

	y := k("y")
	_, ok = e.begin(y, 100*e.ttl)
	require.True(e.t, ok, "Begin")
	assert.False(e.t, e.used(y), "Used on a key that is only in flight")
	assert.True(e.t, e.markUsed(y, 100*e.ttl), "MarkUsed on a key in flight")

	z := k("z")
	wz := e.window(z, 1, 100*e.ttl)
	wz.allow("first event")
	assert.False(e.t, e.used(z), "Used on a key that only has events")
	rel, ok = e.begin(z, 100*e.ttl)
	if assert.True(e.t, ok, "Begin on a key that has events") {
		e.release("z", rel)
	}
	assert.True(e.t, e.markUsed(z, 100*e.ttl), "MarkUsed on a key that has events")
}

// badKeys are invalid keys, relative to the subtest's prefix (kind "" is
// replaced by a truly empty kind).
func badKeys(e *env) map[string]guard.Key {
	return map[string]guard.Key{
		"empty kind":    {User: "u", ID: "i"},
		"long kind":     {Kind: e.prefix + strings.Repeat("k", guard.MaxKindLen+1-len(e.prefix)), User: "u"},
		"colon in kind": {Kind: e.prefix + "a:b", User: "u"},
		"space in kind": {Kind: e.prefix + "a b", User: "u"},
		"brace in kind": {Kind: e.prefix + "{a}", User: "u"},
		"utf-8 in kind": {Kind: e.prefix + "é", User: "u"},
		"long user":     {Kind: e.prefix + "t", User: strings.Repeat("u", guard.MaxUserLen+1)},
		"long id":       {Kind: e.prefix + "t", User: "u", ID: strings.Repeat("i", guard.MaxIDLen+1)},
	}
}

func (e *env) wantInvalid(what string, err error) {
	e.t.Helper()
	if assert.Error(e.t, err, "%s: want an error", what) {
		assert.True(e.t, errors.Is(err, guard.ErrInvalid), "%s: %v does not match guard.ErrInvalid", what, err)
	}
}

func testInvalidArguments(e *env) {
	ctx := e.ctx
	for name, bad := range badKeys(e) {
		ok, err := e.g.Allow(ctx, bad, 5, e.ttl)
		e.wantInvalid("Allow with "+name, err)
		assert.False(e.t, ok, "Allow with %s", name)
		rel, ok, err := e.g.Begin(ctx, bad, e.ttl)
		e.wantInvalid("Begin with "+name, err)
		assert.False(e.t, ok, "Begin with %s", name)
		assert.Nil(e.t, rel, "Begin with %s: release", name)
		first, err := e.g.MarkUsed(ctx, bad, e.ttl)
		e.wantInvalid("MarkUsed with "+name, err)
		assert.False(e.t, first, "MarkUsed with %s", name)
		used, err := e.g.Used(ctx, bad)
		e.wantInvalid("Used with "+name, err)
		assert.False(e.t, used, "Used with %s", name)
	}

	good := e.key(k("good"))
	for _, c := range []struct {
		limit  int
		window time.Duration
	}{{0, e.ttl}, {-1, e.ttl}, {1, 0}, {1, -time.Second}} {
		ok, err := e.g.Allow(ctx, good, c.limit, c.window)
		e.wantInvalid("Allow with limit "+strconv.Itoa(c.limit)+" and window "+c.window.String(), err)
		assert.False(e.t, ok, "Allow with a bad limit or window")
	}
	for _, ttl := range []time.Duration{0, -time.Second} {
		rel, ok, err := e.g.Begin(ctx, good, ttl)
		e.wantInvalid("Begin with ttl "+ttl.String(), err)
		assert.False(e.t, ok, "Begin with ttl %v", ttl)
		assert.Nil(e.t, rel, "Begin with ttl %v: release", ttl)
		first, err := e.g.MarkUsed(ctx, good, ttl)
		e.wantInvalid("MarkUsed with ttl "+ttl.String(), err)
		assert.False(e.t, first, "MarkUsed with ttl %v", ttl)
	}
	// The refused calls recorded nothing.
	w := e.window(k("good"), 1, e.ttl)
	w.allow("after Allow calls with a bad limit or window")
	rel, ok := e.begin(k("good"), e.ttl)
	if assert.True(e.t, ok, "Begin after Begin calls with a bad ttl") {
		e.release("good", rel)
	}
	assert.False(e.t, e.used(k("good")), "Used after MarkUsed calls with a bad ttl")
	assert.True(e.t, e.markUsed(k("good"), e.ttl), "MarkUsed after MarkUsed calls with a bad ttl")
}

// testKeyLimits: keys at the length limits, with any bytes in the user and
// the id, are valid and still told apart by their last byte.
func testKeyLimits(e *env) {
	kind := strings.Repeat("K", guard.MaxKindLen-len(e.prefix))
	bin := func(n int, last byte) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(i*7 + 1) // every byte value, ':' '{' '}' and NUL included
		}
		b[0], b[n-1] = 0, last
		return string(b)
	}
	keys := []guard.Key{
		{Kind: kind, User: bin(guard.MaxUserLen, 'a'), ID: bin(guard.MaxIDLen, 'a')},
		{Kind: kind, User: bin(guard.MaxUserLen, 'a'), ID: bin(guard.MaxIDLen, 'b')},
		{Kind: kind, User: bin(guard.MaxUserLen, 'b'), ID: bin(guard.MaxIDLen, 'a')},
		{Kind: kind, User: bin(guard.MaxUserLen, 0xff), ID: bin(guard.MaxIDLen, 0xff)},
	}
	for i, lk := range keys {
		require.NoError(e.t, e.key(lk).Validate(), "key %d", i)
		w := e.window(lk, 1, 100*e.ttl)
		w.allow("first event")
		w.allow("over the limit")
		_, ok := e.begin(lk, 100*e.ttl)
		assert.True(e.t, ok, "Begin on key %d", i)
		assert.False(e.t, e.used(lk), "Used on key %d before MarkUsed", i)
		assert.True(e.t, e.markUsed(lk, 100*e.ttl), "MarkUsed on key %d", i)
		assert.True(e.t, e.used(lk), "Used on key %d", i)
	}
}
