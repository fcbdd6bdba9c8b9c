package demo

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/unloq2fa/unloq2fa/handlers/encryptionkey"
	"github.com/unloq2fa/unloq2fa/handlers/guard"
	"github.com/unloq2fa/unloq2fa/handlers/stepup"
	"github.com/unloq2fa/unloq2fa/internal/accept"
	"github.com/unloq2fa/unloq2fa/middleware"
	"github.com/unloq2fa/unloq2fa/session"
	"github.com/unloq2fa/unloq2fa/store"
	"github.com/unloq2fa/unloq2fa/unloq"
)

// The step-up action that guards "Delete all notes". With the real UNLOQ
// API, define an action with this code in the application's UNLOQ settings
// (title and message may use $what); the embedded simulator defines it
// with deleteNotesTitle and deleteNotesMessage.
const (
	deleteNotesAction  = "delete_notes"
	deleteNotesTitle   = "Delete $what?"
	deleteNotesMessage = "Your encrypted notes in the unloq2fa demo will be deleted. This cannot be undone."
	deleteNotesRef     = "delete notes"
)

// Texts the phone shows when it is asked for the encryption key.
const (
	addNoteMessage     = "Encrypt and save a new note"
	revealNotesMessage = "Show your encrypted notes"
)

// noteView is one note as the notes page shows it.
type noteView struct {
	Created time.Time
	// Text is the decrypted text, set only in the answer to "Reveal notes".
	Text string
	// Broken: the note did not decrypt with the key the phone released.
	Broken bool
}

// notesFeature serves the encrypted notes and the step-up-guarded "Delete
// all notes".
type notesFeature struct {
	p      *pages
	notes  *Notes
	add    *encryptionkey.Keys // phone text: addNoteMessage
	reveal *encryptionkey.Keys // phone text: revealNotesMessage
	stepUp *stepup.StepUp
}

// newNotesFeature wires the notes to UNLOQ. The two key requests (add,
// reveal: each with its own text on the phone) share the app's Guard (in
// memory, or on Redis for every instance), so that a session has at most
// one key request waiting on the phone, whichever it is; the step-up
// keeps its own marks (of another kind) in the same Guard.
func newNotesFeature(p *pages, notes *Notes, client *unloq.Client, sm *session.Manager, st store.UserStore, rnd *renderer, inFlight guard.Guard) (*notesFeature, error) {
	keys := func(msg string) (*encryptionkey.Keys, error) {
		k, err := encryptionkey.New(client, sm, st, encryptionkey.WithMessage(msg), encryptionkey.WithGuard(inFlight))
		if err != nil {
			return nil, fmt.Errorf("demo: encryption keys: %w", err)
		}
		return k, nil
	}
	add, err := keys(addNoteMessage)
	if err != nil {
		return nil, err
	}
	reveal, err := keys(revealNotesMessage)
	if err != nil {
		return nil, err
	}
	su, err := stepup.New(client, sm, st,
		stepup.WithTemplates(rnd.stepUp),
		stepup.WithAppName(appName),
		stepup.WithCancelURL("/notes"),
		stepup.WithGuard(inFlight),
		stepup.WithLogger(p.log),
	)
	if err != nil {
		return nil, fmt.Errorf("demo: step-up: %w", err)
	}
	return &notesFeature{p: p, notes: notes, add: add, reveal: reveal, stepUp: su}, nil
}

// register mounts the notes routes on app, each behind RequireVerified.
// The forms of /notes post to /notes; the one of /notes/delete-all to
// /notes/delete-all, where the step-up's page posts again.
func (f *notesFeature) register(app *http.ServeMux, mw *middleware.Middleware, cop *http.CrossOriginProtection) {
	app.Handle("GET /notes", mw.RequireVerified(http.HandlerFunc(f.page)))
	app.Handle("POST /notes", mw.RequireVerified(cop.Handler(http.HandlerFunc(f.post))))
	app.Handle("GET /notes/delete-all", mw.RequireVerified(http.HandlerFunc(f.confirmDelete)))
	app.Handle("POST /notes/delete-all", mw.RequireVerified(f.stepUp.Require(stepup.Action{
		Code:      deleteNotesAction,
		Vars:      f.deleteVars,
		Reference: func(*http.Request) string { return deleteNotesRef },
	}, http.HandlerFunc(f.deleteAll))))
}

