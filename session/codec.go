package session

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/gorilla/securecookie"
)

// The session values are serialized in a compact binary format before
// securecookie signs and encrypts them. It replaces gob, which rebuilt its
// type descriptors from every cookie and dominated the cost of a request.
//
// Format, version 1 (all integers big-endian):
//
//	0x81                 format marker: 0x80 | version
//	count    uint8       number of entries, at most maxCodecEntries
//	entries, keys strictly increasing (bytewise), each:
//	  keyLen uint8       then keyLen bytes of key
//	  tag    uint8       'S' string, 'F' false, 'T' true, 'I' int64, 'N' int
//	  'S':   uint16 length, then that many bytes
//	  'I','N': 8 bytes, two's complement
//
// The encoding is canonical: one set of values has exactly one encoding,
// and the decoder rejects any other (unsorted or duplicate keys, trailing
// bytes, unknown tags), so decode-then-encode gives back the input.
//
// A gob stream never starts with a byte in 0x80..0xF7: gob's first byte is
// a message length, either one byte below 0x80 or a negated byte count of
// 1 to 8 (0xF8..0xFF). So the marker tells the two formats apart, and
// cookies written by earlier releases (gob) still decode until they expire.
const (
	codecMarker = 0x80 | 1

	// maxCodecEntries bounds the number of values in one session.
	maxCodecEntries = 64
	// maxCodecKeyLen bounds a key (the length is one byte).
	maxCodecKeyLen = math.MaxUint8
	// maxCodecSize bounds the whole encoding; securecookie refuses
	// cookies longer than 4096 bytes anyway.
	maxCodecSize = 4096

	tagString = 'S'
	tagFalse  = 'F'
	tagTrue   = 'T'
	tagInt64  = 'I'
	tagInt    = 'N'
)

// Errors of the codec. They never include the values.
var (
	errCodecType    = constError("codec: unsupported key or value type")
	errCodecTooBig  = constError("codec: too many or too large values")
	errCodecFormat  = constError("codec: malformed encoding")
	errCodecNilDest = constError("codec: destination must be a non-nil *map[any]any")
)

// compactSerializer is the securecookie.Serializer of every codec built by
// [WithKeys]: it writes the compact format and reads both it and gob.
type compactSerializer struct{}

var _ securecookie.Serializer = compactSerializer{}

// Serialize encodes src, a map[any]any (or a pointer to one) with string
// keys and string, bool, int64 or int values.
func (compactSerializer) Serialize(src any) ([]byte, error) {
	switch v := src.(type) {
	case map[any]any:
		return encodeValues(v)
	case *map[any]any:
		if v == nil {
			return nil, errCodecType
		}
		return encodeValues(*v)
	default:
		return nil, errCodecType
	}
}

// Deserialize decodes src into dst, a *map[any]any; entries are added to
// the map it points to (allocated when nil). Input that does not start
// with the format marker is read as gob, the format of earlier releases.
func (compactSerializer) Deserialize(src []byte, dst any) error {
	p, ok := dst.(*map[any]any)
	if !ok || p == nil {
		return errCodecNilDest
	}
	if len(src) == 0 || src[0] != codecMarker {
		return securecookie.GobEncoder{}.Deserialize(src, dst)
	}
	return decodeValues(src, p)
}

type codecEntry struct {
	key string
	val any
}

// encodeValues returns the canonical encoding of values.
func encodeValues(values map[any]any) ([]byte, error) {
	if len(values) > maxCodecEntries {
		return nil, errCodecTooBig
	}
	var buf [maxCodecEntries]codecEntry
	entries := buf[:0]
	size := 2
	for k, v := range values {
		key, ok := k.(string)
		if !ok || len(key) > maxCodecKeyLen {
			return nil, errCodecType
		}
		size += 2 + len(key)
		switch x := v.(type) {
		case string:
			if len(x) > maxCodecSize {
				return nil, errCodecTooBig
			}
			size += 2 + len(x)
		case bool:
		case int64, int:
			size += 8
		default:
			return nil, fmt.Errorf("%w: %T", errCodecType, v)
		}
		entries = append(entries, codecEntry{key, v})
	}
	if size > maxCodecSize {
		return nil, errCodecTooBig
	}
	slices.SortFunc(entries, func(a, b codecEntry) int { return strings.Compare(a.key, b.key) })
	out := make([]byte, 0, size)
	out = append(out, codecMarker, byte(len(entries)))
	for _, e := range entries {
		out = append(out, byte(len(e.key)))
		out = append(out, e.key...)
		switch x := e.val.(type) {
		case string:
			out = append(out, tagString)
			out = binary.BigEndian.AppendUint16(out, uint16(len(x)))
			out = append(out, x...)
		case bool:
			if x {
				out = append(out, tagTrue)
			} else {
				out = append(out, tagFalse)
			}
		case int64:
			out = append(out, tagInt64)
			out = binary.BigEndian.AppendUint64(out, uint64(x))
		case int:
			out = append(out, tagInt)
			out = binary.BigEndian.AppendUint64(out, uint64(int64(x)))
		}
	}
	return out, nil
}

// decodeValues decodes a canonical encoding into *dst. On error *dst may
// hold some of the entries; callers discard it.
func decodeValues(src []byte, dst *map[any]any) error {
	if len(src) > maxCodecSize {
		return errCodecTooBig
	}
	if len(src) < 2 || src[0] != codecMarker {
		return errCodecFormat
	}
	n := int(src[1])
	if n > maxCodecEntries {
		return errCodecTooBig
	}
	if *dst == nil {
		*dst = make(map[any]any, n)
	}
	m := *dst
	rest := src[2:]
	var prev []byte
	for i := range n {
		if len(rest) < 1 {
			return errCodecFormat
		}
		kl := int(rest[0])
		if len(rest) < 1+kl+1 {
			return errCodecFormat
		}
		key := rest[1 : 1+kl]
		if i > 0 && bytes.Compare(prev, key) >= 0 {
			return errCodecFormat // unsorted or duplicate
		}
		prev = key
		tag := rest[1+kl]
		rest = rest[2+kl:]
		var val any
		switch tag {
		case tagString:
			if len(rest) < 2 {
				return errCodecFormat
			}
			l := int(binary.BigEndian.Uint16(rest))
			if len(rest) < 2+l {
				return errCodecFormat
			}
			val = string(rest[2 : 2+l])
			rest = rest[2+l:]
		case tagFalse:
			val = false
		case tagTrue:
			val = true
		case tagInt64, tagInt:
			if len(rest) < 8 {
				return errCodecFormat
			}
			x := int64(binary.BigEndian.Uint64(rest))
			rest = rest[8:]
			if tag == tagInt64 {
				val = x
			} else {
				if int64(int(x)) != x {
					return errCodecFormat // does not fit this platform's int
				}
				val = int(x)
			}
		default:
			return errCodecFormat
		}
		m[string(key)] = val
	}
	if len(rest) != 0 {
		return errCodecFormat
	}
	return nil
}
