package guardtest

import (
	"context"
	"sync"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func testBeginInFlight(e *env) {
	var releases []func()
	for _, lk := range lookalikes {
		rel, ok := e.begin(lk, e.ttl)
		require.True(e.t, ok, "Begin(%+v) on a fresh key", lk)
		releases = append(releases, rel)
	}
	for _, lk := range lookalikes {
		for range 2 {
			_, ok := e.begin(lk, e.ttl)
			assert.False(e.t, ok, "Begin(%+v) while in flight", lk)
		}
	}
	for i, rel := range releases {
		e.release(lookalikes[i].ID, rel)
	}
}

func testBeginRelease(e *env) {
	rel1, ok := e.begin(k("k"), e.ttl)
	require.True(e.t, ok, "first Begin")
	rel1b, ok := e.begin(k("other"), e.ttl)
	require.True(e.t, ok, "Begin on another key")
	e.release("first release", rel1)
	rel2, ok := e.begin(k("k"), e.ttl)
	require.True(e.t, ok, "Begin after release")
	at := e.now()

	e.release("release called twice", rel1)
	if e.fresh(at, e.ttl) {
		_, ok = e.begin(k("k"), e.ttl)
		assert.False(e.t, ok, "a second call of an old release ended the later mark")
	}
	_, ok = e.begin(k("other"), e.ttl)
	assert.False(e.t, ok, "releasing one key ended the mark of another")

	e.release("second mark", rel2)
	e.release("second mark, twice", rel2)
	rel3, ok := e.begin(k("k"), e.ttl)
	require.True(e.t, ok, "Begin after the second release")
	e.release("third mark", rel3)
	e.release("other key", rel1b)
}

func testBeginStaleRelease(e *env) {
	rel1, ok := e.begin(k("k"), e.ttl)
	require.True(e.t, ok, "first Begin")
	e.expire()
	rel2, ok := e.begin(k("k"), e.ttl)
	require.True(e.t, ok, "Begin after the first mark expired")
	at := e.now()
	e.release("release of the expired mark", rel1)
	if e.fresh(at, e.ttl) {
		_, ok = e.begin(k("k"), e.ttl)
		assert.False(e.t, ok, "the release of an expired mark ended the later mark")
	}
	e.release("second mark", rel2)
	rel3, ok := e.begin(k("k"), e.ttl)
	require.True(e.t, ok, "Begin after the second release")
	e.release("third mark", rel3)
}

func testBeginExpiry(e *env) {
	_, ok := e.begin(k("k"), e.ttl)
	require.True(e.t, ok, "first Begin")
	_, ok = e.begin(k("long"), 4*e.ttl)
	require.True(e.t, ok, "Begin with a longer ttl")
	at := e.now()
	_, ok = e.begin(k("k"), e.ttl)
	assert.False(e.t, ok, "Begin while in flight")

	e.expire()
	rel, ok := e.begin(k("k"), e.ttl)
	assert.True(e.t, ok, "Begin after the mark's ttl")
	if ok {
		e.release("new mark", rel)
	}
	if e.fresh(at, 4*e.ttl) {
		_, ok = e.begin(k("long"), e.ttl)
		assert.False(e.t, ok, "a mark with a ttl of four ttls ended after one")
	}
}

// A request's context is often canceled (the client went away) by the time
// its deferred release runs: the mark must still end.
func testReleaseAfterCancel(e *env) {
	ctx, cancel := context.WithCancel(e.ctx)
	rel, ok, err := e.g.Begin(ctx, e.key(k("k")), 100*e.ttl)
	require.NoError(e.t, err, "Begin")
	require.True(e.t, ok, "Begin")
	require.NotNil(e.t, rel, "release")
	cancel()
	e.release("after cancel", rel)
	rel2, ok := e.begin(k("k"), 100*e.ttl)
	require.True(e.t, ok, "Begin after a release called once the context of Begin was canceled")
	e.release("second mark", rel2)
}

// Release called from several goroutines at once ends its mark once and
// no later mark.
func testReleaseConcurrent(e *env) {
	for r := range rounds {
		rel, ok := e.begin(k("k"), 100*e.ttl)
		require.True(e.t, ok, "round %d: Begin", r)
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() { e.release("concurrent release", rel) })
		}
		wg.Wait()
		rel2, ok := e.begin(k("k"), 100*e.ttl)
		require.True(e.t, ok, "round %d: Begin after the concurrent releases", r)
		for range 4 {
			wg.Go(func() { e.release("old release, concurrent", rel) })
		}
		wg.Wait()
		_, ok = e.begin(k("k"), 100*e.ttl)
		assert.False(e.t, ok, "round %d: an old release ended the later mark", r)
		e.release("later mark", rel2)
	}
}
