package handlers

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// EventKind names what happened in a flow.
type EventKind string

// Event kinds.
const (
	// EventChallenged: a push was sent to the phone, or a QR code for
	// pairing was shown.
	EventChallenged EventKind = "challenged"
	// EventApproved: an approval was confirmed (token exchanged and checked);
	// for the login flow the session is now verified.
	EventApproved EventKind = "approved"
	// EventDenied: the user declined on the phone, or UNLOQ asked for (or
	// rejected) the one-time code.
	EventDenied EventKind = "denied"
	// EventTimedOut: the phone did not answer in time, or the call timed out.
	EventTimedOut EventKind = "timed_out"
	// EventEnrolled: second_factor was set to "UNLOQ" in the store.
	EventEnrolled EventKind = "enrolled"
	// EventDisabled: second_factor was cleared in the store.
	EventDisabled EventKind = "disabled"
	// EventFailed: any other failure (Err says which, see the Err… values).
	EventFailed EventKind = "failed"
)

// Flow names carried by Event.Flow.
const (
	FlowLogin   = "login"   // LogIn, TwoStep, Callback
	FlowEnroll  = "enroll"  // Enable and its status route
	FlowDisable = "disable" // Disable
	FlowLogout  = "logout"  // LogoutRoute
)

// Event is an audit record of a flow step. It never carries a token, an
// OTP, a key or a cookie; Err is one of the package's typed errors (match
// it with errors.Is), possibly wrapping an *unloq.Error or a store error.
type Event struct {
	Kind   EventKind
	Flow   string // FlowLogin, FlowEnroll or FlowDisable
	UserID string // "" when no user is known (anonymous request)
	IP     string // the client IP as the handlers see it (see WithClientIP)
	Time   time.Time
	Err    error // nil for successful steps
	// Factor is the second factor that completed a login (FactorUNLOQ,
	// FactorRecoveryCode, or the name given to CompleteSecondFactor) on
	// EventApproved of FlowLogin; "" otherwise.
	Factor string
}

func (h *Handlers) emit(ctx context.Context, kind EventKind, flow, userID, ip string, err error) {
	h.emitEvent(ctx, Event{Kind: kind, Flow: flow, UserID: userID, IP: ip, Time: time.Now(), Err: err})
}

func (h *Handlers) emitEvent(ctx context.Context, ev Event) {
	kind, flow, userID, ip, err := ev.Kind, ev.Flow, ev.UserID, ev.IP, ev.Err
	if h.cfg.hook != nil {
		h.cfg.hook(context.WithoutCancel(ctx), ev)
	}
	l := h.cfg.logger
	configErr := errors.Is(err, CodeConfig) || errors.Is(err, CodeAddress)
	if l == nil && configErr {
		// The one exception to silence without a logger: the app is
		// misconfigured (or an account cannot use UNLOQ), which only the
		// operator can fix.
		l = slog.Default()
	}
	if l != nil {
		level := slog.LevelInfo
		if kind == EventFailed || kind == EventDenied || kind == EventTimedOut {
			level = slog.LevelWarn
		}
		if configErr {
			level = slog.LevelError
		}
		attrs := []slog.Attr{
			slog.String("event", string(kind)),
			slog.String("flow", flow),
			slog.String("user_id", userID),
			slog.String("ip", ip),
		}
		if err != nil {
			attrs = append(attrs, slog.String("error", err.Error()))
		}
		if ev.Factor != "" {
			attrs = append(attrs, slog.String("factor", ev.Factor))
		}
		l.LogAttrs(context.WithoutCancel(ctx), level, "unloq2fa "+flow+" "+string(kind), attrs...)
	}
}

// kindFor maps a flow failure to its event kind.
func kindFor(err error) EventKind {
	switch {
	case isAny(err, CodeDenied, CodeOTPRequired, CodeWrongOTP):
		return EventDenied
	case isAny(err, CodeTimeout):
		return EventTimedOut
	}
	return EventFailed
}
