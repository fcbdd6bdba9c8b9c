// Package handlers holds the ready-made routes of unloq2fa: the second
// login step, the widget callback, and turning UNLOQ on and off in the
// user's settings.
//
// # Wiring
//
// After the app's own password check succeeds, and wherever else it logs
// someone in from code (sign-up, password reset, impersonation), it calls
// Handlers.LogIn, which starts the login in the session and sends the
// browser either on (no second factor) or to the two-step page. The
// unloq2fa session is the app's login from then on: Handlers.UserID (or
// middleware.UserID) says who is logged in.
//
// Handlers.Mount mounts the routes on any router, given its "handle"
// function (http.ServeMux.Handle, chi's Handle, or a one-line adapter for
// gorilla/mux); each route answers other methods with 405 itself:
//
//	GET  /login/two-step          the second step (widget and/or push form)
//	POST /login/two-step          push to the phone, wait, complete the login
//	GET  /uauth/login?token=…     the widget's redirect (widget modes only)
//	POST /settings/2fa/enable     start enrollment (QR code), then step=confirm
//	GET  /settings/2fa/enable/status  {"enrolled":bool} for the QR page's polling
//	POST /settings/2fa/disable    fresh approval, then second_factor cleared
//	POST /logout                  end the session, back to the login page
//	POST /uauth/logout            UNLOQ's remote-logout webhook (WithRemoteLogout)
//
// Handlers.Wrap puts the app's router behind the session check, and
// Handlers.RequireVerified guards a subtree; both come from the same
// Paths as the routes (WithPaths), so a pending user always reaches the
// two-step routes and logout, wherever they are mounted. WithFormField
// puts the host's CSRF token into every form the handlers render;
// WithExtraExemptions lets routes with their own authentication (API keys)
// through. Disabled runs the app without UNLOQ (fail closed for users who
// have it).
//
// # Security
//
// The handlers implement the invariants of the design:
//
//   - Fail closed: a store, guard, session or UNLOQ error (including a
//     timeout or a malformed reply) changes nothing and answers 4xx/5xx.
//     When the session's revocation store cannot answer (its Redis is
//     down, say), every route answers 503 "sign-in is temporarily
//     unavailable, nothing was changed" (CodeSessionUnavailable), as the
//     middleware does, instead of treating the user as logged out.
//   - An approval counts only for the user who passed the password step in
//     this browser session (the token's e-mail must equal the session's and
//     the store's current e-mail), within the pending window, once: the
//     Guard records each used token (by SHA-256) and each completed or
//     logged-out login, and an old copy of the cookie of such a login can
//     send no further push and redeem no token.
//   - The session is renewed when the login completes.
//   - State-changing routes are POST only and checked with
//     http.CrossOriginProtection (WithTrustedOrigins adds origins).
//   - next is a same-origin relative path only (SafeNext).
//   - One approval in flight per pending login (and per user for the
//     settings routes): a second POST while a push waits on the phone does
//     not push again; it gets 409 and a page saying an approval is already
//     waiting. A browser that goes away cancels the UNLOQ call. Pushes are
//     limited per user (WithPushLimit, default 5 per 15 minutes).
//   - Tokens, OTPs, keys and cookies never reach events, logs or error text.
//   - Every response sets Cache-Control: no-store, Referrer-Policy:
//     no-referrer, X-Frame-Options: DENY and Content-Security-Policy:
//     frame-ancestors 'none'.
//
// # Templates
//
// The default templates (embedded, html/template, one layout) can be
// replaced with WithTemplates by a set defining the same names:
//
//	"twostep"  TwoStepPage   the second login step
//	"enroll"   EnrollPage    the QR pairing page
//	"approve"  ApprovePage   a fresh approval for a settings change (with the OTP field after a denial)
//	"message"  MessagePage   errors and results
//	"recovery_codes"  RecoveryCodesPage  a new set of recovery codes, shown once (only with WithRecoveryCodes)
//
// Forms post the fields "otp" (digits) and, on the enrollment pages,
// "step" ("confirm"). An API client that prefers application/json in its
// Accept header gets JSON on every route instead: redirects become
// {"redirect": "…", …} with 200, errors {"error":{"code","message"}} with the
// same status the page would have.
//
// # Recovery codes, other factors and notices
//
// WithRecoveryCodes (off by default; on when the application gives it a
// recovery.Service over its own CodeStore) adds the field
// "recovery_code" to the two-step page, shows a new set of codes once when
// two-step is turned on, mounts POST Paths.RecoveryCodes (a new set after
// a fresh approval) and deletes the codes when two-step is turned off.
// A factor this package does not ship finishes a login with
// CompleteSecondFactor, for the user PendingUser reports. After turning
// two-step on or off (or new codes), Notice returns a one-time success
// message for the application's settings page.
//
// # Events
//
// Each step produces an Event (EventChallenged, EventApproved,
// EventDenied, EventTimedOut, EventEnrolled, EventDisabled, EventFailed)
// for WithEventHook and WithLogger. Event.Err is an *Error.
//
// # Errors
//
// Every error the package returns or reports is an *Error: a Code (what
// went wrong), the operation, and the cause underneath (an *unloq.Error, a
// store or session error), which stays reachable with errors.Is and
// errors.As. A Code is itself an error, so a caller matches a kind of
// failure in one line:
//
//	if errors.Is(err, handlers.CodeDenied) { … }
//
// or reads it with errors.As:
//
//	var e *handlers.Error
//	if errors.As(err, &e) {
//		switch e.Code { … }
//	}
//
// The Code's string value is the "error" code of the JSON answer and the
// data-code attribute of the page's error (a finer one for CodeRejected,
// CodeStore and CodeRecoveryCode), so programs can rely on it. Error text
// starts with "handlers:" and never holds a token, an OTP or a key.
package handlers
