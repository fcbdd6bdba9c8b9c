package unloq

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestIDUnmarshal(t *testing.T) {
	tests := []struct {
		in      string
		want    ID
		wantErr bool
	}{
		{`"1234"`, "1234", false},
		{`1234`, "1234", false},
		{`-7`, "-7", false},
		{`12345678901234567890123`, "12345678901234567890123", false},
		{`1.5e3`, "1.5e3", false},
		{`null`, "", false},
		{`""`, "", false},
		{`"a-b_c"`, "a-b_c", false},
		{`true`, "", true},
		{`{}`, "", true},
		{`[1]`, "", true},
		{`"unterminated`, "", true},
		{`01`, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var id ID
			err := json.Unmarshal([]byte(tt.in), &id)
			if tt.wantErr {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, id)
			assert.Equal(t, string(tt.want), id.String())
		})
	}
}

func TestIDInStruct(t *testing.T) {
	var v struct {
		A ID `json:"a"`
		B ID `json:"b"`
	}
	require.NoError(t, json.Unmarshal([]byte(`{"a":42,"b":"43"}`), &v))
	assert.Equal(t, ID("42"), v.A)
	assert.Equal(t, ID("43"), v.B)
	out, err := json.Marshal(v)
	require.NoError(t, err)
	assert.JSONEq(t, `{"a":"42","b":"43"}`, string(out))
}

func TestFlexBool(t *testing.T) {
	for in, want := range map[string]bool{`true`: true, `false`: false, `"true"`: true, `"false"`: false, `1`: true, `0`: false, `null`: false, `"1"`: true} {
		var b flexBool
		require.NoError(t, json.Unmarshal([]byte(in), &b), in)
		assert.Equal(t, want, bool(b), in)
	}
	for _, in := range []string{`"yes"`, `2`, `{}`, `[]`} {
		var b flexBool
		assert.Error(t, json.Unmarshal([]byte(in), &b), in)
	}
}

func TestFlexString(t *testing.T) {
	for in, want := range map[string]string{`"x"`: "x", `400`: "400", `true`: "true", `null`: ""} {
		var s flexString
		require.NoError(t, json.Unmarshal([]byte(in), &s), in)
		assert.Equal(t, want, string(s), in)
	}
	var s flexString
	err := json.Unmarshal([]byte(`{"secret":"`+testToken+`"}`), &s)
	require.Error(t, err)
	assert.NotContains(t, err.Error(), testToken)
}
