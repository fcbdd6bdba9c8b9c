package accept

import "strings"

// PrefersJSON reports whether the Accept header value prefers JSON
// (application/json or any application/*+json type) over HTML (text/html or
// application/xhtml+xml). JSON must be named explicitly: "*/*" alone means a
// browser or a tool that takes anything, and gets HTML. Quality values
// decide; between equal ones the more specific range wins, then the range
// listed first.
func PrefersJSON(header string) bool {
	if header == "" {
		return false
	}
	json := best{q: -1}
	html := best{q: -1}
	explicitJSON := false
	pos := 0
	for part := range strings.SplitSeq(header, ",") {
		pos++
		mt, params, _ := strings.Cut(part, ";")
		mt = strings.ToLower(strings.TrimSpace(mt))
		q := parseQ(params)
		// Specificity: 3 exact type, 2 type/*, 1 */*.
		var js, hs int
		switch {
		case mt == "application/json" || strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json"):
			js = 3
			explicitJSON = explicitJSON || q > 0
		case mt == "application/*":
			js = 2
		case mt == "text/html" || mt == "application/xhtml+xml":
			hs = 3
		case mt == "text/*":
			hs = 2
		case mt == "*/*":
			js, hs = 1, 1
		}
		json.offer(js, q, pos)
		html.offer(hs, q, pos)
	}
	if !explicitJSON || json.q <= 0 {
		return false
	}
	if json.q != html.q {
		return json.q > html.q
	}
	return json.pos < html.pos // a tie goes to the range listed first
}

// best keeps the most specific media range seen for one kind of content
// (and, among equally specific ones, the highest quality).
type best struct {
	spec int
	q    float64
	pos  int
}

func (b *best) offer(spec int, q float64, pos int) {
	if spec == 0 {
		return
	}
	if spec > b.spec || spec == b.spec && q > b.q {
		b.spec, b.q, b.pos = spec, q, pos
	}
}

// parseQ returns the q parameter of an Accept media range (default 1).
func parseQ(params string) float64 {
	for p := range strings.SplitSeq(params, ";") {
		k, v, ok := strings.Cut(p, "=")
		if !ok || strings.TrimSpace(strings.ToLower(k)) != "q" {
			continue
		}
		return parseQValue(strings.TrimSpace(v))
	}
	return 1
}

// parseQValue parses a qvalue ("0", "0.5", "1.000"); an invalid value
// counts as 0 (not acceptable), so a malformed header never selects JSON.
func parseQValue(v string) float64 {
	if v == "" || len(v) > 5 {
		return 0
	}
	switch v[0] {
	case '0', '1':
	default:
		return 0
	}
	q := float64(v[0] - '0')
	if len(v) == 1 {
		return q
	}
	if v[1] != '.' {
		return 0
	}
	scale := 0.1
	for i := 2; i < len(v); i++ {
		c := v[i]
		if c < '0' || c > '9' {
			return 0
		}
		q += float64(c-'0') * scale
		scale /= 10
	}
	if q > 1 {
		return 0
	}
	return q
}
