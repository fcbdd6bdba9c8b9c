package browsertest_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/internal/browsertest"
)

func TestFind(t *testing.T) {
	dir := t.TempDir()
	fake := filepath.Join(dir, "chromium-browser")
	require.NoError(t, os.WriteFile(fake, []byte("#!/bin/sh\n"), 0o755))

	t.Setenv("PATH", dir)
	t.Setenv("CHROME_PATH", "")
	assert.Equal(t, fake, browsertest.Find(), "from $PATH")

	t.Setenv("CHROME_PATH", "/opt/chrome/chrome")
	assert.Equal(t, "/opt/chrome/chrome", browsertest.Find(), "$CHROME_PATH first")

	t.Setenv("CHROME_PATH", "")
	t.Setenv("PATH", t.TempDir())
	assert.Equal(t, "", browsertest.Find(), "none")
}
