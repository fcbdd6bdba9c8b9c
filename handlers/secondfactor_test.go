package handlers_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/handlers"
	"github.com/unloq2fa/unloq2fa/store"
)

// rawStore is an application's own UserStore that returns whatever its
// table holds, without validating second_factor.
type rawStore struct {
	mu    sync.Mutex
	users map[string]store.User
}

func (s *rawStore) User(_ context.Context, id string) (store.User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[id]
	if !ok {
		return store.User{}, store.ErrUserNotFound
	}
	return u, nil
}

func (s *rawStore) SetSecondFactor(_ context.Context, id, v string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[id]
	if !ok {
		return store.ErrUserNotFound
	}
	u.SecondFactor = v
	s.users[id] = u
	return nil
}

func (s *rawStore) set(u store.User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[u.ID] = u
}

var badSecondFactors = []string{"unloq", "Unloq", " UNLOQ", "UNLOQ ", "UNLOQ\n", "UNLOQ\x00", "\u0055NLOQ\u200b", "true", "1", "TOTP", "NULL"}

// TestAttackUnknownSecondFactor: a custom store that returns a
// second_factor other than exactly "UNLOQ" or "" (say "unloq") must not
// log the user straight in: LogIn fails closed with a typed
// error, writes nothing, and the settings routes refuse too. (It was
// taken for "no second factor".)
func TestAttackUnknownSecondFactor(t *testing.T) {
	e := newEnv(t)
	raw := &rawStore{users: map[string]store.User{}}
	h, err := handlers.New(e.client, e.sm, raw)
	require.NoError(t, err)
	for _, v := range badSecondFactors {
		t.Run(v, func(t *testing.T) {
			raw.set(store.User{ID: "9", Email: alice, SecondFactor: v})
			w := httptest.NewRecorder()
			r := httptest.NewRequest(http.MethodPost, "/login", nil)
			err := h.LogIn(w, r, "9", "/x")
			require.Error(t, err)
			assert.ErrorIs(t, err, handlers.CodeStore)
			assert.ErrorIs(t, err, store.ErrInvalidSecondFactor)
			var typed *store.InvalidSecondFactorError
			require.ErrorAs(t, err, &typed)
			assert.Equal(t, v, typed.Value)
			assert.True(t, strings.HasPrefix(err.Error(), "handlers: "), err.Error())
			assert.Empty(t, w.Header().Values("Set-Cookie"), "no session saved")
			assert.Empty(t, w.Header().Get("Location"), "no redirect")
			assert.Equal(t, http.StatusOK, w.Code, "nothing written")
			assert.Zero(t, w.Body.Len())
		})
	}
}

// TestUnknownSecondFactorInSettings: a verified user whose stored
// second_factor is unknown can neither enable nor disable (a clear page,
// no push, no store write), and a pending login of such a user cannot
// complete.
func TestUnknownSecondFactorInSettings(t *testing.T) {
	for _, v := range []string{"unloq", " UNLOQ"} {
		t.Run(v, func(t *testing.T) {
			e := newEnv(t)
			e.behave(alice, "approve")
			b := e.browser()
			b.loginVerified("1", alice)
			pending := e.browser()
			pending.login("2", "/x")
			pushes := e.countRequests("/v1/authenticate")
			e.users.setRawSecondFactor("1", v)
			e.users.setRawSecondFactor("2", v)
			for _, path := range []string{"/settings/2fa/enable", "/settings/2fa/disable"} {
				r := b.post(path, url.Values{})
				assert.Equal(t, http.StatusInternalServerError, r.code, r.String())
				assert.Contains(t, r.body, `data-code="invalid_second_factor"`, r.String())
				assert.Contains(t, r.body, "contact the site", r.String())
			}
			e.behave(bob, "approve")
			r := pending.post("/login/two-step", nil)
			assert.Equal(t, http.StatusInternalServerError, r.code, r.String())
			assert.Contains(t, r.body, `data-code="invalid_second_factor"`, r.String())
			assert.Equal(t, "pending", pending.state().State)
			assert.Equal(t, pushes, e.countRequests("/v1/authenticate"), "no push")
			assert.Zero(t, e.users.setCount())
		})
	}
}
