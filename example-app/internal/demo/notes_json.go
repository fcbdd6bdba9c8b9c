package demo

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"
)

// The JSON side of POST /notes, for API clients (Accept prefers
// application/json). The request is the same form as the page's (do=add
// with note, or do=reveal), posted from this origin with the session
// cookie; the answers are:
//
//	201 {"id": 7}                                    a note was added
//	200 {"notes": [{"id": 7, "text": "…", "created_at": "…"}]}
//	                                                 revealed; a note that does not
//	                                                 decrypt has "broken": true, no text
//	4xx/5xx {"error": {"code": "denied", "message": "…"}}
//
// The error codes of a refused key request are encryptionkey.Status's
// (denied, timeout, in_flight, unavailable, …); the notes' own are
// unloq_required, invalid_note, too_many_notes, bad_request and internal.
// Every refusal changes nothing: no row is added and no text is sent.
// Anonymous and pending sessions never get here: RequireVerified answers
// them with its JSON 401.

// noteJSON is one revealed note in the JSON answer.
type noteJSON struct {
	ID        int64     `json:"id"`
	Text      string    `json:"text,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	// Broken: the note did not decrypt with the key the phone released.
	Broken bool `json:"broken,omitempty"`
}

// notesError is the body of a JSON refusal.
type notesError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message,omitempty"`
	} `json:"error"`
}

// writeJSON answers v with status. Answers carry the user's data (or
// refusals about it): never cached.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// Only the fixed types above are written; they always marshal.
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// writeJSONError answers a refusal with a machine code and the sentence
// the page would show.
func writeJSONError(w http.ResponseWriter, status int, code, message string) {
	var e notesError
	e.Error.Code, e.Error.Message = code, message
	writeJSON(w, status, e)
}

// failJSON logs err and answers 500 without internals, as pages.fail does
// for the page.
func (f *notesFeature) failJSON(w http.ResponseWriter, r *http.Request, op string, err error) {
	if errors.Is(err, context.Canceled) {
		return // the client went away
	}
	f.p.log.ErrorContext(r.Context(), op, "err", err)
	writeJSONError(w, http.StatusInternalServerError, "internal", "The request could not be completed. Please try again.")
}

// parseFormJSON reads the bounded form body of an API request; a body too
// large or malformed is refused in JSON.
func parseFormJSON(w http.ResponseWriter, r *http.Request) bool {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeJSONError(w, http.StatusRequestEntityTooLarge, "too_large", "The request is too large.")
			return false
		}
		writeJSONError(w, http.StatusBadRequest, "bad_request", "The form body is malformed.")
		return false
	}
	return true
}
