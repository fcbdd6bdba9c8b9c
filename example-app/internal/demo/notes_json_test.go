package demo

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/unloq/unloqtest"
)

// apiPost posts form to /notes as a same-origin API client.
func apiPost(b *browser, form url.Values) page {
	b.t.Helper()
	return b.postWith("/notes", form, map[string]string{
		"Accept": "application/json", "Origin": b.base, "Sec-Fetch-Site": "same-origin",
	})
}

// apiPostAsync is apiPost for a request that waits for the phone.
func apiPostAsync(b *browser, form url.Values) <-chan page {
	return b.postAsyncAccept("/notes", form, "application/json")
}

// revealedNotes decodes a JSON reveal answer.
func revealedNotes(t *testing.T, p page) []noteJSON {
	t.Helper()
	require.Equal(t, http.StatusOK, p.Status, p.Body)
	assertJSONNoStore(t, p)
	var out struct {
		Notes []noteJSON `json:"notes"`
	}
	require.NoError(t, json.Unmarshal([]byte(p.Body), &out), p.Body)
	require.NotNil(t, out.Notes, "notes is a list, never null: %s", p.Body)
	return out.Notes
}

// addedID decodes a JSON add answer.
func addedID(t *testing.T, p page) int64 {
	t.Helper()
	require.Equal(t, http.StatusCreated, p.Status, p.Body)
	assertJSONNoStore(t, p)
	var out struct {
		ID int64 `json:"id"`
	}
	require.NoError(t, json.Unmarshal([]byte(p.Body), &out), p.Body)
	require.Positive(t, out.ID)
	return out.ID
}

// assertJSONRefusal checks a JSON refusal of the notes: status and code.
func assertJSONRefusal(t *testing.T, p page, status int, code string) {
	t.Helper()
	assert.Equal(t, status, p.Status, p.Body)
	assertJSONNoStore(t, p)
	var e notesError
	require.NoError(t, json.Unmarshal([]byte(p.Body), &e), p.Body)
	assert.Equal(t, code, e.Error.Code, p.Body)
	assert.NotEmpty(t, e.Error.Message)
}

func assertJSONNoStore(t *testing.T, p page) {
	t.Helper()
	assert.Equal(t, "application/json; charset=utf-8", p.Header.Get("Content-Type"))
	assert.Equal(t, "no-store", p.Header.Get("Cache-Control"))
}

// apiAddNote adds a note as an API client, the phone approving, and
// returns its id.
func apiAddNote(t *testing.T, a *testApp, b *browser, email, text string) int64 {
	t.Helper()
	done := apiPostAsync(b, url.Values{"do": {"add"}, "note": {text}})
	ap := a.answerNext(email, true, done)
	assert.Equal(t, unloqtest.TypeEncryptionKey, ap.Type)
	assert.Equal(t, addNoteMessage, ap.Message)
	return addedID(t, b.wait(done))
}

// encryptionKeyRequests counts the key requests that reached email's phone.
func encryptionKeyRequests(a *testApp, email string) int {
	n := 0
	for _, ap := range a.sim.Approvals(email, "") {
		if ap.Type == unloqtest.TypeEncryptionKey {
			n++
		}
	}
	return n
}

