package unloq

import (
	"context"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
)

// EncryptionRequest is the body of POST /encryption/user.
type EncryptionRequest struct {
	UnloqID     ID     // UnloqID or Email is required
	Email       string //
	Message     string // shown on the device
	RequesterID ID     // UnloqID of the requesting UNLOQ user
	// PublicKey is a PEM RSA public key; when set, the encryption key comes
	// back RSA-encrypted and base64-encoded (see DecryptEncryptionKey).
	PublicKey string
	// GenerateToken asks for a one-time access token instead of the key;
	// POST /token then carries encryption_key. It is always sent, so the
	// outcome never depends on the server's default (documented as false).
	GenerateToken bool
	IP            string
}

// EncryptionResult is the result of POST /encryption/user.
type EncryptionResult struct {
	UnloqID       ID
	Token         string // set with GenerateToken; POST /token then carries encryption_key
	EncryptionKey string // set without GenerateToken
}

// RequestEncryptionKey asks the user's device for their encryption key
// (POST /encryption/user). It blocks like Authenticate and is never retried.
func (c *Client) RequestEncryptionKey(ctx context.Context, req EncryptionRequest) (*EncryptionResult, error) {
	const op = "encryption"
	if req.UnloqID == "" && req.Email == "" {
		return nil, invalidRequest(op, "unloq_id or email is required")
	}
	if err := checkEmail(op, req.Email, false); err != nil {
		return nil, err
	}
	body := jsonBody{}
	body.id("unloq_id", req.UnloqID)
	body.str("email", req.Email)
	body.str("message", req.Message)
	body.id("requester_id", req.RequesterID)
	body.str("public_key", req.PublicKey)
	body["generate_token"] = req.GenerateToken
	body.str("ip", req.IP)
	var w tokenWire
	if err := c.do(ctx, apiCall{op: op, method: http.MethodPost, path: "encryption/user", body: body, approval: true}, &w); err != nil {
		return nil, err
	}
	return &EncryptionResult{UnloqID: w.unloqID(), Token: string(w.Token), EncryptionKey: string(w.EncryptionKey)}, nil
}

// DecryptEncryptionKey decodes a base64 encryption_key that UNLOQ encrypted
// with the caller's RSA public key and decrypts it with priv. UNLOQ does
// not document its padding, so it tries RSA-OAEP with SHA-256
// (what the local simulator uses), then RSA-OAEP with SHA-1 (the default of
// Node's crypto.publicEncrypt, which UNLOQ's servers run on), then PKCS#1
// v1.5. (The fallbacks are safe here: the caller decrypts a value received
// from UNLOQ and exposes no decryption oracle.)
func DecryptEncryptionKey(priv *rsa.PrivateKey, encoded string) ([]byte, error) {
	if priv == nil {
		return nil, errors.New("unloq: decrypt encryption key: nil private key")
	}
	encoded = strings.Join(strings.Fields(encoded), "")
	if encoded == "" {
		return nil, errors.New("unloq: decrypt encryption key: empty input")
	}
	ct, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil {
		ct, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(encoded, "="))
		if err != nil {
			return nil, errors.New("unloq: decrypt encryption key: input is not base64")
		}
	}
	if pt, err := rsa.DecryptOAEP(sha256.New(), nil, priv, ct, nil); err == nil {
		return pt, nil
	}
	if pt, err := rsa.DecryptOAEP(sha1.New(), nil, priv, ct, nil); err == nil {
		return pt, nil
	}
	// PKCS#1 v1.5 is deprecated; it is kept only as a fallback for UNLOQ's
	// undocumented padding.
	if pt, err := rsa.DecryptPKCS1v15(nil, priv, ct); err == nil {
		return pt, nil
	}
	return nil, errors.New("unloq: decrypt encryption key: decryption failed (tried RSA-OAEP SHA-256, RSA-OAEP SHA-1, PKCS#1 v1.5)")
}
