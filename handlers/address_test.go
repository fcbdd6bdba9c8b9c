package handlers_test

import (
	"context"
	"net/http"
	"net/mail"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/handlers"
	"github.com/unloq2fa/unloq2fa/store"
	"github.com/unloq2fa/unloq2fa/unloq/unloqtest"
)

// TestUsernameIsRefusedAsAccountWithoutUNLOQ: an account whose "e-mail" is
// a username cannot use UNLOQ. It is refused locally with CodeAddress and
// the page says so; it must not say UNLOQ is down (it used to: the client
// refused the "malformed email" and the page said "UNLOQ cannot be reached
// right now").
func TestUsernameIsRefusedAsAccountWithoutUNLOQ(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	require.NoError(t, e.users.Put(ctx, storeUser("7", "frank", false)))
	b := e.browser()
	b.loginVerified("7", "frank")
	enrolls, auths := e.countRequests("/v1/enroll"), e.countRequests("/v1/authenticate")

	r := b.post("/settings/2fa/enable", nil)
	assert.Equal(t, http.StatusConflict, r.code, r.String())
	assert.Contains(t, r.body, "cannot use UNLOQ")
	assert.NotContains(t, r.body, "cannot be reached")
	ev, ok := e.events.last(handlers.EventFailed)
	require.True(t, ok)
	assert.ErrorIs(t, ev.Err, handlers.CodeAddress)
	assert.NotErrorIs(t, ev.Err, handlers.CodeUnavailable)
	assert.Equal(t, enrolls, e.countRequests("/v1/enroll"), "UNLOQ is not called")
	assert.Empty(t, e.user("7").SecondFactor)

	// JSON clients get the specific code.
	r = b.do(http.MethodPost, "/settings/2fa/enable", url.Values{}, map[string]string{"Accept": "application/json"})
	assert.Equal(t, http.StatusConflict, r.code, r.String())
	assert.Contains(t, r.body, `"no_unloq_address"`)

	// A username account with UNLOQ on (set by hand) cannot start a login
	// that would push to a username.
	require.NoError(t, e.users.Put(ctx, storeUser("8", "gina", true)))
	r = e.browser().post("/login", url.Values{"user_id": {"8"}})
	assert.NotEqual(t, http.StatusSeeOther, r.code, r.String())
	ev, ok = e.events.last(handlers.EventFailed)
	require.True(t, ok)
	assert.ErrorIs(t, ev.Err, handlers.CodeAddress)
	assert.Equal(t, auths, e.countRequests("/v1/authenticate"))
}

func TestUNLOQAddressFuncRefusal(t *testing.T) {
	refuse := func(u store.User) (string, error) {
		if u.ID == "3" {
			return "", assert.AnError
		}
		return u.Email, nil
	}
	e := newEnv(t, withHandlerOpts(handlers.WithUNLOQAddress(refuse)))
	b := e.browser()
	b.loginVerified("3", carol)
	r := b.post("/settings/2fa/enable", nil)
	assert.Equal(t, http.StatusConflict, r.code, r.String())
	assert.Contains(t, r.body, "cannot use UNLOQ")
	ev, ok := e.events.last(handlers.EventFailed)
	require.True(t, ok)
	assert.ErrorIs(t, ev.Err, handlers.CodeAddress)
	assert.ErrorIs(t, ev.Err, assert.AnError, "the function's error is kept")

	_, err := handlers.New(e.client, e.sm, e.users, handlers.WithUNLOQAddress(nil))
	assert.Error(t, err)
}

// TestVirtualAddressUsernameOnlyApp: users without an e-mail address
// (username logins) turn two-step on with a virtual UNLOQ address and log
// in with push approval, end to end against the simulator.
func TestVirtualAddressUsernameOnlyApp(t *testing.T) {
	virtual, err := handlers.VirtualAddress("Users.Example.TEST")
	require.NoError(t, err)
	e := newEnv(t, withHandlerOpts(handlers.WithUNLOQAddress(virtual)))
	ctx := context.Background()
	for _, id := range []string{"hank", "Ivy.Lee"} {
		t.Run(id, func(t *testing.T) {
			require.NoError(t, e.users.Put(ctx, store.User{ID: id})) // no e-mail at all
			addr, err := virtual(store.User{ID: id})
			require.NoError(t, err)
			assert.True(t, strings.HasSuffix(addr, "@users.example.test"), addr)

			b := e.browser()
			b.loginVerified(id, "")
			r := b.post("/settings/2fa/enable", nil)
			require.Equal(t, http.StatusOK, r.code, r.String())
			require.NoError(t, e.sim.Sim.Scan(addr), "the pairing is for the virtual address")
			e.behave(addr, unloqtest.BehaviorApprove)
			r = b.post("/settings/2fa/enable", url.Values{"step": {"confirm"}})
			require.Equal(t, http.StatusSeeOther, r.code, r.String())
			u := e.user(id)
			assert.Equal(t, store.SecondFactorUNLOQ, u.SecondFactor)
			assert.NotEmpty(t, u.UnloqID, "the first approval's unloq_id is remembered")

			// A new login asks the phone of the virtual profile.
			b2 := e.browser()
			b2.login(id, "/dashboard")
			n := len(e.sim.Sim.Approvals(addr, ""))
			r = b2.post("/login/two-step", nil)
			require.Equal(t, http.StatusSeeOther, r.code, r.String())
			assert.Equal(t, "/dashboard", r.loc)
			assert.Equal(t, "verified", b2.state().State)
			assert.Len(t, e.sim.Sim.Approvals(addr, ""), n+1)

			// And the widget is given the virtual address.
			b3 := e.browser()
			b3.login(id, "")
			r = b3.get("/login/two-step")
			assert.Contains(t, r.body, addr)
		})
	}
}

func TestVirtualAddressMapping(t *testing.T) {
	f, err := handlers.VirtualAddress("id.example.com")
	require.NoError(t, err)
	long := strings.Repeat("z", 65)
	ids := []string{"carl", "carl_2-x", "Carl", "CARL", "c.arl", "carl+1", "carl@x", "ünï", "x.mnqxe3a", "h.abc", long, long + "1", "1", "-"}
	seen := map[string]string{}
	for _, id := range ids {
		addr, err := f(store.User{ID: id, Email: "ignored@example.org"})
		require.NoError(t, err, id)
		again, _ := f(store.User{ID: id})
		assert.Equal(t, addr, again, "deterministic")
		for i := 0; i < len(addr); i++ {
			require.Less(t, addr[i], byte(0x80), "ASCII only: %q", addr)
		}
		a, err := mail.ParseAddress(addr)
		require.NoError(t, err, addr)
		assert.Equal(t, addr, a.Address)
		local, domain, _ := strings.Cut(addr, "@")
		assert.LessOrEqual(t, len(local), 64, addr)
		assert.Equal(t, "id.example.com", domain)
		key := strings.ToLower(addr) // distinct even if UNLOQ ignores case
		if other, dup := seen[key]; dup {
			t.Fatalf("ids %q and %q share the address %q", other, id, addr)
		}
		seen[key] = id
	}
	addr, _ := f(store.User{ID: "carl"})
	assert.Equal(t, "carl@id.example.com", addr, "a safe id is used as is")

	_, err = f(store.User{})
	assert.Error(t, err, "empty id")
	for _, bad := range []string{"", "localhost", "exa mple.com", "-a.com", "a-.com", "a..com", "éxample.com", "a.com.", "a_b.com", strings.Repeat("a", 64) + ".com"} {
		_, err := handlers.VirtualAddress(bad)
		assert.Error(t, err, "domain %q", bad)
	}
}
