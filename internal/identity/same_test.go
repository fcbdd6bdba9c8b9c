package identity

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestSame(t *testing.T) {
	cases := []struct {
		a, b string
		want bool
	}{
		{"sam@example.com", "sam@example.com", true},
		{"sam@example.com", "SAM@Example.COM", true},
		{" sam@example.com\t", "sam@example.com\r\n", true},
		{"", "", false},
		{"  ", " ", false},
		{"sam@example.com", "", false},
		{"sam@example.com", "\u017fam@example.com", false},
		{"\u017fam@example.com", "sam@example.com", false},
		{"\u017fam@example.com", "SAM@example.com", false},
		{"kim@example.com", "\u212aim@example.com", false},
		{"sam@example.com", "sam@example.com\u00a0", false},
		{"sam@example.com", "\u2003sam@example.com", false},
		{"sam@example.com", "sam@example.com.", false},
		{"sam@example.com", "sam@example.co", false},
		{"s\u00e9@example.com", "s\u00c9@example.com", false}, // non-ASCII letters are not folded
		{"s\u00e9@example.com", "s\u00e9@example.com", true},
		{"s\u00e9@example.com", "se\u0301@example.com", false}, // no normalisation
		{"a@example.com", "a@example.com\x00", false},
		{"@", "`", false}, // '@'+0x20 is '`': only letters fold
		{"[", "{", false},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, Same(c.a, c.b), "Same(%q, %q)", c.a, c.b)
		assert.Equal(t, c.want, Same(c.b, c.a), "Same(%q, %q)", c.b, c.a)
	}
}

func FuzzSame(f *testing.F) {
	f.Add("sam@example.com", "SAM@example.com")
	f.Add("\u017fam@example.com", "sam@example.com")
	f.Fuzz(func(t *testing.T, a, b string) {
		got := Same(a, b)
		if got != Same(b, a) {
			t.Fatalf("not symmetric for %q, %q", a, b)
		}
		if !got {
			return
		}
		// A match differs from equality only in ASCII case and ASCII space.
		ta, tb := Trim(a), Trim(b)
		for i := 0; i < len(ta); i++ {
			if ta[i] >= 0x80 && ta[i] != tb[i] {
				t.Fatalf("%q and %q matched with different non-ASCII bytes", a, b)
			}
		}
	})
}
