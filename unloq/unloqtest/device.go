package unloqtest

import (
	"bytes"
	"html/template"
	"net/http"
	"time"
)

type deviceView struct {
	Base      string
	Requests  []Approval
	Pairings  []Profile
	Profiles  []Profile
	Behaviors []Behavior
}

func (s *Simulator) deviceData(r *http.Request) deviceView {
	v := deviceView{
		Base: mountPrefix(r),
		Behaviors: []Behavior{BehaviorManual, BehaviorApprove, BehaviorDeny, BehaviorIgnore,
			BehaviorOffline, BehaviorUnregistered},
	}
	for _, a := range s.Approvals("", StatusPending) {
		if a.Delivered {
			v.Requests = append(v.Requests, a)
		}
	}
	v.Profiles = s.Profiles()
	for _, p := range v.Profiles {
		if p.PairingID != "" {
			v.Pairings = append(v.Pairings, p)
		}
	}
	return v
}

func setPageHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
}

// handleDevice serves the simulated phone.
func (s *Simulator) handleDevice(w http.ResponseWriter, r *http.Request) {
	s.renderDevice(w, r, "page")
}

// handleDeviceState serves the phone's content only; the page polls it.
func (s *Simulator) handleDeviceState(w http.ResponseWriter, r *http.Request) {
	s.renderDevice(w, r, "state")
}

func (s *Simulator) renderDevice(w http.ResponseWriter, r *http.Request, tmpl string) {
	var buf bytes.Buffer
	if err := deviceTmpl.ExecuteTemplate(&buf, tmpl, s.deviceData(r)); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	setPageHeaders(w)
	w.Header().Set("X-Frame-Options", "DENY")
	_, _ = w.Write(buf.Bytes())
}

