package hostapp

import (
	"encoding/hex"
	"errors"
	"net/http"
	"os"

	"github.com/gorilla/csrf"

	"github.com/unloq2fa/unloq2fa/handlers"
	"github.com/unloq2fa/unloq2fa/middleware"
	"github.com/unloq2fa/unloq2fa/session"
	"github.com/unloq2fa/unloq2fa/store"
)

// setupTwoFA is what adopting unloq2fa added to the app (with the lines
// of app.go marked "// unloq2fa").
func (a *App) setupTwoFA() error {
	if len(a.cfg.SessionHash) != 32 || len(a.cfg.SessionBlk) != 32 {
		return errors.New("hostapp: session keys must be 32 bytes each")
	}
	opts := []session.Option{session.WithKeys(a.cfg.SessionHash, a.cfg.SessionBlk)}
	if a.cfg.PlainHTTP {
		opts = append(opts, session.WithInsecureDevCookies())
	}
	sm, err := session.NewManager(opts...)
	if err != nil {
		return err
	}
	a.store = store.NewMemory() // in a real app: store.NewSQL(db) over the users table
	hopts := []handlers.Option{
		handlers.WithPaths(handlers.Paths{AfterLogin: "/dashboard"}),
		handlers.WithFormField(csrf.TemplateField), // the app's CSRF token in every form
		handlers.WithExtraExemptions(middleware.Exemption{Method: http.MethodGet, Path: "/api/stats"}),
	}
	if a.cfg.UNLOQ == nil {
		hopts = append(hopts, handlers.Disabled())
	}
	a.twoFA, err = handlers.New(a.cfg.UNLOQ, sm, a.store, hopts...)
	return err
}

// SessionKeysFromEnv reads the two session keys, hex-encoded 32 bytes each
// (openssl rand -hex 32), from SESSION_HASH_KEY and SESSION_BLOCK_KEY.
func SessionKeysFromEnv() (hashKey, blockKey []byte, err error) {
	hashKey, err1 := hex.DecodeString(os.Getenv("SESSION_HASH_KEY"))
	blockKey, err2 := hex.DecodeString(os.Getenv("SESSION_BLOCK_KEY"))
	if err := errors.Join(err1, err2); err != nil || len(hashKey) != 32 || len(blockKey) != 32 {
		return nil, nil, errors.New("hostapp: SESSION_HASH_KEY and SESSION_BLOCK_KEY must be 32 bytes, hex")
	}
	return hashKey, blockKey, nil
}
