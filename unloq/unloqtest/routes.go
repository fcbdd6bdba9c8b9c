package unloqtest

import (
	"net/http"
	"strings"
	"time"
)

// RecordedRequest is an API request the simulator received (/v1/… only).
type RecordedRequest struct {
	Method      string      `json:"method"`
	Path        string      `json:"path"` // relative to the mount prefix, with the query
	ContentType string      `json:"content_type"`
	Header      http.Header `json:"header"`
	Body        []byte      `json:"body"`
	At          time.Time   `json:"at"`
}

func (s *Simulator) routes() *http.ServeMux {
	m := http.NewServeMux()

	// UNLOQ API, Gen 2.
	m.HandleFunc("POST /v1/enroll", s.api(s.handleEnroll))
	m.HandleFunc("GET /v1/enrolled", s.api(s.handleEnrolled))
	m.HandleFunc("POST /v1/deactivate", s.api(s.handleDeactivate))
	m.HandleFunc("POST /v1/authenticate", s.api(s.handleAuthenticate))
	m.HandleFunc("POST /v1/token", s.api(s.handleToken))
	m.HandleFunc("POST /v1/token/session", s.api(s.handleSession))
	m.HandleFunc("POST /v1/token/device", s.api(s.handleDeviceToken))
	m.HandleFunc("POST /v1/token/generate", s.api(s.handleGenerateToken))
	m.HandleFunc("POST /v1/authorize/{code}", s.api(s.handleAuthorize))
	m.HandleFunc("POST /v1/encryption/user", s.api(s.handleEncryption))
	m.HandleFunc("POST /v1/encryption/user/", s.api(s.handleEncryption))
	m.HandleFunc("/v1/", s.api(s.handleNotFound))

	// Pages and assets.
	m.HandleFunc("GET /{$}", s.handleIndex)
	m.HandleFunc("GET /login.js", s.handleLoginJS)
	m.HandleFunc("OPTIONS /widget/authenticate", s.handleWidgetPreflight)
	m.HandleFunc("POST /widget/authenticate", s.handleWidgetAuthenticate)
	m.HandleFunc("GET /qr/{file}", s.handleQR)

	// The simulated phone.
	cop := http.NewCrossOriginProtection()
	m.HandleFunc("GET /device", s.handleDevice)
	m.HandleFunc("GET /device/state", s.handleDeviceState)
	m.Handle("POST /device/approvals/{id}/{answer}", cop.Handler(http.HandlerFunc(s.handleDeviceAnswer)))
	m.Handle("POST /device/pairings/{id}/scan", cop.Handler(http.HandlerFunc(s.handleDeviceScan)))
	m.Handle("POST /device/profiles/{email}/behavior", cop.Handler(http.HandlerFunc(s.handleDeviceBehavior)))

	// Control plane for tests and scripts (no credentials). Other programs
	// drive these routes: keep their paths and fields stable.
	m.HandleFunc("GET /_control/profiles", s.ctlProfiles)
	m.HandleFunc("POST /_control/profiles", s.ctlAddProfile)
	m.HandleFunc("POST /_control/profiles/{email}/scan", s.ctlScan)
	m.HandleFunc("PUT /_control/profiles/{email}/behavior", s.ctlBehavior)
	m.HandleFunc("GET /_control/profiles/{email}/otp", s.ctlOTP)
	m.HandleFunc("POST /_control/profiles/{email}/logout", s.ctlLogout)
	m.HandleFunc("GET /_control/approvals", s.ctlApprovals)
	m.HandleFunc("POST /_control/approvals/{id}/approve", s.ctlAnswer(StatusApproved))
	m.HandleFunc("POST /_control/approvals/{id}/deny", s.ctlAnswer(StatusDenied))
	m.HandleFunc("GET /_control/mail", s.ctlMail)
	m.HandleFunc("POST /_control/faults", s.ctlFaults)
	m.HandleFunc("DELETE /_control/faults", s.ctlClearFaults)
	m.HandleFunc("GET /_control/requests", s.ctlRequests)
	m.HandleFunc("GET /_control/webhooks", s.ctlDeliveries)
	m.HandleFunc("POST /_control/clock", s.ctlClock)
	m.HandleFunc("GET /_control/actions", s.ctlActions)
	m.HandleFunc("PUT /_control/actions/{code}", s.ctlSetAction)
	m.HandleFunc("DELETE /_control/actions/{code}", s.ctlRemoveAction)
	m.HandleFunc("/_control/", func(w http.ResponseWriter, r *http.Request) {
		controlError(w, http.StatusNotFound, "no such control endpoint")
	})
	return m
}

// ServeHTTP serves the simulator's HTTP surface under any mount prefix.
func (s *Simulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !strings.HasPrefix(r.URL.Path, "/") {
		// Mounted with http.StripPrefix("/x/", …): restore the leading slash.
		r2 := *r
		u := *r.URL
		u.Path = "/" + u.Path
		if u.RawPath != "" {
			u.RawPath = "/" + u.RawPath
		}
		r2.URL = &u
		r = &r2
	}
	path := r.URL.Path
	if strings.HasPrefix(path, "/v1/") {
		s.record(r)
	}
	if !strings.HasPrefix(path, "/_control/") {
		if f := s.takeFault(path); f != nil && s.applyFault(w, r, f) {
			return
		}
	}
	s.mux.ServeHTTP(w, r)
}

func (s *Simulator) record(r *http.Request) {
	body, _ := readBody(r)
	rec := RecordedRequest{
		Method:      r.Method,
		Path:        r.URL.RequestURI(),
		ContentType: r.Header.Get("Content-Type"),
		Header:      r.Header.Clone(),
		Body:        append([]byte(nil), body...),
		At:          s.now(),
	}
	s.mu.Lock()
	s.requests = append(s.requests, rec)
	if len(s.requests) > maxRecordedRequests {
		s.requests = append([]RecordedRequest(nil), s.requests[len(s.requests)-maxRecordedRequests/2:]...)
	}
	s.mu.Unlock()
}

// Requests returns copies of the API requests received so far, oldest
// first (the most recent few thousand).
func (s *Simulator) Requests() []RecordedRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]RecordedRequest, len(s.requests))
	for i, r := range s.requests {
		r.Header = r.Header.Clone()
		r.Body = append([]byte(nil), r.Body...)
		out[i] = r
	}
	return out
}

// ResetRequests forgets the recorded requests.
func (s *Simulator) ResetRequests() {
	s.mu.Lock()
	s.requests = nil
	s.mu.Unlock()
}
