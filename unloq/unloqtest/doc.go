// Package unloqtest is a faithful, in-process simulator of the UNLOQ
// authentication API (Gen 2, see unloq-api.md §9) for tests and local
// development.
//
// A Simulator is an http.Handler. Mounted at any prefix (the root for
// NewServer and the unloq-sim command, "/_unloq" inside example-app, via
// http.StripPrefix) it serves:
//
//   - /v1/…            the UNLOQ API: Bearer key, JSON or form bodies,
//     the {"type","result"} / {"error":{…}} envelopes, blocking approval
//     calls with timeouts, one-time AU… access tokens, OTP rules;
//   - /login.js         a working "Log in with UNLOQ" widget script;
//   - /widget/authenticate  the endpoint the widget calls (CORS enabled);
//   - /device           an HTML "phone" with pending approvals, QR pairings
//     and the current one-time passwords;
//   - /qr/{id}.png      the pairing QR code image;
//   - /_control/…       a JSON control plane for tests and scripts.
//
// Tests usually start a simulator with NewServer or NewTLSServer and talk to
// it through (*Server).Client, scripting the simulated phone with the Go
// control API (Scan, SetBehavior, Approve, Deny, OTP, WaitForApproval, …).
//
// Approval timeouts and webhook retry spacing use real timers; token
// lifetimes, QR expiry and TOTP codes use the injectable Clock (WithClock,
// FakeClock), so tests can jump over the 60 s token lifetime instantly.
//
// The simulator keeps no global state; every method is safe for concurrent
// use. Blocked calls end when the client disconnects, the approval is
// answered, cancelled or times out, or the simulator is closed, and leave no
// goroutine behind.
package unloqtest
