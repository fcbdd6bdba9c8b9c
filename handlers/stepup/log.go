package stepup

import (
	"errors"
	"log/slog"
)

func slogLevel(err error) slog.Level {
	if errors.Is(err, ErrStore) || errors.Is(err, ErrSession) || errors.Is(err, ErrConfig) || errors.Is(err, ErrUnavailable) {
		return slog.LevelError
	}
	return slog.LevelInfo
}

// slogErr logs the error text: it names the operation, the kind and the
// cause, never form values, cookies or keys.
func slogErr(err error) slog.Attr { return slog.String("error", err.Error()) }