// TestEncryptedNotesJSON drives the encrypted notes as an API client: a
// note is added (201 with its id) and the notes revealed (their texts in
// JSON) only after the phone approved; a denial adds nothing and reveals
// nothing.
func TestEncryptedNotesJSON(t *testing.T) {
	a := newTestApp(t, nil)
	const email, password = "jason@example.com", "jason-password"
	secrets := []string{"API secret one", `Quotes " and <tags> & more`}
	b := twoStepUser(t, a, email, password)

	// Nothing to reveal yet: an empty list, no push.
	assert.Empty(t, revealedNotes(t, apiPost(b, url.Values{"do": {"reveal"}})))
	// An empty note or an unknown action is refused before any push.
	assertJSONRefusal(t, apiPost(b, url.Values{"do": {"add"}, "note": {" \r\n "}}), http.StatusUnprocessableEntity, "invalid_note")
	assertJSONRefusal(t, apiPost(b, url.Values{"do": {"publish"}}), http.StatusBadRequest, "bad_request")
	assert.Zero(t, encryptionKeyRequests(a, email))

	// Denied: 403 denied, no row.
	done := apiPostAsync(b, url.Values{"do": {"add"}, "note": {secrets[0]}})
	a.answerNext(email, false, done)
	assertJSONRefusal(t, b.wait(done), http.StatusForbidden, "denied")
	assert.Empty(t, a.noteRows(email))

	// Approved: 201 with the id of the new row.
	before := time.Now().Add(-time.Second)
	var ids []int64
	for _, s := range secrets {
		ids = append(ids, apiAddNote(t, a, b, email, s))
	}
	rows := a.noteRows(email)
	require.Len(t, rows, 2)
	for i, row := range rows {
		assert.Equal(t, ids[i], row.ID)
		assert.NotContains(t, string(row.Ciphertext), secrets[i], "stored sealed")
	}

	// Reveal, denied: 403 denied, no text.
	done = apiPostAsync(b, url.Values{"do": {"reveal"}})
	ap := a.answerNext(email, false, done)
	assert.Equal(t, revealNotesMessage, ap.Message)
	p := b.wait(done)
	assertJSONRefusal(t, p, http.StatusForbidden, "denied")
	for _, s := range secrets {
		assert.NotContains(t, p.Body, s)
	}

	// Reveal, approved: id, text and creation time of each note.
	done = apiPostAsync(b, url.Values{"do": {"reveal"}})
	a.answerNext(email, true, done)
	notes := revealedNotes(t, b.wait(done))
	require.Len(t, notes, 2)
	for i, n := range notes {
		assert.Equal(t, ids[i], n.ID)
		assert.Equal(t, secrets[i], n.Text)
		assert.False(t, n.Broken)
		assert.WithinRange(t, n.CreatedAt, before, time.Now().Add(time.Second))
		assert.Equal(t, time.UTC, n.CreatedAt.Location())
	}

	// A cross-site request cannot make the phone ask.
	pushes := encryptionKeyRequests(a, email)
	p = b.postWith("/notes", url.Values{"do": {"reveal"}}, map[string]string{
		"Accept": "application/json", "Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site",
	})
	assert.Equal(t, http.StatusForbidden, p.Status)
	for _, s := range secrets {
		assert.NotContains(t, p.Body, s)
	}
	assert.Equal(t, pushes, encryptionKeyRequests(a, email))
}

// TestEncryptedNotesJSONRefusalsChangeNothing: a phone that does not
// answer and every fault of UNLOQ's key call refuse in JSON; no note is
// added and none revealed, and the next request works again.
func TestEncryptedNotesJSONRefusalsChangeNothing(t *testing.T) {
	a := newTestApp(t, func(c *Config) { c.SimApprovalTimeout = 2 * time.Second })
	const email, password = "faye@example.com", "faye-password"
	const secret = "kept under the phone's key"
	b := twoStepUser(t, a, email, password)
	apiAddNote(t, a, b, email, secret)
	require.Len(t, a.noteRows(email), 1)

	check := func(t *testing.T, name, code string, wantStatus int) {
		t.Helper()
		p := apiPost(b, url.Values{"do": {"add"}, "note": {"must not be saved: " + name}})
		assertJSONRefusal(t, p, wantStatus, code)
		assert.Len(t, a.noteRows(email), 1, "%s: nothing added", name)
		p = apiPost(b, url.Values{"do": {"reveal"}})
		assertJSONRefusal(t, p, wantStatus, code)
		assert.NotContains(t, p.Body, secret, "%s: nothing revealed", name)
	}

	// The phone never answers.
	require.NoError(t, a.sim.SetBehavior(email, unloqtest.BehaviorIgnore))
	check(t, "timeout", "timeout", http.StatusForbidden)

	// UNLOQ fails while the phone would approve.
	require.NoError(t, a.sim.SetBehavior(email, unloqtest.BehaviorApprove))
	for _, mode := range []string{unloqtest.FaultError500, unloqtest.FaultGarbage, unloqtest.FaultBlocked, unloqtest.FaultThrottle} {
		t.Run(mode, func(t *testing.T) {
			for range 2 { // one for the add, one for the reveal
				a.sim.InjectFault(unloqtest.Fault{Path: "/v1/encryption/user", Mode: mode})
			}
			check(t, mode, "unavailable", http.StatusServiceUnavailable)
			a.sim.ClearFaults()
		})
	}

	// Without a fault the same requests work: nothing was left locked.
	p := apiPost(b, url.Values{"do": {"reveal"}})
	notes := revealedNotes(t, p)
	require.Len(t, notes, 1)
	assert.Equal(t, secret, notes[0].Text)
	addedID(t, apiPost(b, url.Values{"do": {"add"}, "note": {"after the faults"}}))
	assert.Len(t, a.noteRows(email), 2)
}

