package guard

import (
	"errors"
	"fmt"
)

// Default caps of Memory.
const (
	// DefaultMaxPerUser is the most records of one kind that one user
	// holds at once.
	DefaultMaxPerUser = 1_000
	// DefaultMaxRecords is the most records a Memory holds at once (a few
	// hundred bytes each).
	DefaultMaxRecords = 1_000_000
)

// MemoryOption configures a Memory. Options check their input and
// NewMemory returns their error.
type MemoryOption func(*memoryConfig) error

type memoryConfig struct {
	maxPerUser int
	maxRecords int
	kindMax    map[string]int
}

// WithMaxPerUser sets the most records of one kind that one user (one
// Key.User, "" included) holds at once (default DefaultMaxPerUser). n must
// be at least 1.
func WithMaxPerUser(n int) MemoryOption {
	return func(c *memoryConfig) error {
		if n < 1 {
			return fmt.Errorf("guard: WithMaxPerUser(%d): must be at least 1", n)
		}
		c.maxPerUser = n
		return nil
	}
}

// WithKindMax sets the per-user cap of one kind, overriding WithMaxPerUser
// for it. n must be at least 1 and kind a valid Key.Kind.
func WithKindMax(kind string, n int) MemoryOption {
	return func(c *memoryConfig) error {
		if p := (Key{Kind: kind}).problem(); p != "" {
			return fmt.Errorf("guard: WithKindMax: %s", p)
		}
		if n < 1 {
			return fmt.Errorf("guard: WithKindMax(%q, %d): must be at least 1", kind, n)
		}
		c.kindMax[kind] = n
		return nil
	}
}

// WithMaxRecords sets the most records the Memory holds at once (default
// DefaultMaxRecords). n must be at least 1.
func WithMaxRecords(n int) MemoryOption {
	return func(c *memoryConfig) error {
		if n < 1 {
			return fmt.Errorf("guard: WithMaxRecords(%d): must be at least 1", n)
		}
		c.maxRecords = n
		return nil
	}
}

func (c *memoryConfig) apply(opts []MemoryOption) error {
	for _, o := range opts {
		if o == nil {
			return errors.New("guard: nil MemoryOption")
		}
		if err := o(c); err != nil {
			return err
		}
	}
	return nil
}
