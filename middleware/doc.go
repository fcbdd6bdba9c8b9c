// Package middleware enforces unloq2fa's two-step login over a whole
// net/http application.
//
// [Middleware.Wrap] wraps an existing mux (http.ServeMux, chi, gorilla/mux,
// ...). For every request it decides, from the session of a
// [github.com/unloq2fa/unloq2fa/session.Manager]:
//
//   - exempt routes pass untouched, without decoding anything (by default
//     GET and HEAD /uauth/login, and GET, HEAD and POST /login/two-step);
//   - anonymous requests pass to the application, whose own login check
//     decides;
//   - a user who passed the password step but not the second factor
//     (was_2fa=false) is sent to the two-step page, or to the login page
//     once the pending state expired (the expired session is cleared);
//   - a verified user passes.
//
// [Middleware.RequireVerified] additionally guards a subtree: only verified
// users pass; anonymous ones are sent to the login page with a same-origin
// "next" parameter.
//
// Browsers get redirects; API clients (Accept prefers application/json) get
// a JSON 401 {"error": …, "reason": …, "redirect": …}. Every refusal carries
// Cache-Control: no-store. The decoded session is attached to the request
// context ([session.FromContext]) so handlers downstream do not decode the
// cookie again; [ReasonFrom] and [UserID] read it.
//
// Exemptions match exactly: the method, the decoded path and the escaped
// path must all equal the rule, so that /uauth%2Flogin, /uauth/login/,
// //uauth/login, /uauth/./login or /UAUTH/login never ride on the
// exemption of /uauth/login.
package middleware
