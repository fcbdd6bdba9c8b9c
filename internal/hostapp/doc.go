// Package hostapp is a small admin application of the shape unloq2fa is
// added to in practice (gorilla/mux, gorilla/sessions, gorilla/csrf and
// bcrypt password login) that adopts unloq2fa exactly as the README's
// "Adding unloq2fa to an existing app" says. Its test runs the whole flow
// against the UNLOQ simulator, so every claim of that section is
// exercised.
//
// Everything unloq2fa added to the app is in unloq2fa.go, plus the lines
// of app.go marked "// unloq2fa".
package hostapp
