package recovery

import (
	"context"
	"testing"
	"time"
)

// benchService is a Service with the real Argon2id parameters and a rate
// limit that never bites.
func benchService(b *testing.B) (*Service, []string) {
	b.Helper()
	s, err := New(NewMemoryStore(), WithCount(2), WithRateLimit(1<<30, time.Hour))
	if err != nil {
		b.Fatal(err)
	}
	codes, err := s.Generate(context.Background(), "alice")
	if err != nil {
		b.Fatal(err)
	}
	return s, codes
}

// BenchmarkVerify measures one verification with the real parameters: a
// code whose id exists and whose secret is wrong, which takes the same path
// as a right code (one store read, one Argon2id hash) without using it up.
func BenchmarkVerify(b *testing.B) {
	s, codes := benchService(b)
	typed := otherSecret(codes[0])
	ctx := context.Background()
	for b.Loop() {
		if err := s.Verify(ctx, "alice", typed); err == nil || !isKind(err, KindWrong) {
			b.Fatalf("Verify = %v, want ErrWrong", err)
		}
	}
}

// BenchmarkVerifyUnknownID measures a code whose id exists nowhere: it
// should cost about as much as BenchmarkVerify, so that timing does not
// tell which ids exist.
func BenchmarkVerifyUnknownID(b *testing.B) {
	s, codes := benchService(b)
	typed := "zzzz" + codes[0][IDLen:]
	if typed[:IDLen] == codes[0][:IDLen] || typed[:IDLen] == codes[1][:IDLen] {
		b.Skip("the drawn set uses the id zzzz")
	}
	ctx := context.Background()
	for b.Loop() {
		if err := s.Verify(ctx, "alice", typed); err == nil || !isKind(err, KindWrong) {
			b.Fatalf("Verify = %v, want ErrWrong", err)
		}
	}
}

func isKind(err error, k Kind) bool {
	e, ok := err.(*Error)
	return ok && e.Kind == k
}
