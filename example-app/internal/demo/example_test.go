package demo_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/unloq2fa/unloq2fa/example-app/internal/demo"
)

// ParseConfig reads flags and environment; without UNLOQ keys the demo
// embeds the simulator and uses development cookies.
func ExampleParseConfig() {
	getenv := func(string) string { return "" }
	cfg, err := demo.ParseConfig([]string{"-db", ":memory:"}, getenv, io.Discard)
	if err != nil {
		panic(err)
	}
	fmt.Println(cfg.Simulated(), cfg.DevCookies, cfg.SelfURL)
	// Output: true true http://127.0.0.1:8080
}

// New builds the app for a server whose URL is known before it starts, so
// the app's UNLOQ client can reach the embedded simulator through it.
func ExampleNew() {
	srv := httptest.NewUnstartedServer(nil)
	app, err := demo.New(context.Background(), demo.Config{
		DBPath:  ":memory:",
		SelfURL: "http://" + srv.Listener.Addr().String(),
	})
	if err != nil {
		panic(err)
	}
	defer app.Close()
	srv.Config.Handler = app.Handler()
	srv.Start()
	defer srv.Close()

	for _, path := range []string{"/", "/_unloq/device", "/dashboard"} {
		c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := c.Get(srv.URL + path)
		if err != nil {
			panic(err)
		}
		resp.Body.Close()
		fmt.Println(strings.TrimSpace(fmt.Sprintf("%s %d %s", path, resp.StatusCode, resp.Header.Get("Location"))))
	}
	fmt.Println("simulator embedded:", app.Simulator() != nil)
	// Output:
	// / 200
	// /_unloq/device 200
	// /dashboard 302 /login?next=%2Fdashboard
	// simulator embedded: true
}
