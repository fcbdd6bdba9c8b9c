package unloqtest

import (
	"net/http/httptest"
	"testing"

	"github.com/unloq2fa/unloq2fa/unloq"
)

// Server is a Simulator running on a local httptest server.
type Server struct {
	*httptest.Server
	Sim *Simulator
}

// NewServer starts a simulator on a plain-http httptest server at
// 127.0.0.1. It is closed by t.Cleanup (pending approvals are cancelled
// first, so blocked calls do not hold the shutdown up).
func NewServer(t testing.TB, opts ...Option) *Server {
	t.Helper()
	return start(t, false, opts)
}

// NewTLSServer is NewServer with https (a self-signed certificate trusted
// by the Server's Client).
func NewTLSServer(t testing.TB, opts ...Option) *Server {
	t.Helper()
	return start(t, true, opts)
}

func start(t testing.TB, tls bool, opts []Option) *Server {
	t.Helper()
	sim, err := New(opts...)
	if err != nil {
		t.Fatalf("unloqtest: %v", err)
	}
	var hs *httptest.Server
	if tls {
		hs = httptest.NewTLSServer(sim)
	} else {
		hs = httptest.NewServer(sim)
	}
	t.Cleanup(func() {
		_ = sim.Close()
		hs.Close()
	})
	return &Server{Server: hs, Sim: sim}
}

// Client returns an *unloq.Client for this server: base URL {URL}/v1, the
// simulator's API key, WithAllowHTTP for plain servers or the TLS server's
// trusting http.Client. opts are applied after these.
func (s *Server) Client(t testing.TB, opts ...unloq.Option) *unloq.Client {
	t.Helper()
	base := []unloq.Option{unloq.WithBaseURL(s.URL + "/v1")}
	if s.TLS != nil {
		base = append(base, unloq.WithHTTPClient(s.Server.Client()))
	} else {
		base = append(base, unloq.WithAllowHTTP())
	}
	c, err := unloq.NewClient(s.Sim.APIKey(), append(base, opts...)...)
	if err != nil {
		t.Fatalf("unloqtest: new client: %v", err)
	}
	return c
}
