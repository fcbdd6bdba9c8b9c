package encryptionkey_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/handlers/encryptionkey"
	"github.com/unloq2fa/unloq2fa/handlers/guard"
	"github.com/unloq2fa/unloq2fa/session"
	"github.com/unloq2fa/unloq2fa/store"
	"github.com/unloq2fa/unloq2fa/unloq"
	"github.com/unloq2fa/unloq2fa/unloq/unloqtest"
)

const (
	alice = "alice@example.test"
	carol = "carol@example.test" // password only
)

// appKey is an application-held key pair shared by the tests that do not
// test fresh pairs (RSA key generation is slow under -race).
var appKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

type harness struct {
	t      *testing.T
	sim    *unloqtest.Server
	client *unloq.Client
	sm     *session.Manager
	users  *store.Memory
	keys   *encryptionkey.Keys
	app    *httptest.Server

	mu     sync.Mutex
	seen   [][]byte // the slices handed to the callback (to check clearing)
	copies [][]byte
	errs   []error
}

func newHarness(t *testing.T, clientOpts []unloq.Option, opts ...encryptionkey.Option) *harness {
	t.Helper()
	h := &harness{t: t}
	h.sim = unloqtest.NewServer(t, unloqtest.WithApprovalTimeout(5*time.Second))
	h.client = h.sim.Client(t, append([]unloq.Option{unloq.WithApprovalTimeout(5 * time.Second)}, clientOpts...)...)
	var err error
	h.sm, err = session.NewManager(session.WithKeys([]byte(strings.Repeat("h", 32)), []byte(strings.Repeat("b", 32))), session.WithInsecureDevCookies())
	require.NoError(t, err)
	users := store.NewMemory()
	h.users = users
	ctx := context.Background()
	require.NoError(t, users.Put(ctx, store.User{ID: "u-alice", Email: alice, SecondFactor: store.SecondFactorUNLOQ}))
	require.NoError(t, users.Put(ctx, store.User{ID: "u-carol", Email: carol}))
	_, err = h.client.Enroll(ctx, unloq.EnrollRequest{Email: alice})
	require.NoError(t, err)
	require.NoError(t, h.sim.Sim.Scan(alice))
	require.NoError(t, h.sim.Sim.SetBehavior(alice, unloqtest.BehaviorApprove))
	_, err = h.client.Authenticate(ctx, unloq.AuthenticateRequest{Email: alice})
	require.NoError(t, err)

	opts = append([]encryptionkey.Option{encryptionkey.WithErrorHandler(func(w http.ResponseWriter, _ *http.Request, err error) {
		h.mu.Lock()
		h.errs = append(h.errs, err)
		h.mu.Unlock()
		st, code := encryptionkey.Status(err)
		http.Error(w, code, st)
	})}, opts...)
	h.keys, err = encryptionkey.New(h.client, h.sm, users, opts...)
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.Handle("/unlock", h.keys.With(func(w http.ResponseWriter, _ *http.Request, key []byte) {
		h.mu.Lock()
		h.seen = append(h.seen, key)
		h.copies = append(h.copies, bytes.Clone(key))
		h.mu.Unlock()
		_, _ = io.WriteString(w, "unlocked")
	}))
	mux.HandleFunc("/login", func(w http.ResponseWriter, r *http.Request) {
		s, _ := h.sm.Load(r)
		q := r.URL.Query()
		_ = s.BeginLogin(q.Get("uid"), q.Get("email"), true)
		if q.Get("pending") == "" {
			_ = s.CompleteSecondFactor()
		}
		_ = s.Save(w, r)
	})
	h.app = httptest.NewServer(mux)
	t.Cleanup(h.app.Close)
	return h
}

func (h *harness) browser(uid, email string, extra string) *http.Client {
	jar, err := cookiejar.New(nil)
	require.NoError(h.t, err)
	c := &http.Client{Jar: jar}
	if uid != "" {
		res, err := c.Get(h.app.URL + "/login?uid=" + uid + "&email=" + url.QueryEscape(email) + extra)
		require.NoError(h.t, err)
		_ = res.Body.Close()
	}
	return c
}

func (h *harness) unlock(c *http.Client, method string, hdr ...string) (int, string, http.Header) {
	h.t.Helper()
	req, err := http.NewRequest(method, h.app.URL+"/unlock", nil)
	require.NoError(h.t, err)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := c.Do(req)
	require.NoError(h.t, err)
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, strings.TrimSpace(string(b)), res.Header
}

func (h *harness) lastErr() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.errs) == 0 {
		return nil
	}
	return h.errs[len(h.errs)-1]
}

