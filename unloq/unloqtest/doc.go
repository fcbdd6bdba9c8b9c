// Package unloqtest is a faithful, in-process simulator of the UNLOQ
// authentication API (Gen 2, see unloq-api.md §9) for tests and local
// development.
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
//   - /_control/…  JSON for tests and scripts: POST profiles/{email}/scan,
//     PUT profiles/{email}/behavior {"mode"}, GET profiles/{email}/otp,
//     GET approvals?email=&status=, POST approvals/{id}/approve|deny,
//     GET mail?email=, POST faults {"path","mode","count"}; and also
//     GET|POST profiles, POST profiles/{email}/logout {"sid"},
//     DELETE faults, GET requests, GET webhooks, POST clock {"advance"}.
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
