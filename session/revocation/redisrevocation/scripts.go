package redisrevocation

import "github.com/redis/go-redis/v9"

// epochLua raises a user epoch (never lowers it), keeps the longer TTL and
// publishes the result.
//
// KEYS[1] user key, KEYS[2] channel.
// ARGV[1] before (20-digit unix ns), ARGV[2] ttl (ms), ARGV[3] user id.
const epochLua = `
local b = ARGV[1]
local cur = redis.call('GET', KEYS[1])
if cur and cur > b then b = cur end
local ttl = tonumber(ARGV[2])
local pttl = redis.call('PTTL', KEYS[1])
if pttl > ttl then ttl = pttl end
redis.call('SET', KEYS[1], b, 'PX', ttl)
redis.call('PUBLISH', KEYS[2], 'u ' .. b .. ' ' .. ttl .. ' ' .. ARGV[3])
return 1
`

// loginLua records a login, keeps the hash's TTL at the latest expiry,
// prunes expired fields when the user is over the cap and, if still over
// it, replaces the records by a user epoch at now. It publishes what it
// recorded.
//
// KEYS[1] login hash, KEYS[2] user key, KEYS[3] channel.
// ARGV[1] login id, ARGV[2] ttl (ms), ARGV[3] now (unix ms), ARGV[4] cap,
// ARGV[5] now (20-digit unix ns), ARGV[6] encoded ids (see encodeLogin),
// ARGV[7] user id.
const loginLua = `
local ttl = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local till = now + ttl
local old = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
if old > till then till = old end
redis.call('HSET', KEYS[1], ARGV[1], till)
local pttl = redis.call('PTTL', KEYS[1])
local keep = ttl
if pttl > keep then keep = pttl end
redis.call('PEXPIRE', KEYS[1], keep)
if redis.call('HLEN', KEYS[1]) > tonumber(ARGV[4]) then
  local all = redis.call('HGETALL', KEYS[1])
  for i = 1, #all, 2 do
    if tonumber(all[i+1]) <= now then redis.call('HDEL', KEYS[1], all[i]) end
  end
end
if redis.call('HLEN', KEYS[1]) > tonumber(ARGV[4]) then
  redis.call('DEL', KEYS[1])
  local b = ARGV[5]
  local cur = redis.call('GET', KEYS[2])
  if cur and cur > b then b = cur end
  local upttl = redis.call('PTTL', KEYS[2])
  if upttl > keep then keep = upttl end
  redis.call('SET', KEYS[2], b, 'PX', keep)
  redis.call('PUBLISH', KEYS[3], 'u ' .. b .. ' ' .. keep .. ' ' .. ARGV[7])
  return 2
end
redis.call('PUBLISH', KEYS[3], 'l ' .. (till - now) .. ' ' .. ARGV[6])
return 1
`

var (
	epochScript = redis.NewScript(epochLua)
	loginScript = redis.NewScript(loginLua)
)
