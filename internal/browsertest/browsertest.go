package browsertest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/unloq2fa/unloq2fa/internal/testenv"
)

// Names of the browser on $PATH, in the order they are tried.
var names = []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"}

// Find returns the browser to drive: $CHROME_PATH if set, else the first
// of chromium, chromium-browser, google-chrome and headless-shell found on
// $PATH, else "".
func Find() string {
	if p := os.Getenv("CHROME_PATH"); p != "" {
		return p
	}
	for _, name := range names {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// Chromium returns the path of the browser to drive (see [Find]). Without
// one it skips the test, or fails it under CI=true.
func Chromium(t testing.TB) string {
	t.Helper()
	path := Find()
	testenv.Require(t, path != "", "no Chromium found: set CHROME_PATH or install it (apt-get install -y chromium)")
	return path
}

// AllocatorOptions returns the chromedp allocator options for the browser
// at path with its profile in userDataDir: chromedp's defaults (headless,
// no first run, no background networking, no sync, …) plus no sandbox
// (tests often run as root in containers), no GPU, no component updates.
// The flags the tests rely on are named even where chromedp's defaults
// already hold them, so that a change of those defaults does not drop them.
func AllocatorOptions(path, userDataDir string) []chromedp.ExecAllocatorOption {
	return append(slices.Clone(chromedp.DefaultExecAllocatorOptions[:]),
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(userDataDir),
	)
}

// NewContext starts headless Chromium (see [Chromium]) under parent, with
// [AllocatorOptions], a fresh profile in a temporary directory and then
// opts, and returns the context of its first tab. The browser is closed
// when the test ends. Starting it has no deadline other than parent's; put
// a timeout on the returned context for the test's steps.
func NewContext(t testing.TB, parent context.Context, opts ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	path := Chromium(t)
	profile := t.TempDir() // removed after the browser is closed below
	actx, cancelAlloc := chromedp.NewExecAllocator(parent, append(AllocatorOptions(path, profile), opts...)...)
	tab, cancelTab := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelTab(); cancelAlloc() })
	if err := chromedp.Do(tab); err != nil { // start the browser
		t.Fatalf("browsertest: start Chromium at %s: %v", path, err)
	}
	return tab
}

// Start starts headless Chromium with [NewContext] (no deadline for the
// start itself) and returns its first tab under timeout, which the test's
// steps share. Both end with the test.
func Start(t testing.TB, timeout time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(NewContext(t, context.Background()), timeout)
	t.Cleanup(cancel)
	return ctx
}

// Screenshot saves a full-page PNG of tab to file and logs where; it only
// logs when that fails, so that it can run while a test fails.
func Screenshot(t testing.TB, tab context.Context, file string) {
	t.Helper()
	// The failed step's context may be gone; give the screenshot its own.
	ctx, cancel := context.WithTimeout(tab, 10*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Logf("screenshot %s: %v", file, err)
		return
	}
	if err := os.WriteFile(file, png, 0o644); err != nil {
		t.Logf("screenshot %s: %v", file, err)
		return
	}
	abs, _ := filepath.Abs(file)
	t.Logf("screenshot saved: %s", abs)
}
