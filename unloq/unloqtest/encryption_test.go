package unloqtest_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"regexp"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/unloq"
	"github.com/unloq2fa/unloq2fa/unloq/unloqtest"
)

func TestWithEncryptionKeyLength(t *testing.T) {
	for _, n := range []int{-1, 0, 16, 31, 65, 128} {
		_, err := unloqtest.New(unloqtest.WithEncryptionKeyLength(n))
		assert.Error(t, err, "length %d", n)
	}
	for _, n := range []int{32, 48, 64} {
		sim, err := unloqtest.New(unloqtest.WithEncryptionKeyLength(n))
		require.NoError(t, err, "length %d", n)
		require.NoError(t, sim.Close())
	}
}

var keyChars = regexp.MustCompile(`^[A-Za-z0-9]+$`)

// TestEncryptionKeyPerAccount: one key per account and application, of the
// configured length, the same on every request and through POST /token,
// the same after deactivation and re-enrollment, different for another
// account, and RSA-encrypted to the public key when one is sent (the Go
// client's DecryptEncryptionKey reads it).
func TestEncryptionKeyPerAccount(t *testing.T) {
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	der, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	require.NoError(t, err)
	pubPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))

	for _, length := range []int{0, 32, 64} { // 0: the default
		t.Run("length "+strconv.Itoa(length), func(t *testing.T) {
			var opts []unloqtest.Option
			want := 32
			if length != 0 {
				opts = append(opts, unloqtest.WithEncryptionKeyLength(length))
				want = length
			}
			srv := unloqtest.NewServer(t, opts...)
			c := srv.Client(t)
			login := func(email string) unloq.ID {
				t.Helper()
				require.NoError(t, srv.Sim.SetBehavior(email, unloqtest.BehaviorApprove))
				res, err := c.Authenticate(ctx(t), unloq.AuthenticateRequest{Email: email})
				require.NoError(t, err)
				return res.UnloqID
			}
			encrypted := func(id unloq.ID) []byte {
				t.Helper()
				res, err := c.RequestEncryptionKey(ctx(t), unloq.EncryptionRequest{UnloqID: id, PublicKey: pubPEM})
				require.NoError(t, err)
				assert.NotContains(t, res.EncryptionKey, "-", "the key is encrypted, not sent in clear")
				k, err := unloq.DecryptEncryptionKey(priv, res.EncryptionKey)
				require.NoError(t, err)
				return k
			}

			enrollScanned(t, srv, c, alice)
			id := login(alice)
			k1 := encrypted(id)
			assert.Len(t, k1, want)
			assert.Regexp(t, keyChars, string(k1))

			assert.Equal(t, k1, encrypted(id), "stable across requests")
			plain, err := c.RequestEncryptionKey(ctx(t), unloq.EncryptionRequest{Email: alice})
			require.NoError(t, err)
			assert.Equal(t, string(k1), plain.EncryptionKey, "without a public key the key itself is returned")

			viaToken, err := c.RequestEncryptionKey(ctx(t), unloq.EncryptionRequest{UnloqID: id, PublicKey: pubPEM, GenerateToken: true})
			require.NoError(t, err)
			require.NotEmpty(t, viaToken.Token)
			td, err := c.Token(ctx(t), unloq.TokenRequest{Token: viaToken.Token})
			require.NoError(t, err)
			k3, err := unloq.DecryptEncryptionKey(priv, td.EncryptionKey)
			require.NoError(t, err)
			assert.Equal(t, k1, k3, "the same key through POST /token")

			// Deactivation and re-enrollment keep the key.
			require.NoError(t, c.Deactivate(ctx(t), alice))
			enrollScanned(t, srv, c, alice)
			id2 := login(alice)
			assert.Equal(t, id, id2)
			assert.Equal(t, k1, encrypted(id2), "stable across deactivation and re-enrollment")

			// Another account has another key.
			const bob = "bob@example.test"
			enrollScanned(t, srv, c, bob)
			kb := encrypted(login(bob))
			assert.Len(t, kb, want)
			assert.NotEqual(t, k1, kb)
		})
	}
}
