// Package revocationtest is the conformance suite of
// [github.com/unloq2fa/unloq2fa/session/revocation.Store]: every backend
// (the in-memory one, Redis, one of your own) runs [Run] in its tests.
//
//	func TestConformance(t *testing.T) {
//		revocationtest.Run(t, func(t *testing.T) revocation.Store {
//			s, err := mybackend.New(...)
//			require.NoError(t, err)
//			t.Cleanup(func() { s.Close() })
//			return s
//		})
//	}
//
// The suite checks what a caller relies on: a revoked login is reported
// revoked at once by the Store that wrote it, a user epoch covers every
// login issued at or before it and none after, records of one user or
// login never touch another, an earlier epoch never undoes a later one, a
// cap never forgets a record (it may only end more logins), invalid
// writes change nothing, and all of it holds under concurrent use.
package revocationtest
