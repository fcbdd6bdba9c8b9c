package unloqtest

import (
	"net/http"
	"net/url"
	"strings"
)

// mountPrefix returns the path prefix stripped in front of the simulator
// (e.g. "/_unloq" behind http.StripPrefix("/_unloq", sim)): the part of the
// raw request URI that is not in r.URL's path, "" at the root. It is the
// simulator's root as a path usable in its own pages.
func mountPrefix(r *http.Request) string {
	ru := r.RequestURI
	if i := strings.IndexByte(ru, '?'); i >= 0 {
		ru = ru[:i]
	}
	if strings.HasPrefix(ru, "http://") || strings.HasPrefix(ru, "https://") {
		u, err := url.Parse(ru)
		if err != nil {
			return ""
		}
		ru = u.EscapedPath()
	}
	ep := r.URL.EscapedPath()
	if ep == "" || ru == "" || !strings.HasSuffix(ru, ep) {
		return ""
	}
	p := strings.TrimSuffix(ru, ep)
	return strings.TrimRight(p, "/")
}

// origin returns scheme://host of the request as the client sees it.
func origin(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if fp := r.Header.Get("X-Forwarded-Proto"); fp != "" {
		fp, _, _ = strings.Cut(fp, ",")
		switch p := strings.ToLower(strings.TrimSpace(fp)); p {
		case "http", "https":
			scheme = p
		}
	}
	host := r.Host
	if host == "" {
		host = "localhost"
	}
	return scheme + "://" + host
}

// publicBase returns the absolute URL of the simulator's root: WithPublicURL
// when set, else derived from the request.
func (s *Simulator) publicBase(r *http.Request) string {
	if s.cfg.publicURL != "" {
		return s.cfg.publicURL
	}
	return origin(r) + mountPrefix(r)
}

// withToken appends token=… to u's query.
func withToken(u, token string) string {
	sep := "?"
	if strings.Contains(u, "?") {
		sep = "&"
	}
	return u + sep + "token=" + url.QueryEscape(token)
}

// absoluteLoginURL resolves the configured login URL against the
// request's origin when it is a path.
func (s *Simulator) absoluteLoginURL(r *http.Request) string {
	if strings.HasPrefix(s.cfg.loginURL, "/") && !strings.HasPrefix(s.cfg.loginURL, "//") {
		return origin(r) + s.cfg.loginURL
	}
	return s.cfg.loginURL
}
