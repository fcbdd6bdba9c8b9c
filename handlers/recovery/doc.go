// Package recovery provides recovery codes: a second factor for the person
// who lost their phone. When two-step is turned on, the person is shown a
// set of one-time codes once and keeps them somewhere safe; on the two-step
// page, one of them completes the login instead of an approval on the
// phone.
//
// # Codes
//
// A set has 10 codes (WithCount). A code is twelve symbols of Alphabet
// (digits and lowercase letters without i, l, o, u) from crypto/rand,
// shown as "xxxx-xxxx-xxxx". The first group is the code's public
// identifier: it selects the one stored record to compare against, so a
// check costs one slow hash, however many codes are left. The other two
// groups are the secret: 40 random bits.
//
// What the person types is normalised in ASCII only: spaces, tabs and
// hyphens are ignored, case is ignored, and o is read as 0, i and l as 1.
// Any other character is refused, every non-ASCII character included: a
// Unicode look-alike is never folded into the symbol it resembles.
//
// # Storage
//
// Only slow hashes are stored: Argon2id, m=19 MiB, t=2, p=1, a random salt
// per code, bound to the user id, compared in constant time. A CodeStore
// keeps each user's current set and marks a code used once, atomically: of
// two concurrent uses of one code, exactly one wins. Generate replaces the
// whole set, so earlier codes stop working. MemoryStore keeps the codes in
// memory; SQLStore keeps them in a table of their own over database/sql
// (SQLite or PostgreSQL; CreateTable creates it). Package recoverytest is
// the conformance suite both pass; run it for your own CodeStore.
//
// # Verification and its rate limit
//
// Service.Verify checks at most 5 codes per user per 15 minutes
// (WithRateLimit), counted by a Limiter before anything is looked up, so
// concurrent guesses cannot slip past the count. NewMemoryLimiter, the
// default, is bounded and per process: an application on several
// instances gives WithLimiter a shared one (or WithGuard, the Guard the handlers use).
// Verify returns nil only for a code that was unused and is now used;
// otherwise an *Error whose Kind says why (ErrMalformed, ErrWrong, ErrUsed,
// ErrLimited, ErrUnavailable). Any failure of the store, the limiter or
// the context is ErrUnavailable: no access, nothing changed.
//
// The package is silent unless WithLogger is given, and never logs or puts
// in an error a code or a hash.
//
// # What the handlers call
//
// The two-step page, for a pending login (the password step passed, the
// second step not yet), when the form has a non-empty field
// "recovery_code":
//
//	err := svc.Verify(r.Context(), pendingUserID, r.PostFormValue("recovery_code"))
//
// On nil it completes the second step exactly as an approval on the phone
// does (renew the session, set was_2fa); on ErrMalformed or ErrWrong it
// shows the page again with "that code is not right"; on ErrUsed "that
// code was already used"; on ErrLimited a 429 page ("too many attempts,
// try again later"); on ErrUnavailable a 503 page. It must not try the
// code as a phone OTP, nor the OTP as a code.
//
// The enable flow, after the confirmed approval that sets second_factor,
// and a "new recovery codes" POST on the settings page, after a fresh
// approval on the phone:
//
//	codes, err := svc.Generate(r.Context(), userID)
//
// then renders the codes once, on a page sent with Cache-Control: no-store,
// and never stores or logs them. When Generate fails after two-step was
// turned on, the page says that no codes exist yet and offers to generate
// them again. Turning two-step off calls svc.Delete(ctx, userID);
// the settings page may show svc.Remaining(ctx, userID).
package recovery
