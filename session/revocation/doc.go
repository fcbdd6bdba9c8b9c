// Package revocation records ended logins so that a session cookie stops
// working on the server side, however it was copied.
//
// A signed and encrypted cookie cannot be recalled once it has left the
// server: clearing it in the browser does nothing against a copy. A [Store]
// therefore keeps two kinds of records, each with an expiry:
//
//   - a login record (RevokeLogin): one login, named by its random login
//     id, is dead until its natural expiry. Logout writes one.
//   - a user epoch (RevokeUser): every login of the user issued at or
//     before a time is dead. "Log out everywhere", a password change, an
//     account lock, UNLOQ's remote logout and turning two-step on or off
//     write one. The record lives as long as the longest session could.
//
// The session package asks [Store.Revoked] on every request that carries a
// login, so that call must be cheap: [Memory] answers with two map lookups
// under a read lock and no allocation. A shared backend (see the
// redisrevocation subpackage) keeps a local mirror of its records and
// answers from it; when it cannot vouch for its mirror it returns an error,
// and the caller refuses access (fail closed).
//
// Nothing grows without bound: every record expires, one user keeps at
// most a fixed number of login records (beyond it the user's logins are
// ended together by an epoch, which is the safe direction), and the whole
// store has a cap (beyond it every login issued so far is ended at once).
//
// Package revocationtest holds the conformance suite every Store passes.
package revocation
