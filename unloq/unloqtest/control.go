package unloqtest

import (
	"errors"
	"net/http"
	"strings"
	"time"
)

// Mail is an e-mail "sent" by the EMAIL authentication method.
type Mail struct {
	To      string    `json:"to"`
	Subject string    `json:"subject"`
	Body    string    `json:"body"`
	Link    string    `json:"link"` // {login URL}?token=AU…
	SentAt  time.Time `json:"sent_at"`
}

// Mail returns the mails sent to email ("" for all), oldest first.
func (s *Simulator) Mail(email string) []Mail {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []Mail{}
	for _, m := range s.mails {
		if email == "" || normEmail(m.To) == normEmail(email) {
			out = append(out, m)
		}
	}
	return out
}

// controlStatus maps a Go control API error to an HTTP status.
func controlStatus(err error) int {
	if errors.Is(err, errUnknownProfile) || errors.Is(err, errUnknownApproval) {
		return http.StatusNotFound
	}
	return http.StatusConflict
}

func controlFields(w http.ResponseWriter, r *http.Request) (fields, bool) {
	f, e := parseControlFields(r)
	if e != nil {
		controlError(w, e.status, e.message)
		return nil, false
	}
	return f, true
}

func (s *Simulator) ctlProfiles(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.Profiles())
}

func (s *Simulator) ctlAddProfile(w http.ResponseWriter, r *http.Request) {
	f, ok := controlFields(w, r)
	if !ok {
		return
	}
	email := f.text("email")
	if !validEmail(email) {
		controlError(w, http.StatusBadRequest, "a valid \"email\" is required")
		return
	}
	s.AddProfile(email, f.text("first_name"), f.text("last_name"))
	for _, p := range s.Profiles() {
		if normEmail(p.Email) == normEmail(email) {
			writeJSON(w, http.StatusCreated, p)
			return
		}
	}
}

func (s *Simulator) ctlScan(w http.ResponseWriter, r *http.Request) {
	email := r.PathValue("email")
	if err := s.Scan(email); err != nil {
		controlError(w, controlStatus(err), err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"email": email, "enrolled": true})
}

func (s *Simulator) ctlBehavior(w http.ResponseWriter, r *http.Request) {
	f, ok := controlFields(w, r)
	if !ok {
		return
	}
	email := r.PathValue("email")
	mode := Behavior(strings.ToLower(f.text("mode")))
	if err := s.SetBehavior(email, mode); err != nil {
		controlError(w, http.StatusBadRequest, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"email": email, "mode": mode})
}

func (s *Simulator) ctlOTP(w http.ResponseWriter, r *http.Request) {
	otp, err := s.OTP(r.PathValue("email"))
	if err != nil {
		controlError(w, controlStatus(err), err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"otp": otp})
}

func (s *Simulator) ctlLogout(w http.ResponseWriter, r *http.Request) {
	f, ok := controlFields(w, r)
	if !ok {
		return
	}
	email := r.PathValue("email")
	if err := s.RemoteLogout(r.Context(), email, f.text("sid")); err != nil {
		st := controlStatus(err)
		if st == http.StatusConflict && !errors.Is(err, errNoSession) && !errors.Is(err, errNoLogoutHook) {
			st = http.StatusBadGateway // the application refused or missed the delivery
		}
		controlError(w, st, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"email": email, "delivered": true})
}

func (s *Simulator) ctlApprovals(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	writeJSON(w, http.StatusOK, s.Approvals(q.Get("email"), q.Get("status")))
}

func (s *Simulator) ctlAnswer(status string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		if err := s.answer(id, status); err != nil {
			controlError(w, controlStatus(err), err.Error())
			return
		}
		a, err := s.Approval(id)
		if err != nil {
			controlError(w, controlStatus(err), err.Error())
			return
		}
		writeJSON(w, http.StatusOK, a)
	}
}

func (s *Simulator) ctlMail(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.Mail(r.URL.Query().Get("email")))
}