func (h *harness) calls() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.seen)
}

func TestFreshKeyPairStableKeyClearedAfterCallback(t *testing.T) {
	h := newHarness(t, nil)
	c := h.browser("u-alice", alice, "")
	for range 2 {
		st, body, hdr := h.unlock(c, http.MethodPost)
		require.Equal(t, http.StatusOK, st, body)
		assert.Empty(t, hdr.Values("Set-Cookie"), "the key is never put in the session")
	}
	require.Equal(t, 2, h.calls())
	assert.NotEmpty(t, h.copies[0])
	assert.Equal(t, h.copies[0], h.copies[1], "one stable key per account and application")
	for _, k := range h.seen {
		assert.Equal(t, make([]byte, len(k)), k, "the buffer is zeroed after the callback")
	}
	// The request carried a public key, not a plain-text key request.
	for _, a := range h.sim.Sim.Approvals(alice, "") {
		if a.Type == unloqtest.TypeEncryptionKey {
			assert.Equal(t, encryptionkey.DefaultMessage, a.Message)
		}
	}
}

func TestAppHeldKeyMatchesPlainAnswer(t *testing.T) {
	h := newHarness(t, nil, encryptionkey.WithPrivateKey(appKey()), encryptionkey.WithMessage("Open your vault"))
	c := h.browser("u-alice", alice, "")
	st, body, _ := h.unlock(c, http.MethodPost)
	require.Equal(t, http.StatusOK, st, body)
	got := h.copies[0]

	// The key UNLOQ sends without a public key is the same key.
	res, err := h.client.RequestEncryptionKey(context.Background(), unloq.EncryptionRequest{Email: alice})
	require.NoError(t, err)
	plain := res.EncryptionKey
	require.NotEmpty(t, plain)
	require.Equal(t, plain, string(got), "the RSA and the plain answers carry the same key")
	assert.GreaterOrEqual(t, len(got), 32)
	assert.LessOrEqual(t, len(got), 64)
}

func TestRefusalsNeverCallBack(t *testing.T) {
	h := newHarness(t, []unloq.Option{unloq.WithApprovalTimeout(500 * time.Millisecond)}, encryptionkey.WithPrivateKey(appKey()))
	c := h.browser("u-alice", alice, "")

	st, _, hdr := h.unlock(c, http.MethodGet)
	assert.Equal(t, http.StatusMethodNotAllowed, st)
	assert.Equal(t, http.MethodPost, hdr.Get("Allow"))
	assert.ErrorIs(t, h.lastErr(), encryptionkey.ErrMethod)

	st, _, _ = h.unlock(c, http.MethodPost, "Sec-Fetch-Site", "cross-site")
	assert.Equal(t, http.StatusForbidden, st)
	assert.ErrorIs(t, h.lastErr(), encryptionkey.ErrCrossOrigin)

	require.NoError(t, h.sim.Sim.SetBehavior(alice, unloqtest.BehaviorDeny))
	st, body, hdr := h.unlock(c, http.MethodPost)
	assert.Equal(t, http.StatusForbidden, st)
	assert.Equal(t, "denied", body)
	assert.Equal(t, "no-store", hdr.Get("Cache-Control"))
	assert.ErrorIs(t, h.lastErr(), encryptionkey.ErrDenied)

	require.NoError(t, h.sim.Sim.SetBehavior(alice, unloqtest.BehaviorIgnore))
	st, _, _ = h.unlock(c, http.MethodPost)
	assert.Equal(t, http.StatusForbidden, st)
	assert.ErrorIs(t, h.lastErr(), encryptionkey.ErrTimeout)

	require.NoError(t, h.sim.Sim.SetBehavior(alice, unloqtest.BehaviorApprove))
	for _, mode := range []string{unloqtest.FaultError500, unloqtest.FaultHang, unloqtest.FaultGarbage, unloqtest.FaultBlocked, unloqtest.FaultThrottle} {
		h.sim.Sim.InjectFault(unloqtest.Fault{Path: "/v1/encryption/user", Mode: mode})
		st, _, _ = h.unlock(c, http.MethodPost)
		assert.GreaterOrEqual(t, st, 400, mode)
		var ue *unloq.Error
		assert.ErrorAs(t, h.lastErr(), &ue, mode)
	}

	pending := h.browser("u-alice", alice, "&pending=1")
	st, _, _ = h.unlock(pending, http.MethodPost)
	assert.Equal(t, http.StatusForbidden, st)
	assert.ErrorIs(t, h.lastErr(), encryptionkey.ErrNotVerified)

	anon := h.browser("", "", "")
	st, _, _ = h.unlock(anon, http.MethodPost)
	assert.Equal(t, http.StatusForbidden, st)
	assert.ErrorIs(t, h.lastErr(), encryptionkey.ErrNotLoggedIn)

	pw := h.browser("u-carol", carol, "")
	st, _, _ = h.unlock(pw, http.MethodPost)
	assert.Equal(t, http.StatusForbidden, st)
	assert.ErrorIs(t, h.lastErr(), encryptionkey.ErrNoUNLOQ)

	// Addresses compare as the handlers compare them: ASCII case only, no
	// Unicode folding or trimming.
	for _, addr := range []string{"bob@example.test", alice + "\u00a0", "\u212ale@example.test", alice + ".", ""} {
		other := h.browser("u-alice", addr, "")
		st, _, _ = h.unlock(other, http.MethodPost)
		assert.Equal(t, http.StatusForbidden, st, "%q", addr)
		assert.ErrorIs(t, h.lastErr(), encryptionkey.ErrAccountChanged, "%q", addr)
	}

	assert.Zero(t, h.calls(), "the callback never ran")
	// Error text never carries the key: it was never fetched here, and the
	// texts name only operation, kind and cause.
	for _, err := range h.errs {
		assert.True(t, strings.HasPrefix(err.Error(), "encryptionkey: "), err.Error())
	}
}

