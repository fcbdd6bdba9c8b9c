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
// Beyond the login it shows the rest of UNLOQ's flow on an "encrypted
// notes" page (/notes, for users with two-step verification on): adding or
// revealing notes asks the phone for the user's UNLOQ encryption key
// (package handlers/encryptionkey), which encrypts the notes with
// AES-256-GCM under a key derived by HKDF-SHA256 and is never stored (the
// notes table holds nonce and ciphertext only; see notecrypt.go); "Delete
// all notes" (POST /notes/delete-all) runs only after the phone approved
// that action (package handlers/stepup, action code "delete_notes", which
// the real UNLOQ application must define). API clients (Accept:
// application/json) use the same routes and get JSON answers: 201 {"id": …}
// for an added note, {"notes": [...]} for revealed ones, and
// {"error": {"code": …}} with encryptionkey.Status's codes when the phone
// or UNLOQ refused, which changes nothing (see notes_json.go).
//
// The package is internal to the example: main parses flags and environment
// into a Config (ParseConfig) and calls Run; tests build the application with
// New and drive its http.Handler and simulator directly.
package demo
