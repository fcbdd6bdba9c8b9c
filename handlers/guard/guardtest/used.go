package guardtest

import (
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func testMarkUsed(e *env) {
	first := lookalikes[0]
	assert.True(e.t, e.markUsed(first, e.ttl), "first MarkUsed")
	for i := range 3 {
		assert.False(e.t, e.markUsed(first, e.ttl), "MarkUsed again (%d)", i+1)
	}
	for _, lk := range lookalikes[1:] {
		assert.True(e.t, e.markUsed(lk, e.ttl), "first MarkUsed(%+v): keys are independent", lk)
		assert.False(e.t, e.markUsed(lk, e.ttl), "MarkUsed(%+v) again", lk)
	}
}

func testMarkUsedExpiry(e *env) {
	for _, lk := range lookalikes {
		require.True(e.t, e.markUsed(lk, e.ttl), "first MarkUsed(%+v)", lk)
	}
	require.True(e.t, e.markUsed(k("long"), 4*e.ttl), "first MarkUsed with a longer ttl")
	at := e.now()
	e.expire()
	for _, lk := range lookalikes {
		assert.True(e.t, e.markUsed(lk, e.ttl), "MarkUsed(%+v) after the ttl", lk)
		assert.False(e.t, e.markUsed(lk, e.ttl), "MarkUsed(%+v) again after the ttl", lk)
	}
	if e.fresh(at, 4*e.ttl) {
		assert.False(e.t, e.markUsed(k("long"), e.ttl), "a record with a ttl of four ttls ended after one")
	}
}

func testUsed(e *env) {
	first := lookalikes[0]
	for range 3 {
		assert.False(e.t, e.used(first), "Used before MarkUsed")
	}
	assert.True(e.t, e.markUsed(first, e.ttl), "MarkUsed after Used: Used must record nothing")
	assert.True(e.t, e.used(first), "Used after MarkUsed")
	assert.True(e.t, e.used(first), "Used after MarkUsed, again")
	for _, lk := range lookalikes[1:] {
		assert.False(e.t, e.used(lk), "Used(%+v): keys are independent", lk)
	}
	require.True(e.t, e.markUsed(k("long"), 4*e.ttl), "MarkUsed with a longer ttl")
	at := e.now()

	e.expire()
	assert.False(e.t, e.used(first), "Used after the ttl")
	if e.fresh(at, 4*e.ttl) {
		assert.True(e.t, e.used(k("long")), "a record with a ttl of four ttls ended after one")
	}
	assert.False(e.t, e.used(first), "Used after the ttl, again")
	assert.True(e.t, e.markUsed(first, e.ttl), "MarkUsed after the ttl")
	assert.True(e.t, e.used(first), "Used after a new MarkUsed")
	assert.False(e.t, e.used(k("never")), "Used on a key never marked")
	assert.True(e.t, e.markUsed(k("never"), e.ttl), "MarkUsed after Used on that key")
}
