// Package browsertest starts headless Chromium for the browser tests of
// handlers, unloqtest and the demo application, with chromedp.
//
// [Chromium] finds the browser ($CHROME_PATH, else chromium,
// chromium-browser, google-chrome or headless-shell on $PATH) and skips the
// test when there is none, except under CI=true, where it fails (see
// package testenv). [NewContext] starts it with the flags of
// [AllocatorOptions] and a fresh profile, and closes it when the test ends;
// [Start] does the same with one timeout for the test's steps.
// [Screenshot] saves a tab's page, for a failed step.
//
// It is for tests only: only _test.go files import it.
package browsertest