// notesView is the view of the notes page with the user's notes, still
// sealed. api: failures are answered in JSON (notes_json.go).
func (f *notesFeature) notesView(w http.ResponseWriter, r *http.Request, api bool) (*view, []sealedNote, bool) {
	if api {
		// The same checks as verifiedView, answered in JSON.
		v := f.p.newView(r, "Encrypted notes")
		if v.User == nil {
			writeJSONError(w, http.StatusUnauthorized, "login_required", "Please log in again.")
			return nil, nil, false
		}
		v.TwoStepOn = v.User.SecondFactor == store.SecondFactorUNLOQ
		return f.listInto(w, r, v, api)
	}
	v, ok := f.p.verifiedView(w, r, "Encrypted notes")
	if !ok {
		return nil, nil, false
	}
	return f.listInto(w, r, v, api)
}

// listInto reads the user's sealed notes into v.
func (f *notesFeature) listInto(w http.ResponseWriter, r *http.Request, v *view, api bool) (*view, []sealedNote, bool) {
	sealed, err := f.notes.List(r.Context(), v.User.ID)
	if err != nil {
		f.failed(w, r, api, "demo: notes", err)
		return nil, nil, false
	}
	v.NoteCount, v.MaxNoteRunes, v.MaxNotes = len(sealed), maxNoteRunes, maxNotesPerUser
	v.Notes = make([]noteView, len(sealed))
	for i, s := range sealed {
		v.Notes[i] = noteView{Created: s.Created}
	}
	return v, sealed, true
}

// failed logs err and answers 500: the error page, or JSON for api.
func (f *notesFeature) failed(w http.ResponseWriter, r *http.Request, api bool, op string, err error) {
	if api {
		f.failJSON(w, r, op, err)
		return
	}
	f.p.fail(w, r, op, err)
}

// refuse answers a request that changed nothing: the notes page with
// message, or for api the JSON error with code.
func (f *notesFeature) refuse(w http.ResponseWriter, r *http.Request, v *view, api bool, status int, code, message string) {
	if api {
		writeJSONError(w, status, code, message)
		return
	}
	v.Error = message
	f.p.render.render(w, r, status, "notes", v)
}

// page is GET /notes: the notes, sealed.
func (f *notesFeature) page(w http.ResponseWriter, r *http.Request) {
	v, _, ok := f.notesView(w, r, false)
	if !ok {
		return
	}
	f.p.render.render(w, r, http.StatusOK, "notes", v)
}

// post is POST /notes: do=add encrypts and stores a note, do=reveal
// decrypts the notes for this answer only. Both ask the phone for the key.
// A client that prefers JSON gets JSON answers (notes_json.go); a browser
// gets the notes page.
func (f *notesFeature) post(w http.ResponseWriter, r *http.Request) {
	api := accept.PrefersJSON(r.Header.Get("Accept"))
	if api {
		if !parseFormJSON(w, r) {
			return
		}
	} else if !f.p.parseForm(w, r) {
		return
	}
	v, sealed, ok := f.notesView(w, r, api)
	if !ok {
		return
	}
	if !v.TwoStepOn {
		// No UNLOQ, no key: nothing to ask the phone.
		f.refuse(w, r, v, api, http.StatusForbidden, "unloq_required",
			"Encrypted notes need two-step verification with UNLOQ: the key is released by your phone. Turn it on in Settings first.")
		return
	}
	switch r.PostFormValue("do") {
	case "add":
		f.addNote(w, r, v, api)
	case "reveal":
		f.revealNotes(w, r, v, sealed, api)
	default:
		if api {
			writeJSONError(w, http.StatusBadRequest, "bad_request", `Unknown notes action: send do=add (with note) or do=reveal.`)
			return
		}
		http.Error(w, "unknown notes action", http.StatusBadRequest)
	}
}