// fakeUNLOQ answers /v1/encryption/user with encResult and /v1/token
// with tokenResult (JSON objects inside UNLOQ's envelope).
func fakeUNLOQ(t *testing.T, encResult, tokenResult string) *unloq.Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/v1/encryption/user":
			_, _ = io.WriteString(w, `{"type":"api.application.approval.encryption","result":`+encResult+`}`)
		case "/v1/token":
			_, _ = io.WriteString(w, `{"type":"api.application.approval.token","result":`+tokenResult+`}`)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	c, err := unloq.NewClient("k", unloq.WithBaseURL(srv.URL+"/v1"), unloq.WithAllowHTTP())
	require.NoError(t, err)
	return c
}

func TestRepliesWithoutUsableKeyFailClosed(t *testing.T) {
	h := newHarness(t, nil)
	c := h.browser("u-alice", alice, "")
	u, _ := url.Parse(h.app.URL)
	req := httptest.NewRequest(http.MethodPost, "/unlock", nil)
	for _, ck := range c.Jar.Cookies(u) {
		req.AddCookie(ck)
	}
	ct, err := rsa.EncryptOAEP(sha256.New(), rand.Reader, &appKey().PublicKey, []byte("k3y-k3y-k3y-k3y-k3y-k3y-k3y-k3y-"), nil)
	require.NoError(t, err)
	good := base64.StdEncoding.EncodeToString(ct)
	other, err := rsa.EncryptOAEP(sha256.New(), rand.Reader, &h.otherKey().PublicKey, []byte("secret"), nil)
	require.NoError(t, err)

	for name, tc := range map[string]struct {
		enc, tok string
		kind     error
	}{
		"no key":            {`{"unloq_id":"1"}`, ``, encryptionkey.ErrBadKey},
		"not base64":        {`{"unloq_id":"1","encryption_key":"%%%"}`, ``, encryptionkey.ErrBadKey},
		"another key's":     {`{"unloq_id":"1","encryption_key":"` + base64.StdEncoding.EncodeToString(other) + `"}`, ``, encryptionkey.ErrBadKey},
		"token, other user": {`{"unloq_id":"1","token":"AUtok"}`, `{"email":"mallory@example.test","encryption_key":"` + good + `"}`, encryptionkey.ErrAccountChanged},
		"token, no key":     {`{"unloq_id":"1","token":"AUtok"}`, `{"email":"` + alice + `"}`, encryptionkey.ErrBadKey},
	} {
		t.Run(name, func(t *testing.T) {
			k, err := encryptionkey.New(fakeUNLOQ(t, tc.enc, tc.tok), h.sm, h.users, encryptionkey.WithPrivateKey(appKey()))
			require.NoError(t, err)
			key, err := k.Fetch(context.Background(), req)
			assert.ErrorIs(t, err, tc.kind)
			assert.Nil(t, key)
			assert.NotContains(t, err.Error(), "k3y")
		})
	}
	// The same fake with a good reply (directly, and through the token).
	for _, tc := range [][2]string{
		{`{"unloq_id":"1","encryption_key":"` + good + `"}`, ``},
		{`{"unloq_id":"1","token":"AUtok"}`, `{"email":"` + alice + `","encryption_key":"` + good + `"}`},
	} {
		k, err := encryptionkey.New(fakeUNLOQ(t, tc[0], tc[1]), h.sm, h.users, encryptionkey.WithPrivateKey(appKey()))
		require.NoError(t, err)
		key, err := k.Fetch(context.Background(), req)
		require.NoError(t, err)
		assert.Equal(t, "k3y-k3y-k3y-k3y-k3y-k3y-k3y-k3y-", string(key))
	}
}

