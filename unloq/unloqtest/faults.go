package unloqtest

import (
	"net/http"
	"time"
)

// Fault modes.
const (
	FaultError500 = "error500" // HTTP 500 with a SERVER.ERROR envelope
	FaultHang     = "hang"     // never answer (until the client gives up or Close)
	FaultGarbage  = "garbage"  // HTTP 200 with a body that is not JSON
	FaultSlow     = "slow"     // answer normally after Delay (default 2 s)
	FaultBlocked  = "blocked"  // HTTP 403 FIREWALL.BLOCKED
	FaultThrottle = "throttle" // HTTP 429 FIREWALL.THROTTLE
)

// defaultSlowDelay is the delay of a "slow" fault without Delay.
const defaultSlowDelay = 2 * time.Second

// Fault makes the next Count requests to Path (relative to the mount
// prefix, e.g. "/v1/token") misbehave. Count <= 0 means 1.
type Fault struct {
	Path  string        `json:"path"`
	Mode  string        `json:"mode"` // error500, hang, garbage, slow, blocked, throttle
	Count int           `json:"count"`
	Delay time.Duration `json:"-"` // for "slow"; set over HTTP as "delay_ms"
}

func validFaultMode(m string) bool {
	switch m {
	case FaultError500, FaultHang, FaultGarbage, FaultSlow, FaultBlocked, FaultThrottle:
		return true
	}
	return false
}

// InjectFault arms f. Faults for the same path are used in the order they
// were injected. A fault with an unknown mode is ignored.
func (s *Simulator) InjectFault(f Fault) {
	if !validFaultMode(f.Mode) || f.Path == "" {
		return
	}
	if f.Count <= 0 {
		f.Count = 1
	}
	s.mu.Lock()
	s.faults = append(s.faults, &f)
	s.mu.Unlock()
}

// ClearFaults disarms all faults.
func (s *Simulator) ClearFaults() {
	s.mu.Lock()
	s.faults = nil
	s.mu.Unlock()
}

// takeFault consumes one use of the first fault armed for path.
func (s *Simulator) takeFault(path string) *Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.faults {
		if f.Path != path {
			continue
		}
		cp := *f
		f.Count--
		if f.Count <= 0 {
			s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
		}
		return &cp
	}
	return nil
}

// applyFault serves f. It reports whether the request was answered (false
// for "slow", which then continues normally).
func (s *Simulator) applyFault(w http.ResponseWriter, r *http.Request, f *Fault) bool {
	switch f.Mode {
	case FaultError500:
		newResponder(w).fail(newErr(http.StatusInternalServerError, "SERVER.ERROR", "Injected fault: internal server error."))
	case FaultBlocked:
		newResponder(w).fail(errBlocked)
	case FaultThrottle:
		newResponder(w).fail(errThrottled)
	case FaultGarbage:
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte("<html><body><h1>502 Bad Gateway</h1>{\"type\": garbage</body></html>\n"))
	case FaultHang:
		select {
		case <-r.Context().Done():
		case <-s.closed:
			newResponder(w).fail(errShutdown)
		}
	case FaultSlow:
		d := f.Delay
		if d <= 0 {
			d = defaultSlowDelay
		}
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
			return false
		case <-r.Context().Done():
		case <-s.closed:
			newResponder(w).fail(errShutdown)
		}
	}
	return true
}
