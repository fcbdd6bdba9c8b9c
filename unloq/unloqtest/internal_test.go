package unloqtest

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/unloq"
)

func TestHOTPVectors(t *testing.T) {
	// RFC 4226 appendix D.
	secret := []byte("12345678901234567890")
	want := []string{"755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"}
	for i, w := range want {
		assert.Equal(t, w, hotp(secret, uint64(i)), "counter %d", i)
	}
}

func TestTOTP(t *testing.T) {
	secret := []byte("12345678901234567890")
	// RFC 6238's SHA-1 vector at T=59 s uses a 30 s step (counter 1); with
	// the 60 s step, counter 1 starts at 60 s.
	at := time.Unix(60, 0)
	assert.Equal(t, "287082", totpAt(secret, at))
	assert.Equal(t, "287082", totpAt(secret, time.Unix(119, 0)))
	assert.Equal(t, "359152", totpAt(secret, time.Unix(120, 0)))

	tests := []struct {
		name string
		code string
		at   time.Time
		want bool
	}{
		{"current step", "359152", time.Unix(150, 0), true},
		{"previous step", "287082", time.Unix(150, 0), true},
		{"next step", "969429", time.Unix(150, 0), true},
		{"two steps back", "755224", time.Unix(150, 0), false},
		{"wrong code", "000000", time.Unix(150, 0), false},
		{"too short", "35915", time.Unix(150, 0), false},
		{"too long", "3591520", time.Unix(150, 0), false},
		{"empty", "", time.Unix(150, 0), false},
		{"first step has no previous", "755224", time.Unix(10, 0), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, totpValid(secret, tc.code, tc.at))
		})
	}
}

func TestParseFieldsCoercion(t *testing.T) {
	tests := []struct {
		name, ctype, body, query string
		check                    func(t *testing.T, f fields)
	}{
		{"json types", "application/json", `{"a":"x","n":3600,"b":true,"o":{"ip":"1.2.3.4","user-agent":"UA"}}`, "", func(t *testing.T, f fields) {
			assert.Equal(t, "x", f.text("a"))
			n, ok, e := f.integer("n")
			assert.Nil(t, e)
			assert.True(t, ok)
			assert.EqualValues(t, 3600, n)
			s, _ := f.str("n")
			assert.Equal(t, "3600", s)
			b, e := f.boolean("b", false)
			assert.Nil(t, e)
			assert.True(t, b)
			assert.Equal(t, map[string]string{"ip": "1.2.3.4", "user-agent": "UA"}, f.object("o"))
		}},
		{"string coercion", "application/json", `{"g":"false","n":"3600","t":"1","f":"off"}`, "", func(t *testing.T, f fields) {
			b, _ := f.boolean("g", true)
			assert.False(t, b)
			n, _, _ := f.integer("n")
			assert.EqualValues(t, 3600, n)
			b, _ = f.boolean("t", false)
			assert.True(t, b)
			b, _ = f.boolean("f", true)
			assert.False(t, b)
			b, _ = f.boolean("missing", true)
			assert.True(t, b)
		}},
		{"bad values", "application/json", `{"g":"maybe","n":"12x","f":1.5}`, "", func(t *testing.T, f fields) {
			_, e := f.boolean("g", true)
			assert.NotNil(t, e)
			_, _, e = f.integer("n")
			assert.NotNil(t, e)
			_, _, e = f.integer("f")
			assert.NotNil(t, e)
		}},
		{"form", "application/x-www-form-urlencoded", "email=a%40b.test&generate_token=true&source_client[ip]=9.9.9.9", "", func(t *testing.T, f fields) {
			assert.Equal(t, "a@b.test", f.text("email"))
			b, _ := f.boolean("generate_token", false)
			assert.True(t, b)
			assert.Equal(t, map[string]string{"ip": "9.9.9.9"}, f.object("source_client"))
		}},
		{"query fills gaps, events ignored", "application/json", `{"email":"body@x.test"}`, "email=query@x.test&events=true&extra=1", func(t *testing.T, f fields) {
			assert.Equal(t, "body@x.test", f.text("email"))
			assert.Equal(t, "1", f.text("extra"))
			assert.NotContains(t, f, "events")
		}},
		{"JSON without content type", "", `{"email":"a@b.test"}`, "", func(t *testing.T, f fields) {
			assert.Equal(t, "a@b.test", f.text("email"))
		}},
		{"leading whitespace", "application/json", "\n {\"a\":1}", "", func(t *testing.T, f fields) {
			assert.Equal(t, "1", f.text("a"))
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/v1/x?"+tc.query, strings.NewReader(tc.body))
			if tc.ctype != "" {
				r.Header.Set("Content-Type", tc.ctype)
			}
			f, e := parseFields(r)
			require.Nil(t, e)
			tc.check(t, f)
		})
	}

	for _, bad := range []string{`[1,2]`, `{"a":1} {"b":2}`, `{"a":`} {
		r := httptest.NewRequest(http.MethodPost, "/v1/x", strings.NewReader(bad))
		r.Header.Set("Content-Type", "application/json")
		_, e := parseFields(r)
		require.NotNil(t, e, bad)
		assert.Equal(t, http.StatusBadRequest, e.status)
	}
	r := httptest.NewRequest(http.MethodPost, "/v1/x", strings.NewReader(strings.Repeat("a", maxBodyBytes+1)))
	_, e := parseFields(r)
	require.NotNil(t, e)
	assert.Equal(t, http.StatusRequestEntityTooLarge, e.status)
}