// TestEncryptedNotesJSONForeignSession: a session is the only thing that
// names whose notes are read or written. Another user's session reads and
// writes only that user's notes (and asks only that user's phone); an
// anonymous client, a pending login and a password-only user get no key
// and change nothing.
func TestEncryptedNotesJSONForeignSession(t *testing.T) {
	a := newTestApp(t, nil)
	const alice, bob = "alice@example.com", "bob@example.com"
	const aliceSecret, bobSecret = "alice's API secret", "bob's API secret"
	ab := twoStepUser(t, a, alice, "alice-password")
	bb := twoStepUser(t, a, bob, "bob-password")
	apiAddNote(t, a, ab, alice, aliceSecret)
	bobID := apiAddNote(t, a, bb, bob, bobSecret)
	alicePushes := encryptionKeyRequests(a, alice)

	// Bob reveals: his phone is asked, his note comes back, never Alice's.
	done := apiPostAsync(bb, url.Values{"do": {"reveal"}, "user_id": {a.userID(alice)}})
	ap := a.answerNext(bob, true, done)
	assert.Equal(t, bob, ap.Email)
	p := bb.wait(done)
	notes := revealedNotes(t, p)
	require.Len(t, notes, 1)
	assert.Equal(t, bobID, notes[0].ID)
	assert.Equal(t, bobSecret, notes[0].Text)
	assert.NotContains(t, p.Body, aliceSecret)

	// Bob adds, naming Alice: the note is his.
	done = apiPostAsync(bb, url.Values{"do": {"add"}, "note": {"bob again"}, "user_id": {a.userID(alice)}})
	a.answerNext(bob, true, done)
	addedID(t, bb.wait(done))
	assert.Len(t, a.noteRows(alice), 1)
	assert.Len(t, a.noteRows(bob), 2)
	assert.Equal(t, alicePushes, encryptionKeyRequests(a, alice), "Alice's phone was never asked")

	// Anonymous: the JSON 401 of RequireVerified.
	anon := a.browser()
	for _, form := range []url.Values{{"do": {"reveal"}}, {"do": {"add"}, "note": {"anonymous"}}} {
		p = apiPost(anon, form)
		assert.Equal(t, http.StatusUnauthorized, p.Status, p.Body)
		assert.Contains(t, p.Header.Get("Content-Type"), "application/json")
		assert.Contains(t, p.Body, `"reason":"anonymous"`)
		assert.NotContains(t, p.Body, aliceSecret)
	}

	// A login of Alice still waiting for the phone: no key, no note.
	pending := a.browser()
	loginPending(t, pending, alice, "alice-password")
	for _, form := range []url.Values{{"do": {"reveal"}}, {"do": {"add"}, "note": {"pending"}}} {
		p = apiPost(pending, form)
		assert.Equal(t, http.StatusUnauthorized, p.Status, p.Body)
		assert.Contains(t, p.Body, `"reason":"pending"`)
		assert.NotContains(t, p.Body, aliceSecret)
	}

	// A password-only user: no UNLOQ, no key.
	demo := a.browser()
	require.Equal(t, http.StatusSeeOther, demo.post("/login", url.Values{"email": {DefaultDemoEmail}, "password": {DefaultDemoPassword}}).Status)
	a.insertNote(DefaultDemoEmail)
	assertJSONRefusal(t, apiPost(demo, url.Values{"do": {"reveal"}}), http.StatusForbidden, "unloq_required")
	assertJSONRefusal(t, apiPost(demo, url.Values{"do": {"add"}, "note": {"x"}}), http.StatusForbidden, "unloq_required")
	assert.Empty(t, a.sim.Approvals(DefaultDemoEmail, ""))

	assert.Equal(t, alicePushes, encryptionKeyRequests(a, alice), "no key request reached Alice's phone")
	assert.Len(t, a.noteRows(alice), 1, "Alice's notes unchanged")
	assert.Len(t, a.noteRows(bob), 2)
	assert.Len(t, a.noteRows(DefaultDemoEmail), 1)
}
