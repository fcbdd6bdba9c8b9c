package demo

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"html"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/handlers/stepup"
	"github.com/unloq2fa/unloq2fa/store"
	"github.com/unloq2fa/unloq2fa/unloq"
	"github.com/unloq2fa/unloq2fa/unloq/unloqtest"
)

// twoStepUser signs up email and turns two-step verification on through
// the app's own pages, with the phone approving at once; the phone is back
// in manual mode afterwards. It returns the logged-in browser.
func twoStepUser(t *testing.T, a *testApp, email, password string) *browser {
	t.Helper()
	b := a.browser()
	p := b.post("/signup", url.Values{"email": {email}, "password": {password}})
	require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
	p = b.post("/settings/2fa/enable", nil)
	require.Equal(t, http.StatusOK, p.Status, p.Body)
	require.NoError(t, a.sim.Scan(email))
	require.NoError(t, a.sim.SetBehavior(email, unloqtest.BehaviorApprove))
	p = b.post("/settings/2fa/enable", url.Values{"step": {"confirm"}})
	require.Equal(t, http.StatusOK, p.Status, p.Body)
	require.Len(t, recoveryCodes(p.Body), 10, "the recovery codes are shown once")
	require.NoError(t, a.sim.SetBehavior(email, unloqtest.BehaviorManual))
	require.Equal(t, store.SecondFactorUNLOQ, a.secondFactor(email))
	return b
}

// userID returns the id of email's account.
func (a *testApp) userID(email string) string {
	a.t.Helper()
	u, err := a.app.Users().ByEmail(context.Background(), email)
	require.NoError(a.t, err)
	return u.ID
}

// noteRows reads email's rows of the notes table directly.
func (a *testApp) noteRows(email string) []sealedNote {
	a.t.Helper()
	rows, err := a.app.db.Query(`SELECT id, nonce, ciphertext FROM notes WHERE user_id = ? ORDER BY id`, a.userID(email))
	require.NoError(a.t, err)
	defer rows.Close()
	var out []sealedNote
	for rows.Next() {
		var s sealedNote
		require.NoError(a.t, rows.Scan(&s.ID, &s.Nonce, &s.Ciphertext))
		out = append(out, s)
	}
	require.NoError(a.t, rows.Err())
	return out
}

// insertNote stores a sealed note for email directly (a stand-in; it is
// never decrypted).
func (a *testApp) insertNote(email string) {
	a.t.Helper()
	_, err := a.app.db.Exec(`INSERT INTO notes (user_id, nonce, ciphertext, created_at) VALUES (?, ?, ?, ?)`,
		a.userID(email), make([]byte, 12), []byte("0123456789abcdef-sealed"), time.Now().Unix())
	require.NoError(a.t, err)
}

// addNote adds a note through the page, the phone approving the key
// request.
func addNote(t *testing.T, a *testApp, b *browser, email, text string) {
	t.Helper()
	done := b.postAsync("/notes", url.Values{"do": {"add"}, "note": {text}})
	ap := a.answerNext(email, true, done)
	assert.Equal(t, unloqtest.TypeEncryptionKey, ap.Type)
	assert.Equal(t, addNoteMessage, ap.Message, "the phone says what the key is for")
	p := b.wait(done)
	require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
	assert.Equal(t, "/notes?m=note-added", p.Location)
}

var hiddenField = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)

// stepUpForm returns the hidden fields of the step-up waiting page.
func stepUpForm(t *testing.T, p page) url.Values {
	t.Helper()
	require.Equal(t, http.StatusOK, p.Status, p.Body)
	require.Contains(t, p.Body, `<form id="unloq2fa-step-up" method="post" action="/notes/delete-all">`)
	vals := url.Values{}
	for _, m := range hiddenField.FindAllStringSubmatch(p.Body, -1) {
		vals.Add(html.UnescapeString(m[1]), html.UnescapeString(m[2]))
	}
	require.Equal(t, "run", vals.Get(stepup.FieldStepUp), p.Body)
	return vals
}

