package session

import (
	"bytes"
	"encoding/base64"
	"net/http"
	"net/textproto"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/securecookie"
	"github.com/gorilla/sessions"
)

// loadRaw returns the gorilla session of r: its values as stored, before
// any check. Manager.load parses and checks them on every request,
// whichever way they were obtained here.
//
//   - A request without a cookie of the session's name costs no store
//     work: every cookie-based store (gorilla's CookieStore, and the
//     server-side stores that keep the record ID in that cookie) would
//     return a new, empty session.
//   - With [WithKeys], the cookie is decoded here as gorilla's
//     CookieStore.New would (the same cookie, see cookieValue, and the
//     same codecs), and a decoded cookie is remembered in the verified
//     cache, keyed by its exact value: a hit returns what securecookie
//     verified for that very value.
//   - With [WithStore], the store decodes.
//
// It also returns the new Session, allocated together with the gorilla
// session: a request pays for one allocation here.
func (m *Manager) loadRaw(r *http.Request) (*Session, *sessions.Session, error) {
	if !mayHaveCookie(r, m.name) {
		return m.newBlock(nil)
	}
	if m.codecs == nil {
		s, _, _ := m.newBlock(nil)
		raw, err := m.store.New(r, m.name)
		return s, raw, err
	}
	value, ok := cookieValue(r, m.name)
	if !ok {
		return m.newBlock(nil) // the name was only part of another cookie
	}
	var now int64
	if m.cache != nil {
		// Expired when either the Manager's clock or securecookie's (the
		// real one) says so.
		now = max(time.Now().Unix(), m.now().Unix())
		if v, ok := m.cache.get(value, now); ok {
			s, raw, _ := m.newBlock(v)
			raw.IsNew = false
			return s, raw, nil
		}
	}
	s, raw, _ := m.newBlock(nil)
	if err := securecookie.DecodeMulti(m.name, value, &raw.Values, m.codecs...); err != nil {
		return s, raw, err
	}
	raw.IsNew = false
	if m.cache != nil && cacheableValues(raw.Values) {
		if exp, ok := cookieExpiry(value, m.maxAgeSec); ok && now <= exp {
			m.cache.put(value, raw.Values, exp)
		}
	}
	return s, raw, nil
}

// sessionBlock holds a Session and a gorilla session in one allocation.
type sessionBlock struct {
	s   Session
	raw sessions.Session
}

// newBlock returns a new Session of m and a new gorilla session of m's
// store and name holding values (nil until SetFlow needs a map), marked as
// new, without Options (Save sets them). The error is always nil.
func (m *Manager) newBlock(values map[any]any) (*Session, *sessions.Session, error) {
	b := &sessionBlock{raw: m.rawProto}
	b.s.m = m
	b.s.ctx.s = &b.s
	b.raw.Values = values
	b.raw.IsNew = true
	return &b.s, &b.raw, nil
}

// mayHaveCookie reports whether r may carry a cookie named name. When it
// reports false, r.Cookie(name) certainly fails.
func mayHaveCookie(r *http.Request, name string) bool {
	for _, line := range r.Header["Cookie"] {
		if strings.Contains(line, name) {
			return true
		}
	}
	return false
}

// cookieValue returns the value of the first well-formed cookie named
// name in r's Cookie headers, as r.Cookie(name) finds it, without
// allocating. (r.Cookie also gives up when the request carries more
// cookies than net/http's limit; whichever cookie of the name is picked
// here, it is verified before use.) name is a valid cookie name.
func cookieValue(r *http.Request, name string) (string, bool) {
	for _, line := range r.Header["Cookie"] {
		line = textproto.TrimString(line)
		var part string
		for len(line) > 0 {
			part, line, _ = strings.Cut(line, ";")
			part = textproto.TrimString(part)
			if part == "" {
				continue
			}
			n, v, _ := strings.Cut(part, "=")
			if textproto.TrimString(n) != name {
				continue
			}
			if len(v) > 1 && v[0] == '"' && v[len(v)-1] == '"' {
				v = v[1 : len(v)-1]
			}
			if validCookieValue(v) {
				return v, true
			}
		}
	}
	return "", false
}

// validCookieValue applies net/http's check of a cookie value's bytes.
func validCookieValue(v string) bool {
	for i := 0; i < len(v); i++ {
		b := v[i]
		if b < 0x20 || b >= 0x7f || b == '"' || b == ';' || b == '\\' {
			return false
		}
	}
	return true
}

// cookieExpiry returns the last unix second at which securecookie accepts
// value, a cookie it has just verified: its signed timestamp plus maxAge.
func cookieExpiry(value string, maxAge int64) (int64, bool) {
	b, err := base64.URLEncoding.DecodeString(value)
	if err != nil {
		return 0, false
	}
	i := bytes.IndexByte(b, '|')
	if i <= 0 {
		return 0, false
	}
	ts, err := strconv.ParseInt(string(b[:i]), 10, 64)
	if err != nil || ts <= 0 {
		return 0, false
	}
	return ts + maxAge, true
}

// cacheableValues reports whether every value is of an immutable type, so
// that a shallow copy of the map is a private copy.
func cacheableValues(values map[any]any) bool {
	for k, v := range values {
		if _, ok := k.(string); !ok {
			return false
		}
		switch v.(type) {
		case string, bool, int64, int:
		default:
			return false
		}
	}
	return true
}
