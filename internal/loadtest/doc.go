// Package loadtest drives an HTTP server over the loopback interface with
// keep-alive connections, bounded in time and in requests, and reports the
// throughput and latency percentiles. The middleware's tests use it to
// compare a wrapped mux with the bare one.
package loadtest
