package encryptionkey

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"

	"github.com/unloq2fa/unloq2fa/handlers/guard"
	"github.com/unloq2fa/unloq2fa/internal/accept"
	"github.com/unloq2fa/unloq2fa/internal/approval"
	"github.com/unloq2fa/unloq2fa/internal/identity"
	"github.com/unloq2fa/unloq2fa/internal/respond"
	"github.com/unloq2fa/unloq2fa/session"
	"github.com/unloq2fa/unloq2fa/store"
	"github.com/unloq2fa/unloq2fa/unloq"
)

// Keys asks UNLOQ for the logged-in user's encryption key. It is safe for
// concurrent use and immutable after New. It keeps no key: not in the
// session, not in memory beyond the call, not in logs or error text.
type Keys struct {
	client *unloq.Client
	sm     *session.Manager
	users  store.UserStore
	cfg    config
}

// New returns a Keys that calls UNLOQ with client, reads the login from sm
// and the user's e-mail (or UNLOQ address, WithUNLOQAddress), second
// factor and remembered UNLOQ id from users.
func New(client *unloq.Client, sm *session.Manager, users store.UserStore, opts ...Option) (*Keys, error) {
	if err := approval.CheckNew("encryptionkey", client, sm, users); err != nil {
		return nil, err
	}
	cfg := config{
		bits:        DefaultKeyBits,
		message:     func(*http.Request) string { return DefaultMessage },
		inFlightTTL: DefaultInFlightTTL,
		cop:         http.NewCrossOriginProtection(),
		clientIP:    approval.RemoteIP,
	}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	g, err := approval.OrMemoryGuard("encryptionkey", cfg.guard)
	if err != nil {
		return nil, err
	}
	cfg.guard = g
	return &Keys{client: client, sm: sm, users: users, cfg: cfg}, nil
}

// Fetch asks the phone of r's logged-in user to release their encryption
// key for this application, and returns it. It blocks until the phone
// answers (up to the client's approval timeout); ctx (usually
// r.Context()) cancels the call.
//
// r must be a non-safe request (POST) from this origin: a safe method
// never sends a push (ErrMethod), and http.CrossOriginProtection applies
// (ErrCrossOrigin). The user must be fully logged in with UNLOQ as the
// second factor. The key is requested RSA-encrypted to a fresh key pair (or
// the one of WithPrivateKey) and decrypted here. Every failure returns an
// *Error and no key.
//
// The caller owns the returned slice: use it, then clear it (clear(key)).
// The library keeps no copy.
func (k *Keys) Fetch(ctx context.Context, r *http.Request) ([]byte, error) {
	const op = "fetch"
	if r.Method == http.MethodGet || r.Method == http.MethodHead || r.Method == http.MethodOptions {
		return nil, wrap(op, ErrMethod, nil)
	}
	if err := k.cfg.cop.Check(r); err != nil {
		return nil, wrap(op, ErrCrossOrigin, nil)
	}
	sess, err := k.sm.Load(r)
	if err != nil {
		kind := ErrNotLoggedIn
		if errors.Is(err, session.ErrStore) {
			kind = ErrSession
		}
		return nil, wrap(op, kind, err)
	}
	rc, err := k.account(ctx, op, sess)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256([]byte(sess.LoginID() + "\x00encryption-key"))
	release, ok, err := k.cfg.guard.Begin(ctx, guard.Key{Kind: "encryptionkey-inflight", User: sess.UserID(), ID: hex.EncodeToString(sum[:16])}, k.cfg.inFlightTTL)
	if err != nil {
		return nil, wrap(op, ErrUnavailable, err)
	}
	if !ok {
		return nil, wrap(op, ErrInFlight, nil)
	}
	defer release()

	priv := k.cfg.priv
	if priv == nil {
		priv, err = rsa.GenerateKey(rand.Reader, k.cfg.bits)
		if err != nil {
			return nil, wrap(op, ErrConfig, err)
		}
	}
	der, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	if err != nil {
		return nil, wrap(op, ErrConfig, err)
	}
	pub := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	req := request(rc) // by unloq_id when known, else by address (identity.go)
	req.Message, req.PublicKey, req.IP, req.GenerateToken = k.cfg.message(r), pub, k.cfg.clientIP(r), false
	res, err := k.client.RequestEncryptionKey(ctx, req)
	if err != nil {
		return nil, kinds.Vendor(ctx, op, err)
	}
	if !rc.Matches(string(res.UnloqID), "") {
		return nil, wrap(op, ErrAccountChanged, errors.New("the reply is for another UNLOQ account"))
	}
	enc := res.EncryptionKey
	if enc == "" && res.Token != "" {
		// A server that answered with a token anyway: the key comes with
		// the token's user data.
		td, err := k.client.Token(ctx, unloq.TokenRequest{Token: res.Token, IP: k.cfg.clientIP(r)})
		if err != nil {
			return nil, kinds.Vendor(ctx, op, err)
		}
		if td == nil || td.Email == "" || !rc.Matches(string(td.UnloqID), td.Email) {
			return nil, wrap(op, ErrAccountChanged, nil)
		}
		enc = td.EncryptionKey
	}
	if enc == "" {
		return nil, wrap(op, ErrBadKey, errors.New("the reply carries no key"))
	}
	key, err := unloq.DecryptEncryptionKey(priv, enc)
	if err != nil {
		return nil, wrap(op, ErrBadKey, err)
	}
	if len(key) == 0 || len(key) > MaxKeyLen {
		clear(key)
		return nil, wrap(op, ErrBadKey, errors.New("implausible key length"))
	}
	return key, nil
}

// With returns a handler that fetches the key (see Fetch) and calls fn
// with it; the key is cleared when fn returns, so fn must not keep it. On
// failure fn is not called and the request is answered by the error
// handler (WithErrorHandler). Only non-safe methods are served; others get
// 405 with "Allow: POST".
func (k *Keys) With(fn func(w http.ResponseWriter, r *http.Request, key []byte)) http.Handler {
	if fn == nil {
		panic("encryptionkey: with: nil callback")
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key, err := k.Fetch(r.Context(), r)
		if err != nil {
			k.fail(w, r, err)
			return
		}
		defer clear(key)
		fn(w, r, key)
	})
}

// account checks the session's login and returns whom to ask for the
// store's user (internal/approval).
func (k *Keys) account(ctx context.Context, op string, sess *session.Session) (identity.Recipient, error) {
	user, err := kinds.Account(ctx, op, k.users, sess)
	if err != nil {
		return identity.Recipient{}, err
	}
	if user.SecondFactor != store.SecondFactorUNLOQ {
		return identity.Recipient{}, wrap(op, ErrNoUNLOQ, nil)
	}
	return kinds.Recipient(op, k.users, k.cfg.address, user, sess.Email())
}

func (k *Keys) fail(w http.ResponseWriter, r *http.Request, err error) {
	hd := w.Header()
	respond.SecurityHeaders(hd) // keeps the host's policy (internal/csp)
	if errors.Is(err, ErrMethod) {
		hd.Set("Allow", http.MethodPost)
	}
	if k.cfg.onError != nil {
		k.cfg.onError(w, r, err)
		return
	}
	status, code := Status(err)
	if accept.PrefersJSON(r.Header.Get("Accept")) {
		b, _ := json.Marshal(map[string]any{"error": map[string]string{"code": code}})
		hd.Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(status)
		_, _ = w.Write(append(b, '\n'))
		return
	}
	http.Error(w, http.StatusText(status)+" ("+code+")", status)
}