// TestEncryptedNotes adds notes (the phone releases the key each time),
// checks that SQLite holds only nonce and ciphertext, that neither the
// text nor the key reach the database file, that the ciphertext is
// AES-GCM under the HKDF of the user's UNLOQ key, and that "Reveal notes"
// decrypts for that answer only, after an approval, and shows nothing
// after a denial.
func TestEncryptedNotes(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "demo.db")
	a := newTestApp(t, func(c *Config) { c.DBPath = dbPath })
	const email, password = "nora@example.com", "nora-password"
	secrets := []string{"The safe code is 7-3-9-1", "Meet <Ann> & Bob at the old mill"}
	b := twoStepUser(t, a, email, password)

	p := b.get("/notes")
	require.Equal(t, http.StatusOK, p.Status)
	assertLoggedInPage(t, p)
	assert.Contains(t, p.Body, `<form method="post" action="/notes" id="add-note-form">`)
	assert.Contains(t, p.Body, `id="no-notes"`)

	// An empty note is refused before any push.
	p = b.post("/notes", url.Values{"do": {"add"}, "note": {"  "}})
	assert.Equal(t, http.StatusUnprocessableEntity, p.Status)
	assert.Empty(t, a.sim.Approvals(email, unloqtest.StatusPending))

	// Denied: nothing is stored, the draft stays in the form.
	done := b.postAsync("/notes", url.Values{"do": {"add"}, "note": {secrets[0]}})
	a.answerNext(email, false, done)
	p = b.wait(done)
	assert.Equal(t, http.StatusForbidden, p.Status)
	assert.Contains(t, p.Body, "You declined the request on your phone. Nothing was saved.")
	assert.Contains(t, p.Body, secrets[0], "the draft is kept in the form")
	assertLoggedInPage(t, p)
	assert.Empty(t, a.noteRows(email))

	for _, s := range secrets {
		addNote(t, a, b, email, s)
	}
	p = b.get("/notes?m=note-added")
	assert.Contains(t, p.Body, "the note was encrypted and saved")
	assert.Contains(t, p.Body, `id="note-count">2<`)
	for _, s := range secrets {
		assert.NotContains(t, p.Body, html.EscapeString(s), "the page shows sealed notes")
	}

	// The rows hold only a 12-byte nonce and ciphertext plus the 16-byte tag.
	rows := a.noteRows(email)
	require.Len(t, rows, 2)
	for i, row := range rows {
		assert.Len(t, row.Nonce, 12)
		assert.Len(t, row.Ciphertext, len(secrets[i])+16)
		assert.NotContains(t, string(row.Ciphertext), secrets[i])
	}
	assert.NotEqual(t, rows[0].Nonce, rows[1].Nonce)
	var cols []string
	colRows, err := a.app.db.Query(`SELECT name FROM pragma_table_info('notes')`)
	require.NoError(t, err)
	for colRows.Next() {
		var c string
		require.NoError(t, colRows.Scan(&c))
		cols = append(cols, c)
	}
	require.NoError(t, colRows.Close())
	assert.Equal(t, []string{"id", "user_id", "nonce", "ciphertext", "created_at"}, cols)

	// The user's UNLOQ key, fetched here the way the app does it, opens the
	// rows; the database file holds neither the texts nor the key.
	unloqKey := fetchUnloqKey(t, a, email)
	nk, err := noteKey(unloqKey)
	require.NoError(t, err)
	for i, row := range rows {
		text, err := openNote(nk, a.userID(email), row.Nonce, row.Ciphertext)
		require.NoError(t, err)
		assert.Equal(t, secrets[i], text)
	}
	file, err := os.ReadFile(dbPath)
	require.NoError(t, err)
	require.True(t, bytes.Contains(file, rows[0].Ciphertext), "the file check sees the stored rows")
	for _, s := range secrets {
		assert.False(t, bytes.Contains(file, []byte(s)), "plaintext %q in the database file", s)
	}
	for name, k := range map[string][]byte{"key": unloqKey, "derived key": nk} {
		for _, enc := range [][]byte{k, []byte(hex.EncodeToString(k)), []byte(base64.StdEncoding.EncodeToString(k))} {
			assert.False(t, bytes.Contains(file, enc), "the %s is in the database file", name)
		}
	}

	// Reveal, denied: nothing decrypted.
	done = b.postAsync("/notes", url.Values{"do": {"reveal"}})
	ap := a.answerNext(email, false, done)
	assert.Equal(t, revealNotesMessage, ap.Message)
	p = b.wait(done)
	assert.Equal(t, http.StatusForbidden, p.Status)
	assert.Contains(t, p.Body, "You declined the request on your phone. Your notes stay hidden.")
	for _, s := range secrets {
		assert.NotContains(t, p.Body, html.EscapeString(s))
	}

	// Reveal, approved: the texts, for this answer only.
	done = b.postAsync("/notes", url.Values{"do": {"reveal"}})
	a.answerNext(email, true, done)
	p = b.wait(done)
	require.Equal(t, http.StatusOK, p.Status, p.Body)
	assertLoggedInPage(t, p)
	assert.Equal(t, "no-store", p.Header.Get("Cache-Control"))
	for _, s := range secrets {
		assert.Contains(t, p.Body, html.EscapeString(s))
	}
	assert.NotContains(t, p.Body, "<Ann>", "the text is escaped")
	p = b.get("/notes")
	for _, s := range secrets {
		assert.NotContains(t, p.Body, html.EscapeString(s), "hidden again on the next page")
	}

	// A row moved to another account does not decrypt there.
	_, err = openNote(nk, "999", rows[0].Nonce, rows[0].Ciphertext)
	assert.Error(t, err)

	// A cross-site form cannot make the phone ask.
	p = b.postWith("/notes", url.Values{"do": {"reveal"}}, map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"})
	assert.Equal(t, http.StatusForbidden, p.Status)
	assert.Empty(t, a.sim.Approvals(email, unloqtest.StatusPending))
}

