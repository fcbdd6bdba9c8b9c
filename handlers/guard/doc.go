// Package guard holds the short-lived records the unloq2fa flows keep
// beyond the session: push and callback rate limits, replay records of used
// tokens and of completed or abandoned logins, and in-flight markers (one
// approval at a time per pending login or per settings change).
//
// Guard is the interface; every record is charged to a Key, which names the
// kind of record, the user it belongs to and an id. Two implementations:
//
//   - Memory, in this package, for a single process. It caps what each user
//     holds of each kind and what it holds in all, evicting the oldest replay
//     records rather than refusing, so one user's traffic cannot lock
//     another out, and it expires records in order, without sweeps.
//   - package redisguard, on Redis, for several instances of an application
//     behind a load balancer: limits, replay records and markers then hold
//     across instances.
//
// Package guardtest is the conformance suite both pass; run it against your
// own implementation.
//
// Every error means "refuse": a caller that gets one must not send a push,
// redeem a token or complete a login (fail closed).
package guard
