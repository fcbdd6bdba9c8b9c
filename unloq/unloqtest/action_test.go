package unloqtest_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/unloq"
	"github.com/unloq2fa/unloq2fa/unloq/unloqtest"
)

func TestDefaultActions(t *testing.T) {
	sim, err := unloqtest.New(unloqtest.WithAction("enable-2fa", "Use {app} with UNLOQ?", ""))
	require.NoError(t, err)
	t.Cleanup(func() { _ = sim.Close() })
	got := map[string]unloqtest.Action{}
	for _, a := range sim.Actions() {
		got[a.Code] = a
	}
	require.Contains(t, got, "disable-2fa")
	require.Contains(t, got, "confirm")
	assert.Equal(t, "Turn off two-step login?", got["disable-2fa"].Title)
	assert.Equal(t, "Use {app} with UNLOQ?", got["enable-2fa"].Title, "WithAction replaces a built-in action")
	for _, a := range unloqtest.DefaultActions() {
		_, err := unloqtest.New(unloqtest.WithAction(a.Code, a.Title, a.Message))
		assert.NoError(t, err, "built-in action %q follows the rules of WithAction", a.Code)
	}
}

// pendingOf returns the control API's JSON for the pending approvals of
// email.
func pendingOf(t *testing.T, srv *unloqtest.Server, email string) []map[string]any {
	t.Helper()
	r := control(t, srv, http.MethodGet, "/_control/approvals?status=pending&email="+url.QueryEscape(email), "")
	require.Equal(t, http.StatusOK, r.Status, r.Body)
	var list []map[string]any
	require.NoError(t, json.Unmarshal([]byte(r.Body), &list))
	return list
}

// TestPhoneShowsWhatIsApproved: the device page and GET
// /_control/approvals show the text of each approval: "Log in?" for a
// login, and for an authorisation the action's title and message with the
// variables filled in, plus the reference and the action code.
func TestPhoneShowsWhatIsApproved(t *testing.T) {
	srv := unloqtest.NewServer(t)
	c := srv.Client(t)
	enrollScanned(t, srv, c, alice)

	tests := []struct {
		name      string
		call      func() error
		want      map[string]any
		wantOnPge []string
	}{
		{
			name: "login",
			call: func() error {
				_, err := c.Authenticate(ctx(t), unloq.AuthenticateRequest{Email: alice, IP: "203.0.113.5"})
				return err
			},
			want:      map[string]any{"type": unloqtest.TypeAuthentication, "title": "Log in?", "message": "Login request from 203.0.113.5"},
			wantOnPge: []string{"Log in?", "Login request from 203.0.113.5"},
		},
		{
			name: "built-in confirm action",
			call: func() error {
				_, err := c.Authorize(ctx(t), "confirm", unloq.AuthorizeRequest{Email: alice, Reference: "notes-1",
					Variables: map[string]string{"action": "delete all notes", "details": "12 notes will be deleted."}})
				return err
			},
			want: map[string]any{"type": unloqtest.TypeAuthorization, "title": "Confirm: delete all notes?",
				"message": "12 notes will be deleted.", "reference": "notes-1", "action": "confirm"},
			wantOnPge: []string{"Confirm: delete all notes?", "12 notes will be deleted.", "Reference: <strong>notes-1</strong>"},
		},
		{
			name: "built-in disable-2fa action",
			call: func() error {
				_, err := c.Authorize(ctx(t), "disable-2fa", unloq.AuthorizeRequest{Email: alice, Reference: "2fa-off"})
				return err
			},
			want:      map[string]any{"type": unloqtest.TypeAuthorization, "title": "Turn off two-step login?", "reference": "2fa-off", "action": "disable-2fa"},
			wantOnPge: []string{"Turn off two-step login?", "Reference: <strong>2fa-off</strong>"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			done := make(chan error, 1)
			go func() { done <- tc.call() }()
			a, err := srv.Sim.WaitForApproval(ctx(t), alice)
			require.NoError(t, err)

			list := pendingOf(t, srv, alice)
			require.Len(t, list, 1)
			got := list[0]
			for _, k := range []string{"id", "email", "type", "status"} {
				assert.Contains(t, got, k, "existing field %q kept", k)
			}
			assert.Equal(t, a.ID, got["id"])
			assert.Equal(t, alice, got["email"])
			assert.Equal(t, unloqtest.StatusPending, got["status"])
			for k, v := range tc.want {
				assert.Equal(t, v, got[k], k)
			}

			page := raw(t, srv, http.MethodGet, "/device", "", "", "")
			for _, s := range tc.wantOnPge {
				assert.Contains(t, page.Body, s)
			}

			require.NoError(t, srv.Sim.Approve(a.ID))
			require.NoError(t, <-done)
		})
	}
}

