package unloqtest

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Limits on what the simulator remembers, so a long-running unloq-sim does
// not grow without bound. Pending approvals are never dropped.
const (
	maxFinishedApprovals = 10000
	maxRecordedRequests  = 5000
	maxMails             = 1000
	maxDeliveries        = 1000
)

// Simulator is a simulated UNLOQ application plus the users' phones. It
// implements http.Handler and is safe for concurrent use. Create it with New.
type Simulator struct {
	cfg config
	mux *http.ServeMux
	log *slog.Logger

	mu         sync.Mutex
	profiles   map[string]*profile // by normEmail
	byID       map[int64]*profile
	nextID     int64
	pairings   map[string]*pairing // by pairing id
	behaviors  map[string]Behavior // by normEmail
	approvals  map[string]*approval
	order      []*approval // creation order
	tokens     map[string]*accessToken
	mintCount  int
	mails      []Mail
	faults     []*Fault
	requests   []RecordedRequest
	deliveries []Delivery
	actions    map[string]Action // by code: DefaultActions, then WithAction
	changed    chan struct{}     // closed and replaced on every approval change

	closed    chan struct{}
	closeOnce sync.Once
	bg        context.Context // cancelled by Close; parent of webhook deliveries
	bgCancel  context.CancelFunc
	wg        sync.WaitGroup // background webhook deliveries
}

// New returns a Simulator configured by opts.
func New(opts ...Option) (*Simulator, error) {
	cfg := defaultConfig()
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(&cfg); err != nil {
			return nil, err
		}
	}
	log := cfg.logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	bg, cancel := context.WithCancel(context.Background())
	s := &Simulator{
		cfg:       cfg,
		log:       log,
		profiles:  map[string]*profile{},
		byID:      map[int64]*profile{},
		nextID:    1001,
		pairings:  map[string]*pairing{},
		behaviors: map[string]Behavior{},
		approvals: map[string]*approval{},
		tokens:    map[string]*accessToken{},
		changed:   make(chan struct{}),
		closed:    make(chan struct{}),
		bg:        bg,
		bgCancel:  cancel,
	}
	s.actions = map[string]Action{}
	for _, a := range DefaultActions() {
		s.actions[a.Code] = a
	}
	for code, a := range cfg.actions {
		s.actions[code] = a
	}
	s.mux = s.routes()
	return s, nil
}

// APIKey returns the application API key the simulator expects.
func (s *Simulator) APIKey() string { return s.cfg.apiKey }

// WidgetKey returns the Login Widget Key the simulator expects.
func (s *Simulator) WidgetKey() string { return s.cfg.widgetKey }

// Close ends every blocked call (pending approvals are cancelled and their
// callers get a 503 SERVER.SHUTDOWN error), releases hanging faults, stops
// webhook retries and waits for background deliveries to finish. The
// simulator keeps answering non-blocking calls afterwards. Close is
// idempotent.
func (s *Simulator) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock() // see fireAsync
		close(s.closed)
		s.mu.Unlock()
		s.bgCancel()
	})
	s.wg.Wait()
	return nil
}

func (s *Simulator) isClosed() bool {
	select {
	case <-s.closed:
		return true
	default:
		return false
	}
}

// notifyLocked wakes everyone waiting for an approval change. s.mu held.
func (s *Simulator) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

func (s *Simulator) now() time.Time { return s.cfg.clock.Now() }

// normEmail is the key under which a profile is found by e-mail: ASCII
// whitespace trimmed and ASCII letters lower-cased, every other byte kept.
// Unicode case folding would make look-alikes such as "\u212Aate@…" (Kelvin
// sign) or "ſam@…" collide with "kate@…" and "sam@…", which are other
// accounts and other UNLOQ profiles.
func normEmail(e string) string { return asciiLower(trimASCIISpace(e)) }

// asciiLower lower-cases the ASCII letters A–Z only.
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if c := b[j]; c >= 'A' && c <= 'Z' {
					b[j] = c + ('a' - 'A')
				}
			}
			return string(b)
		}
	}
	return s
}

// trimASCIISpace trims ASCII whitespace only: a no-break space or another
// Unicode space is part of the value, not padding around it.
func trimASCIISpace(s string) string { return strings.Trim(s, " \t\r\n\v\f") }

// randomBytes fills n bytes from crypto/rand (which never fails on
// supported platforms).
func randomBytes(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("unloqtest: crypto/rand: %v", err))
	}
	return b
}

// newAccessTokenValue returns "AU" + 128 URL-safe random characters.
func newAccessTokenValue() string {
	return "AU" + base64.RawURLEncoding.EncodeToString(randomBytes(96))
}

// newUUID returns a random RFC 4122 version 4 UUID string.
func newUUID() string {
	b := randomBytes(16)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// errNotFound and friends are returned by the Go control API.
var (
	errUnknownProfile  = errors.New("unloqtest: unknown profile")
	errUnknownApproval = errors.New("unloqtest: unknown approval")
)
