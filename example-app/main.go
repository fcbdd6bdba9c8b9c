// Command example-app is the unloq2fa demo: a small web application with
// its own password login plus UNLOQ push-approval two-step verification.
//
//	go run ./example-app                 # embedded UNLOQ simulator, http://127.0.0.1:8080
//	go run ./example-app -db :memory:    # throw-away database
//	UNLOQ_API_KEY=… UNLOQ_WIDGET_KEY=… go run ./example-app   # the real UNLOQ API
//
// Run it with -h for every flag and environment variable. The application
// itself lives in internal/demo; this file only reads the configuration and
// runs it until SIGINT or SIGTERM.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/unloq2fa/unloq2fa/example-app/internal/demo"
)

func main() {
	os.Exit(run())
}

// run is main with an exit code, so that deferred calls run before exit.
func run() int {
	cfg, err := demo.ParseConfig(os.Args[1:], os.Getenv, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := demo.Run(ctx, cfg, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}
