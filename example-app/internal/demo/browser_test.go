package demo

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/internal/browsertest"
	"github.com/unloq2fa/unloq2fa/store"
)

// Browser test settings. The whole suite stays well under two minutes.
const (
	browserSuiteTimeout = 110 * time.Second
	browserStepTimeout  = 30 * time.Second
)

// webTest drives headless Chromium against the demo app: a main tab for
// the app and, once opened, a second tab with the simulated phone.
type webTest struct {
	t     *testing.T // the current (sub)test
	root  *testing.T // the test that owns the browser and its tabs
	app   *testApp
	main  context.Context
	phone context.Context
	// failDir receives screenshots of both tabs when a step fails.
	failDir string
	// shotDir, when set (DEMO_SCREENSHOTS), receives screenshots of the
	// main pages for a person to look at.
	shotDir string
}

func newWebTest(t *testing.T) *webTest {
	t.Helper()
	suite, cancelSuite := context.WithTimeout(context.Background(), browserSuiteTimeout)
	t.Cleanup(cancelSuite)
	main := browsertest.NewContext(t, suite, chromedp.WindowSize(1200, 900))

	w := &webTest{t: t, root: t, app: newTestApp(t, nil), main: main, shotDir: os.Getenv("DEMO_SCREENSHOTS")}
	w.failDir = os.Getenv("DEMO_FAILURE_DIR")
	if w.failDir == "" {
		w.failDir = filepath.Join("..", "..", "testdata", "failures") // example-app/testdata/failures (gitignored)
	}
	return w
}

// do runs actions on a tab with a per-step timeout. On failure it saves
// screenshots of both tabs and stops the test.
func (w *webTest) do(tab context.Context, step string, actions ...chromedp.Action[chromedp.Void]) {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(tab, browserStepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		w.failure(step)
		w.t.Fatalf("browser step %q: %v", step, err)
	}
}

// text returns the text of sel on tab.
func (w *webTest) text(tab context.Context, step, sel string) string {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(tab, browserStepTimeout)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		w.failure(step)
		w.t.Fatalf("browser step %q: %v", step, err)
	}
	return strings.TrimSpace(s)
}

// poll waits until the JavaScript expression is true on tab.
func (w *webTest) poll(tab context.Context, step, expr string) {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(tab, browserStepTimeout)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](expr)); err != nil {
		w.failure(step)
		w.t.Fatalf("browser step %q: %v", step, err)
	}
}

// location returns the URL of tab, relative to the app.
func (w *webTest) location(tab context.Context) string {
	w.t.Helper()
	loc, err := chromedp.Run(tab, chromedp.Location())
	require.NoError(w.t, err)
	return strings.TrimPrefix(loc, w.app.URL)
}

var unsafeName = regexp.MustCompile(`[^a-zA-Z0-9]+`)

// failure saves a screenshot of each tab for a failed step.
func (w *webTest) failure(step string) {
	if err := os.MkdirAll(w.failDir, 0o755); err != nil {
		w.t.Logf("screenshots: %v", err)
		return
	}
	name := unsafeName.ReplaceAllString(w.t.Name()+"-"+step, "-")
	for tabName, tab := range map[string]context.Context{"app": w.main, "phone": w.phone} {
		if tab == nil {
			continue
		}
		browsertest.Screenshot(w.t, tab, filepath.Join(w.failDir, name+"-"+tabName+".png"))
	}
}

// shot saves a screenshot of a main page when DEMO_SCREENSHOTS is set.
func (w *webTest) shot(tab context.Context, name string) {
	if w.shotDir == "" {
		return
	}
	if err := os.MkdirAll(w.shotDir, 0o755); err != nil {
		w.t.Logf("screenshots: %v", err)
		return
	}
	browsertest.Screenshot(w.t, tab, filepath.Join(w.shotDir, name+".png"))
}

// openPhone checks the header's "Open the simulated phone" link (a new
// tab on /_unloq/device) and opens its target in a second tab, as a click
// on it does.
func (w *webTest) openPhone() {
	w.t.Helper()
	href, err := chromedp.Run(w.main, chromedp.AttributeValue(chromedp.CSS("#phone-link"), "href"))
	require.NoError(w.t, err)
	require.Equal(w.t, "/_unloq/device", href.Value)
	tgt, err := chromedp.Run(w.main, chromedp.AttributeValue(chromedp.CSS("#phone-link"), "target"))
	require.NoError(w.t, err)
	require.Equal(w.t, "_blank", tgt.Value)

	phone, cancel := chromedp.NewContext(w.main) // a new tab in the same browser
	w.root.Cleanup(cancel)
	// Create the tab with the tab's own context: a tab created under a
	// step's timeout would close when that step ends.
	require.NoError(w.t, chromedp.Do(phone))
	w.phone = phone
	w.do(w.phone, "open the phone", chromedp.Navigate(w.app.URL+href.Value), chromedp.WaitVisible(chromedp.CSS("#state")))
}

