package handlers

import (
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestWantsJSON(t *testing.T) {
	for accept, want := range map[string]bool{
		"":                                    false,
		"text/html":                           false,
		"*/*":                                 false,
		"application/json":                    true,
		"application/json, text/html":         true,
		"text/html, application/json":         false,
		"text/html;q=0.5, application/json":   true,
		"application/json;q=0, */*":           false,
		"application/problem+json":            true,
		"text/html,application/xhtml+xml,*/*": false,
		"garbage;;;":                          false,
	} {
		r := httptest.NewRequest("GET", "/", nil)
		if accept != "" {
			r.Header.Set("Accept", accept)
		}
		assert.Equal(t, want, wantsJSON(r), accept)
	}
}

func TestSidForIsShortAndStable(t *testing.T) {
	a := sidFor("login-1")
	assert.Len(t, a, 32)
	assert.Equal(t, a, sidFor("login-1"))
	assert.NotEqual(t, a, sidFor("login-2"))
	assert.NotContains(t, a, "login")
	assert.Empty(t, sidFor(""))
}

func TestErrorTextPrefix(t *testing.T) {
	err := wrap("callback", CodeWrongUser, nil)
	assert.Equal(t, "handlers: callback: the approval belongs to another user", err.Error())
	assert.ErrorIs(t, err, CodeWrongUser)
	for _, e := range []error{CodeNotPending, CodePendingExpired, CodeWrongUser, CodeReplayed, CodeRateLimited,
		CodeInFlight, CodeBadToken, CodeNotVerified, CodeGuard} {
		assert.Regexp(t, `^handlers: `, e.Error())
	}
}