func TestRender(t *testing.T) {
	vars := map[string]string{"name": "Server 1", "name_full": "Server One", "n": "N", "v": "{name}"}
	tests := []struct{ in, want string }{
		{"Transfer resource $name?", "Transfer resource Server 1?"},
		{"$name_full and $name", "Server One and Server 1"},
		{"Unknown $missing stays", "Unknown $missing stays"},
		{"Prefix $names", "Prefix Server 1s"},
		{"Price $5", "Price $5"},
		{"Braces {name}?", "Braces Server 1?"},
		{"{name_full} and {n}", "Server One and N"},
		{"Exact braces {names} stay", "Exact braces {names} stay"},
		{"Unknown {missing} stays", "Unknown {missing} stays"},
		{"JSON-ish {\"name\"} and { name }", "JSON-ish {\"name\"} and { name }"},
		{"Values are not re-rendered: $v", "Values are not re-rendered: {name}"},
		{"", ""},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, render(tc.in, vars), tc.in)
	}
}

func TestMountPrefix(t *testing.T) {
	tests := []struct {
		name, requestURI, path, rawPath, want string
	}{
		{"root", "/v1/enroll", "/v1/enroll", "", ""},
		{"prefix", "/_unloq/v1/enroll?x=1", "/v1/enroll", "", "/_unloq"},
		{"nested prefix", "/a/b/device", "/device", "", "/a/b"},
		{"escaped path", "/p/_control/profiles/a%40b.test/otp", "/_control/profiles/a@b.test/otp", "/_control/profiles/a%40b.test/otp", "/p"},
		{"absolute form", "http://host/p/device", "/device", "", "/p"},
		{"mismatch", "/other", "/device", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.RequestURI = tc.requestURI
			r.URL.Path, r.URL.RawPath = tc.path, tc.rawPath
			assert.Equal(t, tc.want, mountPrefix(r))
		})
	}
}

