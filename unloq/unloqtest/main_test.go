package unloqtest_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if any test leaves a goroutine behind
// (blocked calls, timers, webhook retries, connections).
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