func (s *Simulator) ctlFaults(w http.ResponseWriter, r *http.Request) {
	f, ok := controlFields(w, r)
	if !ok {
		return
	}
	ft := Fault{Path: f.text("path"), Mode: strings.ToLower(f.text("mode"))}
	// Accept the path as the caller sees it, with the mount prefix.
	if pre := mountPrefix(r); pre != "" && strings.HasPrefix(ft.Path, pre+"/") {
		ft.Path = strings.TrimPrefix(ft.Path, pre)
	}
	if !strings.HasPrefix(ft.Path, "/") {
		controlError(w, http.StatusBadRequest, "\"path\" must start with / (e.g. \"/v1/token\")")
		return
	}
	if !validFaultMode(ft.Mode) {
		controlError(w, http.StatusBadRequest, "\"mode\" must be error500, hang, garbage, slow, blocked or throttle")
		return
	}
	n, _, e := f.integer("count")
	if e != nil {
		controlError(w, http.StatusBadRequest, e.message)
		return
	}
	ms, _, e := f.integer("delay_ms")
	if e != nil || ms < 0 {
		controlError(w, http.StatusBadRequest, "\"delay_ms\" must be a non-negative integer")
		return
	}
	ft.Count = int(n)
	if ft.Count <= 0 {
		ft.Count = 1
	}
	ft.Delay = time.Duration(ms) * time.Millisecond
	s.InjectFault(ft)
	writeJSON(w, http.StatusCreated, map[string]any{"path": ft.Path, "mode": ft.Mode, "count": ft.Count, "delay_ms": ms})
}

func (s *Simulator) ctlClearFaults(w http.ResponseWriter, _ *http.Request) {
	s.ClearFaults()
	w.WriteHeader(http.StatusNoContent)
}

func (s *Simulator) ctlRequests(w http.ResponseWriter, _ *http.Request) {
	type rec struct {
		Method      string      `json:"method"`
		Path        string      `json:"path"`
		ContentType string      `json:"content_type"`
		Header      http.Header `json:"header"`
		Body        string      `json:"body"`
		At          time.Time   `json:"at"`
	}
	reqs := s.Requests()
	out := make([]rec, len(reqs))
	for i, r := range reqs {
		out[i] = rec{r.Method, r.Path, r.ContentType, r.Header, string(r.Body), r.At}
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Simulator) ctlDeliveries(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.Deliveries())
}

// ctlClock advances a FakeClock: {"advance":"61s"} or {"advance_ms":61000}.
func (s *Simulator) ctlClock(w http.ResponseWriter, r *http.Request) {
	fc, ok := s.cfg.clock.(*FakeClock)
	if !ok {
		controlError(w, http.StatusConflict, "the simulator runs on the real clock (use WithClock(NewFakeClock(…)))")
		return
	}
	f, ok := controlFields(w, r)
	if !ok {
		return
	}
	var d time.Duration
	if v := f.text("advance"); v != "" {
		pd, err := time.ParseDuration(v)
		if err != nil {
			controlError(w, http.StatusBadRequest, "\"advance\" must be a Go duration such as \"61s\"")
			return
		}
		d = pd
	} else {
		ms, _, e := f.integer("advance_ms")
		if e != nil {
			controlError(w, http.StatusBadRequest, e.message)
			return
		}
		d = time.Duration(ms) * time.Millisecond
	}
	fc.Advance(d)
	writeJSON(w, http.StatusOK, map[string]any{"now": fc.Now().UTC().Format(time.RFC3339Nano)})
}

func (s *Simulator) ctlActions(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.Actions())
}

// ctlSetAction defines an action: PUT /_control/actions/{code}
// {"title": "Pay $amount?", "message": "To {payee}"}.
func (s *Simulator) ctlSetAction(w http.ResponseWriter, r *http.Request) {
	f, ok := controlFields(w, r)
	if !ok {
		return
	}
	code := r.PathValue("code")
	title, _ := f.str("title")
	message, _ := f.str("message")
	if err := s.SetAction(code, title, message); err != nil {
		controlError(w, http.StatusBadRequest, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, Action{Code: code, Title: title, Message: message})
}

func (s *Simulator) ctlRemoveAction(w http.ResponseWriter, r *http.Request) {
	if !s.RemoveAction(r.PathValue("code")) {
		controlError(w, http.StatusNotFound, "no such action")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
