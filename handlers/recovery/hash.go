package recovery

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Codes are stored as Argon2id hashes (RFC 9106), in the PHC string format
// "$argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt>$<hash>" (unpadded
// standard base64), so a stored hash names its own parameters and older
// hashes keep verifying when the defaults change.
//
// Why Argon2id and not bcrypt: it is memory-hard, which is what makes
// guessing on GPUs and ASICs expensive, and it is the first choice of
// OWASP's password storage guidance; bcrypt is kept there for legacy
// systems. The cost of memory is bounded by the Service
// (WithMaxConcurrentHashes).
//
// Parameters: OWASP's minimum configuration m=19 MiB, t=2, p=1, with a
// 16-byte random salt per code and a 32-byte output. One verification
// takes about 25–35 ms on a 2-core AMD EPYC server (BenchmarkVerify), 60
// ms when the cores are busy: slow enough to make offline guessing
// expensive, fast enough that generating a set of 10 takes well under a
// second and a login does not feel it. A code has
// 40 secret bits (NIST SP 800-63B asks at least 20 for look-up secrets that
// are rate-limited), so even with a stolen database each code costs an
// offline attacker about 2^39 Argon2id evaluations of 19 MiB each.
const (
	hashMemoryKiB = 19 * 1024
	hashTime      = 2
	hashThreads   = 1
	hashSaltLen   = 16
	hashKeyLen    = 32
)

// Bounds on the parameters a stored hash may name: a tampered or corrupt
// record must not make one verification take gigabytes or minutes.
const (
	maxHashMemoryKiB = 256 * 1024
	maxHashTime      = 16
	maxHashThreads   = 8
)

// hashDomain separates these hashes from every other use of Argon2id. The
// hashed input is hashDomain, the user id, a NUL and the twelve symbols of
// the code: the code's length is fixed and it holds no NUL, so the input is
// unambiguous, and a record copied to another user does not verify there.
const hashDomain = "unloq2fa recovery code v1\x00"

const phcPrefix = "$argon2id$v=19$"

// hashParams are the Argon2id parameters of one hash.
type hashParams struct {
	memory  uint32 // KiB
	time    uint32
	threads uint8
}

var defaultParams = hashParams{memory: hashMemoryKiB, time: hashTime, threads: hashThreads}

// hashInput is what is hashed for user and c.
func hashInput(user string, c code) []byte {
	in := make([]byte, 0, len(hashDomain)+len(user)+1+CodeLen)
	in = append(in, hashDomain...)
	in = append(in, user...)
	in = append(in, 0)
	in = append(in, c.id...)
	in = append(in, c.secret...)
	return in
}

// hashCode returns the encoded hash of c for user, with a fresh salt.
func hashCode(p hashParams, user string, c code) ([]byte, error) {
	salt := make([]byte, hashSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return nil, fmt.Errorf("recovery: read random: %w", err)
	}
	key := argon2.IDKey(hashInput(user, c), salt, p.time, p.memory, p.threads, hashKeyLen)
	enc := fmt.Sprintf("%sm=%d,t=%d,p=%d$%s$%s", phcPrefix, p.memory, p.time, p.threads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
	return []byte(enc), nil
}

// errBadHash reports a stored hash this package cannot read.
var errBadHash = errors.New("recovery: stored hash is malformed")

// verifyHash reports whether stored is the hash of c for user. The
// comparison of the derived keys is constant-time. An unreadable stored
// hash is an error, never a match.
func verifyHash(stored []byte, user string, c code) (bool, error) {
	p, salt, want, err := decodeHash(stored)
	if err != nil {
		return false, err
	}
	got := argon2.IDKey(hashInput(user, c), salt, p.time, p.memory, p.threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// decodeHash parses a PHC string as hashCode writes it, strictly: the
// version 19 of Argon2id only, parameters within bounds, salt and key of
// sane lengths.
func decodeHash(stored []byte) (hashParams, []byte, []byte, error) {
	rest, ok := strings.CutPrefix(string(stored), phcPrefix)
	// The base64 decoder skips CR and LF; a stored hash has none.
	if !ok || strings.ContainsAny(rest, "\r\n") {
		return hashParams{}, nil, nil, errBadHash
	}
	fields := strings.Split(rest, "$")
	if len(fields) != 3 {
		return hashParams{}, nil, nil, errBadHash
	}
	kv := strings.Split(fields[0], ",")
	if len(kv) != 3 {
		return hashParams{}, nil, nil, errBadHash
	}
	m, okM := param(kv[0], "m=", maxHashMemoryKiB)
	t, okT := param(kv[1], "t=", maxHashTime)
	th, okP := param(kv[2], "p=", maxHashThreads)
	if !okM || !okT || !okP || m < 8*uint32(th) {
		return hashParams{}, nil, nil, errBadHash
	}
	p := hashParams{memory: m, time: t, threads: uint8(th)}
	salt, err := base64.RawStdEncoding.Strict().DecodeString(fields[1])
	if err != nil || len(salt) < 8 || len(salt) > 64 {
		return hashParams{}, nil, nil, errBadHash
	}
	key, err := base64.RawStdEncoding.Strict().DecodeString(fields[2])
	if err != nil || len(key) < 16 || len(key) > 64 {
		return hashParams{}, nil, nil, errBadHash
	}
	return p, salt, key, nil
}

// param reads "name=<decimal>" with 1 <= value <= limit.
func param(s, name string, limit uint32) (uint32, bool) {
	digits, ok := strings.CutPrefix(s, name)
	if !ok || digits == "" || len(digits) > 10 || digits[0] == '0' {
		return 0, false
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return 0, false
		}
	}
	v, err := strconv.ParseUint(digits, 10, 32)
	if err != nil || v < 1 || v > uint64(limit) {
		return 0, false
	}
	return uint32(v), true
}
