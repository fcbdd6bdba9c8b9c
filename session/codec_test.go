package session

import (
	"bytes"
	"encoding/gob"
	"math"
	"strings"
	"testing"

	"github.com/gorilla/securecookie"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sampleValues are the values of a verified login with a flow value.
func sampleValues() map[any]any {
	return map[any]any{
		keyWas2FA:  true,
		keyUID:     "0b6f3c1e-8d2a-4e7b-9a51-3f0c2d7e9b14",
		keyEmail:   "someone@example.com",
		keyPwAt:    int64(1740830400),
		keyLoginID: "6GQ4VJ2CXDZ7KYHNMB3RTWPLFA",
		"f:next":   "/settings",
	}
}

func TestCodecRoundTrip(t *testing.T) {
	cases := map[string]map[any]any{
		"empty":   {},
		"session": sampleValues(),
		"every type": {
			"s": "", "s2": strings.Repeat("x", 1000), "t": true, "f": false,
			"i64min": int64(math.MinInt64), "i64max": int64(math.MaxInt64), "i64": int64(-1),
			"int": 42, "intneg": -7, "": "empty key", "bin": "\x00\xff|;=",
		},
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			enc, err := compactSerializer{}.Serialize(in)
			require.NoError(t, err)
			require.Equal(t, byte(codecMarker), enc[0])
			var out map[any]any
			require.NoError(t, compactSerializer{}.Deserialize(enc, &out))
			assert.Equal(t, in, out, "types and values survive")
			// Canonical: the same values always give the same bytes.
			again, err := compactSerializer{}.Serialize(&out)
			require.NoError(t, err)
			assert.Equal(t, enc, again)
		})
	}
}

func TestCodecDecodesIntoExistingMap(t *testing.T) {
	enc, err := encodeValues(map[any]any{"a": "1"})
	require.NoError(t, err)
	dst := map[any]any{"b": "2"}
	require.NoError(t, compactSerializer{}.Deserialize(enc, &dst))
	assert.Equal(t, map[any]any{"a": "1", "b": "2"}, dst)
}

func TestCodecRejectsUnsupported(t *testing.T) {
	bad := map[string]any{
		"float value":   map[any]any{"a": 1.5},
		"nested map":    map[any]any{"a": map[any]any{}},
		"bytes value":   map[any]any{"a": []byte("x")},
		"nil value":     map[any]any{"a": nil},
		"int key":       map[any]any{1: "x"},
		"long key":      map[any]any{strings.Repeat("k", 256): "x"},
		"long value":    map[any]any{"a": strings.Repeat("v", maxCodecSize)},
		"too large":     map[any]any{"a": strings.Repeat("v", 2100), "b": strings.Repeat("v", 2100)},
		"not a map":     "string",
		"nil map ptr":   (*map[any]any)(nil),
		"typed map":     map[string]string{"a": "b"},
		"too many":      manyValues(maxCodecEntries + 1),
		"uint64 value":  map[any]any{"a": uint64(1)},
		"int32 value":   map[any]any{"a": int32(1)},
		"struct value":  map[any]any{"a": struct{}{}},
		"pointer value": map[any]any{"a": new(string)},
		"int64 pointer": map[any]any{"a": new(int64)},
	}
	for name, v := range bad {
		t.Run(name, func(t *testing.T) {
			_, err := compactSerializer{}.Serialize(v)
			require.Error(t, err)
			assert.True(t, strings.HasPrefix(err.Error(), "codec: "), err.Error())
		})
	}
	enc, err := compactSerializer{}.Serialize(manyValues(maxCodecEntries))
	require.NoError(t, err, "the bound itself is allowed")
	assert.LessOrEqual(t, len(enc), maxCodecSize)
}

func manyValues(n int) map[any]any {
	m := make(map[any]any, n)
	for i := range n {
		m[string(rune('A'+i%26))+strings.Repeat("k", i/26)] = int64(i)
	}
	return m
}

