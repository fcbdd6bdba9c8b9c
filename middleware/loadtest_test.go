package middleware_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/internal/loadtest"
)

// loadServers starts, on 127.0.0.1, the bare application mux and the same
// mux behind Wrap.
func loadServers(t *testing.T, s *benchSetup) (bare, wrapped *httptest.Server) {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle("GET /dashboard", benchHandler)
	bare = httptest.NewServer(mux)
	t.Cleanup(bare.Close)
	wrapped = httptest.NewServer(s.mw.Wrap(mux))
	t.Cleanup(wrapped.Close)
	return bare, wrapped
}

func loadConfig(url string, conns int, d time.Duration, maxReq int, c *http.Cookie) loadtest.Config {
	return loadtest.Config{URL: url + "/dashboard", Conns: conns, Duration: d, MaxRequests: maxReq,
		Cookies: []*http.Cookie{c}, WantStatus: http.StatusOK, WantBody: benchBody}
}

// TestLoopbackSmoke: a short load run over loopback of the wrapped mux
// answers every request correctly (a verified user reaches the page, a
// pending one is redirected) and reports latencies.
func TestLoopbackSmoke(t *testing.T) {
	s := setup(t)
	bare, wrapped := loadServers(t, s)
	ctx := context.Background()
	for _, srv := range []*httptest.Server{bare, wrapped} {
		res, err := loadtest.Run(ctx, loadConfig(srv.URL, 8, 10*time.Second, 400, s.verified))
		require.NoError(t, err)
		require.NoError(t, res.FirstErr)
		assert.Equal(t, 400, res.Requests)
		assert.Positive(t, res.P50)
	}
	cfg := loadConfig(wrapped.URL, 4, 10*time.Second, 100, s.pending)
	cfg.WantStatus, cfg.WantBody = http.StatusFound, nil
	res, err := loadtest.Run(ctx, cfg)
	require.NoError(t, err)
	require.NoError(t, res.FirstErr)
	assert.Equal(t, 100, res.Requests, "pending users are redirected")
}

type loadResult struct {
	bare, wrapped loadtest.Result
	ratio         float64 // wrapped / bare requests per second
}

// loadRatio runs the bare and the wrapped mux in rounds (alternating which
// goes first) of d each with conns keep-alive connections, and returns
// the round with the median ratio.
func loadRatio(t *testing.T, s *benchSetup, conns int, d time.Duration, rounds int) loadResult {
	t.Helper()
	bare, wrapped := loadServers(t, s)
	ctx := context.Background()
	run := func(url string, d time.Duration) loadtest.Result {
		res, err := loadtest.Run(ctx, loadConfig(url, conns, d, 5_000_000, s.verified))
		require.NoError(t, err)
		require.NoError(t, res.FirstErr)
		require.Positive(t, res.Requests)
		return res
	}
	// Warm up both servers' connection pools and the cache.
	run(bare.URL, d/4)
	run(wrapped.URL, d/4)
	var all []loadResult
	for i := range rounds {
		var r loadResult
		if i%2 == 0 {
			r.bare, r.wrapped = run(bare.URL, d), run(wrapped.URL, d)
		} else {
			r.wrapped, r.bare = run(wrapped.URL, d), run(bare.URL, d)
		}
		r.ratio = r.wrapped.RPS / r.bare.RPS
		t.Logf("round %d: bare %.0f req/s, wrapped %.0f req/s, ratio %.3f", i, r.bare.RPS, r.wrapped.RPS, r.ratio)
		all = append(all, r)
	}
	slices.SortFunc(all, func(a, b loadResult) int {
		switch {
		case a.ratio < b.ratio:
			return -1
		case a.ratio > b.ratio:
			return 1
		}
		return 0
	})
	return all[len(all)/2]
}
