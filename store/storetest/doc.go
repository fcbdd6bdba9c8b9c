// Package storetest is the conformance suite for store.UserStore
// implementations. Run it from a test with a Harness that makes a fresh,
// empty store and seeds users into it:
//
//	func TestMyStore(t *testing.T) {
//		storetest.Run(t, storetest.Harness{
//			New:  func(t *testing.T) store.UserStore { return newMyStore(t) },
//			Seed: func(t *testing.T, s store.UserStore, u store.User) { seedMyStore(t, s, u) },
//		})
//	}
//
// The suite checks: ErrUserNotFound for an unknown id (and for a set on
// one, which must create nothing); e-mail and second factor read back;
// set and clear; values other than "" and "UNLOQ" rejected with
// store.ErrInvalidSecondFactor and no change; a canceled context is an error
// wrapping context.Canceled, never ErrUserNotFound, and changes nothing;
// concurrent SetSecondFactor and User calls (run it under -race); and exact
// id comparison ("1 ", "01" and "ABC" are not "1" and "abc").
//
// Ids the suite seeds are short ASCII or UTF-8 strings, so the store's id
// column must hold text.
package storetest
