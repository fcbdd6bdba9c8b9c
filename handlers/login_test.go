package handlers_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/handlers"
	"github.com/unloq2fa/unloq2fa/unloq/unloqtest"
)

func TestLogInWithoutSecondFactor(t *testing.T) {
	e := newEnv(t)
	for _, tc := range nextCases {
		t.Run(tc.next, func(t *testing.T) {
			b := e.browser()
			r := b.post("/login", url.Values{"user_id": {"3"}, "next": {tc.next}})
			require.Equal(t, http.StatusSeeOther, r.code)
			want := "/"
			if tc.ok {
				want = tc.next
			}
			assert.Equal(t, want, r.loc)
			assert.Equal(t, "verified", b.state().State)
		})
	}
	assert.Zero(t, e.countRequests("/v1/authenticate"))
}

func TestLogInRemembersSafeNextOnly(t *testing.T) {
	e := newEnv(t)
	e.behave(alice, unloqtest.BehaviorApprove)
	for _, tc := range []struct{ next, want string }{
		{"/reports?id=7", "/reports?id=7"},
		{"//evil.com", "/"},
		{"/%2F%2Fevil.com", "/"},
		{"https://evil.com/", "/"},
		{"", "/"},
	} {
		b := e.browser()
		b.login("1", tc.next)
		r := b.post("/login/two-step", nil)
		require.Equal(t, http.StatusSeeOther, r.code, r.String())
		assert.Equal(t, tc.want, r.loc, tc.next)
	}
}

func TestLogInRenewsSession(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.loginVerified("3", carol)
	first := b.state()
	b.login("1", "")
	second := b.state()
	assert.Equal(t, "pending", second.State)
	assert.Equal(t, "1", second.UserID)
	assert.NotEqual(t, first.LoginID, second.LoginID)
}

func TestLogInStoreError(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.loginVerified("3", carol)
	before := b.state()
	e.users.failUser(assert.AnError)
	r := b.post("/login", url.Values{"user_id": {"1"}})
	assert.Equal(t, http.StatusServiceUnavailable, r.code)
	assert.Empty(t, r.hdr.Values("Set-Cookie"), "no session change")
	e.users.failUser(nil)
	assert.Equal(t, before, b.state())
	ev, ok := e.events.last(handlers.EventFailed)
	require.True(t, ok)
	assert.ErrorIs(t, ev.Err, handlers.CodeStore)
	assert.ErrorIs(t, ev.Err, assert.AnError)

	// An unknown user is a store error too.
	r = b.post("/login", url.Values{"user_id": {"404"}})
	assert.Equal(t, http.StatusServiceUnavailable, r.code)
	assert.Equal(t, before, b.state())
}

func TestLogInJSON(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	r := b.do(http.MethodPost, "/login", url.Values{"user_id": {"1"}, "next": {"/x"}}, map[string]string{"Accept": "application/json"})
	require.Equal(t, http.StatusOK, r.code)
	assert.JSONEq(t, `{"two_step":true,"redirect":"/login/two-step"}`, r.body)
	b = e.browser()
	r = b.do(http.MethodPost, "/login", url.Values{"user_id": {"3"}, "next": {"/x"}}, map[string]string{"Accept": "application/json"})
	assert.JSONEq(t, `{"two_step":false,"redirect":"/x"}`, r.body)
}
