package unloqtest

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/binary"
	"fmt"
	"time"
)

// TOTP parameters of the simulated device (RFC 6238; UNLOQ documents only
// the 60 s step).
const (
	totpStep   = 60 * time.Second
	totpDigits = 6
	totpSkew   = 1 // accepted steps before and after the current one
)

// hotp computes an RFC 4226 HOTP value with SHA-1.
func hotp(secret []byte, counter uint64) string {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], counter)
	m := hmac.New(sha1.New, secret)
	m.Write(msg[:])
	sum := m.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	code := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	return fmt.Sprintf("%06d", code%1_000_000)
}

func totpCounter(t time.Time) uint64 {
	u := t.Unix()
	if u < 0 {
		return 0
	}
	return uint64(u) / uint64(totpStep/time.Second)
}

// totpAt returns the TOTP code valid at t.
func totpAt(secret []byte, t time.Time) string { return hotp(secret, totpCounter(t)) }

// totpValid reports whether code matches the TOTP at t, allowing ±totpSkew
// steps. The comparison is constant time.
func totpValid(secret []byte, code string, t time.Time) bool {
	if len(code) != totpDigits {
		return false
	}
	c := totpCounter(t)
	ok := 0
	for d := -totpSkew; d <= totpSkew; d++ {
		if d < 0 && c < uint64(-d) {
			continue
		}
		want := hotp(secret, uint64(int64(c)+int64(d)))
		ok |= subtle.ConstantTimeCompare([]byte(want), []byte(code))
	}
	return ok == 1
}