// fetchUnloqKey asks the embedded simulator for email's encryption key
// with a fresh RSA pair, as package encryptionkey does, with the phone
// approving.
func fetchUnloqKey(t *testing.T, a *testApp, email string) []byte {
	t.Helper()
	client, err := unloq.NewClient(a.app.Config().SimAPIKey, unloq.WithBaseURL(a.URL+SimulatorPrefix+"/v1"), unloq.WithAllowHTTP())
	require.NoError(t, err)
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	der, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	require.NoError(t, err)
	require.NoError(t, a.sim.SetBehavior(email, unloqtest.BehaviorApprove))
	defer func() { require.NoError(t, a.sim.SetBehavior(email, unloqtest.BehaviorManual)) }()
	res, err := client.RequestEncryptionKey(context.Background(), unloq.EncryptionRequest{
		Email: email, PublicKey: string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})),
	})
	require.NoError(t, err)
	key, err := unloq.DecryptEncryptionKey(priv, res.EncryptionKey)
	require.NoError(t, err)
	require.NotEmpty(t, key)
	return key
}

// TestStepUpDeleteAllNotes: "Delete all notes" runs only after the phone
// approved this action; a denial changes nothing.
func TestStepUpDeleteAllNotes(t *testing.T) {
	a := newTestApp(t, nil)
	const email, password = "dora@example.com", "dora-password"
	b := twoStepUser(t, a, email, password)
	a.insertNote(email)
	a.insertNote(email)

	p := b.get("/notes/delete-all")
	require.Equal(t, http.StatusOK, p.Status)
	assertLoggedInPage(t, p)
	assert.Contains(t, p.Body, `<form method="post" action="/notes/delete-all">`)
	assert.Contains(t, p.Body, "all 2 of your encrypted notes")

	// The first POST only shows the waiting page: no push yet.
	p = b.post("/notes/delete-all", nil)
	vals := stepUpForm(t, p)
	assertLoggedInPage(t, p)
	assert.Empty(t, a.sim.Approvals(email, unloqtest.StatusPending))
	assert.Len(t, a.noteRows(email), 2)

	// Denied: a clear page, the notes stay.
	done := b.postAsync("/notes/delete-all", vals)
	ap := a.answerNext(email, false, done)
	assert.Equal(t, unloqtest.TypeAuthorization, ap.Type)
	assert.Equal(t, "Delete all 2 notes?", ap.Title, "the phone says what is being approved")
	assert.Equal(t, deleteNotesMessage, ap.Message)
	assert.Equal(t, deleteNotesRef, ap.Reference)
	p = b.wait(done)
	assert.Equal(t, http.StatusForbidden, p.Status)
	assert.Contains(t, p.Body, `data-code="denied"`)
	assert.Contains(t, p.Body, "You declined the request on your phone. Nothing was done.")
	assertLoggedInPage(t, p)
	assert.Len(t, a.noteRows(email), 2, "nothing deleted after the denial")

	// A cross-site form is refused before any push.
	p = b.postWith("/notes/delete-all", vals, map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"})
	assert.Equal(t, http.StatusForbidden, p.Status)
	assert.Empty(t, a.sim.Approvals(email, unloqtest.StatusPending))
	assert.Len(t, a.noteRows(email), 2)

	// Approved: the action runs.
	done = b.postAsync("/notes/delete-all", vals)
	a.answerNext(email, true, done)
	p = b.wait(done)
	require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
	assert.Equal(t, "/notes?m=notes-deleted", p.Location)
	assert.Empty(t, a.noteRows(email))
	p = b.get(p.Location)
	assert.Contains(t, p.Body, "all your notes were deleted")

	// The approval counted once: the next deletion asks again.
	a.insertNote(email)
	p = b.post("/notes/delete-all", nil)
	stepUpForm(t, p)
	assert.Len(t, a.noteRows(email), 1)
}

// TestStepUpDeleteAllNotesJSON drives the same action as an API client:
// 428 first, then the request with the step-up header waits for the phone.
func TestStepUpDeleteAllNotesJSON(t *testing.T) {
	a := newTestApp(t, nil)
	const email, password = "jill@example.com", "jill-password"
	b := twoStepUser(t, a, email, password)
	a.insertNote(email)
	post := func(header string) page {
		req, err := http.NewRequest(http.MethodPost, b.url("/notes/delete-all"), nil)
		require.NoError(t, err)
		req.Header.Set("Accept", "application/json")
		req.Header.Set("Origin", b.base)
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		if header != "" {
			req.Header.Set(stepup.HeaderStepUp, header)
		}
		return b.do(req)
	}
	p := post("")
	assert.Equal(t, http.StatusPreconditionRequired, p.Status)
	assert.Contains(t, p.Body, `"step_up_required"`)
	assert.Len(t, a.noteRows(email), 1)

	require.NoError(t, a.sim.SetBehavior(email, unloqtest.BehaviorDeny))
	p = post("run")
	assert.Equal(t, http.StatusForbidden, p.Status)
	assert.Contains(t, p.Body, `"denied"`)
	assert.Len(t, a.noteRows(email), 1)

	require.NoError(t, a.sim.SetBehavior(email, unloqtest.BehaviorApprove))
	p = post("run")
	require.Equal(t, http.StatusOK, p.Status, p.Body)
	var out struct{ Deleted int }
	require.NoError(t, json.Unmarshal([]byte(p.Body), &out))
	assert.Equal(t, 1, out.Deleted)
	assert.Empty(t, a.noteRows(email))
}

// TestStepUpTimeoutChangesNothing: a phone that does not answer refuses
// the action with a clear page.
func TestStepUpTimeoutChangesNothing(t *testing.T) {
	a := newTestApp(t, func(c *Config) { c.SimApprovalTimeout = 2 * time.Second })
	const email, password = "tim@example.com", "tim-password"
	b := twoStepUser(t, a, email, password)
	a.insertNote(email)
	vals := stepUpForm(t, b.post("/notes/delete-all", nil))
	require.NoError(t, a.sim.SetBehavior(email, unloqtest.BehaviorIgnore))
	p := b.post("/notes/delete-all", vals)
	assert.Equal(t, http.StatusForbidden, p.Status)
	assert.Contains(t, p.Body, `data-code="timeout"`)
	assert.Contains(t, p.Body, "Your phone did not answer in time. Nothing was done.")
	assert.Len(t, a.noteRows(email), 1)
}

// TestNotesPasswordOnlyUser: without UNLOQ there is no key and no step-up:
// the pages explain it, and no request reaches a phone or changes a row.
func TestNotesPasswordOnlyUser(t *testing.T) {
	a := newTestApp(t, nil)
	b := a.browser()
	require.Equal(t, http.StatusSeeOther, b.post("/login", url.Values{"email": {DefaultDemoEmail}, "password": {DefaultDemoPassword}}).Status)
	a.insertNote(DefaultDemoEmail)

	p := b.get("/notes")
	require.Equal(t, http.StatusOK, p.Status)
	assertLoggedInPage(t, p)
	assert.Contains(t, p.Body, `id="notes-need-2fa"`)
	assert.Contains(t, p.Body, "need two-step verification")
	assert.NotContains(t, p.Body, `id="add-note-form"`)
	assert.NotContains(t, p.Body, `id="reveal-notes"`)

	p = b.post("/notes", url.Values{"do": {"add"}, "note": {"a secret"}})
	assert.Equal(t, http.StatusForbidden, p.Status)
	assert.Contains(t, p.Body, "Turn it on in Settings first")
	p = b.post("/notes", url.Values{"do": {"reveal"}})
	assert.Equal(t, http.StatusForbidden, p.Status)

	p = b.get("/notes/delete-all")
	assert.Contains(t, p.Body, `id="notes-need-2fa"`)
	assert.NotContains(t, p.Body, `id="delete-all"`)
	for _, form := range []url.Values{nil, {stepup.FieldStepUp: {"run"}}} {
		p = b.post("/notes/delete-all", form)
		assert.Equal(t, http.StatusForbidden, p.Status)
		assert.Contains(t, p.Body, `data-code="unloq_required"`)
		assert.Contains(t, p.Body, "needs two-step verification with UNLOQ")
		assertLoggedInPage(t, p)
	}
	assert.Empty(t, a.sim.Approvals(DefaultDemoEmail, ""), "no request reached a phone")
	assert.Len(t, a.noteRows(DefaultDemoEmail), 1, "nothing changed")
}

// TestNotesNeedLogin: anonymous visitors are sent to log in.
func TestNotesNeedLogin(t *testing.T) {
	a := newTestApp(t, nil)
	b := a.browser()
	assertRedirect(t, b.get("/notes"), "/login?next=%2Fnotes")
	assertRedirect(t, b.get("/notes/delete-all"), "/login?next=%2Fnotes%2Fdelete-all")
	for _, path := range []string{"/notes", "/notes/delete-all"} {
		p := b.post(path, url.Values{"do": {"reveal"}})
		assert.NotEqual(t, http.StatusOK, p.Status, path)
		assert.False(t, strings.HasPrefix(p.Location, "/notes"), path)
	}
	assert.Empty(t, a.sim.Approvals("", ""))
}
