package middleware

import (
	"encoding/json"
	"net/http"
	"strings"
)

// refusal is a prepared response: a redirect for browsers, a JSON 401 for
// API clients.
type refusal struct {
	reason   Reason
	location string
	body     []byte // JSON body, ready to write
}

func newRefusal(reason Reason, location string) refusal {
	msg := "login required"
	switch reason {
	case ReasonPending:
		msg = "two-step verification required"
	case ReasonPendingExpired:
		msg = "two-step verification expired, log in again"
	}
	body, err := json.Marshal(struct {
		Error    string `json:"error"`
		Reason   Reason `json:"reason"`
		Redirect string `json:"redirect"`
	}{msg, reason, location})
	if err != nil { // cannot happen with strings only
		panic("middleware: encoding refusal: " + err.Error())
	}
	return refusal{reason: reason, location: location, body: append(body, '\n')}
}

// write sends the refusal: 302 (GET, HEAD) or 303 (other methods, so that
// the browser follows with a GET) to the location, or a JSON 401 to API
// clients. Both are marked no-store.
func (m *Middleware) write(w http.ResponseWriter, r *http.Request, f refusal) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	if m.isAPI(r) {
		h.Set("Content-Type", "application/json; charset=utf-8")
		h.Set("X-Content-Type-Options", "nosniff")
		w.WriteHeader(http.StatusUnauthorized)
		if r.Method != http.MethodHead {
			_, _ = w.Write(f.body)
		}
		return
	}
	h.Set("Location", f.location)
	code := http.StatusSeeOther
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		code = http.StatusFound
	}
	w.WriteHeader(code)
}

// PrefersJSON reports whether the Accept header of r prefers
// application/json over text/html (the default API detector). An explicit
// application/json range is needed: "*/*" alone means a browser or a tool
// that takes anything, and gets the redirect.
func PrefersJSON(r *http.Request) bool {
	accept := r.Header.Get("Accept")
	if accept == "" {
		return false
	}
	jsonQ, jsonPos, jsonSpec := -1.0, 0, 0
	htmlQ, htmlPos, htmlSpec := -1.0, 0, 0
	explicitJSON := false
	pos := 0
	for part := range strings.SplitSeq(accept, ",") {
		pos++
		mt, params, _ := strings.Cut(part, ";")
		mt = strings.ToLower(strings.TrimSpace(mt))
		q := parseQ(params)
		// Specificity: 3 exact, 2 type/*, 1 */*.
		var js, hs int
		switch mt {
		case "application/json":
			js = 3
			explicitJSON = explicitJSON || q > 0
		case "application/*":
			js = 2
		case "text/html":
			hs = 3
		case "text/*":
			hs = 2
		case "*/*":
			js, hs = 1, 1
		}
		if js > jsonSpec {
			jsonQ, jsonPos, jsonSpec = q, pos, js
		}
		if hs > htmlSpec {
			htmlQ, htmlPos, htmlSpec = q, pos, hs
		}
	}
	if !explicitJSON || jsonQ <= 0 {
		return false
	}
	if jsonQ != htmlQ {
		return jsonQ > htmlQ
	}
	return jsonPos < htmlPos // a tie goes to the range listed first
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

// parseQValue parses a qvalue ("0", "0.5", "1.000"); invalid values count
// as 0 (not acceptable).
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
