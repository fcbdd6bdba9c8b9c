package demo

import (
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCopiedCookieDeadAfterLogout: on one instance with its defaults (no
// Redis), a copy of a logged-in cookie taken before logout opens nothing
// afterwards: logout ends the session on the server, not only in the
// browser that logged out.
func TestCopiedCookieDeadAfterLogout(t *testing.T) {
	a := newTestApp(t, nil)
	b := a.browser()
	p := b.post("/signup", url.Values{"email": {"kim@example.com"}, "password": {"kim-password"}})
	require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
	require.Equal(t, http.StatusOK, b.get("/dashboard").Status)

	// Another client holding a copy of the cookie, taken now.
	u, err := url.Parse(a.URL)
	require.NoError(t, err)
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	jar.SetCookies(u, b.c.Jar.Cookies(u))
	thief := &browser{t: t, base: a.URL, c: &http.Client{Jar: jar, CheckRedirect: b.c.CheckRedirect}}
	require.Equal(t, http.StatusOK, thief.get("/dashboard").Status, "the copy works before logout")

	p = b.post("/logout", nil)
	require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
	assertRedirect(t, b.get("/dashboard"), "/login?next=%2Fdashboard", "the browser that logged out")
	assertRedirect(t, thief.get("/dashboard"), "/login?next=%2Fdashboard", "the copied cookie is dead too")
	p = thief.get("/settings")
	assert.NotEqual(t, http.StatusOK, p.Status, "no page opens with the copy")
}
