package unloqtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/unloq2fa/unloq2fa/unloq"
)

// Errors of RemoteLogout that are not delivery failures.
var (
	errNoSession    = errors.New("no session id (none given and none attached to the profile's logins)")
	errNoLogoutHook = errors.New("no logout webhook configured (WithWebhook(EventLogout, …) or unloq-sim -logout-hook)")
)

// webhookRequestedWith is the X-Requested-With value on webhook deliveries.
const webhookRequestedWith = "unloq-sim"

// Delivery records one webhook delivery attempt.
type Delivery struct {
	Event     string     `json:"event"`
	URL       string     `json:"url"`
	Params    url.Values `json:"params"`
	Signature string     `json:"signature"`
	Attempt   int        `json:"attempt"` // 1 for the first delivery
	Status    int        `json:"status"`  // HTTP status, 0 on transport error
	Error     string     `json:"error,omitempty"`
	At        time.Time  `json:"at"`
}

func hookParams(p *profile, ip string) url.Values {
	v := url.Values{}
	v.Set("unloq_id", p.unloqID())
	v.Set("email", p.email)
	v.Set("ip", ip)
	return v
}

func (s *Simulator) hooks(event string) []webhook {
	var out []webhook
	for _, h := range s.cfg.webhooks {
		if h.event == event {
			out = append(out, h)
		}
	}
	return out
}

// fireAsync delivers event to its webhooks in the background (activate,
// deactivate). Close cancels retries and waits for these goroutines.
func (s *Simulator) fireAsync(event string, params url.Values) {
	hs := s.hooks(event)
	if len(hs) == 0 {
		return
	}
	// Checked and counted under s.mu, which Close holds to close s.closed:
	// every Add happens before Close's Wait, or not at all.
	s.mu.Lock()
	if s.isClosed() {
		s.mu.Unlock()
		return
	}
	s.wg.Add(len(hs))
	s.mu.Unlock()
	for _, h := range hs {
		go func() {
			defer s.wg.Done()
			_ = s.deliver(s.bg, h, params)
		}()
	}
}

// deliver POSTs params to h, retrying h.retry times h.retryTimeout apart
// on failure. It returns nil after a 2xx answer.
func (s *Simulator) deliver(ctx context.Context, h webhook, params url.Values) error {
	secret := h.secret
	if secret == "" {
		secret = s.cfg.apiKey
	}
	sig := unloq.SignWebhook(secret, h.url, params)
	body := params.Encode()
	hc := &http.Client{
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	var lastErr error
	for attempt := 1; attempt <= h.retry+1; attempt++ {
		if attempt > 1 {
			t := time.NewTimer(h.retryTimeout)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return fmt.Errorf("unloqtest: webhook %s: %w (last: %v)", h.event, ctx.Err(), lastErr)
			}
		}
		d := Delivery{Event: h.event, URL: h.url, Params: params, Signature: sig, Attempt: attempt}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.url, strings.NewReader(body))
		if err == nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set(unloq.SignatureHeader, sig)
			req.Header.Set("X-Requested-With", webhookRequestedWith)
			req.Header.Set("User-Agent", "unloq-sim-webhook")
			var resp *http.Response
			resp, err = hc.Do(req)
			if err == nil {
				_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
				resp.Body.Close()
				d.Status = resp.StatusCode
				if resp.StatusCode < 200 || resp.StatusCode > 299 {
					err = fmt.Errorf("HTTP %d", resp.StatusCode)
				}
			}
		}
		d.At = s.now()
		if err != nil {
			d.Error = err.Error()
		}
		s.recordDelivery(d)
		s.log.Debug("unloqtest: webhook", "event", h.event, "attempt", attempt, "status", d.Status, "error", d.Error)
		if err == nil {
			return nil
		}
		lastErr = err
	}
	return fmt.Errorf("unloqtest: webhook %s to %s failed after %d attempt(s): %w", h.event, h.url, h.retry+1, lastErr)
}

func (s *Simulator) recordDelivery(d Delivery) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deliveries = append(s.deliveries, d)
	if len(s.deliveries) > maxDeliveries {
		s.deliveries = append([]Delivery(nil), s.deliveries[len(s.deliveries)-maxDeliveries:]...)
	}
}

// Deliveries returns the webhook delivery attempts so far, oldest first.
func (s *Simulator) Deliveries() []Delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Delivery{}, s.deliveries...)
}

// RemoteLogout simulates the user logging out session sid from the phone:
// it POSTs {unloq_id, sid} to every "logout" webhook, signed like UNLOQ's
// (X-Unloq-Signature) with
// X-Requested-With, retrying on failure as configured. It returns once
// every hook accepted the delivery (nil) or gave up (error), or when ctx
// ends or the simulator closes. If sid is empty, the sid last attached to one of the profile's
// approvals is used.
func (s *Simulator) RemoteLogout(ctx context.Context, email, sid string) error {
	s.mu.Lock()
	p := s.profileLocked(email)
	if p == nil {
		s.mu.Unlock()
		return fmt.Errorf("unloqtest: remote logout %q: %w", email, errUnknownProfile)
	}
	if sid == "" {
		for i := len(s.order) - 1; i >= 0; i-- {
			if a := s.order[i]; a.p == p && a.sid != "" {
				sid = a.sid
				break
			}
		}
	}
	id := p.unloqID()
	s.mu.Unlock()
	if sid == "" {
		return fmt.Errorf("unloqtest: remote logout %q: %w", email, errNoSession)
	}
	hs := s.hooks(EventLogout)
	if len(hs) == 0 {
		return fmt.Errorf("unloqtest: remote logout: %w", errNoLogoutHook)
	}
	params := url.Values{}
	params.Set("unloq_id", id)
	params.Set("sid", sid)
	// Close stops the retries here too, not only those of fireAsync.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(s.bg, cancel)()
	var errs []error
	for _, h := range hs {
		if err := s.deliver(ctx, h, params); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