func TestCodecRejectsMalformed(t *testing.T) {
	good, err := encodeValues(map[any]any{"a": "x", "b": true, "c": int64(5)})
	require.NoError(t, err)
	bad := map[string][]byte{
		"marker only":     {codecMarker},
		"truncated":       good[:len(good)-1],
		"trailing byte":   append(append([]byte(nil), good...), 0),
		"count too high":  {codecMarker, 2, 1, 'a', tagTrue},
		"count over max":  {codecMarker, maxCodecEntries + 1},
		"unknown tag":     {codecMarker, 1, 1, 'a', 'Z'},
		"duplicate key":   {codecMarker, 2, 1, 'a', tagTrue, 1, 'a', tagFalse},
		"unsorted keys":   {codecMarker, 2, 1, 'b', tagTrue, 1, 'a', tagFalse},
		"short string":    {codecMarker, 1, 1, 'a', tagString, 0, 5, 'x'},
		"short int":       {codecMarker, 1, 1, 'a', tagInt64, 0, 0, 0},
		"key past end":    {codecMarker, 1, 9, 'a'},
		"too long":        append([]byte{codecMarker, 1, 1, 'a', tagString, 0x10, 0x00}, make([]byte, 4096)...),
		"wrong marker v2": {0x82, 0},
	}
	for name, b := range bad {
		t.Run(name, func(t *testing.T) {
			var out map[any]any
			err := decodeValues(b, &out)
			require.Error(t, err)
			assert.True(t, strings.HasPrefix(err.Error(), "codec: "), err.Error())
		})
	}
	var out map[any]any
	require.Error(t, compactSerializer{}.Deserialize(good, out), "a map, not a pointer to one")
	require.Error(t, compactSerializer{}.Deserialize(good, (*map[any]any)(nil)))
}

// TestCodecMarkerIsNeverGob: gob streams start with a byte below 0x80 or
// at 0xF8 and above, so the marker tells the formats apart; and gob
// input still decodes through Deserialize.
func TestCodecMarkerIsNeverGob(t *testing.T) {
	for _, v := range []map[any]any{{}, sampleValues(), manyValues(60)} {
		var buf bytes.Buffer
		require.NoError(t, gob.NewEncoder(&buf).Encode(v))
		first := buf.Bytes()[0]
		assert.True(t, first < 0x80 || first >= 0xF8, "gob starts with %#x", first)

		gobBytes, err := securecookie.GobEncoder{}.Serialize(v)
		require.NoError(t, err)
		var out map[any]any
		require.NoError(t, compactSerializer{}.Deserialize(gobBytes, &out))
		assert.Equal(t, v, out)
	}
	// A gob stream whose first byte is in the marker range is invalid gob.
	for b := 0x80; b < 0xF8; b++ {
		var out map[any]any
		assert.Error(t, securecookie.GobEncoder{}.Deserialize([]byte{byte(b), 0, 0, 0}, &out))
	}
}

// FuzzDecodeValues: the decoder never panics, never accepts more than its
// bounds, and what it accepts encodes back to exactly the same bytes.
func FuzzDecodeValues(f *testing.F) {
	for _, v := range []map[any]any{{}, sampleValues(), {"a": 1, "b": false, "c": ""}, manyValues(maxCodecEntries)} {
		enc, err := encodeValues(v)
		require.NoError(f, err)
		f.Add(enc)
	}
	f.Add([]byte{codecMarker})
	f.Add([]byte{codecMarker, 2, 1, 'a', tagTrue, 1, 'a', tagFalse})
	f.Add([]byte{codecMarker, 1, 0, tagInt, 0x80, 0, 0, 0, 0, 0, 0, 0})
	gobBytes, err := securecookie.GobEncoder{}.Serialize(sampleValues())
	require.NoError(f, err)
	f.Add(gobBytes)
	f.Fuzz(func(t *testing.T, data []byte) {
		var out map[any]any
		if err := decodeValues(data, &out); err != nil {
			return
		}
		if len(out) > maxCodecEntries || len(data) > maxCodecSize {
			t.Fatalf("bounds exceeded: %d entries, %d bytes", len(out), len(data))
		}
		enc, err := encodeValues(out)
		if err != nil {
			t.Fatalf("decoded values do not encode: %v", err)
		}
		if !bytes.Equal(enc, data) {
			t.Fatalf("not canonical:\n in %x\nout %x", data, enc)
		}
		// And through the Serializer, which also takes the gob path.
		var out2 map[any]any
		if err := (compactSerializer{}).Deserialize(data, &out2); err != nil {
			t.Fatalf("Deserialize: %v", err)
		}
	})
}
