// Package unloqtest is a faithful, in-process simulator of the UNLOQ
// authentication API (the current "Gen 2" API: Bearer API key, JSON
// envelopes) for tests and local development.
//
// # Serving
//
// A Simulator is an http.Handler. Mounted at any prefix (the root for
// NewServer and the unloq-sim command, "/_unloq" inside example-app, via
// http.StripPrefix) it serves:
//
//   - /v1/…  the UNLOQ API: enroll, enrolled, deactivate, authenticate,
//     token, token/session, token/device, token/generate, authorize/{code},
//     encryption/user. Bearer API key (or the Gen 1 X-Api-Secret header),
//     JSON or form bodies with string coercion ("true", "3600"),
//     ?events=true ignored, {"type","result"} and
//     {"error":{"code","ns","message","status"}} envelopes;
//   - /login.js  a working "Log in with UNLOQ" widget script
//     (data-unloq-key, -email, -theme, -init; window.UNLOQ.onLogin);
//   - /widget/authenticate  what the widget calls (CORS enabled);
//   - /device  an HTML "phone": pending approvals with Approve / Deny,
//     pending QR pairings with Scan, each profile's current OTP;
//   - /qr/{id}.png  the pairing QR code (a real PNG);
//   - /_control/…  JSON for tests and scripts (other programs drive these
//     routes, so their paths and fields stay stable): POST
//     profiles/{email}/scan, PUT profiles/{email}/behavior {"mode"}, GET
//     profiles/{email}/otp, GET approvals?email=&status= (each with id,
//     email, type, status, and what the phone shows: title, message,
//     reference, action), POST approvals/{id}/approve|deny, GET
//     mail?email=, POST faults {"path","mode","count"}; and also GET|POST
//     profiles, POST profiles/{email}/logout {"sid"} (the user logs that
//     session out on the phone: the signed "logout" webhook goes to the
//     application), GET actions, PUT|DELETE actions/{code}
//     {"title","message"}, DELETE faults, GET requests, GET webhooks, POST
//     clock {"advance"}.
//
// The public base URL (for qr_url) is derived from each request: scheme
// from TLS or X-Forwarded-Proto, the Host header and the stripped mount
// prefix; WithPublicURL overrides it.
//
// # Behaviour
//
// Profiles get numeric UnloqIDs (serialised as strings). /v1/enroll starts a
// QR pairing that Scan completes; enrolling a paired profile pushes and
// blocks like an approval. Push approvals block until the phone answers
// (see Behavior: manual, approve, deny, ignore, offline, unregistered), the
// approval timeout passes (APPROVAL.TIMEOUT, status WithTimeoutStatus,
// default 502), the caller disconnects, or the simulator closes. After a
// denial the OTP becomes mandatory (APPROVAL.TOKEN, no push) until a
// success carrying a valid OTP. OTPs are RFC 6238 TOTP codes (6 digits,
// SHA-1, 60 s step, ±1 step accepted). Access tokens are "AU" + 128
// URL-safe characters, single use, valid for 60 s; a session id (≤128
// chars) can be attached once within 60 s, by token or approval_id.
//
// The phone shows what it is asked to approve: "Log in?" for a login, and
// for POST /v1/authorize/{code} the action's title and message with the
// request's variables ($name or {name}) filled in, plus the reference.
// DefaultActions (enable-2fa, disable-2fa, confirm) exist from the start;
// WithAction, SetAction and the control API define others. authorize and
// encryption/user return an access token only when generate_token is true
// (their documented default is false); authenticate defaults to true.
//
// Each account has one encryption key per application, created on first
// use and kept across deactivation and re-enrollment: WithEncryptionKeyLength
// random letters and digits (32–64, default 32). It is returned as is, or,
// when the request carries a PEM RSA public_key, RSA-OAEP (SHA-256)
// encrypted and base64-encoded, which unloq.DecryptEncryptionKey reads.
//
// Profiles are found by e-mail with ASCII-only case folding: addresses
// that differ in any other byte ("ſam@…", "\u212Aate@…" with a Kelvin sign,
// fullwidth letters, a no-break space) are other profiles.
//
// Webhooks (WithWebhook: logout, activate, deactivate) are form-encoded
// POSTs signed with X-Unloq-Signature (unloq.SignWebhook) with the
// webhook's secret, or the API key, and carry X-Requested-With; RemoteLogout
// and POST /_control/profiles/{email}/logout deliver the logout webhook
// {unloq_id, sid}. The unloq-sim command wires it with -logout-hook URL.
//
// Error statuses are the simulator's choice where UNLOQ documents none:
// 400 for input errors, APPROVAL.DENIED, APPROVAL.TOKEN, APPROVAL.DEVICE,
// PUSH.UNREGISTERED and ACCESS_TOKEN.*; 401 APPLICATION.UNAUTHORIZED;
// 403 FIREWALL.BLOCKED and APPROVAL.NOT_AUTHENTICATED; 404 *.NOT_FOUND;
// 409 SESSION.ATTACHED and APPROVAL.CANCELLED; 429 FIREWALL.THROTTLE;
// 503 SERVER.SHUTDOWN.
//
// # Testing
//
// Tests usually start a simulator with NewServer or NewTLSServer and talk to
// it through (*Server).Client, scripting the simulated phone with the Go
// control API (Scan, SetBehavior, WaitForApproval, Approve, Deny, OTP, Mail,
// InjectFault, Requests, RemoteLogout).
//
// Approval timeouts and webhook retry spacing use real timers; token
// lifetimes, the session-attach window, QR expiry and TOTP codes use the
// injectable Clock (WithClock, FakeClock), so tests can jump over the 60 s
// token lifetime instantly.
//
// The simulator keeps no global state; every method is safe for concurrent
// use. It starts no goroutine per approval: a blocked call waits on its
// approval's channel and one timer, so thousands can be pending at once,
// and each ends without leaving anything behind.
package unloqtest
