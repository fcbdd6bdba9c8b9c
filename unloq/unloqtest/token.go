package unloqtest

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"time"
)

// accessToken is a one-time "AU…" token bound to an approved approval.
type accessToken struct {
	value  string
	a      *approval
	issued time.Time
	ttl    time.Duration
	used   bool
}

// mintLocked issues a one-time access token for a. s.mu held.
func (s *Simulator) mintLocked(a *approval, ttl time.Duration) string {
	t := &accessToken{value: newAccessTokenValue(), a: a, issued: s.now(), ttl: ttl}
	s.tokens[t.value] = t
	s.mintCount++
	if s.mintCount%256 == 0 {
		now := s.now()
		for k, old := range s.tokens {
			if now.Sub(old.issued) > old.ttl+sessionWindow+time.Hour {
				delete(s.tokens, k)
			}
		}
	}
	return t.value
}

// approvedLocked applies the effects of a successful authentication.
// s.mu held.
func (s *Simulator) approvedLocked(a *approval) {
	a.p.authenticated = true
	if a.otpUsed {
		a.p.otpRequired = false
	}
}

// encKeyLocked returns the per-(application, profile) encryption key,
// creating it on first use: cfg.encKeyLen random letters and digits. The
// profile keeps it for the simulator's lifetime, across deactivation and
// re-enrollment. s.mu held.
func (s *Simulator) encKeyLocked(p *profile) []byte {
	if p.encKey == nil {
		p.encKey = randomAlnum(s.cfg.encKeyLen)
	}
	return p.encKey
}

const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// randomAlnum returns n characters drawn uniformly from alnum (rejection
// sampling: bytes ≥ 248 are skipped, so no character is favoured).
func randomAlnum(n int) []byte {
	out := make([]byte, 0, n)
	for len(out) < n {
		for _, b := range randomBytes(n) {
			if int(b) < 256-256%len(alnum) && len(out) < n {
				out = append(out, alnum[int(b)%len(alnum)])
			}
		}
	}
	return out
}

// encodeKey returns the key itself, or base64(RSA-OAEP-SHA256(key)) when
// pub is set (the Go client's DecryptEncryptionKey tries that padding
// first).
func encodeKey(key []byte, pub *rsa.PublicKey) (string, error) {
	if pub == nil {
		return string(key), nil
	}
	ct, err := rsa.EncryptOAEP(sha256.New(), rand.Reader, pub, key, nil)
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(ct), nil
}

// parsePublicKey reads a PEM RSA public key ("PUBLIC KEY" or
// "RSA PUBLIC KEY").
func parsePublicKey(s string) (*rsa.PublicKey, error) {
	blk, _ := pem.Decode([]byte(s))
	if blk == nil {
		return nil, errors.New("not PEM")
	}
	switch blk.Type {
	case "PUBLIC KEY":
		k, err := x509.ParsePKIXPublicKey(blk.Bytes)
		if err != nil {
			return nil, err
		}
		rk, ok := k.(*rsa.PublicKey)
		if !ok {
			return nil, errors.New("not an RSA key")
		}
		return rk, nil
	case "RSA PUBLIC KEY":
		return x509.ParsePKCS1PublicKey(blk.Bytes)
	}
	return nil, errors.New("unexpected PEM block " + blk.Type)
}

// userDataLocked returns the /token result for a (also the
// generate_token=false result, which adds nothing else). s.mu held.
func (s *Simulator) userDataLocked(a *approval) (map[string]any, error) {
	p := a.p
	nullable := func(v string) any {
		if v == "" {
			return nil
		}
		return v
	}
	res := map[string]any{
		"approval_id": a.id,
		"unloq_id":    p.unloqID(),
		"email":       p.email,
		"first_name":  nullable(p.firstName),
		"last_name":   nullable(p.lastName),
		"image":       nullable(p.image),
		"ip_source":   nullable(a.ip),
		"method":      a.method,
		"token_type":  a.tokenType,
	}
	if a.withEncryption || a.publicKey != nil {
		k, err := encodeKey(s.encKeyLocked(p), a.publicKey)
		if err != nil {
			return nil, err
		}
		res["encryption_key"] = k
	}
	if a.sourceClient != nil {
		res["source_client"] = a.sourceClient
	}
	if s.cfg.legacy {
		res["id"] = p.unloqID()
		if a.sourceClient == nil {
			res["source_client"] = map[string]string{"ip": a.ip, "user-agent": ""}
		}
		if p.device != nil {
			lk := base64.RawURLEncoding.EncodeToString(randomBytes(24))
			m := hmac.New(sha256.New, []byte(p.device.linkSecret))
			m.Write([]byte(lk))
			res["link_key"] = lk
			res["link_signature"] = base64.StdEncoding.EncodeToString(m.Sum(nil))
		}
	}
	return res, nil
}
