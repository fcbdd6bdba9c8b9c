package encryptionkey_test

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"

	"github.com/unloq2fa/unloq2fa/handlers/encryptionkey"
	"github.com/unloq2fa/unloq2fa/session"
	"github.com/unloq2fa/unloq2fa/store"
	"github.com/unloq2fa/unloq2fa/unloq"
	"github.com/unloq2fa/unloq2fa/unloq/unloqtest"
)

// A note is sealed with AES-GCM under a key derived from the user's UNLOQ
// encryption key, released by the phone for this one request.
func Example() {
	sim, _ := unloqtest.New()
	defer sim.Close()
	simSrv := httptest.NewServer(sim)
	defer simSrv.Close()
	client, _ := unloq.NewClient(sim.APIKey(), unloq.WithBaseURL(simSrv.URL+"/v1"), unloq.WithAllowHTTP())
	ctx := context.Background()
	_, _ = client.Enroll(ctx, unloq.EnrollRequest{Email: "ann@example.test"})
	_ = sim.Scan("ann@example.test")
	_ = sim.SetBehavior("ann@example.test", unloqtest.BehaviorApprove)
	_, _ = client.Authenticate(ctx, unloq.AuthenticateRequest{Email: "ann@example.test"})

	users := store.NewMemory()
	_ = users.Put(ctx, store.User{ID: "1", Email: "ann@example.test", SecondFactor: store.SecondFactorUNLOQ})
	sm, _ := session.NewManager(session.WithKeys([]byte(strings.Repeat("h", 32)), []byte(strings.Repeat("b", 32))), session.WithInsecureDevCookies())
	keys, err := encryptionkey.New(client, sm, users, encryptionkey.WithMessage("Open your notes"))
	if err != nil {
		fmt.Println(err)
		return
	}
	mux := http.NewServeMux()
	mux.Handle("POST /notes/seal", keys.With(func(w http.ResponseWriter, _ *http.Request, key []byte) {
		k := sha256.Sum256(key) // a 32-byte AES key from UNLOQ's key
		defer clear(k[:])
		block, _ := aes.NewCipher(k[:])
		gcm, _ := cipher.NewGCM(block)
		nonce := make([]byte, gcm.NonceSize())
		sealed := gcm.Seal(nil, nonce, []byte("my note"), nil)
		opened, err := gcm.Open(nil, nonce, sealed, nil)
		fmt.Fprintln(w, len(sealed) > len("my note"), string(opened), err)
	}))
	mux.HandleFunc("/login", func(w http.ResponseWriter, r *http.Request) { // the app's own login, shortened
		s, _ := sm.Load(r)
		_ = s.BeginLogin("1", "ann@example.test", true)
		_ = s.CompleteSecondFactor()
		_ = s.Save(w, r)
	})
	app := httptest.NewServer(mux)
	defer app.Close()

	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	_, _ = c.Get(app.URL + "/login")
	res, err := c.Post(app.URL+"/notes/seal", "", nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	fmt.Print(res.StatusCode, " ", string(b))
	// Output:
	// 200 true my note <nil>
}
