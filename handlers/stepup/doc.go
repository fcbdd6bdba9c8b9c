// Package stepup asks the phone before a sensitive action: a wrapped
// handler runs only after the logged-in user approved this action in the
// UNLOQ app, through UNLOQ's authorize call (POST /v1/authorize/{code})
// with the application's action code, variables for the action's title and
// message, and a reference of at most 20 characters.
//
//	su, err := stepup.New(client, sessions, users)
//	mux.Handle("/notes/delete-all", su.Require(stepup.Action{
//		Code: "delete_notes",
//		Vars: func(r *http.Request) map[string]string { return map[string]string{"what": "all notes"} },
//	}, deleteAll))
//
// Mount the wrapped handler for POST as well as for its own methods: the
// approval is asked for by a POST to the same URL. A safe method (GET,
// HEAD, OPTIONS) never sends a push.
//
// # Who may pass
//
// Only a verified login (session.StateVerified) whose user still exists
// with the session's e-mail (compared exactly) is asked. Anonymous and
// pending sessions are refused, and so are users without an UNLOQ second
// factor (password only) unless WithAllowPasswordOnly lets them pass
// without an approval. Denial, timeout, a cancelled request and every
// UNLOQ fault (unreachable, 5xx, malformed reply, refusal) refuse the
// action and change nothing: the wrapped handler does not run and the
// session is not written.
//
// # Browser flow
//
// A request without an approval gets a "confirm on your phone" page whose
// form POSTs to the request's own path and query and submits itself (a
// button without JavaScript; WithScriptNonce for a strict CSP, and
// WithFormField for the host's CSRF field). That POST waits for the phone:
//
//   - The original was a form POST (application/x-www-form-urlencoded, at
//     most MaxReplayBytes and MaxReplayFields): the page carries the
//     original fields as hidden inputs and, once approved, the wrapped
//     handler runs in that POST with exactly those fields as its body
//     (fields named unloq2fa_… are dropped). Other bodies (file uploads,
//     JSON from a browser) are refused with 415: nothing else is replayed.
//   - The original was a GET: once approved, a one-time grant for exactly
//     that URL is kept in the session (WithGrantTTL, default 2 minutes)
//     and the browser is redirected (303) to it; the grant is used up by
//     that GET.
//
// # API clients
//
// A client that prefers JSON (Accept: application/json) gets 428
// Precondition Required with {"error":{"code":"step_up_required",…}}: not a
// 2xx, so that no client takes the refusal for success. It then repeats a
// non-safe request with the header "Unloq2fa-Step-Up: run", which blocks
// until the phone answers and then runs the wrapped handler with the body
// untouched; or, before a GET, POSTs to the same URL with
// "Unloq2fa-Step-Up: grant" (answer 200 {"status":"approved"}) and repeats
// the GET once. Refusals are JSON: {"error":{"code":"denied",…}} and so on.
//
// # Max age
//
// Action.MaxAge lets one approval count for further requests of the same
// action for that long. The approval is kept in the session as a flow value
// bound to the session's LoginID and the action code: it never counts for
// another user or another session, and every new login (or logout) drops
// it. With a cookie-only session store, a copy of the cookie taken while an
// approval is fresh carries it too, until its max age (or the one-time
// GET grant's TTL) ends; use a server-side session store where that
// matters.
//
// # One approval at a time
//
// While an approval of an action waits on the phone, another one of the
// same action in the same session gets 409 and no push. The default marker
// store is in-process and bounded; several instances behind a load
// balancer need a shared one (WithGuard; the Guard given to handlers.WithGuard fits).
//
// # Security headers and errors
//
// Every page and JSON answer of this package sends Cache-Control:
// no-store, Referrer-Policy: no-referrer, X-Frame-Options: DENY and
// Content-Security-Policy: frame-ancestors 'none'. Non-safe requests are
// checked with http.CrossOriginProtection before anything else. Each
// refusal is an *Error matching one of the Err… sentinels, given to
// WithOnRefusal and WithLogger; no error text carries form values,
// cookies or keys.
package stepup
