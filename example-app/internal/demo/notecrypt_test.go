package demo

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNoteCrypto(t *testing.T) {
	k1, err := noteKey([]byte("unloq-key-of-ann-0123456789abcdef"))
	require.NoError(t, err)
	k1again, err := noteKey([]byte("unloq-key-of-ann-0123456789abcdef"))
	require.NoError(t, err)
	assert.Equal(t, k1, k1again, "the same UNLOQ key gives the same note key")
	assert.Len(t, k1, 32)
	k2, err := noteKey([]byte("unloq-key-of-bob-0123456789abcdef"))
	require.NoError(t, err)
	assert.NotEqual(t, k1, k2)
	_, err = noteKey(nil)
	assert.Error(t, err)

	nonce, ct, err := sealNote(k1, "7", "hello")
	require.NoError(t, err)
	assert.NotContains(t, string(ct), "hello")
	got, err := openNote(k1, "7", nonce, ct)
	require.NoError(t, err)
	assert.Equal(t, "hello", got)

	nonce2, ct2, err := sealNote(k1, "7", "hello")
	require.NoError(t, err)
	assert.NotEqual(t, nonce, nonce2, "a fresh nonce per note")
	assert.NotEqual(t, ct, ct2)

	tampered := append([]byte(nil), ct...)
	tampered[0] ^= 1
	for name, open := range map[string]func() (string, error){
		"other key":   func() (string, error) { return openNote(k2, "7", nonce, ct) },
		"other user":  func() (string, error) { return openNote(k1, "8", nonce, ct) },
		"tampered":    func() (string, error) { return openNote(k1, "7", nonce, tampered) },
		"other nonce": func() (string, error) { return openNote(k1, "7", nonce2, ct) },
		"short nonce": func() (string, error) { return openNote(k1, "7", nonce[:4], ct) },
	} {
		text, err := open()
		assert.Error(t, err, name)
		assert.Empty(t, text, name)
	}
}