func (f *notesFeature) addNote(w http.ResponseWriter, r *http.Request, v *view, api bool) {
	text := strings.TrimSpace(strings.ReplaceAll(r.PostFormValue("note"), "\r\n", "\n"))
	v.NoteDraft = text
	var code, problem string
	switch {
	case text == "" || !utf8.ValidString(text):
		code, problem = "invalid_note", "Write something first: the note is empty."
	case utf8.RuneCountInString(text) > maxNoteRunes:
		code, problem = "invalid_note", fmt.Sprintf("A note may have at most %d characters.", maxNoteRunes)
	case v.NoteCount >= maxNotesPerUser:
		code, problem = "too_many_notes", fmt.Sprintf("You already have %d notes, the most this demo keeps. Delete them to add new ones.", maxNotesPerUser)
	}
	if problem != "" {
		f.refuse(w, r, v, api, http.StatusUnprocessableEntity, code, problem)
		return
	}
	key, err := f.add.Fetch(r.Context(), r)
	if err != nil {
		f.keyFailed(w, r, v, api, err, "Nothing was saved.")
		return
	}
	nk, err := noteKey(key)
	clear(key)
	if err != nil {
		f.failed(w, r, api, "demo: add note", err)
		return
	}
	nonce, ct, err := sealNote(nk, v.User.ID, text)
	clear(nk)
	if err != nil {
		f.failed(w, r, api, "demo: add note", err)
		return
	}
	id, err := f.notes.Add(r.Context(), v.User.ID, nonce, ct)
	if err != nil {
		if errors.Is(err, ErrTooManyNotes) {
			f.refuse(w, r, v, api, http.StatusUnprocessableEntity, "too_many_notes",
				fmt.Sprintf("You already have %d notes, the most this demo keeps. Nothing was saved.", maxNotesPerUser))
			return
		}
		f.failed(w, r, api, "demo: add note", err)
		return
	}
	f.p.log.InfoContext(r.Context(), "demo: note added", "user", v.User.ID)
	if api {
		writeJSON(w, http.StatusCreated, map[string]int64{"id": id})
		return
	}
	http.Redirect(w, r, "/notes?m=note-added", http.StatusSeeOther)
}

func (f *notesFeature) revealNotes(w http.ResponseWriter, r *http.Request, v *view, sealed []sealedNote, api bool) {
	if len(sealed) == 0 {
		// Nothing to decrypt: no push.
		if api {
			writeJSON(w, http.StatusOK, map[string][]noteJSON{"notes": {}})
			return
		}
		v.NoticeKind, v.Notice = "info", "You have no notes yet."
		f.p.render.render(w, r, http.StatusOK, "notes", v)
		return
	}
	key, err := f.reveal.Fetch(r.Context(), r)
	if err != nil {
		f.keyFailed(w, r, v, api, err, "Your notes stay hidden.")
		return
	}
	nk, err := noteKey(key)
	clear(key)
	if err != nil {
		f.failed(w, r, api, "demo: reveal notes", err)
		return
	}
	defer clear(nk)
	broken := 0
	out := make([]noteJSON, len(sealed))
	for i, s := range sealed {
		out[i] = noteJSON{ID: s.ID, CreatedAt: s.Created.UTC()}
		text, err := openNote(nk, v.User.ID, s.Nonce, s.Ciphertext)
		if err != nil {
			v.Notes[i].Broken, out[i].Broken = true, true
			broken++
			continue
		}
		v.Notes[i].Text, out[i].Text = text, text
	}
	if api {
		writeJSON(w, http.StatusOK, map[string][]noteJSON{"notes": out})
		return
	}
	v.Revealed = true
	v.NoticeKind, v.Notice = "ok", "Your phone released the key: the notes are decrypted for this page only. The key was not kept; reload or leave the page and they are hidden again."
	if broken > 0 {
		v.Error = fmt.Sprintf("%d note(s) did not decrypt with the key your phone released (the UNLOQ account may have changed).", broken)
	}
	f.p.render.render(w, r, http.StatusOK, "notes", v)
}

