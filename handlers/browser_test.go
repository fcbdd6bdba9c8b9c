package handlers_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/handlers"
	"github.com/unloq2fa/unloq2fa/internal/browsertest"
	"github.com/unloq2fa/unloq2fa/store"
	"github.com/unloq2fa/unloq2fa/unloq/unloqtest"
)

func location(t *testing.T, ctx context.Context) string {
	loc, err := chromedp.Run(ctx, chromedp.Location())
	require.NoError(t, err)
	return loc
}

// TestBrowserFlows drives the default pages in a real browser: a widget
// login, a push login, and an enrollment whose QR page moves on by itself.
func TestBrowserFlows(t *testing.T) {
	ctx := browsertest.Start(t, 60*time.Second) // skips without Chromium (fails under CI=true)
	e := newEnv(t, withHandlerOptsFn(func(e *env) []handlers.Option {
		return []handlers.Option{
			handlers.WithWidgetKey(e.sim.Sim.WidgetKey()),
			handlers.WithWidgetScriptURL(e.sim.URL + "/login.js"),
		}
	}), withSimOpts(unloqtest.WithApprovalTimeout(10*time.Second)))
	login := func(uid, next string) {
		require.NoError(t, chromedp.Do(ctx,
			chromedp.Navigate(e.app.URL+"/login?next="+next),
			chromedp.SendKeys(chromedp.CSS(`#uid`), uid),
			chromedp.Click(chromedp.CSS(`#go`)),
		))
	}

	// Widget login: the widget's redirect lands on the callback, which
	// sends the browser on to next without the token.
	e.behave(alice, unloqtest.BehaviorApprove)
	login("1", "/dashboard")
	require.NoError(t, chromedp.Do(ctx,
		chromedp.WaitVisible(chromedp.CSS(`.unloq-w button`)),
		chromedp.Click(chromedp.CSS(`.unloq-w button`)),
		chromedp.WaitVisible(chromedp.CSS(`#welcome`)),
	))
	assert.Equal(t, e.app.URL+"/dashboard", location(t, ctx))
	_, ok := e.events.last(handlers.EventApproved)
	assert.True(t, ok)

	// Push login with the form on the same page.
	// Logging in again renews the session (BeginLogin), no need to log out.
	login("2", "/dashboard")
	e.behave(bob, unloqtest.BehaviorApprove)
	require.NoError(t, chromedp.Do(ctx,
		chromedp.WaitVisible(chromedp.CSS(`form[action="/login/two-step"] button`)),
		chromedp.Click(chromedp.CSS(`form[action="/login/two-step"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`#welcome`)),
	))
	assert.Equal(t, e.app.URL+"/dashboard", location(t, ctx))

	// Enrollment: the QR page polls the status route and, once the phone
	// scanned, confirms with one approval by itself.
	// Logging in again renews the session (BeginLogin), no need to log out.
	login("4", "/settings")
	e.behave(dave, unloqtest.BehaviorApprove)
	require.NoError(t, chromedp.Do(ctx,
		chromedp.WaitVisible(chromedp.CSS(`#enable`)),
		chromedp.Click(chromedp.CSS(`#enable`)),
		chromedp.WaitVisible(chromedp.CSS(`img.qr`)),
	))
	src, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(`img.qr`), "src"))
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(src.Value, e.sim.URL+"/qr/"), src.Value)
	assert.Eventually(t, func() bool {
		natural, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelector("img.qr").naturalWidth`))
		return err == nil && natural > 0
	}, 5*time.Second, 100*time.Millisecond, "the QR image loads")
	time.Sleep(2500 * time.Millisecond) // at least one poll says "not yet"
	assert.Equal(t, "", e.user("4").SecondFactor)
	require.NoError(t, e.sim.Sim.Scan(dave))
	require.NoError(t, chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(`#settings`))))
	assert.Equal(t, e.app.URL+"/settings", location(t, ctx))
	assert.Equal(t, store.SecondFactorUNLOQ, e.user("4").SecondFactor)
}
