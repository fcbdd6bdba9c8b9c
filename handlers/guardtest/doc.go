// Package guardtest is the conformance suite for handlers.Guard
// implementations: the shared backend (Redis, SQL, ...) an application
// running on several instances passes to handlers.WithGuard. Run it from a
// test with a Harness that makes a fresh guard holding no records:
//
//	func TestMyGuard(t *testing.T) {
//		guardtest.Run(t, guardtest.Harness{
//			New: func(t *testing.T) handlers.Guard { return newMyGuard(t) },
//		})
//	}
//
// Without Advance the suite waits in real time, with a ttl and window of
// Harness.TTL (150 ms unless set; raise it for a backend whose expiry is
// coarser than a few milliseconds). A guard that reads an injectable clock
// can skip the waits: Advance moves the clock of every guard New returns,
// and the suite then uses a ttl and window of one minute.
//
//	clk := unloqtest.NewFakeClock(time.Now())
//	guardtest.Run(t, guardtest.Harness{
//		New:     func(t *testing.T) handlers.Guard { return handlers.NewMemoryGuard(handlers.GuardClock(clk.Now)) },
//		Advance: clk.Advance,
//	})
//
// The suite checks the contract documented on handlers.Guard:
//
//   - Allow: at most limit events per sliding window (not a fixed one), a
//     refused event is not recorded, keys are independent, events leave the
//     window once it has passed;
//   - Begin: a second Begin on a key in flight fails with a nil release;
//     release ends the mark early, may be called again, and never ends a
//     later mark of the same key (after a release or after expiry); the
//     mark lasts its own ttl and then frees the key;
//   - MarkUsed: true the first time, false while the record lasts, true
//     again after its ttl; keys are independent;
//   - Used: false before MarkUsed, true after it, false after the ttl; it
//     records nothing;
//   - concurrency: goroutines racing Begin or MarkUsed on one key have
//     exactly one winner, and racing Allow admit exactly limit events (run
//     the suite under -race).
//
// Every call in the suite must succeed (a nil error). Keys are short
// printable ASCII strings (spaces, ':' and '/' included) with a random
// prefix per subtest, so a backend that is not emptied between runs still
// passes. The suite does not require an error for a
// canceled context, which handlers.Guard does not promise; the handlers
// treat any error as a refusal. Nor does it check limit, window or ttl
// values that are not positive, or that Allow, Begin and MarkUsed keep
// separate namespaces (the handlers prefix their keys).
package guardtest