func TestOptionsValidate(t *testing.T) {
	tests := []struct {
		name string
		opt  Option
	}{
		{"empty API key", WithAPIKey("")},
		{"API key with space", WithAPIKey("a b")},
		{"empty widget key", WithWidgetKey("")},
		{"login URL relative without slash", WithLoginURL("uauth/login")},
		{"login URL ftp", WithLoginURL("ftp://x/login")},
		{"zero timeout", WithApprovalTimeout(0)},
		{"timeout status 200", WithTimeoutStatus(200)},
		{"nil clock", WithClock(nil)},
		{"zero pings", WithPings(0)},
		{"no methods", WithMethods()},
		{"bad method", WithMethods("SMS")},
		{"bad action code", WithAction("a b", "t", "")},
		{"long title", WithAction("x", strings.Repeat("t", 36), "")},
		{"bad webhook event", WithWebhook("login", "http://x/h", "", 0, 0)},
		{"relative webhook URL", WithWebhook("logout", "/h", "", 0, 0)},
		{"negative retry", WithWebhook("logout", "http://x/h", "", -1, 0)},
		{"public URL relative", WithPublicURL("/x")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.opt)
			require.Error(t, err)
			assert.True(t, strings.HasPrefix(err.Error(), "unloqtest: "), err.Error())
		})
	}
	s, err := New(nil, WithTimeoutStatus(408), WithMethods(unloq.MethodOTP))
	require.NoError(t, err)
	assert.Equal(t, 408, s.cfg.timeoutStatus)
	assert.Equal(t, DefaultAPIKey, s.APIKey())
	assert.Equal(t, DefaultWidgetKey, s.WidgetKey())
}

func TestPruneKeepsPending(t *testing.T) {
	s, err := New()
	require.NoError(t, err)
	s.mu.Lock()
	p := s.createProfileLocked("p@x.test", "", "", true)
	pending := &approval{p: p, typ: TypeAuthentication}
	s.newApprovalLocked(pending, true) // manual: stays pending
	for i := 0; i < 2*maxFinishedApprovals+10; i++ {
		s.newApprovalLocked(&approval{p: p, typ: TypeAuthentication}, false)
	}
	n := len(s.order)
	_, kept := s.approvals[pending.id]
	s.mu.Unlock()
	assert.LessOrEqual(t, n, 2*maxFinishedApprovals+1)
	assert.True(t, kept, "pending approvals are never pruned")
	b, err := json.Marshal(s.Approvals("", StatusPending))
	require.NoError(t, err)
	assert.Contains(t, string(b), pending.id)
}

// A webhook fired while the simulator closes is either delivered before
// Close returns or not started: Close's Wait never races an Add.
func TestFireAsyncDuringClose(t *testing.T) {
	var hits atomic.Int32
	hook := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	defer hook.Close()
	for range 200 {
		s, err := New(WithWebhook(EventActivate, hook.URL, "", 0, 0))
		require.NoError(t, err)
		fired := make(chan struct{})
		go func() {
			defer close(fired)
			s.fireAsync(EventActivate, url.Values{"unloq_id": {"1001"}})
		}()
		require.NoError(t, s.Close())
		<-fired
		before := hits.Load()
		require.NoError(t, s.Close())
		assert.Equal(t, before, hits.Load(), "no delivery outlives Close")
	}
}

// Close ends the retries of a RemoteLogout whose hook keeps failing.
func TestCloseStopsRemoteLogoutRetries(t *testing.T) {
	first := make(chan struct{}, 1)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		select {
		case first <- struct{}{}:
		default:
		}
		w.WriteHeader(http.StatusInternalServerError)
	}))
	defer hook.Close()
	s, err := New(WithWebhook(EventLogout, hook.URL, "", 5, time.Hour))
	require.NoError(t, err)
	s.AddProfile("ann@example.test", "", "")
	done := make(chan error, 1)
	go func() { done <- s.RemoteLogout(context.Background(), "ann@example.test", "sid-1") }()
	<-first
	require.NoError(t, s.Close())
	select {
	case err := <-done:
		assert.ErrorIs(t, err, context.Canceled)
	case <-time.After(5 * time.Second):
		t.Fatal("RemoteLogout still retrying after Close")
	}
}