// TestActionsControlAPI: an application's actions are defined, listed and
// removed through /_control/actions; {name} and $name variables are filled
// in.
func TestActionsControlAPI(t *testing.T) {
	srv := unloqtest.NewServer(t)
	c := srv.Client(t)
	enrollScanned(t, srv, c, alice)
	require.NoError(t, srv.Sim.SetBehavior(alice, unloqtest.BehaviorApprove))
	_, err := c.Authenticate(ctx(t), unloq.AuthenticateRequest{Email: alice})
	require.NoError(t, err)

	r := control(t, srv, http.MethodPut, "/_control/actions/pay", `{"title":"Pay {amount}?","message":"To $payee, ref {ref}"}`)
	require.Equal(t, http.StatusOK, r.Status, r.Body)
	r = control(t, srv, http.MethodGet, "/_control/actions", "")
	require.Equal(t, http.StatusOK, r.Status)
	var listed []unloqtest.Action
	require.NoError(t, json.Unmarshal([]byte(r.Body), &listed))
	assert.Contains(t, listed, unloqtest.Action{Code: "pay", Title: "Pay {amount}?", Message: "To $payee, ref {ref}"})

	_, err = c.Authorize(ctx(t), "pay", unloq.AuthorizeRequest{Email: alice, Reference: "inv-7",
		Variables: map[string]string{"amount": "10 EUR", "payee": "ACME"}})
	require.NoError(t, err)
	all := srv.Sim.Approvals(alice, "")
	last := all[len(all)-1]
	assert.Equal(t, "Pay 10 EUR?", last.Title)
	assert.Equal(t, "To ACME, ref {ref}", last.Message, "an unknown variable stays as written")
	assert.Equal(t, "pay", last.Action)

	for _, bad := range []struct{ path, body string }{
		{"/_control/actions/pay", `{"title":"` + strings.Repeat("t", 36) + `"}`},
		{"/_control/actions/pay", `{"title":""}`},
		{"/_control/actions/pay", `{"title":"ok","message":"` + strings.Repeat("m", 101) + `"}`},
		{"/_control/actions/pay.now", `{"title":"ok"}`},
		{"/_control/actions/" + strings.Repeat("a", 21), `{"title":"ok"}`},
	} {
		r = control(t, srv, http.MethodPut, bad.path, bad.body)
		assert.Equal(t, http.StatusBadRequest, r.Status, "%s %s", bad.path, bad.body)
	}

	r = control(t, srv, http.MethodDelete, "/_control/actions/pay", "")
	assert.Equal(t, http.StatusNoContent, r.Status)
	r = control(t, srv, http.MethodDelete, "/_control/actions/pay", "")
	assert.Equal(t, http.StatusNotFound, r.Status)
	_, err = c.Authorize(ctx(t), "pay", unloq.AuthorizeRequest{Email: alice, Reference: "inv-8"})
	assert.Equal(t, "ACTION.NOT_FOUND", apiErr(t, err).Code)
}

// approvalCard returns the phone's card of approval id in page: the
// markup from its opening tag up to its buttons.
func approvalCard(t *testing.T, page, id string) string {
	t.Helper()
	start := strings.Index(page, `<div class="card" data-approval="`+id+`"`)
	require.GreaterOrEqual(t, start, 0, "no card for %s", id)
	end := strings.Index(page[start:], `<div class="row">`)
	require.Greater(t, end, 0)
	return page[start : start+end]
}

// TestDeviceCardShowsAuthorization: the pending-approval card of an
// authorisation shows, in its own elements, the action's title and message
// with the variables filled in (HTML-escaped), the reference and the action
// code, on the phone page and in its live-refreshed state.
func TestDeviceCardShowsAuthorization(t *testing.T) {
	srv := unloqtest.NewServer(t, unloqtest.WithAction("pay", "Pay $amount to $payee?", "Invoice $invoice, due $due"))
	c := srv.Client(t)
	enrollScanned(t, srv, c, alice)
	require.NoError(t, srv.Sim.SetBehavior(alice, unloqtest.BehaviorApprove))
	_, err := c.Authenticate(ctx(t), unloq.AuthenticateRequest{Email: alice})
	require.NoError(t, err)
	require.NoError(t, srv.Sim.SetBehavior(alice, unloqtest.BehaviorManual))

	done := make(chan error, 1)
	go func() {
		_, err := c.Authorize(ctx(t), "pay", unloq.AuthorizeRequest{Email: alice, Reference: "INV-7&<x>",
			Variables: map[string]string{"amount": "€12", "payee": "<b>Bob</b>", "invoice": "7", "due": "today"}})
		done <- err
	}()
	a, err := srv.Sim.WaitForApproval(ctx(t), alice)
	require.NoError(t, err)

	for _, path := range []string{"/device", "/device/state"} {
		card := approvalCard(t, raw(t, srv, http.MethodGet, path, "", "", "").Body, a.ID)
		assert.Contains(t, card, `data-type="AUTHORIZATION"`, path)
		assert.Contains(t, card, `<div class="title">Pay €12 to &lt;b&gt;Bob&lt;/b&gt;?</div>`, path)
		assert.Contains(t, card, `<div class="msg">Invoice 7, due today</div>`, path)
		assert.Contains(t, card, `<div class="ref">Reference: <strong>INV-7&amp;&lt;x&gt;</strong></div>`, path)
		assert.Contains(t, card, ` · action pay`, path)
		assert.NotContains(t, card, "<b>Bob</b>", path)
	}

	// A login request has neither reference nor action.
	require.NoError(t, srv.Sim.Approve(a.ID))
	require.NoError(t, <-done)
	go func() {
		_, err := c.Authenticate(ctx(t), unloq.AuthenticateRequest{Email: alice})
		done <- err
	}()
	a, err = srv.Sim.WaitForApproval(ctx(t), alice)
	require.NoError(t, err)
	card := approvalCard(t, raw(t, srv, http.MethodGet, "/device", "", "", "").Body, a.ID)
	assert.Contains(t, card, `<div class="title">Log in?</div>`)
	assert.NotContains(t, card, `class="ref"`)
	assert.NotContains(t, card, "· action")
	require.NoError(t, srv.Sim.Approve(a.ID))
	require.NoError(t, <-done)
}
