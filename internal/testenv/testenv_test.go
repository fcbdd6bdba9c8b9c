package testenv_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/unloq2fa/unloq2fa/internal/testenv"
)

// recorder is a testing.TB that records Skip and Fatal instead of
// stopping the goroutine's test.
type recorder struct {
	testing.TB
	skipped, failed bool
	msg             string
}

func (r *recorder) Helper() {}

func (r *recorder) Skipf(format string, args ...any) {
	r.skipped = true
	r.msg = format
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.failed = true
	r.msg = format
}

func TestRequire(t *testing.T) {
	tests := []struct {
		name       string
		ci         string
		ok         bool
		skip, fail bool
	}{
		{"present", "", true, false, false},
		{"present in CI", "true", true, false, false},
		{"missing: skip", "", false, true, false},
		{"missing, CI=false: skip", "false", false, true, false},
		{"missing in CI: fail", "true", false, false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("CI", tc.ci)
			r := &recorder{TB: t}
			testenv.Require(r, tc.ok, "no widget installed")
			assert.Equal(t, tc.skip, r.skipped, "skipped")
			assert.Equal(t, tc.fail, r.failed, "failed")
			assert.Equal(t, tc.ci == "true", testenv.CI())
		})
	}
}