func (h *harness) otherKey() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(h.t, err)
	return k
}

func TestOneRequestInFlight(t *testing.T) {
	h := newHarness(t, nil, encryptionkey.WithPrivateKey(appKey()))
	require.NoError(t, h.sim.Sim.SetBehavior(alice, unloqtest.BehaviorManual))
	c := h.browser("u-alice", alice, "")
	var wg sync.WaitGroup
	var first int
	wg.Add(1)
	go func() {
		defer wg.Done()
		first, _, _ = h.unlock(c, http.MethodPost)
	}()
	a, err := h.sim.Sim.WaitForApproval(t.Context(), alice)
	require.NoError(t, err)
	st, _, _ := h.unlock(c, http.MethodPost)
	assert.Equal(t, http.StatusConflict, st)
	assert.ErrorIs(t, h.lastErr(), encryptionkey.ErrInFlight)
	require.NoError(t, h.sim.Sim.Approve(a.ID))
	wg.Wait()
	assert.Equal(t, http.StatusOK, first)
	n := 0
	for _, ap := range h.sim.Sim.Approvals(alice, "") {
		if ap.Type == unloqtest.TypeEncryptionKey {
			n++
		}
	}
	assert.Equal(t, 1, n, "one push")
}

func TestFetchDirect(t *testing.T) {
	h := newHarness(t, nil, encryptionkey.WithPrivateKey(appKey()))
	c := h.browser("u-alice", alice, "")
	// Build a request carrying the browser's cookie.
	u, _ := url.Parse(h.app.URL)
	req := httptest.NewRequest(http.MethodPost, "/unlock", nil)
	for _, ck := range c.Jar.Cookies(u) {
		req.AddCookie(ck)
	}
	key, err := h.keys.Fetch(context.Background(), req)
	require.NoError(t, err)
	assert.NotEmpty(t, key)
	clear(key)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = h.keys.Fetch(ctx, req)
	require.Error(t, err)
	var e *encryptionkey.Error
	require.ErrorAs(t, err, &e)
}

func TestOptionsValidate(t *testing.T) {
	sim := unloqtest.NewServer(t)
	client := sim.Client(t)
	sm, err := session.NewManager(session.WithKeys([]byte(strings.Repeat("h", 32)), []byte(strings.Repeat("b", 32))))
	require.NoError(t, err)
	users := store.NewMemory()
	_, err = encryptionkey.New(nil, sm, users)
	assert.Error(t, err)
	_, err = encryptionkey.New(client, nil, users)
	assert.Error(t, err)
	_, err = encryptionkey.New(client, sm, nil)
	assert.Error(t, err)
	small, err := rsa.GenerateKey(rand.Reader, 1024) //nolint:gosec // checks that small keys are refused
	require.NoError(t, err)
	for name, o := range map[string]encryptionkey.Option{
		"nil key":       encryptionkey.WithPrivateKey(nil),
		"small key":     encryptionkey.WithPrivateKey(small),
		"bits":          encryptionkey.WithKeyBits(1024),
		"empty message": encryptionkey.WithMessage(""),
		"long message":  encryptionkey.WithMessage(strings.Repeat("m", 101)),
		"nil in-flight": encryptionkey.WithGuard(nil),
		"ttl":           encryptionkey.WithInFlightTTL(0),
		"nil cop":       encryptionkey.WithCrossOriginProtection(nil),
		"nil ip":        encryptionkey.WithClientIP(nil),
		"nil handler":   encryptionkey.WithErrorHandler(nil),
	} {
		_, err := encryptionkey.New(client, sm, users, o)
		assert.Error(t, err, name)
		if err != nil {
			assert.True(t, strings.HasPrefix(err.Error(), "encryptionkey: "), err.Error())
		}
	}
	k, err := encryptionkey.New(client, sm, users, encryptionkey.WithKeyBits(3072), encryptionkey.WithGuard(newGuard(t)))
	require.NoError(t, err)
	assert.Panics(t, func() { k.With(nil) })
}

// newGuard returns a fresh guard.Memory: the same kind of Guard the
// handlers take can hold the in-flight marks.
func newGuard(t *testing.T) guard.Guard {
	t.Helper()
	g, err := guard.NewMemory()
	require.NoError(t, err)
	return g
}
