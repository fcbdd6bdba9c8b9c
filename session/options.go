package session

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/sessions"

	"github.com/unloq2fa/unloq2fa/session/revocation"
)

// Defaults of a [Manager].
const (
	// DefaultCookieName is the name of the session cookie when it is
	// Secure, with Path "/" and no Domain (the default): the "__Host-"
	// prefix makes browsers refuse it unless it was set that way by this
	// very host over HTTPS, so a sibling subdomain or a plain-http page
	// cannot plant or overwrite it.
	DefaultCookieName = "__Host-unloq2fa"
	// DevCookieName is the default name of any other session cookie
	// (WithInsecureDevCookies, WithCookiePath, WithCookieDomain), which
	// may not carry the "__Host-" prefix.
	DevCookieName = "unloq2fa"
	// DefaultPendingTTL is how long after the password step the second
	// factor may still be completed.
	DefaultPendingTTL = 10 * time.Minute
	// DefaultMaxAge is the lifetime of the session cookie and the absolute
	// lifetime of a login (counted from the password step).
	DefaultMaxAge = 12 * time.Hour
)

// Key length rules of [WithKeys].
const (
	minHashKeyLen = 32
)

// Option configures a [Manager]. Options validate their arguments and
// [NewManager] returns the first error.
type Option func(*config) error

type config struct {
	store       sessions.Store
	name        string // "" until WithCookieName; then see validate
	pendingTTL  time.Duration
	maxAge      time.Duration
	secure      bool
	sameSite    http.SameSite
	path        string
	domain      string
	now         func() time.Time
	keyPairs    [][]byte // set by WithKeys: NewManager builds a CookieStore
	storeSource string   // "WithKeys" or "WithStore", for duplicate detection
	cacheSize   int      // entries of the verified cache (0: off)
	cacheSet    bool     // WithVerifiedCache was given
	revocation  revocation.Store
}

func defaultConfig() config {
	return config{
		pendingTTL: DefaultPendingTTL,
		maxAge:     DefaultMaxAge,
		secure:     true,
		sameSite:   http.SameSiteLaxMode,
		path:       "/",
		now:        time.Now,
		cacheSize:  DefaultVerifiedCacheSize,
	}
}

// WithKeys makes the Manager keep the session in a cookie (a gorilla
// CookieStore) signed with hashKey (HMAC-SHA256, at least 32 bytes) and
// encrypted with blockKey (AES; 16, 24 or 32 bytes).
//
// previous lists older key pairs, hash key then block key, that are still
// accepted when decoding (key rotation): new cookies are always written with
// the first pair. Keys must not be all zero, and no key may appear twice.
func WithKeys(hashKey, blockKey []byte, previous ...[]byte) Option {
	return func(c *config) error {
		if c.storeSource != "" {
			return fmt.Errorf("session: WithKeys: store already set by %s", c.storeSource)
		}
		if len(previous)%2 != 0 {
			return errors.New("session: WithKeys: previous keys must come in pairs (hash key, block key)")
		}
		pairs := make([][]byte, 0, 2+len(previous))
		pairs = append(pairs, hashKey, blockKey)
		pairs = append(pairs, previous...)
		for i := 0; i < len(pairs); i += 2 {
			which := "current"
			if i > 0 {
				which = fmt.Sprintf("previous pair %d", i/2)
			}
			if err := checkHashKey(pairs[i]); err != nil {
				return fmt.Errorf("session: WithKeys: %s: %w", which, err)
			}
			if err := checkBlockKey(pairs[i+1]); err != nil {
				return fmt.Errorf("session: WithKeys: %s: %w", which, err)
			}
		}
		for i := range pairs {
			for j := i + 1; j < len(pairs); j++ {
				if bytes.Equal(pairs[i], pairs[j]) {
					return errors.New("session: WithKeys: the same key is used twice")
				}
			}
		}
		// Copy the keys: the caller may reuse or wipe its slices.
		c.keyPairs = make([][]byte, len(pairs))
		for i, k := range pairs {
			c.keyPairs[i] = bytes.Clone(k)
		}
		c.storeSource = "WithKeys"
		return nil
	}
}

