// Package recoverytest is the conformance suite for recovery.CodeStore
// implementations. Run it from a test with a Harness that makes a fresh,
// empty store:
//
//	func TestMyCodeStore(t *testing.T) {
//		recoverytest.Run(t, recoverytest.Harness{
//			New: func(t *testing.T) recovery.CodeStore { return newMyStore(t) },
//		})
//	}
//
// The suite checks the contract documented on recovery.CodeStore:
//
//   - an unknown user or id is NoMatch, and verify is not called;
//   - Consume passes the stored hash, byte for byte (NUL bytes included),
//     to verify exactly once; a false verify consumes nothing; a true one
//     consumes the code once, and afterwards it is AlreadyUsed;
//   - Remaining counts the unused codes;
//   - Replace swaps the whole set: old ids disappear, used marks are gone,
//     an id reused with a new hash shows the new hash; an empty set
//     deletes; an invalid set (too large, empty id or hash, repeated id)
//     is an error and changes nothing;
//   - the store keeps its own copy of each hash;
//   - user ids are compared exactly ("1 ", "01", "ABC" and a decomposed
//     "é" are other users);
//   - a canceled context is an error wrapping context.Canceled and changes
//     nothing;
//   - concurrency (run under -race): of many goroutines consuming one code
//     exactly one gets Consumed; different codes are consumed in parallel;
//     a Replace while verify runs makes that Consume NoMatch and leaves the
//     new set whole; concurrent Replace calls for one user leave exactly
//     one complete set.
//
// User ids and code ids are short UTF-8 strings without NUL, and hashes are
// random bytes, not real Argon2id hashes, so the suite is fast.
package recoverytest
