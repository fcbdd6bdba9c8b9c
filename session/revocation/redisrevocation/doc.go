// Package redisrevocation is a revocation store on Redis, shared by every
// instance of an application, so that a logout on one instance ends the
// session on all of them.
//
// Steady state costs no network round trip per request: each [Store] keeps
// a local mirror of the (few, expiring) revocation records and answers
// Revoked from it. The mirror is filled at start by a SCAN of the key
// prefix and kept current through Redis pub/sub: every write is one Lua
// script that updates the record (with a TTL) and publishes the change in
// the same atomic step. A revocation typically reaches the other instances
// within milliseconds.
//
// The store fails closed. Until the first synchronisation, and whenever
// the subscription is lost (a connection error, or a ping that gets no
// answer within two ping intervals), Revoked returns an error matching
// [revocation.ErrUnavailable]; the session package then refuses access. On
// reconnection the store subscribes again, rescans the prefix and only
// then answers again, so revocations written meanwhile are not missed.
//
// Keys (all under the prefix, default [DefaultPrefix], so that several
// apps can share one Redis):
//
//	<prefix>u:<user id>   string: the user epoch (unix ns, 20 digits), TTL = record expiry
//	<prefix>l:<user id>   hash: login id → expiry (unix ms), TTL = latest expiry
//	<prefix>events        pub/sub channel of changes
//
// A user keeps at most [revocation.DefaultMaxLoginsPerUser] login records
// (expired ones are pruned first); one more replaces them with a user
// epoch at the current time, which ends more logins, never fewer. The
// scripts touch keys of one user only; a Redis Cluster deployment needs
// the prefix and user keys in one slot, which this package does not
// arrange.
//
// "Log out everywhere" is a user epoch: logins issued at or before a time
// taken from the clock of the instance that wrote it. Logins carry the
// issue time of the instance that issued them, so the instances' clocks
// must agree (NTP): a login issued within the clock skew before an epoch
// written by an instance whose clock runs behind can outlive it.
//
// Call [Store.Close] to stop the background goroutine; the Redis client
// stays the caller's.
package redisrevocation
