package unloq

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// ID is an UNLOQ identifier (unloq_id, approval ids, requester ids). UNLOQ's
// sources send it as a JSON string or as a JSON number; both decode to the
// same ID (numbers keep their literal digits, no float rounding). null
// decodes to the empty ID. An ID always encodes as a JSON string.
type ID string

// String returns the ID as text.
func (id ID) String() string { return string(id) }

// MarshalJSON encodes the ID as a JSON string.
func (id ID) MarshalJSON() ([]byte, error) { return json.Marshal(string(id)) }

// UnmarshalJSON accepts a JSON string, a JSON number or null.
func (id *ID) UnmarshalJSON(b []byte) error {
	s, err := flexText(b, false)
	if err != nil {
		return fmt.Errorf("unloq: id: %w", err)
	}
	*id = ID(s)
	return nil
}

// flexString decodes a JSON string, number, boolean or null into text. It is
// used for fields whose JSON type differs between UNLOQ's sources.
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	s, err := flexText(b, true)
	if err != nil {
		return err
	}
	*f = flexString(s)
	return nil
}

// looseString is flexString for optional display fields (names, image):
// a value of an unexpected JSON type (an object or an array) decodes to ""
// instead of failing the whole result.
type looseString string

func (f *looseString) UnmarshalJSON(b []byte) error {
	s, err := flexText(b, true)
	if err != nil {
		s = ""
	}
	*f = looseString(s)
	return nil
}

// flexBool decodes a JSON boolean, the strings "true"/"false" in any ASCII
// letter case ("TRUE", "True"), the numbers and strings 1/0, or null
// (false).
type flexBool bool

func (f *flexBool) UnmarshalJSON(b []byte) error {
	s, err := flexText(b, true)
	if err != nil {
		return err
	}
	switch asciiLower(s) {
	case "true", "1":
		*f = true
	case "false", "0", "":
		*f = false
	default:
		return fmt.Errorf("unloq: not a boolean: %q", s)
	}
	return nil
}

// flexText returns the text of a JSON string, number, (optionally) boolean,
// or "" for null. Objects and arrays are rejected.
func flexText(b []byte, allowBool bool) (string, error) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return "", fmt.Errorf("empty value")
	}
	switch b[0] {
	case '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return "", err
		}
		return s, nil
	case 'n':
		if string(b) == "null" {
			return "", nil
		}
	case 't', 'f':
		if allowBool && (string(b) == "true" || string(b) == "false") {
			return string(b), nil
		}
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return "", err
		}
		return n.String(), nil
	}
	// The value itself is never quoted: it could be a secret.
	return "", fmt.Errorf("unexpected JSON value starting with %q", b[0])
}

// asciiLower lower-cases the ASCII letters A–Z only (Unicode folding would
// also accept look-alikes such as "ſ" for "s").
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + ('a' - 'A')
		}
	}
	return string(b)
}
