// Package redisguard is a guard.Guard on Redis, for an application that
// runs on several instances: push budgets, replay records and in-flight
// markers then hold across all of them.
//
//	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
//	g, err := redisguard.New(client)
//
// Every operation is one atomic Redis command or Lua script:
//
//   - Allow keeps the admitted events of a key in a sorted set scored by
//     the Redis server's clock (TIME), so instances with skewed clocks
//     agree; the script drops the events that left the window, refuses
//     when limit remain, else adds the event and sets the key to expire
//     one window later.
//   - Begin is SET NX PX with a random token; release deletes the key only
//     while it still holds that token (compare and delete in Lua), so it
//     never ends a later mark. It runs even when the request's context was
//     canceled, with its own timeout.
//   - MarkUsed is SET NX PX; Used is EXISTS.
//
// Every key expires (PX or PEXPIRE), so nothing grows without bound, and
// starts with a prefix (WithPrefix, default DefaultPrefix) so several
// applications can share one Redis. Redis then holds at most what the
// traffic of one ttl made; configure it with maxmemory-policy noeviction
// (or volatile-ttl), since an evicted replay record lets a used token or
// login through again while a write refused for memory only fails closed.
//
// Any Redis error (unreachable server, timeout, script error) is returned,
// wrapped with "redisguard: ", and callers refuse the request (fail
// closed). The package passes the conformance suite of package guardtest
// against a real redis-server.
package redisguard
