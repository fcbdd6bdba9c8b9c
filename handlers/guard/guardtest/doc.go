// Package guardtest is the conformance suite for guard.Guard
// implementations: guard.Memory, redisguard.Guard, or your own shared
// backend. Run it from a test with a Harness that makes a fresh guard:
//
//	func TestMyGuard(t *testing.T) {
//		guardtest.Run(t, guardtest.Harness{
//			New: func(t *testing.T) guard.Guard { return newMyGuard(t) },
//		})
//	}
//
// The suite waits in real time, with a ttl and window of Harness.TTL (150 ms
// unless set; raise it for a backend whose expiry is coarser than a few
// milliseconds), and takes about ten TTLs per subtest. A guard that lives in
// the test's process and reads time.Now can run each subtest in a
// testing/synctest bubble instead (Harness.Synctest): the waits then take no
// time and the suite uses a ttl and window of one minute.
//
// The suite checks the contract documented on guard.Guard:
//
//   - Allow: at most limit events per sliding window (not a fixed one), a
//     refused event is not recorded, events leave the window once it has
//     passed, concurrent calls admit exactly limit events;
//   - Begin: a second Begin on a key in flight fails with a nil release;
//     release ends the mark early, may be called again, concurrently and
//     after the context of Begin was canceled, and never ends a later mark
//     of the same key (after a release or after expiry); the mark lasts its
//     own ttl and then frees the key; racing calls have one winner;
//   - MarkUsed: true the first time, false while the record lasts, true
//     again after its ttl; racing calls have one first use;
//   - Used: false before MarkUsed, true after it, false after the ttl; it
//     records nothing;
//   - keys: the kind, the user and the id each tell records apart, byte for
//     byte, with no confusion between them (user "u:" and id "i" against
//     user "u" and id ":i"); one user's records and budgets never affect
//     another user's; Allow, Begin and MarkUsed keep separate records;
//   - invalid input: an invalid Key, a limit, window or ttl that is not
//     positive fail with an error matching guard.ErrInvalid and record
//     nothing; keys at the length limits, with any bytes in the user and
//     id, work.
//
// Each subtest uses kinds with a random prefix, so a backend that is not
// emptied between runs still passes. Run the suite under -race.
package guardtest
