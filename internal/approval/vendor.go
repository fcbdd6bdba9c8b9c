package approval

import (
	"context"
	"errors"
	"net"
	"net/http"

	"github.com/unloq2fa/unloq2fa/unloq"
)

// Vendor maps an error of the UNLOQ client to a kind: Denied, Canceled
// (ctx was cancelled: the client went away), Timeout, Config (UNLOQ
// refused the request as malformed), else Unavailable. Every one refuses.
func (k Kinds) Vendor(ctx context.Context, op string, err error) error {
	switch {
	case unloq.IsDenied(err):
		return k.Wrap(op, k.Denied, err)
	case ctx.Err() != nil && errors.Is(ctx.Err(), context.Canceled):
		return k.Wrap(op, k.Canceled, err)
	case unloq.IsTimeout(err):
		return k.Wrap(op, k.Timeout, err)
	case errors.Is(err, unloq.ErrInvalidRequest):
		return k.Wrap(op, k.Config, err)
	default:
		return k.Wrap(op, k.Unavailable, err)
	}
}

// RemoteIP is the default client IP address sent to UNLOQ: the host of
// r.RemoteAddr when it is an IP address, else "".
func RemoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if ip := net.ParseIP(host); ip != nil {
		return ip.String()
	}
	return ""
}
