package handlers_test

import (
	"testing"

	"github.com/unloq2fa/unloq2fa/handlers"
)

func BenchmarkSafeNext(b *testing.B) {
	for b.Loop() {
		handlers.SafeNext("/reports/2024?tab=summary&sort=%2Fdate#top")
		handlers.SafeNext("/%2F%2Fevil.com")
	}
}
