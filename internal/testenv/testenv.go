package testenv

import (
	"os"
	"testing"
)

// CI reports whether the tests run in CI, that is whether CI=true.
func CI() bool { return os.Getenv("CI") == "true" }

// Require does nothing when ok is true. Otherwise it skips the test with
// why, or, under CI=true, fails it with why: CI installs every dependency,
// so a missing one there is an error, not a reason to skip.
func Require(t testing.TB, ok bool, why string) {
	t.Helper()
	if ok {
		return
	}
	if CI() {
		t.Fatalf("%s (CI=true, so this test must run)", why)
		return // t.Fatalf does not return; a fake testing.TB may
	}
	t.Skipf("skipped: %s", why)
}
