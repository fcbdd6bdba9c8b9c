package unloq

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testRSAKey is generated once per test binary (2048-bit).
var testRSAKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

func publicPEM(t *testing.T, pub *rsa.PublicKey) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	require.NoError(t, err)
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

func TestRequestEncryptionKeyWire(t *testing.T) {
	tests := []struct {
		name   string
		req    EncryptionRequest
		result string
		want   string
		res    EncryptionResult
	}{
		{
			name:   "token mode",
			req:    EncryptionRequest{UnloqID: "1234", Message: "why", RequesterID: "99", GenerateToken: true, IP: "203.0.113.5"},
			result: `{"unloq_id":"1234","token":"AUenc"}`,
			want:   `{"unloq_id":"1234","message":"why","requester_id":"99","generate_token":true,"ip":"203.0.113.5"}`,
			res:    EncryptionResult{UnloqID: "1234", Token: "AUenc"},
		},
		{
			name:   "direct key by email",
			req:    EncryptionRequest{Email: "u@x.test"},
			result: `{"unloq_id":1234,"encryption_key":"a2V5"}`,
			want:   `{"email":"u@x.test","generate_token":false}`,
			res:    EncryptionResult{UnloqID: "1234", EncryptionKey: "a2V5"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, rc, _ := newTestClient(t, ok("api.application.approval.encryption", tt.result))
			res, err := c.RequestEncryptionKey(context.Background(), tt.req)
			require.NoError(t, err)
			assert.Equal(t, tt.res, *res)
			req := rc.last(t)
			assert.Equal(t, http.MethodPost, req.Method)
			assert.Equal(t, "/v1/encryption/user", req.Path)
			requireGen2Headers(t, req, true)
			requireJSONBody(t, tt.want, req.Body)
		})
	}
	t.Run("validation", func(t *testing.T) {
		c, rc, _ := newTestClient(t, ok("x", `{}`))
		_, err := c.RequestEncryptionKey(context.Background(), EncryptionRequest{Message: "m"})
		requireAPIError(t, err, "encryption", codeInvalidRequest, 0)
		assert.Empty(t, rc.all())
	})
}

// TestEncryptionRoundTrip: the server encrypts the user's key with the
// public key from the request; the caller decrypts it.
func TestEncryptionRoundTrip(t *testing.T) {
	priv := testRSAKey()
	userKey := []byte("0123456789abcdef0123456789abcdef")
	c, _, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			PublicKey string `json:"public_key"`
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			http.Error(w, "bad", 400)
			return
		}
		block, _ := pem.Decode([]byte(body.PublicKey))
		pub, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			http.Error(w, "bad key", 400)
			return
		}
		ct, err := rsa.EncryptOAEP(sha256.New(), rand.Reader, pub.(*rsa.PublicKey), userKey, nil)
		if err != nil {
			http.Error(w, "enc", 500)
			return
		}
		ok("api.application.approval.encryption",
			fmt.Sprintf(`{"unloq_id":"1","encryption_key":%q}`, base64.StdEncoding.EncodeToString(ct)))(w, r)
	})
	res, err := c.RequestEncryptionKey(context.Background(), EncryptionRequest{UnloqID: "1", PublicKey: publicPEM(t, &priv.PublicKey)})
	require.NoError(t, err)
	got, err := DecryptEncryptionKey(priv, res.EncryptionKey)
	require.NoError(t, err)
	assert.Equal(t, userKey, got)
}

func TestDecryptEncryptionKey(t *testing.T) {
	priv := testRSAKey()
	secret := []byte("user-encryption-key-32-bytes-xx!")
	oaep, err := rsa.EncryptOAEP(sha256.New(), rand.Reader, &priv.PublicKey, secret, nil)
	require.NoError(t, err)
	pkcs1, err := rsa.EncryptPKCS1v15(rand.Reader, &priv.PublicKey, secret)
	require.NoError(t, err)
	oaepSHA1, err := rsa.EncryptOAEP(sha1.New(), rand.Reader, &priv.PublicKey, secret, nil)
	require.NoError(t, err)
	other, err := rsa.GenerateKey(rand.Reader, 1024) //nolint:gosec // small key only for a wrong-key test
	require.NoError(t, err)
	b64 := base64.StdEncoding.EncodeToString

	wrapped := b64(oaep)
	wrapped = wrapped[:64] + "\n" + wrapped[64:128] + "\r\n " + wrapped[128:]

	tests := []struct {
		name    string
		priv    *rsa.PrivateKey
		in      string
		wantErr bool
	}{
		{"OAEP SHA-256", priv, b64(oaep), false},
		{"PKCS#1 v1.5 fallback", priv, b64(pkcs1), false},
		{"line-wrapped base64", priv, wrapped, false},
		{"unpadded base64", priv, strings.TrimRight(b64(oaep), "="), false},
		{"OAEP SHA-1 (Node's publicEncrypt default)", priv, b64(oaepSHA1), false},
		{"wrong key", other, b64(oaep), true},
		{"not base64", priv, "!!!not base64!!!", true},
		{"empty", priv, "  ", true},
		{"nil key", nil, b64(oaep), true},
		{"garbage ciphertext", priv, b64([]byte("short")), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecryptEncryptionKey(tt.priv, tt.in)
			if tt.wantErr {
				require.Error(t, err)
				assert.Nil(t, got)
				assert.True(t, strings.HasPrefix(err.Error(), "unloq: decrypt encryption key: "), err.Error())
				return
			}
			require.NoError(t, err)
			assert.Equal(t, secret, got)
		})
	}
}
