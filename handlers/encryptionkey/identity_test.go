package encryptionkey_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/handlers"
	"github.com/unloq2fa/unloq2fa/handlers/encryptionkey"
	"github.com/unloq2fa/unloq2fa/store"
	"github.com/unloq2fa/unloq2fa/unloq"
	"github.com/unloq2fa/unloq2fa/unloq/unloqtest"
)

// encryptionBodies returns the JSON bodies of the encryption calls the
// simulator received.
func (h *harness) encryptionBodies() []map[string]any {
	h.t.Helper()
	var out []map[string]any
	for _, r := range h.sim.Sim.Requests() {
		if r.Path == "/v1/encryption/user" {
			var m map[string]any
			require.NoError(h.t, json.Unmarshal(r.Body, &m), string(r.Body))
			out = append(out, m)
		}
	}
	return out
}

func (h *harness) profileID(email string) string {
	for _, p := range h.sim.Sim.Profiles() {
		if p.Email == email {
			return p.UnloqID
		}
	}
	h.t.Fatalf("no profile for %s", email)
	return ""
}

// TestUsernameOnlyAppWithVirtualAddress: a user whose store "e-mail" is a
// username and who logged in under a virtual address (kept in the session
// by the handlers) gets the key; it used to be refused because the
// username differs from the session's address. The request goes to the
// address until the store knows the user's unloq_id, then to the id; the
// key is the same.
func TestUsernameOnlyAppWithVirtualAddress(t *testing.T) {
	va, err := handlers.VirtualAddress("users.example.test")
	require.NoError(t, err)
	h := newHarness(t, nil, encryptionkey.WithPrivateKey(appKey()), encryptionkey.WithUNLOQAddress(va))
	ctx := context.Background()
	frank := store.User{ID: "u-frank", Email: "frank", SecondFactor: store.SecondFactorUNLOQ}
	require.NoError(t, h.users.Put(ctx, frank))
	addr, err := va(frank)
	require.NoError(t, err)
	_, err = h.client.Enroll(ctx, unloq.EnrollRequest{Email: addr})
	require.NoError(t, err)
	require.NoError(t, h.sim.Sim.Scan(addr))
	require.NoError(t, h.sim.Sim.SetBehavior(addr, unloqtest.BehaviorApprove))
	_, err = h.client.Authenticate(ctx, unloq.AuthenticateRequest{Email: addr})
	require.NoError(t, err)
	h.sim.Sim.ResetRequests()

	c := h.browser("u-frank", addr, "")
	st, body, _ := h.unlock(c, http.MethodPost)
	require.Equal(t, http.StatusOK, st, body)
	bodies := h.encryptionBodies()
	require.Len(t, bodies, 1)
	assert.Equal(t, addr, bodies[0]["email"], "asked by address while no unloq_id is known")
	assert.NotContains(t, bodies[0], "unloq_id")

	id := h.profileID(addr)
	require.NoError(t, h.users.SetUnloqID(ctx, "u-frank", id))
	h.sim.Sim.ResetRequests()
	st, body, _ = h.unlock(c, http.MethodPost)
	require.Equal(t, http.StatusOK, st, body)
	bodies = h.encryptionBodies()
	require.Len(t, bodies, 1)
	assert.Equal(t, id, bodies[0]["unloq_id"], "asked by unloq_id")
	assert.NotContains(t, bodies[0], "email")
	var enc []unloqtest.Approval
	for _, a := range h.sim.Sim.Approvals(addr, "") {
		if a.Type == unloqtest.TypeEncryptionKey {
			enc = append(enc, a)
		}
	}
	require.Len(t, enc, 2)
	assert.Equal(t, id, enc[1].UnloqID, "the simulator routed it to that account")
	require.Equal(t, 2, h.calls())
	assert.Equal(t, h.copies[0], h.copies[1], "the same account's key either way")

	// The session's address is still checked against the store's user.
	st, _, _ = h.unlock(h.browser("u-frank", "frank", ""), http.MethodPost)
	assert.Equal(t, http.StatusForbidden, st)
	assert.ErrorIs(t, h.lastErr(), encryptionkey.ErrAccountChanged)
	assert.Equal(t, 2, h.calls())
}