func checkHashKey(k []byte) error {
	if len(k) < minHashKeyLen {
		return fmt.Errorf("hash key has %d bytes, want at least %d", len(k), minHashKeyLen)
	}
	if allZero(k) {
		return errors.New("hash key is all zero")
	}
	return nil
}

func checkBlockKey(k []byte) error {
	switch len(k) {
	case 16, 24, 32:
	default:
		return fmt.Errorf("block key has %d bytes, want 16, 24 or 32", len(k))
	}
	if allZero(k) {
		return errors.New("block key is all zero")
	}
	return nil
}

func allZero(b []byte) bool {
	for _, x := range b {
		if x != 0 {
			return false
		}
	}
	return true
}

// WithStore makes the Manager keep sessions in st: any gorilla store, such
// as a FilesystemStore or a third-party Redis or SQL store. The store's own
// Options are ignored when saving: the Manager's cookie settings apply.
// The store is asked to load a session only for requests that carry a
// cookie of the session's name (see [WithCookieName]); other requests are
// anonymous without any store work.
func WithStore(st sessions.Store) Option {
	return func(c *config) error {
		if st == nil {
			return errors.New("session: WithStore: nil store")
		}
		if c.storeSource != "" {
			return fmt.Errorf("session: WithStore: store already set by %s", c.storeSource)
		}
		c.store = st
		c.storeSource = "WithStore"
		return nil
	}
}

// WithCookieName sets the cookie name. The default is [DefaultCookieName]
// ("__Host-unloq2fa") for a Secure cookie with Path "/" and no domain, and
// [DevCookieName] ("unloq2fa") otherwise. Names with the "__Host-" prefix
// require Secure cookies, Path "/" and no domain (NewManager refuses them
// otherwise); "__Secure-" requires Secure cookies.
func WithCookieName(name string) Option {
	return func(c *config) error {
		if !validCookieName(name) {
			return fmt.Errorf("session: WithCookieName: invalid cookie name %q", name)
		}
		c.name = name
		return nil
	}
}

// validCookieName reports whether name is an RFC 6265 token.
func validCookieName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		b := name[i]
		if b <= ' ' || b >= 0x7f || strings.IndexByte(`()<>@,;:\"/[]?={}`, b) >= 0 {
			return false
		}
	}
	return true
}

// WithPendingTTL sets how long after the password step the second factor
// may be completed (default [DefaultPendingTTL]).
func WithPendingTTL(d time.Duration) Option {
	return func(c *config) error {
		if d < time.Second {
			return fmt.Errorf("session: WithPendingTTL: %v is shorter than one second", d)
		}
		c.pendingTTL = d
		return nil
	}
}

// WithMaxAge sets the cookie lifetime and the absolute lifetime of a login
// (default [DefaultMaxAge]). It is rounded down to whole seconds.
func WithMaxAge(d time.Duration) Option {
	return func(c *config) error {
		if d < time.Second {
			return fmt.Errorf("session: WithMaxAge: %v is shorter than one second", d)
		}
		c.maxAge = d.Truncate(time.Second)
		return nil
	}
}

// WithInsecureDevCookies drops the Secure attribute so that the session
// works over plain http://127.0.0.1 during development. Never use it in
// production.
func WithInsecureDevCookies() Option {
	return func(c *config) error {
		c.secure = false
		return nil
	}
}

// WithSameSite sets the SameSite attribute (default [http.SameSiteLaxMode]).
// [http.SameSiteNoneMode] requires Secure cookies.
func WithSameSite(mode http.SameSite) Option {
	return func(c *config) error {
		switch mode {
		case http.SameSiteLaxMode, http.SameSiteStrictMode, http.SameSiteNoneMode:
		default:
			return fmt.Errorf("session: WithSameSite: unsupported mode %d (use Lax, Strict or None)", mode)
		}
		c.sameSite = mode
		return nil
	}
}

