package recovery

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// cheapParams make tests fast; they are valid Argon2id parameters, far
// below what the Service uses.
var cheapParams = hashParams{memory: 64, time: 1, threads: 1}

func mustParse(t testing.TB, s string) code {
	t.Helper()
	c, ok := parse(s)
	require.True(t, ok, "parse(%q)", s)
	return c
}

func TestHashFormatAndVerify(t *testing.T) {
	c := mustParse(t, "abcd-efgh-jkmn")
	h, err := hashCode(defaultParams, "alice", c)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(string(h), "$argon2id$v=19$m=19456,t=2,p=1$"), "%s", h)
	for _, plain := range []string{"abcd-efgh-jkmn", "abcdefghjkmn", "efghjkmn", "efgh", "jkmn", "ABCD", "alice"} {
		assert.NotContains(t, strings.ToLower(string(h)), strings.ToLower(plain), "the hash must not hold %q", plain)
	}

	ok, err := verifyHash(h, "alice", c)
	require.NoError(t, err)
	assert.True(t, ok, "the right code")

	for _, other := range []struct{ user, code string }{
		{"alice", "abcd-efgh-jkmp"}, // one symbol off
		{"alice", "abce-efgh-jkmn"}, // another id
		{"alice ", "abcd-efgh-jkmn"},
		{"Alice", "abcd-efgh-jkmn"},
		{"bob", "abcd-efgh-jkmn"}, // the same code copied to another user
		{"", "abcd-efgh-jkmn"},
	} {
		ok, err := verifyHash(h, other.user, mustParse(t, other.code))
		require.NoError(t, err)
		assert.False(t, ok, "user %q code %q", other.user, other.code)
	}

	again, err := hashCode(defaultParams, "alice", c)
	require.NoError(t, err)
	assert.NotEqual(t, h, again, "a fresh salt per hash")
}

func TestHashInputIsUnambiguous(t *testing.T) {
	// The user id and the code cannot trade bytes.
	a := hashInput("ab", mustParse(t, "cdef-ghjk-mnpq"))
	b := hashInput("abc", mustParse(t, "defg-hjkm-npqr"))
	assert.False(t, bytes.Equal(a, b))
	assert.True(t, bytes.HasPrefix(a, []byte(hashDomain+"ab\x00")))
}

func TestVerifyHashRejectsMalformed(t *testing.T) {
	c := mustParse(t, "abcd-efgh-jkmn")
	good, err := hashCode(cheapParams, "alice", c)
	require.NoError(t, err)
	parts := strings.Split(string(good), "$") // "", argon2id, v=19, params, salt, key
	require.Len(t, parts, 6)
	salt, key := parts[4], parts[5]
	with := func(params, s, k string) []byte {
		return []byte("$argon2id$v=19$" + params + "$" + s + "$" + k)
	}
	bad := map[string][]byte{
		"empty":            nil,
		"plain text":       []byte("abcd-efgh-jkmn"),
		"argon2i":          []byte(strings.Replace(string(good), "argon2id", "argon2i", 1)),
		"version 16":       []byte(strings.Replace(string(good), "v=19", "v=16", 1)),
		"missing field":    []byte("$argon2id$v=19$m=64,t=1,p=1$" + salt),
		"extra field":      append(bytes.Clone(good), "$x"...),
		"m=0":              with("m=0,t=1,p=1", salt, key),
		"m too large":      with("m=262145,t=1,p=1", salt, key),
		"m huge":           with("m=99999999999,t=1,p=1", salt, key),
		"t=0":              with("m=64,t=0,p=1", salt, key),
		"t too large":      with("m=64,t=17,p=1", salt, key),
		"p=0":              with("m=64,t=1,p=0", salt, key),
		"p too large":      with("m=64,t=1,p=9", salt, key),
		"m below 8p":       with("m=15,t=1,p=2", salt, key),
		"leading zero":     with("m=064,t=1,p=1", salt, key),
		"plus sign":        with("m=+64,t=1,p=1", salt, key),
		"reordered":        with("t=1,m=64,p=1", salt, key),
		"missing param":    with("m=64,t=1", salt, key),
		"padded salt":      with("m=64,t=1,p=1", salt+"==", key),
		"salt not base64":  with("m=64,t=1,p=1", "!!!!!!!!!!!!", key),
		"short salt":       with("m=64,t=1,p=1", base64.RawStdEncoding.EncodeToString([]byte("1234567")), key),
		"short key":        with("m=64,t=1,p=1", salt, base64.RawStdEncoding.EncodeToString(make([]byte, 15))),
		"long key":         with("m=64,t=1,p=1", salt, base64.RawStdEncoding.EncodeToString(make([]byte, 65))),
		"key not base64":   with("m=64,t=1,p=1", salt, "%%%%"),
		"trailing newline": append(bytes.Clone(good), '\n'),
	}
	for name, h := range bad {
		ok, err := verifyHash(h, "alice", c)
		assert.ErrorIs(t, err, errBadHash, name)
		assert.False(t, ok, name)
	}
	ok, err := verifyHash(good, "alice", c)
	require.NoError(t, err)
	assert.True(t, ok, "the unmodified hash still verifies")
}
