package respond_test

import (
	"bytes"
	"html/template"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/unloq2fa/unloq2fa/internal/respond"
)

func TestSecurityHeadersKeepHostPolicy(t *testing.T) {
	hd := http.Header{}
	hd.Set("Content-Security-Policy", "default-src 'self'")
	respond.SecurityHeaders(hd)
	assert.Equal(t, "no-store", hd.Get("Cache-Control"))
	assert.Equal(t, "no-referrer", hd.Get("Referrer-Policy"))
	assert.Equal(t, "DENY", hd.Get("X-Frame-Options"))
	assert.Equal(t, "nosniff", hd.Get("X-Content-Type-Options"))
	assert.Contains(t, hd.Values("Content-Security-Policy"), "default-src 'self'", "the host's policy stays")
}

func TestHTML(t *testing.T) {
	tmpl := template.Must(template.New("x").Parse(`{{define "ok"}}<p>{{.}}</p>{{end}}{{define "bad"}}{{.Missing}}{{end}}`))
	w := httptest.NewRecorder()
	respond.HTML(w, tmpl, http.StatusConflict, "ok", "<b>", nil, "")
	assert.Equal(t, http.StatusConflict, w.Code)
	assert.Equal(t, "<p>&lt;b&gt;</p>", w.Body.String())
	assert.Equal(t, "text/html; charset=utf-8", w.Header().Get("Content-Type"))

	var logs bytes.Buffer
	w = httptest.NewRecorder()
	respond.HTML(w, tmpl, http.StatusOK, "bad", "a string has no fields", slog.New(slog.NewTextHandler(&logs, nil)), "render failed")
	assert.Equal(t, http.StatusInternalServerError, w.Code, "a template error is a clean 500")
	assert.NotContains(t, w.Body.String(), "<p>")
	assert.Contains(t, logs.String(), "render failed")
}
