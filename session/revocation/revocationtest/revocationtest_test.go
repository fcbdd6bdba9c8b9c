package revocationtest_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/session/revocation"
	"github.com/unloq2fa/unloq2fa/session/revocation/revocationtest"
)

// brokenEnv selects, in a child test process, the flaw of the store that
// TestBrokenStoreChild runs the suite against.
const brokenEnv = "REVOCATIONTEST_BROKEN_STORE"

// broken is a deliberately wrong Store: each flaw breaks one rule.
type broken struct {
	flaw   string
	mu     sync.Mutex
	logins map[string]bool
	order  []string
	epochs map[string]time.Time
}

func (b *broken) key(user, login string) string {
	switch b.flaw {
	case "unscoped":
		return login
	case "concat":
		return user + ":" + login
	}
	return fmt.Sprintf("%d:%s:%s", len(user), user, login)
}

func (b *broken) RevokeLogin(_ context.Context, user, login string, until time.Time) error {
	if b.flaw != "noinvalid" && (user == "" || login == "") {
		return revocation.ErrInvalid
	}
	if b.flaw != "pastkeeps" && !until.After(time.Now()) {
		return nil
	}
	if b.flaw == "ignorelogin" {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	k := b.key(user, login)
	b.logins[k] = true
	b.order = append(b.order, k)
	if b.flaw == "forget" && len(b.order) > 100 {
		delete(b.logins, b.order[0])
		b.order = b.order[1:]
	}
	return nil
}

func (b *broken) RevokeUser(_ context.Context, user string, before, until time.Time) error {
	if b.flaw != "noinvalid" && user == "" {
		return revocation.ErrInvalid
	}
	if b.flaw != "pastkeeps" && !until.After(time.Now()) {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if old, ok := b.epochs[user]; ok && old.After(before) && b.flaw != "overwrite" {
		return nil
	}
	b.epochs[user] = before
	return nil
}

func (b *broken) Revoked(_ context.Context, user, login string, issued time.Time) (bool, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.logins[b.key(user, login)] {
		return true, nil
	}
	e, ok := b.epochs[user]
	if !ok {
		return false, nil
	}
	if b.flaw == "exclusive" {
		return issued.Before(e), nil
	}
	return !issued.After(e), nil
}

// TestBrokenStoreChild runs the suite against a broken store; it only runs
// in the child processes of TestRunCatchesBrokenStores.
func TestBrokenStoreChild(t *testing.T) {
	flaw := os.Getenv(brokenEnv)
	if flaw == "" {
		t.Skip("child process of TestRunCatchesBrokenStores")
	}
	revocationtest.Run(t, func(t *testing.T) revocation.Store {
		return &broken{flaw: flaw, logins: map[string]bool{}, epochs: map[string]time.Time{}}
	})
}

func TestRunCatchesBrokenStores(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	tests := []struct {
		flaw     string
		failures []string // subtests that must fail
	}{
		{"none", nil},
		{"ignorelogin", []string{"RevokeLogin", "LoginScopedToUser", "ManyLoginsNeverForgotten", "ManyUsersNeverForgotten", "Concurrent"}},
		{"unscoped", []string{"LoginScopedToUser"}},
		{"concat", []string{"LoginScopedToUser"}},
		{"exclusive", []string{"RevokeUserBoundary"}},
		{"overwrite", []string{"RevokeUserMonotonic"}},
		{"forget", []string{"ManyLoginsNeverForgotten"}},
		{"pastkeeps", []string{"PastUntil"}},
		{"noinvalid", []string{"Invalid"}},
	}
	for _, tc := range tests {
		t.Run(tc.flaw, func(t *testing.T) {
			t.Parallel()
			cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestBrokenStoreChild$", "-test.v", "-test.count=1")
			cmd.Env = append(os.Environ(), brokenEnv+"="+tc.flaw)
			out, err := cmd.CombinedOutput()
			if len(tc.failures) == 0 {
				require.NoError(t, err, "%s", out)
				assert.Contains(t, string(out), "--- PASS: TestBrokenStoreChild")
				return
			}
			require.Error(t, err, "the suite passed a store with flaw %q:\n%s", tc.flaw, out)
			for _, name := range tc.failures {
				assert.Contains(t, string(out), "--- FAIL: TestBrokenStoreChild/"+name+" ", "flaw %q", tc.flaw)
			}
		})
	}
}