// TestUsernameWithoutAddressFunc: without WithUNLOQAddress a username is
// no UNLOQ address: ErrAddress (409 no_unloq_address), UNLOQ not called.
func TestUsernameWithoutAddressFunc(t *testing.T) {
	h := newHarness(t, nil, encryptionkey.WithPrivateKey(appKey()))
	require.NoError(t, h.users.Put(context.Background(), store.User{ID: "u-gina", Email: "gina", SecondFactor: store.SecondFactorUNLOQ}))
	h.sim.Sim.ResetRequests()
	st, body, _ := h.unlock(h.browser("u-gina", "gina", ""), http.MethodPost)
	assert.Equal(t, http.StatusConflict, st)
	assert.Equal(t, "no_unloq_address", body)
	assert.ErrorIs(t, h.lastErr(), encryptionkey.ErrAddress)
	assert.Empty(t, h.encryptionBodies())
	assert.Zero(t, h.calls())

	_, err := encryptionkey.New(h.client, h.sm, h.users, encryptionkey.WithUNLOQAddress(nil))
	assert.Error(t, err)
}

// TestReplyForAnotherUnloqIDRefused: when the store knows the user's
// unloq_id, a reply (or token) naming another id gives no key.
func TestReplyForAnotherUnloqIDRefused(t *testing.T) {
	h := newHarness(t, nil)
	require.NoError(t, h.users.SetUnloqID(context.Background(), "u-alice", "7"))
	c := h.browser("u-alice", alice, "")
	u, _ := url.Parse(h.app.URL)
	req := httptest.NewRequest(http.MethodPost, "/unlock", nil)
	for _, ck := range c.Jar.Cookies(u) {
		req.AddCookie(ck)
	}
	ct, err := rsa.EncryptOAEP(sha256.New(), rand.Reader, &appKey().PublicKey, []byte("k3y-k3y-k3y-k3y-k3y-k3y-k3y-k3y-"), nil)
	require.NoError(t, err)
	good := base64.StdEncoding.EncodeToString(ct)
	for name, tc := range map[string]struct {
		enc, tok string
		err      error
	}{
		"reply, other id": {`{"unloq_id":"8","encryption_key":"` + good + `"}`, ``, encryptionkey.ErrAccountChanged},
		"token, other id": {`{"unloq_id":"7","token":"AUtok"}`, `{"unloq_id":"8","email":"` + alice + `","encryption_key":"` + good + `"}`, encryptionkey.ErrAccountChanged},
		"reply, same id":  {`{"unloq_id":"7","encryption_key":"` + good + `"}`, ``, nil},
		"token, same id":  {`{"unloq_id":"7","token":"AUtok"}`, `{"unloq_id":"7","email":"` + alice + `","encryption_key":"` + good + `"}`, nil},
	} {
		t.Run(name, func(t *testing.T) {
			k, err := encryptionkey.New(fakeUNLOQ(t, tc.enc, tc.tok), h.sm, h.users, encryptionkey.WithPrivateKey(appKey()))
			require.NoError(t, err)
			key, err := k.Fetch(context.Background(), req)
			if tc.err != nil {
				assert.ErrorIs(t, err, tc.err)
				assert.Nil(t, key)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, "k3y-k3y-k3y-k3y-k3y-k3y-k3y-k3y-", string(key))
		})
	}
}

// TestHostContentSecurityPolicyKept: a refusal used to replace the host's
// Content-Security-Policy (also on the application's own error page, see
// WithErrorHandler); it is kept, and framing is still forbidden.
func TestHostContentSecurityPolicyKept(t *testing.T) {
	const host = "default-src 'none'; script-src 'nonce-h0st'"
	h := newHarness(t, nil)
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", host)
		h.app.Config.Handler.ServeHTTP(w, r)
	}))
	t.Cleanup(app.Close)
	res, err := http.Get(app.URL + "/unlock")
	require.NoError(t, err)
	_ = res.Body.Close()
	assert.Equal(t, http.StatusMethodNotAllowed, res.StatusCode)
	assert.Equal(t, []string{host, "frame-ancestors 'none'"}, res.Header.Values("Content-Security-Policy"))
	assert.Equal(t, "DENY", res.Header.Get("X-Frame-Options"))
}