// onPhone waits for a button on the simulated phone (it refreshes by
// itself) and clicks it.
func (w *webTest) onPhone(step, sel string) {
	w.t.Helper()
	w.do(w.phone, step, chromedp.WaitVisible(chromedp.CSS(sel)), chromedp.Click(chromedp.CSS(sel)))
}

// logIn fills the login form.
func (w *webTest) logIn(email, password string) {
	w.t.Helper()
	w.do(w.main, "log in",
		chromedp.Navigate(w.app.URL+"/login"),
		chromedp.WaitVisible(chromedp.CSS("#login-submit")),
		chromedp.SendKeys(chromedp.CSS("#email"), email),
		chromedp.SendKeys(chromedp.CSS("#password"), password),
	)
	w.shot(w.main, "01-login")
	w.do(w.main, "submit the login", chromedp.Click(chromedp.CSS("#login-submit")))
}

// codeText finds recovery codes in a page's text.
var codeText = regexp.MustCompile(`[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}`)

// TestBrowser runs the demo's flows in headless Chromium, the way a person
// clicks through them: (a) sign up, pair the phone, log out, log in with
// the widget; (b) log in with a push, deny, fall back to the one-time code;
// (c) turn two-step off.
func TestBrowser(t *testing.T) {
	w := newWebTest(t)
	const email, password = "carol@example.com", "carol-password"
	approve := `[data-approval] button.approve`
	deny := `[data-approval] button.deny`
	var codes []string // the recovery codes shown after enabling

	t.Run("a: sign up, enable, widget login", func(t *testing.T) {
		w.t = t
		w.do(w.main, "home page",
			chromedp.Navigate(w.app.URL+"/"),
			chromedp.WaitVisible(chromedp.CSS("#phone-link")),
		)
		w.shot(w.main, "00-home")
		w.do(w.main, "sign up",
			chromedp.Navigate(w.app.URL+"/signup"),
			chromedp.WaitVisible(chromedp.CSS("#signup-submit")),
			chromedp.SendKeys(chromedp.CSS("#email"), email),
			chromedp.SendKeys(chromedp.CSS("#password"), password),
			chromedp.Click(chromedp.CSS("#signup-submit")),
			chromedp.WaitVisible(chromedp.CSS("#enable-2fa")),
		)
		assert.Equal(t, "Off", w.text(w.main, "state off", "#twostep-state"))
		w.shot(w.main, "02-settings-off")
		assert.Equal(t, "", w.app.secondFactor(email))

		// The QR pairing page shows a real, loaded QR image.
		w.do(w.main, "enable", chromedp.Click(chromedp.CSS("#enable-2fa")), chromedp.WaitVisible(chromedp.CSS("#qr")))
		w.poll(w.main, "QR image loads", `(() => { const i = document.getElementById("qr"); return i.complete && i.naturalWidth > 100; })()`)
		w.shot(w.main, "03-qr-pairing")

		// Scan and approve on the simulated phone, in its own tab.
		w.openPhone()
		w.do(w.phone, "pairing shows on the phone", chromedp.WaitVisible(chromedp.CSS(`[data-pairing] button.scan`)))
		w.shot(w.phone, "04-device-pairing")
		w.onPhone("scan", `[data-pairing] button.scan`)
		// The pairing page notices the scan and asks for the confirming approval.
		w.do(w.phone, "approval shows on the phone", chromedp.WaitVisible(chromedp.CSS(approve)))
		assert.Equal(t, "", w.app.secondFactor(email), "not on before the approval")
		w.shot(w.phone, "05-device-approval")
		w.onPhone("approve the pairing", approve)
		// The recovery codes, shown once.
		w.do(w.main, "recovery codes", chromedp.WaitVisible(chromedp.CSS("#recovery-codes")))
		codes = codeText.FindAllString(w.text(w.main, "read the codes", "#recovery-codes"), -1)
		require.Len(t, codes, 10)
		w.shot(w.main, "06-recovery-codes")
		w.do(w.main, "saved them", chromedp.Click(chromedp.CSS("#recovery-continue")))
		w.do(w.main, "back on settings", chromedp.WaitVisible(chromedp.CSS("#disable-2fa")))
		assert.Equal(t, "On", w.text(w.main, "state on", "#twostep-state"))
		assert.Equal(t, "/settings", w.location(w.main))
		assert.Equal(t, store.SecondFactorUNLOQ, w.app.secondFactor(email))
		assert.Contains(t, w.text(w.main, "success notice", `[role=status]`), "Two-step verification is on")
		assert.Equal(t, "10", w.text(w.main, "codes left", "#recovery-left"))
		w.shot(w.main, "06-settings-on")

		// Log out, log in, approve through the widget.
		w.do(w.main, "log out", chromedp.Click(chromedp.CSS("#logout")), chromedp.WaitVisible(chromedp.CSS("#login-submit")))
		w.logIn(email, password)
		w.do(w.main, "two-step page", chromedp.WaitVisible(chromedp.CSS(".unloq-w button")))
		assert.Equal(t, "/login/two-step", w.location(w.main))
		w.shot(w.main, "07-two-step")
		w.do(w.main, "pending: dashboard refused",
			chromedp.Navigate(w.app.URL+"/dashboard"),
			chromedp.WaitVisible(chromedp.CSS(".unloq-w button")),
		)
		assert.Equal(t, "/login/two-step", w.location(w.main))
		w.do(w.main, "click the widget", chromedp.Click(chromedp.CSS(".unloq-w button")))
		w.onPhone("approve the widget login", approve)
		w.do(w.main, "dashboard", chromedp.WaitVisible(chromedp.CSS("#account-email")))
		assert.Equal(t, "/dashboard", w.location(w.main))
		assert.Equal(t, email, w.text(w.main, "dashboard email", "#account-email"))
		w.shot(w.main, "08-dashboard")
	})

	t.Run("b: push, deny, one-time code", func(t *testing.T) {
		w.t = t
		require.NotNil(t, w.phone, "flow a opened the phone")
		w.do(w.main, "log out", chromedp.Click(chromedp.CSS("#logout")), chromedp.WaitVisible(chromedp.CSS("#login-submit")))
		w.logIn(email, password)
		w.do(w.main, "push", chromedp.WaitVisible(chromedp.CSS("#push-submit")), chromedp.Click(chromedp.CSS("#push-submit")))
		w.onPhone("deny", deny)
		w.do(w.main, "OTP asked", chromedp.WaitVisible(chromedp.CSS("#otp")))
		assert.Contains(t, w.text(w.main, "denial explained", `[role=alert]`), "declined")
		w.shot(w.main, "09-two-step-otp")
		otp := w.text(w.phone, "read the OTP", fmt.Sprintf(`[data-profile=%q] .otp`, email))
		require.Regexp(t, `^[0-9]{6}$`, otp)
		w.shot(w.phone, "10-device-otp")
		w.do(w.main, "send the OTP", chromedp.SendKeys(chromedp.CSS("#otp"), otp), chromedp.Click(chromedp.CSS("#push-submit")))
		w.onPhone("approve after the OTP", approve)
		w.do(w.main, "dashboard", chromedp.WaitVisible(chromedp.CSS("#account-email")))
		assert.Equal(t, "/dashboard", w.location(w.main))
	})

	t.Run("b2: lost phone, recovery code", func(t *testing.T) {
		w.t = t
		require.Len(t, codes, 10, "flow a showed the codes")
		w.do(w.main, "log out", chromedp.Click(chromedp.CSS("#logout")), chromedp.WaitVisible(chromedp.CSS("#login-submit")))
		w.logIn(email, password)
		w.do(w.main, "recovery field", chromedp.WaitVisible(chromedp.CSS("#recovery_code")),
			chromedp.SendKeys(chromedp.CSS("#recovery_code"), codes[3]))
		w.shot(w.main, "11-two-step-recovery")
		w.do(w.main, "use the code", chromedp.Click(chromedp.CSS("#recovery-submit")),
			chromedp.WaitVisible(chromedp.CSS("#account-email")))
		assert.Equal(t, "/dashboard", w.location(w.main))
		assert.Equal(t, email, w.text(w.main, "dashboard email", "#account-email"))
	})

	t.Run("c: disable", func(t *testing.T) {
		w.t = t
		require.NotNil(t, w.phone, "flow a opened the phone")
		w.do(w.main, "settings",
			chromedp.Navigate(w.app.URL+"/settings"),
			chromedp.WaitVisible(chromedp.CSS("#disable-2fa")),
			chromedp.Click(chromedp.CSS("#disable-2fa")),
		)
		w.onPhone("approve turning it off", approve)
		w.do(w.main, "settings again", chromedp.WaitVisible(chromedp.CSS("#enable-2fa")))
		assert.Equal(t, "Off", w.text(w.main, "state off", "#twostep-state"))
		assert.Equal(t, "", w.app.secondFactor(email))
		assert.Contains(t, w.text(w.main, "success notice", `[role=status]`), "Two-step verification is off")
		w.shot(w.main, "12-settings-off-notice")
	})

	t.Run("d: enable again, phone already paired", func(t *testing.T) {
		w.t = t
		require.NotNil(t, w.phone, "flow a opened the phone")
		// No QR code: the page says the phone is paired and continues by
		// itself; one approval turns two-step on and shows new codes.
		w.do(w.main, "enable", chromedp.Click(chromedp.CSS("#enable-2fa")))
		w.do(w.phone, "approval shows on the phone", chromedp.WaitVisible(chromedp.CSS(approve)))
		// (The page is not read here: its request is on its way, waiting
		// for the phone; the HTTP test checks its text.)
		w.onPhone("approve", approve)
		w.do(w.main, "new recovery codes", chromedp.WaitVisible(chromedp.CSS("#recovery-codes")))
		fresh := codeText.FindAllString(w.text(w.main, "read the codes", "#recovery-codes"), -1)
		require.Len(t, fresh, 10)
		assert.NotEqual(t, codes, fresh)
		assert.Equal(t, store.SecondFactorUNLOQ, w.app.secondFactor(email))
	})
}
