package session

import (
	"net/http"
	"time"

	"github.com/gorilla/securecookie"
	"github.com/gorilla/sessions"

	"github.com/unloq2fa/unloq2fa/session/revocation"
)

// Manager loads and saves typed sessions over a gorilla store. It is safe
// for concurrent use and immutable after [NewManager].
type Manager struct {
	store      sessions.Store
	name       string
	pendingTTL time.Duration
	maxAge     time.Duration
	now        func() time.Time
	// cookie holds the cookie settings applied on every save.
	cookie sessions.Options
	// setCookiePrefix is `name=`, to find this cookie among Set-Cookie lines.
	setCookiePrefix string

	// Set by WithKeys: the codecs, decoded by loadRaw directly, and the
	// cache of verified cookies (nil when off).
	codecs    []securecookie.Codec
	cache     *verifiedCache
	maxAgeSec int64
	// rawProto is an empty gorilla session of this store and name.
	rawProto sessions.Session
	// revoked records ended logins; every loaded login is checked.
	revoked revocation.Store
}

// NewManager returns a Manager. It needs [WithKeys] or [WithStore].
func NewManager(opts ...Option) (*Manager, error) {
	c := defaultConfig()
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&c); err != nil {
			return nil, err
		}
	}
	if err := c.validate(); err != nil {
		return nil, err
	}
	if c.revocation == nil {
		// Secure by default: logout ends the login on the server even
		// when the session lives in a cookie.
		mem, err := revocation.NewMemory(revocation.WithClock(c.now))
		if err != nil {
			return nil, err
		}
		c.revocation = mem
	}
	m := &Manager{
		store:      c.store,
		name:       c.name,
		pendingTTL: c.pendingTTL,
		maxAge:     c.maxAge,
		now:        c.now,
		cookie: sessions.Options{
			Path:     c.path,
			Domain:   c.domain,
			MaxAge:   int(c.maxAge / time.Second),
			Secure:   c.secure,
			HttpOnly: true,
			SameSite: c.sameSite,
		},
		setCookiePrefix: c.name + "=",
		revoked:         c.revocation,
	}
	if c.keyPairs != nil {
		codecs := securecookie.CodecsFromPairs(c.keyPairs...)
		for _, codec := range codecs {
			if sc, ok := codec.(*securecookie.SecureCookie); ok {
				// The signed timestamp expires with the cookie; the values
				// are written in the compact format (gob still decodes).
				sc.MaxAge(m.cookie.MaxAge)
				sc.SetSerializer(compactSerializer{})
			}
		}
		m.store = &sessions.CookieStore{Codecs: codecs, Options: m.options()}
		m.codecs = codecs
		m.maxAgeSec = int64(m.cookie.MaxAge)
		if c.cacheSize > 0 {
			m.cache = newVerifiedCache(c.cacheSize)
		}
	}
	m.rawProto = *sessions.NewSession(m.store, m.name)
	m.rawProto.Values, m.rawProto.Options = nil, nil
	return m, nil
}

// PendingTTL is how long after the password step the second factor may be
// completed.
func (m *Manager) PendingTTL() time.Duration { return m.pendingTTL }

// options returns a fresh copy of the cookie settings applied on every save.
func (m *Manager) options() *sessions.Options {
	o := m.cookie
	return &o
}

// Load returns the session of r, decoding the cookie at most once per
// request: when r's context already carries a session of this Manager (see
// [Manager.Attach]) it is returned, with the error of its first load.
//
// Load fails closed. A cookie that cannot be decoded yields an empty
// anonymous session and an error matching [ErrUnreadable]; a store failure
// yields an anonymous session and an error matching [ErrStore]. The
// session is never nil.
func (m *Manager) Load(r *http.Request) (*Session, error) {
	if s := fromContext(r.Context()); s != nil && s.m == m {
		return s, s.loadErr
	}
	return m.load(r)
}

// Attach is Load, and returns r with the session in its context, so that
// [FromContext] and later Loads find it without decoding again. When r
// already carries a session of this Manager, r is returned unchanged.
func (m *Manager) Attach(r *http.Request) (*http.Request, *Session, error) {
	ctx := r.Context()
	if s := fromContext(ctx); s != nil && s.m == m {
		return r, s, s.loadErr
	}
	s, err := m.load(r)
	s.ctx.Context = ctx
	return r.WithContext(&s.ctx), s, err
}

// load decodes the session of r (see loadRaw: through Store.New rather
// than Store.Get, since gorilla's registry would cache the session on a
// modified copy of *r; the request context does that job here), then
// parses and checks it. The checks run on every request, also when the
// values came from the verified cache.
func (m *Manager) load(r *http.Request) (*Session, error) {
	s, raw, err := m.loadRaw(r)
	if err != nil || raw == nil {
		s.raw = sessions.NewSession(m.store, m.name)
		if err == nil {
			s.loadErr = &opError{op: "load", kind: ErrStore, cause: errNilSession}
		} else {
			s.loadErr = classifyLoad(err)
		}
		return s, s.loadErr
	}
	s.raw = raw // raw.Values may be nil: SetFlow makes the map
	if !s.parse() {
		// A validly signed record with values of the wrong types or an
		// incomplete login: do not trust any of it.
		s.raw = sessions.NewSession(m.store, m.name)
		s.resetFields()
		s.loadErr = &opError{op: "load", kind: ErrUnreadable}
		return s, s.loadErr
	}
	if s.uid != "" && !m.now().Before(time.Unix(s.pwAt, 0).Add(m.maxAge)) {
		// The login outlived its absolute lifetime: anonymous, and the
		// record is erased on the next save.
		s.clearLocked()
		return s, nil
	}
	if s.uid != "" {
		dead, err := m.revoked.Revoked(r.Context(), s.uid, s.loginID, time.Unix(0, s.iat))
		switch {
		case err != nil:
			// Cannot tell whether the login was ended: no access, and
			// no state change (the cookie stays; the failure may pass).
			s.raw = sessions.NewSession(m.store, m.name)
			s.resetFields()
			s.loadErr = &opError{op: "load", kind: ErrRevocation, cause: err}
			return s, s.loadErr
		case dead:
			// Ended by logout or "log out everywhere": anonymous, and the
			// cookie is deleted on the next save.
			s.clearLocked()
		}
	}
	return s, nil
}

type constError string

func (e constError) Error() string { return string(e) }

const errNilSession = constError("store returned no session")

// MayHaveSession reports whether r may carry this Manager's session
// cookie. When it reports false, Load would return an empty anonymous
// session; callers on a hot path can skip loading altogether.
func (m *Manager) MayHaveSession(r *http.Request) bool { return mayHaveCookie(r, m.name) }