// keyFailed says why the phone released no key: on the notes page, or for
// api in JSON with encryptionkey.Status's code. Nothing changed.
func (f *notesFeature) keyFailed(w http.ResponseWriter, r *http.Request, v *view, api bool, err error, nothing string) {
	if errors.Is(err, context.Canceled) || errors.Is(err, encryptionkey.ErrCanceled) {
		return // the browser went away
	}
	f.p.log.InfoContext(r.Context(), "demo: no encryption key", "err", err)
	status, code := encryptionkey.Status(err)
	var msg string
	switch {
	case errors.Is(err, encryptionkey.ErrDenied):
		msg = "You declined the request on your phone. " + nothing
	case errors.Is(err, encryptionkey.ErrTimeout):
		msg = "Your phone did not answer in time. " + nothing
	case errors.Is(err, encryptionkey.ErrInFlight):
		msg = "A request is already waiting on your phone: answer it there first. " + nothing
	case errors.Is(err, encryptionkey.ErrNoUNLOQ):
		msg = "Encrypted notes need two-step verification with UNLOQ. Turn it on in Settings first. " + nothing
	case errors.Is(err, encryptionkey.ErrUnavailable), errors.Is(err, encryptionkey.ErrBadKey):
		msg = "UNLOQ cannot be reached right now, so your phone could not release the key. " + nothing + " Please try again later."
	case errors.Is(err, encryptionkey.ErrNotLoggedIn), errors.Is(err, encryptionkey.ErrNotVerified), errors.Is(err, encryptionkey.ErrAccountChanged):
		msg = "Your login changed. Please log in again. " + nothing
	default:
		msg = "Something went wrong. " + nothing
	}
	f.refuse(w, r, v, api, status, code, msg)
}

// confirmDelete is GET /notes/delete-all: what will happen, and the form
// that asks the phone.
func (f *notesFeature) confirmDelete(w http.ResponseWriter, r *http.Request) {
	v, _, ok := f.notesView(w, r, false)
	if !ok {
		return
	}
	v.Title = "Delete all notes"
	f.p.render.render(w, r, http.StatusOK, "notes_delete", v)
}

// deleteVars fills the action's $what on the phone.
func (f *notesFeature) deleteVars(r *http.Request) map[string]string {
	what := "all your notes"
	if id, ok := middleware.UserID(r); ok {
		if n, err := f.notes.Count(r.Context(), id); err == nil {
			what = fmt.Sprintf("all %d notes", n)
			if n == 1 {
				what = "your 1 note"
			}
		}
	}
	return map[string]string{"what": what}
}

// deleteAll is POST /notes/delete-all once the phone approved.
func (f *notesFeature) deleteAll(w http.ResponseWriter, r *http.Request) {
	id, ok := middleware.UserID(r)
	if !ok {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	n, err := f.notes.DeleteAll(r.Context(), id)
	if err != nil {
		f.p.fail(w, r, "demo: delete notes", err)
		return
	}
	f.p.log.InfoContext(r.Context(), "demo: notes deleted", "user", id, "count", n)
	if accept.PrefersJSON(r.Header.Get("Accept")) {
		// An API client that repeated the request with the step-up header.
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		fmt.Fprintf(w, "{\"deleted\":%d}\n", n)
		return
	}
	http.Redirect(w, r, "/notes?m=notes-deleted", http.StatusSeeOther)
}
