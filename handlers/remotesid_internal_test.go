package handlers

import (
	"bytes"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/session"
	"github.com/unloq2fa/unloq2fa/store"
	"github.com/unloq2fa/unloq2fa/unloq"
)

// TestRemoteSIDCarriesUserOnlyWithWebhook: the sid sent to UNLOQ names the
// app's user only when the remote-logout webhook is mounted to act on it;
// otherwise UNLOQ gets the login's hash alone.
func TestRemoteSIDCarriesUserOnlyWithWebhook(t *testing.T) {
	sm, err := session.NewManager(session.WithKeys(bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)))
	require.NoError(t, err)
	sess, err := sm.Load(httptest.NewRequest("GET", "/", nil))
	require.NoError(t, err)
	require.NoError(t, sess.BeginLogin("user-42", "ann@example.test", true))
	cl, err := unloq.NewClient("key")
	require.NoError(t, err)

	plain, err := New(cl, sm, store.NewMemory())
	require.NoError(t, err)
	sid := plain.remoteSID(sess)
	assert.Equal(t, sidFor(sess.LoginID()), sid, "the hash alone")
	assert.Len(t, sid, 32)

	hooked, err := New(cl, sm, store.NewMemory(), WithRemoteLogout("webhook-secret"))
	require.NoError(t, err)
	sid = hooked.remoteSID(sess)
	assert.True(t, strings.HasPrefix(sid, sidFor(sess.LoginID())+"."), sid)
	uid, _, ok := parseRemoteSID(sid)
	require.True(t, ok)
	assert.Equal(t, "user-42", uid, "the webhook can name the user")
}
