// Package encryptionkey asks the phone for the logged-in user's encryption
// key through UNLOQ (POST /v1/encryption/user) and hands it to the
// application, for symmetric encryption of the user's data (for example
// AES-GCM under a key derived from it). UNLOQ returns the same key for one
// account and one application every time.
//
//	keys, err := encryptionkey.New(client, sessions, users)
//	mux.Handle("POST /notes/unlock", keys.With(func(w http.ResponseWriter, r *http.Request, key []byte) {
//		// decrypt the notes with key; do not keep key
//	}))
//
// # What it does with the key
//
// Each request sends UNLOQ the public half of a fresh RSA key pair
// (2048 bits by default; WithPrivateKey uses an application-held pair
// instead), and UNLOQ answers with the key RSA-encrypted to it and
// base64-encoded; it is decrypted here (RSA-OAEP with SHA-256 or SHA-1, or
// PKCS#1 v1.5, as unloq.DecryptEncryptionKey tries them). If the server
// answers with a one-time token instead, the key is taken from the token's
// user data. The key is handed over as the bytes UNLOQ encrypted: the
// key's characters.
//
// The library never logs the key, never puts it in error text, the session
// or anywhere else. With clears the key's buffer when the callback
// returns; Fetch's caller owns the slice and should clear it after use.
//
// # Who may ask
//
// Only a verified login whose user still exists with the session's e-mail
// (compared exactly) and has UNLOQ as the second factor; others get
// ErrNotLoggedIn, ErrNotVerified, ErrAccountChanged or ErrNoUNLOQ. Only a
// non-safe request (POST) that passes http.CrossOriginProtection sends a
// push: a cross-site page cannot make the phone ask. One request per
// session waits on the phone at a time (ErrInFlight, 409); the default
// marker store is in-process and bounded, several instances need a shared
// one (WithGuard; the Guard given to handlers.WithGuard fits). Denial, timeout, a
// cancelled request, any UNLOQ fault and a reply without a usable key all
// fail closed: no key, the callback does not run.
package encryptionkey
