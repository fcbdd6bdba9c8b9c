package middleware_test

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/gorilla/sessions"

	"github.com/unloq2fa/unloq2fa/middleware"
	"github.com/unloq2fa/unloq2fa/session"
)

// The benchmarks share one setup: a Manager with hash and block keys (and
// the verified cache on, as by default), the same without the cache, a
// verified session cookie made once (and a pending one for the redirect),
// and, for reference, a plain gorilla CookieStore with the same keys and
// its own (gob) cookie: what a request cost before the compact codec.
//
// Each iteration serves a fresh shallow copy of a prepared request into a
// fresh httptest.ResponseRecorder: gorilla's registry writes into *r, so
// reusing one request would let CookieStore.Get serve its cached session
// instead of decoding. The copy and the recorder are part of every
// benchmark, Baseline included.
type benchSetup struct {
	sm        *session.Manager
	mw        *middleware.Middleware
	mwNoCache *middleware.Middleware
	store     *sessions.CookieStore
	verified  *http.Cookie
	pending   *http.Cookie
	gob       *http.Cookie // verified, written by store
}

var (
	benchOnce sync.Once
	bench     benchSetup
)

func setup(tb testing.TB) *benchSetup {
	benchOnce.Do(func() {
		sm, err := session.NewManager(session.WithKeys(hashKey, blockKey))
		if err != nil {
			panic(err)
		}
		mw, err := middleware.New(sm)
		if err != nil {
			panic(err)
		}
		smNoCache, err := session.NewManager(session.WithKeys(hashKey, blockKey), session.WithVerifiedCache(0))
		if err != nil {
			panic(err)
		}
		mwNoCache, err := middleware.New(smNoCache)
		if err != nil {
			panic(err)
		}
		store := sessions.NewCookieStore(hashKey, blockKey)
		gobSM, err := session.NewManager(session.WithStore(store))
		if err != nil {
			panic(err)
		}
		bench = benchSetup{
			sm:        sm,
			mw:        mw,
			mwNoCache: mwNoCache,
			store:     store,
			verified:  loginCookie(tb, sm, "u1", false),
			pending:   loginCookie(tb, sm, "u1", true),
			gob:       loginCookie(tb, gobSM, "u1", false),
		}
	})
	return &bench
}

var benchBody = []byte("<!doctype html><title>dashboard</title><p>hello</p>\n")

// benchHandler is the application: a small page.
var benchHandler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write(benchBody)
})

// benchRequest is a browser's GET of target, with cookie c unless nil.
func benchRequest(target string, c *http.Cookie) *http.Request {
	r := httptest.NewRequest(http.MethodGet, target, nil)
	if c != nil {
		r.AddCookie(c)
	}
	r.Header.Set("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
	return r
}

// serveOnce is one benchmark iteration.
func serveOnce(h http.Handler, base *http.Request) *httptest.ResponseRecorder {
	r := new(http.Request)
	*r = *base
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func runBench(b *testing.B, h http.Handler, base *http.Request, wantCode int) {
	if w := serveOnce(h, base); w.Code != wantCode {
		b.Fatalf("status %d, want %d", w.Code, wantCode)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		serveOnce(h, base)
	}
}

// cookieStoreGet is gorilla's own decoding (gob): a bare middleware doing
// CookieStore.Get and reading was_2fa. For reference only.
func cookieStoreGet(store sessions.Store, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, err := store.Get(r, session.DefaultCookieName)
		if err != nil {
			http.Error(w, "bad session", http.StatusInternalServerError)
			return
		}
		if was, _ := s.Values["was_2fa"].(bool); !was {
			http.Redirect(w, r, "/login/two-step", http.StatusFound)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func BenchmarkBaseline(b *testing.B) {
	s := setup(b)
	runBench(b, benchHandler, benchRequest("/dashboard", s.verified), http.StatusOK)
}

func BenchmarkBaselineNoCookie(b *testing.B) {
	runBench(b, benchHandler, benchRequest("/dashboard", nil), http.StatusOK)
}

func BenchmarkCookieStoreGet(b *testing.B) {
	s := setup(b)
	runBench(b, cookieStoreGet(s.store, benchHandler), benchRequest("/dashboard", s.gob), http.StatusOK)
}

func BenchmarkNoCookie(b *testing.B) {
	s := setup(b)
	runBench(b, s.mw.Wrap(benchHandler), benchRequest("/dashboard", nil), http.StatusOK)
}

func BenchmarkExemptPath(b *testing.B) {
	s := setup(b)
	runBench(b, s.mw.Wrap(benchHandler), benchRequest("/uauth/login?token=AU1", s.verified), http.StatusOK)
}

func BenchmarkVerifiedSession(b *testing.B) {
	s := setup(b)
	runBench(b, s.mw.Wrap(benchHandler), benchRequest("/dashboard", s.verified), http.StatusOK)
}

// BenchmarkVerifiedSessionUncached is the verified request without the
// cache: the cryptography and the compact codec on every request.
func BenchmarkVerifiedSessionUncached(b *testing.B) {
	s := setup(b)
	runBench(b, s.mwNoCache.Wrap(benchHandler), benchRequest("/dashboard", s.verified), http.StatusOK)
}

func BenchmarkPendingRedirect(b *testing.B) {
	s := setup(b)
	runBench(b, s.mw.Wrap(benchHandler), benchRequest("/dashboard", s.pending), http.StatusFound)
}
