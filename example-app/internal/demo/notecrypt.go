package demo

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
)

// How a note is encrypted.
//
// The key comes from UNLOQ: the user's encryption key for this
// application, which the phone releases on approval and which is the same
// for the account every time. The app never stores it. For each request
// that needs it, the app derives a 256-bit AES key from it with HKDF-SHA256
// (RFC 5869; no salt, the info string noteKeyInfo, so that the derived key
// serves this one purpose) and seals the note with AES-256-GCM under a
// fresh random 96-bit nonce. The additional data binds the ciphertext to
// the account (noteAAD), so a row copied to another user's id does not
// decrypt. The notes table keeps only the nonce and the ciphertext (with
// GCM's 16-byte tag); both keys are cleared when the request is done.
const noteKeyInfo = "unloq2fa demo: encrypted notes, AES-256-GCM, v1"

// noteKey derives the AES-256 key of the notes from the user's UNLOQ
// encryption key. The caller clears the result after use.
func noteKey(unloqKey []byte) ([]byte, error) {
	if len(unloqKey) == 0 {
		return nil, errors.New("demo: note key: empty UNLOQ key")
	}
	k, err := hkdf.Key(sha256.New, unloqKey, nil, noteKeyInfo, 32)
	if err != nil {
		return nil, fmt.Errorf("demo: note key: %w", err)
	}
	return k, nil
}

func noteAAD(userID string) []byte { return []byte("unloq2fa demo note\x00user=" + userID) }

func noteAEAD(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("demo: note cipher: %w", err)
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("demo: note cipher: %w", err)
	}
	return gcm, nil
}

// sealNote encrypts text for userID under key (from noteKey).
func sealNote(key []byte, userID, text string) (nonce, ciphertext []byte, err error) {
	gcm, err := noteAEAD(key)
	if err != nil {
		return nil, nil, err
	}
	nonce = make([]byte, gcm.NonceSize())
	_, _ = rand.Read(nonce) // crypto/rand.Read never fails
	return nonce, gcm.Seal(nil, nonce, []byte(text), noteAAD(userID)), nil
}

// openNote decrypts a note of userID with key (from noteKey). A wrong key,
// a note of another user or any change to nonce or ciphertext fails.
func openNote(key []byte, userID string, nonce, ciphertext []byte) (string, error) {
	gcm, err := noteAEAD(key)
	if err != nil {
		return "", err
	}
	if len(nonce) != gcm.NonceSize() {
		return "", errors.New("demo: open note: bad nonce")
	}
	pt, err := gcm.Open(nil, nonce, ciphertext, noteAAD(userID))
	if err != nil {
		return "", errors.New("demo: open note: the note does not decrypt with this key")
	}
	return string(pt), nil
}
