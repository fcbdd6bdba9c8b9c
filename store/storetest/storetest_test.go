package storetest_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/store"
	"github.com/unloq2fa/unloq2fa/store/storetest"
)

func memoryHarness() storetest.Harness {
	return storetest.Harness{
		New: func(t *testing.T) store.UserStore { return store.NewMemory() },
		Seed: func(t *testing.T, s store.UserStore, u store.User) {
			require.NoError(t, s.(*store.Memory).Put(t.Context(), u))
		},
		UnloqID: true,
	}
}

func TestRunPassesOnMemory(t *testing.T) {
	storetest.Run(t, memoryHarness())
}

// brokenEnv selects, in a child test process, which broken store
// TestBrokenStoreChild runs the suite against.
const brokenEnv = "STORETEST_BROKEN_STORE"

// broken is a deliberately wrong UserStore: each flaw is one rule the suite
// must catch.
type broken struct {
	flaw string
	mu   sync.Mutex
	u    map[string]store.User
}

func (b *broken) key(id string) string {
	switch b.flaw {
	case "casefold":
		return strings.ToLower(id)
	case "trim":
		return strings.TrimSpace(id)
	}
	return id
}

func (b *broken) User(ctx context.Context, id string) (store.User, error) {
	if b.flaw == "ctxnotfound" && ctx.Err() != nil {
		return store.User{}, store.ErrUserNotFound
	}
	if b.flaw != "ignorectx" && ctx.Err() != nil {
		return store.User{}, ctx.Err()
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	u, ok := b.u[b.key(id)]
	if !ok {
		if b.flaw == "zerouser" {
			return store.User{}, nil
		}
		return store.User{}, store.ErrUserNotFound
	}
	switch b.flaw {
	case "dropemail":
		u.Email = ""
	case "foldemail":
		u.Email = strings.ToLower(u.Email)
	case "trimemail":
		u.Email = strings.TrimSpace(u.Email)
	case "lowersf":
		u.SecondFactor = strings.ToLower(u.SecondFactor)
	case "unloqnumeric":
		u.UnloqID = strings.TrimLeft(u.UnloqID, "0")
	}
	if b.flaw != "passraw" && b.flaw != "lowersf" {
		if err := store.ValidateSecondFactor(u.SecondFactor); err != nil {
			return store.User{}, err
		}
	}
	return u, nil
}

func (b *broken) SetSecondFactor(ctx context.Context, id, value string) error {
	if b.flaw == "ctxnotfound" && ctx.Err() != nil {
		return fmt.Errorf("%w (%w)", store.ErrUserNotFound, ctx.Err())
	}
	if b.flaw != "ignorectx" && ctx.Err() != nil {
		return ctx.Err()
	}
	if b.flaw != "acceptall" {
		if err := store.ValidateSecondFactor(value); err != nil {
			return err
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	u, ok := b.u[b.key(id)]
	if !ok {
		if b.flaw != "upsert" {
			return store.ErrUserNotFound
		}
		u = store.User{ID: id}
	}
	if value == "" && b.flaw == "noclear" {
		return nil
	}
	u.SecondFactor = value
	b.u[b.key(id)] = u
	return nil
}

func (b *broken) SetUnloqID(ctx context.Context, id, unloqID string) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if b.flaw != "unloqacceptall" {
		if err := store.ValidateUnloqID(unloqID); err != nil {
			return err
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	u, ok := b.u[b.key(id)]
	if !ok {
		if b.flaw != "unloqupsert" {
			return store.ErrUserNotFound
		}
		u = store.User{ID: id}
	}
	u.UnloqID = unloqID
	if b.flaw == "unloqclearssf" {
		u.SecondFactor = ""
	}
	b.u[b.key(id)] = u
	return nil
}

// TestBrokenStoreChild runs the suite against a broken store; it only runs
// in the child process that TestRunCatchesBrokenStores starts.
func TestBrokenStoreChild(t *testing.T) {
	flaw := os.Getenv(brokenEnv)
	if flaw == "" {
		t.Skip("child process of TestRunCatchesBrokenStores")
	}
	storetest.Run(t, storetest.Harness{
		New: func(t *testing.T) store.UserStore { return &broken{flaw: flaw, u: map[string]store.User{}} },
		Seed: func(t *testing.T, s store.UserStore, u store.User) {
			b := s.(*broken)
			b.mu.Lock()
			defer b.mu.Unlock()
			b.u[b.key(u.ID)] = u
		},
		RawSeed: true,
		UnloqID: true,
	})
}

// noUnloq is a store with the UnloqIDStore method that keeps no ids.
type noUnloq struct{ *store.Memory }

func (noUnloq) SetUnloqID(ctx context.Context, id, unloqID string) error {
	return store.ErrUnloqIDUnsupported
}

func TestRunAcceptsStoreWithoutUnloqIDs(t *testing.T) {
	h := memoryHarness()
	h.UnloqID = false
	h.New = func(t *testing.T) store.UserStore { return noUnloq{store.NewMemory()} }
	h.Seed = func(t *testing.T, s store.UserStore, u store.User) {
		require.NoError(t, s.(noUnloq).Put(t.Context(), u))
	}
	storetest.Run(t, h)
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
		{"casefold", []string{"ExactIDs"}},
		{"trim", []string{"ExactIDs"}},
		{"ignorectx", []string{"CanceledContext"}},
		{"ctxnotfound", []string{"CanceledContext"}}, // a system error reported as not-found
		{"acceptall", []string{"InvalidValue"}},
		{"upsert", []string{"SetUnknownID"}},
		{"zerouser", []string{"UnknownID", "SetUnknownID", "ExactIDs"}},
		{"noclear", []string{"SetAndClear"}},
		{"dropemail", []string{"ReadBack", "SetAndClear", "Concurrent", "ExactEmails"}},
		{"foldemail", []string{"ReadBack", "ExactEmails"}},
		{"trimemail", []string{"ExactEmails"}},
		{"lowersf", []string{"ReadBack", "SetAndClear", "Concurrent"}},
		{"passraw", []string{"InvalidStoredValue"}},
		{"unloqnumeric", []string{"UnloqIDReadBack", "UnloqIDSetAndClear"}},
		{"unloqclearssf", []string{"UnloqIDSetAndClear"}},
		{"unloqupsert", []string{"UnloqIDUnknownUser"}},
		{"unloqacceptall", []string{"UnloqIDInvalid"}},
	}
	for _, tc := range tests {
		t.Run(tc.flaw, func(t *testing.T) {
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
