package unloqtest

import (
	"net/http"
	"net/url"
	"strings"

	qrcode "github.com/skip2/go-qrcode"
)

// pairingURI is what a pairing QR code encodes: the simulator's own
// scheme, the pairing id and the profile's e-mail.
func pairingURI(id, email string) string {
	v := url.Values{}
	v.Set("id", id)
	v.Set("email", email)
	return "unloq-sim://pair?" + v.Encode()
}

// handleQR serves GET /qr/{id}.png: a PNG QR code for a live pairing.
func (s *Simulator) handleQR(w http.ResponseWriter, r *http.Request) {
	id, ok := strings.CutSuffix(r.PathValue("file"), ".png")
	if !ok {
		http.NotFound(w, r)
		return
	}
	s.mu.Lock()
	pr := s.pairings[id]
	var email string
	live := pr != nil && pr.profile.pairing == pr && s.now().Before(pr.expireAt)
	if live {
		email = pr.profile.email
	}
	s.mu.Unlock()
	if !live {
		http.Error(w, "unknown or expired QR code", http.StatusNotFound)
		return
	}
	png, err := qrcode.Encode(pairingURI(id, email), qrcode.Medium, 256)
	if err != nil {
		http.Error(w, "cannot render QR code", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(png)
}
