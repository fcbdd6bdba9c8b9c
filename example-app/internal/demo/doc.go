// Package demo is the unloq2fa example application: a small web app with its
// own password login (SQLite users table, bcrypt hashes) that adds UNLOQ
// push-approval two-step verification through the unloq2fa packages.
//
// By default it embeds the UNLOQ simulator (package unloqtest) at /_unloq and
// points its UNLOQ client at that simulator over loopback, so the whole flow
// — pairing, push approval, denial and OTP fallback — works offline. With
// real UNLOQ keys in the configuration it talks to the real API instead and
// mounts no simulator.
//
// The package is internal to the example: main parses flags and environment
// into a Config (ParseConfig) and calls Run; tests build the application with
// New and drive its http.Handler and simulator directly.
package demo
