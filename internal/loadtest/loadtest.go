package loadtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Config is one load run.
type Config struct {
	// URL is fetched with GET; its host must be a loopback IP address.
	URL string
	// Conns is the number of concurrent keep-alive connections (1 to 256).
	Conns int
	// Duration bounds the run (at most one minute).
	Duration time.Duration
	// MaxRequests bounds the number of requests (1 to 10,000,000).
	MaxRequests int
	// Cookies are sent with every request.
	Cookies []*http.Cookie
	// WantStatus is the expected status code; any other is an error.
	WantStatus int
	// WantBody, when not nil, is the expected body.
	WantBody []byte
}

// Result reports a run.
type Result struct {
	Requests int           // completed with the expected answer
	Errors   int           // failed or answered otherwise
	Elapsed  time.Duration // wall time of the run
	RPS      float64       // Requests per second of Elapsed
	P50, P99 time.Duration // latency percentiles of the completed requests
	FirstErr error         // the first error, if any
}

// Run fetches cfg.URL from cfg.Conns goroutines until cfg.Duration has
// passed, cfg.MaxRequests were sent or ctx is done.
func Run(ctx context.Context, cfg Config) (Result, error) {
	if err := cfg.validate(); err != nil {
		return Result{}, err
	}
	tr := &http.Transport{
		MaxIdleConns:        cfg.Conns,
		MaxIdleConnsPerHost: cfg.Conns,
		MaxConnsPerHost:     cfg.Conns,
		DisableCompression:  true,
		IdleConnTimeout:     time.Minute,
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	ctx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()
	var sent atomic.Int64
	lat := make([][]time.Duration, cfg.Conns)
	errs := make([]int, cfg.Conns)
	var firstErr error
	var errOnce sync.Once
	start := time.Now()
	var wg sync.WaitGroup
	for w := range cfg.Conns {
		wg.Go(func() {
			buf := make([]byte, 0, 4096)
			for ctx.Err() == nil && sent.Add(1) <= int64(cfg.MaxRequests) {
				t0 := time.Now()
				err := fetch(ctx, client, &cfg, &buf)
				if err != nil {
					if ctx.Err() != nil {
						return // the run ended during the request
					}
					errs[w]++
					errOnce.Do(func() { firstErr = err })
					continue
				}
				lat[w] = append(lat[w], time.Since(t0))
			}
		})
	}
	wg.Wait()
	res := Result{Elapsed: time.Since(start), FirstErr: firstErr}
	var all []time.Duration
	for w := range cfg.Conns {
		all = append(all, lat[w]...)
		res.Errors += errs[w]
	}
	res.Requests = len(all)
	if res.Elapsed > 0 {
		res.RPS = float64(res.Requests) / res.Elapsed.Seconds()
	}
	if len(all) > 0 {
		slices.Sort(all)
		res.P50 = all[len(all)*50/100]
		res.P99 = all[min(len(all)-1, len(all)*99/100)]
	}
	return res, nil
}

func fetch(ctx context.Context, client *http.Client, cfg *Config, buf *[]byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, cfg.URL, nil)
	if err != nil {
		return err
	}
	for _, c := range cfg.Cookies {
		req.AddCookie(c)
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b := (*buf)[:0]
	for {
		if len(b) == cap(b) {
			b = slices.Grow(b, 4096)
		}
		n, rerr := resp.Body.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return rerr
		}
		if len(b) > 1<<20 {
			return errors.New("loadtest: response body over 1 MiB")
		}
	}
	*buf = b
	if resp.StatusCode != cfg.WantStatus {
		return fmt.Errorf("loadtest: status %d, want %d", resp.StatusCode, cfg.WantStatus)
	}
	if cfg.WantBody != nil && string(b) != string(cfg.WantBody) {
		return errors.New("loadtest: unexpected body")
	}
	return nil
}

func (c *Config) validate() error {
	u, err := url.Parse(c.URL)
	if err != nil || u.Scheme != "http" {
		return fmt.Errorf("loadtest: URL %q: want http://127.0.0.1:port/…", c.URL)
	}
	if ip := net.ParseIP(u.Hostname()); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("loadtest: URL %q: host must be a loopback IP address", c.URL)
	}
	switch {
	case c.Conns < 1 || c.Conns > 256:
		return fmt.Errorf("loadtest: %d connections, want 1 to 256", c.Conns)
	case c.Duration <= 0 || c.Duration > time.Minute:
		return fmt.Errorf("loadtest: duration %v, want up to one minute", c.Duration)
	case c.MaxRequests < 1 || c.MaxRequests > 10_000_000:
		return fmt.Errorf("loadtest: %d requests, want 1 to 10,000,000", c.MaxRequests)
	case c.WantStatus < 100 || c.WantStatus > 599:
		return fmt.Errorf("loadtest: want status %d", c.WantStatus)
	}
	return nil
}
