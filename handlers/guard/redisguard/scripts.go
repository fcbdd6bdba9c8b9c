package redisguard

import "github.com/redis/go-redis/v9"

// allowScript: KEYS[1] the sorted set of admitted events; ARGV limit,
// window in microseconds, a unique member. Returns 1 when admitted.
// Scores are the server's time in microseconds (exact in a double).
const allowScript = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) >= limit then
  return 0
end
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('PEXPIRE', KEYS[1], math.ceil(window / 1000) + 1)
return 1
`

// releaseScript: KEYS[1] an in-flight marker; ARGV[1] the token of the
// mark to end. Deletes the key only while it holds that token.
const releaseScript = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`

type scripts struct {
	allow, release *redis.Script
}

func newScripts() scripts {
	return scripts{allow: redis.NewScript(allowScript), release: redis.NewScript(releaseScript)}
}
