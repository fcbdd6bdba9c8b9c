package encryptionkey

import (
	"crypto/rsa"
	"errors"
	"fmt"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/unloq2fa/unloq2fa/handlers/guard"
)

// Defaults applied by New before the options.
const (
	// DefaultKeyBits is the size of the fresh RSA key pair of each request.
	DefaultKeyBits = 2048
	// DefaultMessage is shown on the phone.
	DefaultMessage = "Unlock your encrypted data"
	// DefaultInFlightTTL bounds an in-flight mark.
	DefaultInFlightTTL = 2 * time.Minute
	// MaxKeyLen bounds the length of a key accepted from UNLOQ (UNLOQ's
	// keys have 32–64 characters).
	MaxKeyLen     = 1024
	maxMessageLen = 100
)

// Option configures a Keys. Options validate their input; New returns the
// first error.
type Option func(*config) error

type config struct {
	priv        *rsa.PrivateKey
	bits        int
	message     func(*http.Request) string
	guard       guard.Guard
	inFlightTTL time.Duration
	cop         *http.CrossOriginProtection
	clientIP    func(*http.Request) string
	onError     func(http.ResponseWriter, *http.Request, error)
}

// WithPrivateKey uses the application's own RSA key pair (at least 2048
// bits) instead of a fresh pair per request. The application keeps it
// safe; the library only uses it to decrypt.
func WithPrivateKey(priv *rsa.PrivateKey) Option {
	return func(c *config) error {
		if priv == nil {
			return errors.New("encryptionkey: private key: nil")
		}
		if priv.N.BitLen() < 2048 {
			return fmt.Errorf("encryptionkey: private key: %d bits, want at least 2048", priv.N.BitLen())
		}
		if err := priv.Validate(); err != nil {
			return fmt.Errorf("encryptionkey: private key: %w", err)
		}
		c.priv = priv
		return nil
	}
}

// WithKeyBits sets the size of the fresh key pair of each request: 2048,
// 3072 or 4096 (default DefaultKeyBits).
func WithKeyBits(bits int) Option {
	return func(c *config) error {
		switch bits {
		case 2048, 3072, 4096:
			c.bits = bits
			return nil
		}
		return fmt.Errorf("encryptionkey: key bits %d: want 2048, 3072 or 4096", bits)
	}
}

// WithMessage sets the text shown on the phone (1–100 characters; default
// DefaultMessage).
func WithMessage(msg string) Option {
	return func(c *config) error {
		if msg == "" || !utf8.ValidString(msg) || utf8.RuneCountInString(msg) > maxMessageLen {
			return errors.New("encryptionkey: message must be 1-100 characters")
		}
		c.message = func(*http.Request) string { return msg }
		return nil
	}
}

// WithGuard sets where the in-flight marks live (one approval at a time
// per login): a guard.Guard, the same kind of value the handlers take
// (handlers.WithGuard), so that one Guard can serve both. The default is a
// guard.Memory, enough for one instance of an application; several
// instances behind a load balancer need a shared one (package
// guard/redisguard), or two requests reaching two instances may each push
// once.
func WithGuard(g guard.Guard) Option {
	return func(c *config) error {
		if g == nil {
			return errors.New("encryptionkey: WithGuard: nil guard")
		}
		c.guard = g
		return nil
	}
}

// WithInFlightTTL bounds how long one request blocks a second one of the
// same session (default DefaultInFlightTTL); it must exceed the
// unloq.Client's approval timeout.
func WithInFlightTTL(d time.Duration) Option {
	return func(c *config) error {
		if d < time.Second || d > time.Hour {
			return fmt.Errorf("encryptionkey: in-flight ttl %v outside [1s, 1h]", d)
		}
		c.inFlightTTL = d
		return nil
	}
}

// WithCrossOriginProtection replaces the default http.CrossOriginProtection.
func WithCrossOriginProtection(p *http.CrossOriginProtection) Option {
	return func(c *config) error {
		if p == nil {
			return errors.New("encryptionkey: cross-origin protection: nil")
		}
		c.cop = p
		return nil
	}
}

// WithClientIP sets how the client's IP address sent to UNLOQ is found
// (default: the host of r.RemoteAddr).
func WithClientIP(f func(*http.Request) string) Option {
	return func(c *config) error {
		if f == nil {
			return errors.New("encryptionkey: client ip: nil")
		}
		c.clientIP = f
		return nil
	}
}

// WithErrorHandler lets the application answer With's failures itself
// (err is an *Error). The default answers JSON to clients that prefer it
// and plain text otherwise, with the status of Status.
func WithErrorHandler(f func(http.ResponseWriter, *http.Request, error)) Option {
	return func(c *config) error {
		if f == nil {
			return errors.New("encryptionkey: error handler: nil")
		}
		c.onError = f
		return nil
	}
}
