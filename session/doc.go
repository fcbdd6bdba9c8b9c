// Package session keeps the typed login state of unloq2fa on top of
// gorilla/sessions.
//
// A [Manager] wraps any [github.com/gorilla/sessions.Store]: by default a
// CookieStore built from [WithKeys] (signed with HMAC-SHA256 and encrypted
// with AES, with key rotation), or any other store given to [WithStore]
// (FilesystemStore, Redis, SQL, ...). Whatever the store's own Options say,
// every cookie the Manager writes carries the secure defaults: HttpOnly,
// Secure, SameSite=Lax, Path "/" and a Max-Age of [DefaultMaxAge].
//
// A [Session] holds:
//
//   - "uid", "email": the user who passed the password step;
//   - "pw_at": when the password step passed (unix seconds);
//   - "was_2fa": whether the second factor is done (or not needed);
//   - "login_id": a random identifier minted for every login;
//   - "iat": when the login was issued, at its last renewal (unix ns);
//   - "f:<key>": small strings the login flows need.
//
// The session moves through the states [StateAnonymous] → [StatePending]
// (password passed, second factor outstanding) → [StateVerified]. A pending
// session expires [DefaultPendingTTL] after the password step
// ([StatePendingExpired]). Each change of privilege ([Session.BeginLogin],
// [Session.CompleteSecondFactor]) renews the session: every old value is
// dropped, a new LoginID is minted and, for server-side stores, the record
// gets a new ID while the old record is erased.
//
// The cookie is decoded at most once per request: [Manager.Attach] stores
// the decoded session in the request context, where [FromContext] and later
// calls of [Manager.Load] find it. [Session.Save] writes only when something
// changed.
//
// Logins can be ended on the server, however the cookie was copied: the
// Manager checks every loaded login against a revocation store (by default
// in memory, [WithRevocation] for a shared one). [Manager.EndLogin] ends
// one login (logout), [Manager.LogOutEverywhere] every login of a user
// issued so far, and [Manager.LogOutOthers] every login but the current
// one. An ended login loads as anonymous; when the revocation store cannot
// answer, the load fails with an error matching [ErrRevocation] and the
// session is anonymous.
//
// The package fails closed: a cookie that cannot be decoded (tampered,
// signed with unknown keys, expired) yields an empty anonymous session and
// an error matching [ErrUnreadable]; a store failure yields an anonymous
// session and an error matching [ErrStore]. Error texts never contain
// cookie values or session IDs.
package session