// deviceDone finishes a phone action: scripts (X-Requested-With: fetch)
// get a status, plain forms a redirect back to the phone.
func (s *Simulator) deviceDone(w http.ResponseWriter, r *http.Request, err error) {
	if r.Header.Get("X-Requested-With") == "fetch" {
		if err != nil {
			http.Error(w, err.Error(), controlStatus(err))
			return
		}
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if err != nil {
		http.Error(w, err.Error()+"\n\nGo back to the phone and try again.", controlStatus(err))
		return
	}
	http.Redirect(w, r, mountPrefix(r)+"/device", http.StatusSeeOther)
}

func (s *Simulator) handleDeviceAnswer(w http.ResponseWriter, r *http.Request) {
	var err error
	switch r.PathValue("answer") {
	case "approve":
		err = s.Approve(r.PathValue("id"))
	case "deny":
		err = s.Deny(r.PathValue("id"))
	default:
		http.NotFound(w, r)
		return
	}
	s.deviceDone(w, r, err)
}

func (s *Simulator) handleDeviceScan(w http.ResponseWriter, r *http.Request) {
	s.deviceDone(w, r, s.scanPairing(r.PathValue("id")))
}

func (s *Simulator) handleDeviceBehavior(w http.ResponseWriter, r *http.Request) {
	f, e := parseFields(r)
	if e != nil {
		http.Error(w, e.message, e.status)
		return
	}
	s.deviceDone(w, r, s.SetBehavior(r.PathValue("email"), Behavior(f.text("mode"))))
}

var deviceTmpl = template.Must(template.New("device").Funcs(template.FuncMap{
	"clock": func(t time.Time) string { return t.Format("15:04:05") },
}).Parse(`
{{define "page"}}<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>UNLOQ phone · simulator</title>
<noscript><meta http-equiv="refresh" content="2"></noscript>
<style>
:root { --bg:#eef1f5; --card:#fff; --ink:#1d2433; --muted:#6b7485; --line:#e2e6ee;
  --brand:#2f6fed; --ok:#1f9d55; --bad:#d64545; }
* { box-sizing:border-box; }
body { margin:0; background:var(--bg); color:var(--ink);
  font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif; }
.phone { max-width:420px; margin:24px auto; background:#f8f9fb; border:10px solid #1d2433;
  border-radius:36px; min-height:640px; overflow:hidden; box-shadow:0 12px 40px rgba(0,0,0,.18); }
.bar { background:var(--brand); color:#fff; padding:18px 20px 14px; }
.bar h1 { margin:0; font-size:18px; letter-spacing:.3px; }
.bar p { margin:2px 0 0; font-size:12px; opacity:.85; }
main { padding:14px; }
h2 { font-size:12px; text-transform:uppercase; letter-spacing:.8px; color:var(--muted); margin:18px 4px 8px; }
.card { background:var(--card); border:1px solid var(--line); border-radius:14px; padding:14px; margin-bottom:10px; }
.card .title { font-weight:600; font-size:16px; }
.meta { color:var(--muted); font-size:12px; margin-top:4px; overflow-wrap:anywhere; }
.msg { margin-top:6px; }
.ref { margin-top:6px; font-size:13px; }
.row { display:flex; gap:8px; margin-top:12px; }
form { margin:0; }
.row form { flex:1; }
button { width:100%; border:0; border-radius:10px; padding:10px 12px; font:inherit; font-weight:600; cursor:pointer; color:#fff; }
button.approve { background:var(--ok); }
button.deny { background:var(--bad); }
button.scan { background:var(--brand); }
button:disabled { opacity:.5; cursor:default; }
.empty { color:var(--muted); font-size:13px; padding:8px 4px; }
.otp { font:600 26px/1 ui-monospace,SFMono-Regular,Menlo,monospace; letter-spacing:4px; }
.pill { display:inline-block; font-size:11px; padding:1px 8px; border-radius:99px; background:var(--line); color:var(--ink); }
.pill.warn { background:#fde8c8; }
.profile { display:flex; justify-content:space-between; align-items:center; gap:10px; }
select { font:inherit; font-size:13px; padding:4px 6px; border-radius:8px; border:1px solid var(--line); background:#fff; }
.qr { display:block; width:140px; height:140px; margin:10px auto 0; image-rendering:pixelated; }
</style>
</head>
<body>
<div class="phone">
  <div class="bar"><h1>UNLOQ</h1><p>Simulated phone · updates live</p></div>
  <main id="state" aria-live="polite">{{template "state" .}}</main>
</div>
<script>
(function () {
  "use strict";
  var base = {{.Base}};
  var box = document.getElementById("state");
  var last = box.innerHTML, busy = 0, pointerDown = false;
  document.addEventListener("pointerdown", function () { pointerDown = true; });
  document.addEventListener("pointerup", function () { pointerDown = false; });
  function refresh(force) {
    if (!force && (busy > 0 || pointerDown || (document.activeElement && document.activeElement.tagName === "SELECT"))) return;
    fetch(base + "/device/state", { cache: "no-store" }).then(function (r) { return r.text(); }).then(function (html) {
      if (html !== last && (force || (!pointerDown && busy === 0))) { box.innerHTML = html; last = html; }
    }).catch(function () {});
  }
  function send(form) {
    busy++;
    Array.prototype.forEach.call(form.querySelectorAll("button"), function (b) { b.disabled = true; });
    fetch(form.action, { method: "POST", headers: { "X-Requested-With": "fetch",
      "Content-Type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(new FormData(form)).toString() })
      .then(function (r) { if (!r.ok) { return r.text().then(function (t) { alert(t); }); } })
      .catch(function (e) { alert("Request failed: " + e); })
      .then(function () { busy--; refresh(true); });
  }
  document.addEventListener("submit", function (e) { e.preventDefault(); send(e.target); });
  document.addEventListener("change", function (e) {
    if (e.target.matches("select[data-autosubmit]")) { send(e.target.form); e.target.blur(); }
  });
  setInterval(function () { refresh(false); }, 1500);
  document.addEventListener("visibilitychange", function () { if (!document.hidden) { refresh(false); } });
  window.addEventListener("focus", function () { refresh(false); });
  window.addEventListener("pageshow", function () { refresh(false); });
})();
</script>
</body>
</html>{{end}}

{{define "state"}}
<h2>Requests</h2>
{{range .Requests}}
<div class="card" data-approval="{{.ID}}" data-type="{{.Type}}">
  <div class="title">{{.Title}}</div>
  {{if .Message}}<div class="msg">{{.Message}}</div>{{end}}
  {{if .Reference}}<div class="ref">Reference: <strong>{{.Reference}}</strong></div>{{end}}
  <div class="meta">{{.Email}} · {{.Type}}{{with .Action}} · action {{.}}{{end}}{{if .IP}} · IP {{.IP}}{{end}} · {{clock .CreatedAt}}</div>
  <div class="row">
    <form method="post" action="{{$.Base}}/device/approvals/{{.ID}}/approve"><button class="approve" type="submit">Approve</button></form>
    <form method="post" action="{{$.Base}}/device/approvals/{{.ID}}/deny"><button class="deny" type="submit">Deny</button></form>
  </div>
</div>
{{else}}<div class="empty">No pending requests.</div>{{end}}

{{if .Pairings}}<h2>Pair a device</h2>{{end}}
{{range .Pairings}}
<div class="card" data-pairing="{{.PairingID}}">
  <div class="title">Scan to add {{.Email}}</div>
  <img class="qr" src="{{$.Base}}/qr/{{.PairingID}}.png" alt="Pairing QR code for {{.Email}}">
  <div class="row"><form method="post" action="{{$.Base}}/device/pairings/{{.PairingID}}/scan"><button class="scan" type="submit">Scan</button></form></div>
</div>
{{end}}

<h2>Profiles</h2>
{{range .Profiles}}
<div class="card" data-profile="{{.Email}}">
  <div class="profile">
    <div>
      <div class="title">{{.Email}}</div>
      <div class="meta">{{if .Name}}{{.Name}} · {{end}}UnloqID {{.UnloqID}} · <span class="pill">{{.State}}</span>{{if .OTPRequired}} <span class="pill warn">OTP required</span>{{end}}</div>
    </div>
    {{if .OTP}}<div class="otp" title="Current one-time password">{{.OTP}}</div>{{end}}
  </div>
  <div class="row">
    <form method="post" action="{{$.Base}}/device/profiles/{{.Email}}/behavior">
      <label class="meta">When a push arrives:
      <select name="mode" data-autosubmit>
        {{$cur := .Behavior}}{{range $.Behaviors}}<option value="{{.}}"{{if eq . $cur}} selected{{end}}>{{.}}</option>{{end}}
      </select></label>
      <noscript><button class="scan" type="submit">Set</button></noscript>
    </form>
  </div>
</div>
{{else}}<div class="empty">No accounts on this phone yet. Turn on two-step verification in the app (Settings): its QR code appears here to scan.</div>{{end}}
{{end}}
`))
