package stepup_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/handlers"
	"github.com/unloq2fa/unloq2fa/handlers/stepup"
	"github.com/unloq2fa/unloq2fa/store"
)

// authorizeBodies returns the JSON bodies of the authorize calls the
// simulator received.
func (h *harness) authorizeBodies() []map[string]any {
	h.t.Helper()
	var out []map[string]any
	for _, r := range h.sim.Sim.Requests() {
		if strings.HasPrefix(r.Path, "/v1/authorize/") {
			var m map[string]any
			require.NoError(h.t, json.Unmarshal(r.Body, &m), string(r.Body))
			out = append(out, m)
		}
	}
	return out
}

// virtualUser adds a username-only account with UNLOQ on, enrolled at
// UNLOQ under its virtual address, and returns that address.
func (h *harness) virtualUser(id, username string, addr handlers.AddressFunc) string {
	h.t.Helper()
	u := store.User{ID: id, Email: username, SecondFactor: store.SecondFactorUNLOQ}
	require.NoError(h.t, h.users.Put(context.Background(), u))
	va, err := addr(u)
	require.NoError(h.t, err)
	enrollAndAuthenticate(h.t, h.sim, h.sim.Client(h.t), va)
	return va
}

// profileID is the UNLOQ id the simulator gave email's profile.
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
// username logs in under a virtual address (as the handlers keep it in the
// session). Step-up used to compare the username with the session's
// address and refuse the user; with the same address function it asks
// UNLOQ for that address, and by unloq_id once the store knows it.
func TestUsernameOnlyAppWithVirtualAddress(t *testing.T) {
	va, err := handlers.VirtualAddress("users.example.test")
	require.NoError(t, err)
	h := newHarness(t, harnessOpts{opts: []stepup.Option{stepup.WithUNLOQAddress(va)}})
	frankAddr := h.virtualUser("u-frank", "frank", va)
	assert.Equal(t, "u-frank@users.example.test", frankAddr)

	c := h.browser()
	h.loginAs(c, "u-frank", frankAddr) // what the handlers keep in the session
	done := h.answer(frankAddr, true)
	res := h.postForm(c, "/danger", runForm())
	<-done
	require.Equal(t, "done", res.body, res.body)
	require.Equal(t, 1, h.runCount())
	bodies := h.authorizeBodies()
	require.Len(t, bodies, 1)
	assert.Equal(t, frankAddr, bodies[0]["email"], "asked by address while no unloq_id is known")
	assert.NotContains(t, bodies[0], "unloq_id")

	// Once the store remembers the UNLOQ id, the push is addressed by it
	// alone.
	id := h.profileID(frankAddr)
	require.NoError(t, h.users.SetUnloqID(context.Background(), "u-frank", id))
	h.sim.Sim.ResetRequests()
	done = h.answer(frankAddr, true)
	res = h.postForm(c, "/danger", runForm())
	<-done
	require.Equal(t, "done", res.body, res.body)
	require.Equal(t, 2, h.runCount())
	bodies = h.authorizeBodies()
	require.Len(t, bodies, 1)
	assert.Equal(t, id, bodies[0]["unloq_id"], "asked by unloq_id")
	assert.NotContains(t, bodies[0], "email")
	auths := h.authorizations(frankAddr)
	require.Len(t, auths, 2)
	assert.Equal(t, id, auths[1].UnloqID, "the simulator routed it to that account")

	// The session's address is still checked against the store's user.
	other := h.browser()
	h.loginAs(other, "u-frank", "frank")
	res = h.postForm(other, "/danger", runForm())
	assert.Equal(t, http.StatusForbidden, res.status)
	assert.ErrorIs(t, h.lastErr(), stepup.ErrAccountChanged)
	assert.Equal(t, 2, h.runCount())
}

// TestUsernameWithoutAddressFunc: without WithUNLOQAddress a username is
// no UNLOQ address; the user is refused with ErrAddress and a page that
// says the account cannot use UNLOQ (not that UNLOQ is down), and UNLOQ is
// not called.
func TestUsernameWithoutAddressFunc(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	require.NoError(t, h.users.Put(context.Background(), store.User{ID: "u-gina", Email: "gina", SecondFactor: store.SecondFactorUNLOQ}))
	c := h.browser()
	h.loginAs(c, "u-gina", "gina")
	res := h.postForm(c, "/danger", runForm())
	assert.Equal(t, http.StatusConflict, res.status)
	assert.Contains(t, res.body, "cannot use UNLOQ")
	assert.NotContains(t, res.body, "cannot be reached")
	assert.ErrorIs(t, h.lastErr(), stepup.ErrAddress)
	assert.Empty(t, h.authorizeBodies())
	assert.Zero(t, h.runCount())

	_, err := stepup.New(h.sim.Client(t), h.sm, h.users, stepup.WithUNLOQAddress(nil))
	assert.Error(t, err)
}

// TestApprovalOfAnotherAccountRefused: a store whose remembered unloq_id
// is another person's sends the push there, but that person's approval
// (the reply names their e-mail) never counts for this user.
func TestApprovalOfAnotherAccountRefused(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	require.NoError(t, h.users.SetUnloqID(context.Background(), "u-alice", h.profileID(bob)))
	c := h.browser()
	h.loginAs(c, "u-alice", alice)
	done := h.answer(bob, true)
	res := h.postForm(c, "/danger", runForm())
	<-done
	assert.Equal(t, http.StatusForbidden, res.status, res.body)
	assert.ErrorIs(t, h.lastErr(), stepup.ErrAccountChanged)
	assert.Zero(t, h.runCount())
	assert.Empty(t, h.authorizations(alice))
}
