package demo

import (
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/store"
)

// TestBrowserNotes runs step-up and the encrypted notes in headless
// Chromium: sign up, turn two-step on, add a note (the phone releases the
// key), reveal it (again), then delete all notes, which waits for the
// phone's approval of that action.
func TestBrowserNotes(t *testing.T) {
	w := newWebTest(t)
	const email, password = "nina@example.com", "nina-password"
	const secret = "Spare key under the blue flower pot"
	approve := `[data-approval] button.approve`

	w.do(w.main, "sign up",
		chromedp.Navigate(w.app.URL+"/signup"),
		chromedp.WaitVisible(chromedp.CSS("#signup-submit")),
		chromedp.SendKeys(chromedp.CSS("#email"), email),
		chromedp.SendKeys(chromedp.CSS("#password"), password),
		chromedp.Click(chromedp.CSS("#signup-submit")),
		chromedp.WaitVisible(chromedp.CSS("#enable-2fa")),
	)

	// Without two-step, the notes page explains why it cannot help.
	w.do(w.main, "notes without two-step",
		chromedp.Click(chromedp.CSS("#settings-notes-link")),
		chromedp.WaitVisible(chromedp.CSS("#notes-need-2fa")),
	)
	assert.Equal(t, "/notes", w.location(w.main))
	w.shot(w.main, "20-notes-need-2fa")

	// Turn two-step on: pair and approve on the simulated phone.
	w.do(w.main, "settings", chromedp.Click(chromedp.CSS("#notes-settings")), chromedp.WaitVisible(chromedp.CSS("#enable-2fa")))
	w.do(w.main, "enable", chromedp.Click(chromedp.CSS("#enable-2fa")), chromedp.WaitVisible(chromedp.CSS("#qr")))
	w.openPhone()
	w.onPhone("scan", `[data-pairing] button.scan`)
	w.onPhone("approve the pairing", approve)
	w.do(w.main, "recovery codes", chromedp.WaitVisible(chromedp.CSS("#recovery-continue")), chromedp.Click(chromedp.CSS("#recovery-continue")))
	w.do(w.main, "two-step on", chromedp.WaitVisible(chromedp.CSS("#disable-2fa")))
	require.Equal(t, store.SecondFactorUNLOQ, w.app.secondFactor(email))

	// Add a note: the phone asks to release the key.
	w.do(w.main, "notes page",
		chromedp.Navigate(w.app.URL+"/dashboard"),
		chromedp.WaitVisible(chromedp.CSS("#notes-link")),
		chromedp.Click(chromedp.CSS("#notes-link")),
		chromedp.WaitVisible(chromedp.CSS("#note")),
		chromedp.SendKeys(chromedp.CSS("#note"), secret),
	)
	w.shot(w.main, "21-notes-empty")
	w.do(w.main, "save the note", chromedp.Click(chromedp.CSS("#add-note")))
	w.do(w.phone, "key request on the phone", chromedp.WaitVisible(chromedp.CSS(approve)))
	w.shot(w.phone, "22-device-key-request")
	w.onPhone("release the key to encrypt", approve)
	w.do(w.main, "note saved", chromedp.WaitVisible(chromedp.CSS("#reveal-notes")))
	assert.Equal(t, "1", w.text(w.main, "note count", "#note-count"))
	assert.Contains(t, w.text(w.main, "saved notice", `[role=status]`), "encrypted and saved")
	assert.Equal(t, "Encrypted", w.text(w.main, "sealed note", ".note-text.locked"))
	w.shot(w.main, "23-notes-sealed")
	rows := w.app.noteRows(email)
	require.Len(t, rows, 1)
	assert.NotContains(t, string(rows[0].Ciphertext), secret)

	// Reveal: the phone releases the key again; the text shows on that page.
	w.do(w.main, "reveal", chromedp.Click(chromedp.CSS("#reveal-notes")))
	w.onPhone("release the key to reveal", approve)
	w.do(w.main, "revealed", chromedp.WaitVisible(chromedp.CSS(".note-text.revealed")))
	assert.Equal(t, secret, w.text(w.main, "revealed text", ".note-text.revealed"))
	w.shot(w.main, "24-notes-revealed")

	// Delete all notes: a step-up approval of that action.
	w.do(w.main, "confirm page",
		chromedp.Click(chromedp.CSS("#delete-all-link")),
		chromedp.WaitVisible(chromedp.CSS("#delete-all")),
	)
	w.shot(w.main, "25-delete-confirm")
	// The waiting page submits itself at once and waits for the phone; its
	// request stays open until the phone answers.
	w.do(w.main, "delete", chromedp.Click(chromedp.CSS("#delete-all")))
	w.do(w.phone, "step-up on the phone", chromedp.WaitVisible(chromedp.CSS(approve)))
	assert.Equal(t, "Delete your 1 note?", w.text(w.phone, "phone title", "[data-approval] .title"))
	w.shot(w.main, "26-stepup-wait")
	w.shot(w.phone, "27-device-stepup")
	assert.Len(t, w.app.noteRows(email), 1, "nothing deleted before the approval")
	w.onPhone("approve the deletion", approve)
	w.do(w.main, "deleted", chromedp.WaitVisible(chromedp.CSS("#no-notes")))
	assert.Equal(t, "/notes?m=notes-deleted", w.location(w.main))
	assert.Contains(t, w.text(w.main, "deleted notice", `[role=status]`), "deleted")
	assert.Empty(t, w.app.noteRows(email))
	w.shot(w.main, "28-notes-deleted")
	assert.Contains(t, w.text(w.main, "logout form", "#logout"), "Log out", "every page keeps the logout form")
}
