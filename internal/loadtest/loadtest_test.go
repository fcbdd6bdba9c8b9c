package loadtest_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/internal/loadtest"
)

func TestRunCountsAndBounds(t *testing.T) {
	var served atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		if c, err := r.Cookie("c"); err != nil || c.Value != "v" {
			http.Error(w, "no cookie", http.StatusForbidden)
			return
		}
		_, _ = w.Write([]byte("ok"))
	}))
	defer srv.Close()
	cfg := loadtest.Config{URL: srv.URL, Conns: 4, Duration: 10 * time.Second, MaxRequests: 300,
		Cookies: []*http.Cookie{{Name: "c", Value: "v"}}, WantStatus: 200, WantBody: []byte("ok")}
	res, err := loadtest.Run(context.Background(), cfg)
	require.NoError(t, err)
	assert.Equal(t, 300, res.Requests, "bounded by MaxRequests")
	assert.Zero(t, res.Errors)
	assert.EqualValues(t, 300, served.Load())
	assert.Positive(t, res.RPS)
	assert.Positive(t, res.P50)
	assert.GreaterOrEqual(t, res.P99, res.P50)

	// Wrong answers are counted as errors.
	cfg.Cookies = nil
	res, err = loadtest.Run(context.Background(), cfg)
	require.NoError(t, err)
	assert.Equal(t, 300, res.Errors)
	assert.Zero(t, res.Requests)
	assert.ErrorContains(t, res.FirstErr, "status 403")

	// Bounded in time.
	cfg.Cookies, cfg.MaxRequests, cfg.Duration = []*http.Cookie{{Name: "c", Value: "v"}}, 10_000_000, 200*time.Millisecond
	start := time.Now()
	res, err = loadtest.Run(context.Background(), cfg)
	require.NoError(t, err)
	assert.Less(t, time.Since(start), 5*time.Second)
	assert.Positive(t, res.Requests)
	assert.Zero(t, res.Errors)
}

func TestRunRefusesBadConfig(t *testing.T) {
	good := loadtest.Config{URL: "http://127.0.0.1:1/", Conns: 1, Duration: time.Second, MaxRequests: 1, WantStatus: 200}
	for name, edit := range map[string]func(*loadtest.Config){
		"not loopback": func(c *loadtest.Config) { c.URL = "http://10.0.0.1/" },
		"host name":    func(c *loadtest.Config) { c.URL = "http://example.com/" },
		"https":        func(c *loadtest.Config) { c.URL = "https://127.0.0.1/" },
		"no conns":     func(c *loadtest.Config) { c.Conns = 0 },
		"long":         func(c *loadtest.Config) { c.Duration = time.Hour },
		"no requests":  func(c *loadtest.Config) { c.MaxRequests = 0 },
		"no status":    func(c *loadtest.Config) { c.WantStatus = 0 },
	} {
		t.Run(name, func(t *testing.T) {
			c := good
			edit(&c)
			_, err := loadtest.Run(context.Background(), c)
			assert.ErrorContains(t, err, "loadtest: ")
		})
	}
}