// WithCookiePath sets the cookie Path (default "/").
func WithCookiePath(p string) Option {
	return func(c *config) error {
		if p == "" || p[0] != '/' || strings.ContainsAny(p, ";\x00\r\n\t ") {
			return fmt.Errorf("session: WithCookiePath: invalid path %q", p)
		}
		c.path = p
		return nil
	}
}

// WithCookieDomain sets the cookie Domain (default none: host-only cookie,
// the safest choice).
func WithCookieDomain(d string) Option {
	return func(c *config) error {
		if d == "" || strings.ContainsAny(d, ";,/\\ \t\r\n\x00\"") {
			return fmt.Errorf("session: WithCookieDomain: invalid domain %q", d)
		}
		c.domain = d
		return nil
	}
}

// WithRevocation makes the Manager record ended logins in st and check
// every loaded login against it. The default is an in-memory store
// ([revocation.NewMemory]), right for one instance; several instances of
// an app need a shared one (see the redisrevocation package), so that a
// logout on one instance ends the session on all of them.
func WithRevocation(st revocation.Store) Option {
	return func(c *config) error {
		if st == nil {
			return errors.New("session: WithRevocation: nil store")
		}
		c.revocation = st
		return nil
	}
}

// WithClock sets the time source (tests use a fake clock).
func WithClock(now func() time.Time) Option {
	return func(c *config) error {
		if now == nil {
			return errors.New("session: WithClock: nil clock")
		}
		c.now = now
		return nil
	}
}

// WithVerifiedCache sets the number of entries of the cache of verified
// cookies (default [DefaultVerifiedCacheSize]); 0 turns it off.
//
// With [WithKeys], a cookie whose signature, encryption and timestamp have
// been verified once is remembered, keyed by its exact value, until the
// cookie itself expires, so that later requests with the same cookie skip
// the cryptography and the decoding. Only the decoded values are cached:
// every check of a session (its lifetime, the pending window, whether it
// was ended) still runs on every request, and each request gets its own
// copy of the values. The cache is bounded and evicts the least recently
// used entries (approximately).
//
// With [WithStore] there is no cache (a server-side record can change
// under the same cookie), and a nonzero size is an error.
func WithVerifiedCache(entries int) Option {
	return func(c *config) error {
		if entries < 0 || entries > maxVerifiedCacheSize {
			return fmt.Errorf("session: WithVerifiedCache: %d entries, want 0 to %d", entries, maxVerifiedCacheSize)
		}
		c.cacheSize = entries
		c.cacheSet = true
		return nil
	}
}

// validate checks the combination of options and sets the default cookie
// name, which depends on them.
func (c *config) validate() error {
	if c.storeSource == "" {
		return errors.New("session: NewManager: need WithKeys or WithStore")
	}
	if c.storeSource == "WithStore" && c.cacheSet && c.cacheSize > 0 {
		return errors.New("session: NewManager: WithVerifiedCache needs WithKeys (a store's records can change under the same cookie)")
	}
	if c.pendingTTL > c.maxAge {
		return fmt.Errorf("session: NewManager: pending TTL %v exceeds max age %v", c.pendingTTL, c.maxAge)
	}
	if c.sameSite == http.SameSiteNoneMode && !c.secure {
		return errors.New("session: NewManager: SameSite=None requires Secure cookies")
	}
	hostOK := c.secure && c.path == "/" && c.domain == ""
	if c.name == "" {
		c.name = DevCookieName
		if hostOK {
			c.name = DefaultCookieName
		}
	}
	switch {
	case strings.HasPrefix(c.name, "__Host-"):
		if !hostOK {
			return errors.New(`session: NewManager: a "__Host-" cookie needs Secure, Path "/" and no domain`)
		}
	case strings.HasPrefix(c.name, "__Secure-"):
		if !c.secure {
			return errors.New(`session: NewManager: a "__Secure-" cookie needs Secure`)
		}
	}
	return nil
}
