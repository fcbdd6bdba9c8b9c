package unloqtest_test

import (
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/internal/browsertest"
	"github.com/unloq2fa/unloq2fa/unloq"
	"github.com/unloq2fa/unloq2fa/unloq/unloqtest"
)

// TestWidgetInBrowser loads login.js from the simulator into a page of
// another origin (the "app"), clicks "Log in with UNLOQ", approves on the
// simulated phone page in a second tab, and checks that the browser lands
// on the app's login URL with a token the app can exchange.
func TestWidgetInBrowser(t *testing.T) {
	bctx := browsertest.Start(t, 60*time.Second) // skips without Chromium (fails under CI=true)
	srv := unloqtest.NewServer(t, unloqtest.WithApprovalTimeout(20*time.Second), unloqtest.WithLoginURL("/uauth/login"))
	c := srv.Client(t)
	enrollScanned(t, srv, c, alice)

	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		switch r.URL.Path {
		case "/login/two-step":
			fmt.Fprintf(w, `<!doctype html><html><body><h1>Two-step</h1>
<script type="text/javascript" src="%s/login.js" data-unloq-theme="dark" data-unloq-key="%s" data-unloq-email="%s" data-unloq-init="widgetReady"></script>
<script>function widgetReady(U) { document.body.setAttribute("data-init", typeof U.onLogin); }</script>
</body></html>`, srv.URL, srv.Sim.WidgetKey(), alice)
		case "/spa":
			fmt.Fprintf(w, `<!doctype html><html><body><div id="out"></div>
<script src="%s/login.js" data-unloq-key="%s"></script>
<script>UNLOQ.onLogin(function (d) { document.getElementById("out").textContent = "token:" + d.token; });</script>
</body></html>`, srv.URL, srv.Sim.WidgetKey())
		case "/uauth/login":
			td, err := c.Token(r.Context(), unloq.TokenRequest{Token: r.URL.Query().Get("token"), SID: "browser"})
			if err != nil {
				http.Error(w, err.Error(), http.StatusForbidden)
				return
			}
			fmt.Fprintf(w, `<!doctype html><html><body><p id="welcome">Welcome %s</p></body></html>`, html.EscapeString(td.Email))
		default:
			http.NotFound(w, r)
		}
	}))
	defer app.Close()

	// Tab 1: the app's two-step page with the widget.
	require.NoError(t, chromedp.Do(bctx,
		chromedp.Navigate(app.URL+"/login/two-step"),
		chromedp.WaitVisible(chromedp.CSS(`.unloq-w button`)),
	))
	theme, err := chromedp.Run(bctx, chromedp.AttributeValue(chromedp.CSS(`.unloq-w`), "class"))
	require.NoError(t, err)
	assert.Contains(t, theme.Value, "unloq-dark")
	initType, err := chromedp.Run(bctx, chromedp.AttributeValue(chromedp.CSS(`body`), "data-init"))
	require.NoError(t, err)
	assert.Equal(t, "function", initType.Value, "data-unloq-init was called with window.UNLOQ")
	label, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS(`.unloq-w button`)))
	require.NoError(t, err)
	assert.Equal(t, "Log in with UNLOQ", label)
	require.NoError(t, chromedp.Do(bctx, chromedp.Click(chromedp.CSS(`.unloq-w button`))))

	// Tab 2: the simulated phone. Approve there.
	a, err := srv.Sim.WaitForApproval(bctx, alice)
	require.NoError(t, err)
	phone, cancel := chromedp.NewContext(bctx)
	defer cancel()
	approveBtn := chromedp.CSS(`[data-approval="` + a.ID + `"] button.approve`)
	require.NoError(t, chromedp.Do(phone,
		chromedp.Navigate(srv.URL+"/device"),
		chromedp.WaitVisible(approveBtn),
		chromedp.Click(approveBtn),
	))

	// Tab 1 lands on the login URL, and the app exchanged the token.
	require.NoError(t, chromedp.Do(bctx, chromedp.WaitVisible(chromedp.CSS(`#welcome`))))
	welcome, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS(`#welcome`)))
	require.NoError(t, err)
	assert.Equal(t, "Welcome "+alice, welcome)
	loc, err := chromedp.Run(bctx, chromedp.Location())
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(loc, app.URL+"/uauth/login?token=AU"), loc)
	got, err := srv.Sim.Approval(a.ID)
	require.NoError(t, err)
	assert.Equal(t, unloqtest.StatusApproved, got.Status)

	// The phone page refreshed by itself: the request is gone.
	require.NoError(t, chromedp.Do(phone, chromedp.WaitNotPresent(chromedp.CSS(`[data-approval="`+a.ID+`"]`))))

	// A new pairing appears on the open phone page by itself; Scan pairs it.
	const bob = "bob@example.test"
	_, err = c.Enroll(bctx, unloq.EnrollRequest{Email: bob})
	require.NoError(t, err)
	scanBtn := chromedp.CSS(`[data-pairing] button.scan`)
	require.NoError(t, chromedp.Do(phone, chromedp.WaitVisible(scanBtn), chromedp.Click(scanBtn),
		chromedp.WaitNotPresent(chromedp.CSS(`[data-pairing]`))))
	ok, err := c.Enrolled(bctx, bob)
	require.NoError(t, err)
	assert.True(t, ok, "Scan in the browser paired the device")
	otpText, err := chromedp.Run(phone, chromedp.Text(chromedp.CSS(`[data-profile="`+bob+`"] .otp`)))
	require.NoError(t, err)
	otp, err := srv.Sim.OTP(bob)
	require.NoError(t, err)
	assert.Equal(t, otp, otpText)

	// A denial is shown in the widget; onLogin callbacks replace the redirect.
	require.NoError(t, srv.Sim.SetBehavior(alice, unloqtest.BehaviorDeny))
	require.NoError(t, chromedp.Do(bctx,
		chromedp.Navigate(app.URL+"/spa"),
		chromedp.WaitVisible(chromedp.CSS(`.unloq-w input`)),
		chromedp.SendKeys(chromedp.CSS(`.unloq-w input`), alice),
		chromedp.Click(chromedp.CSS(`.unloq-w button`)),
		chromedp.WaitVisible(chromedp.CSS(`.unloq-status.err`)),
	))
	status, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS(`.unloq-status`)))
	require.NoError(t, err)
	assert.Equal(t, "The login was denied on your phone.", status)

	require.NoError(t, srv.Sim.SetBehavior(alice, unloqtest.BehaviorApprove))
	require.NoError(t, chromedp.Do(bctx,
		chromedp.Click(chromedp.CSS(`.unloq-w button`)),
		chromedp.WaitVisible(chromedp.CSS(`.unloq-status.ok`)),
	))
	out, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS(`#out`)))
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(out, "token:AU"), out)
	loc, err = chromedp.Run(bctx, chromedp.Location())
	require.NoError(t, err)
	assert.Equal(t, app.URL+"/spa", loc, "no redirect when onLogin callbacks are registered")
}
