package unloqtest

import (
	"bytes"
	"html/template"
	"net"
	"net/http"
	"strings"

	"github.com/unloq2fa/unloq2fa/unloq"
)

const typeWidget = "widget.authenticate" // [sim] the widget's own endpoint

// handleLoginJS serves the widget script.
func (s *Simulator) handleLoginJS(w http.ResponseWriter, _ *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/javascript; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Access-Control-Allow-Origin", "*")
	_, _ = w.Write([]byte(loginJS))
}

// cors lets pages on any origin call the widget endpoint (without
// credentials: the widget key in the body is the credential).
func cors(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	if o := r.Header.Get("Origin"); o != "" {
		h.Set("Access-Control-Allow-Origin", o)
	} else {
		h.Set("Access-Control-Allow-Origin", "*")
	}
	h.Add("Vary", "Origin")
	h.Set("Access-Control-Allow-Methods", "POST, OPTIONS")
	h.Set("Access-Control-Allow-Headers", "Content-Type")
	h.Set("Access-Control-Max-Age", "600")
}

func (s *Simulator) handleWidgetPreflight(w http.ResponseWriter, r *http.Request) {
	cors(w, r)
	w.WriteHeader(http.StatusNoContent)
}

// clientIP is the browser's address as the simulator sees it.
func clientIP(r *http.Request) string {
	if xf := r.Header.Get("X-Forwarded-For"); xf != "" {
		first, _, _ := strings.Cut(xf, ",")
		if ip := net.ParseIP(strings.TrimSpace(first)); ip != nil {
			return ip.String()
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// handleWidgetAuthenticate is what login.js calls when the user clicks:
// it checks the widget key, pushes to the phone and blocks until the answer.
// On approval it returns a one-time token and the login URL.
func (s *Simulator) handleWidgetAuthenticate(w http.ResponseWriter, r *http.Request) {
	cors(w, r)
	rp := newResponder(w)
	f, e := parseFields(r)
	if e != nil {
		rp.fail(e)
		return
	}
	if !constEq(f.text("key"), s.cfg.widgetKey) {
		rp.fail(newErr(http.StatusUnauthorized, "WIDGET.UNAUTHORIZED", "The Login Widget Key is missing or invalid."))
		return
	}
	email, e := requireEmail(f)
	if e != nil {
		rp.fail(e)
		return
	}
	if !s.cfg.methods[unloq.MethodUNLOQ] {
		rp.fail(newErr(http.StatusBadRequest, "APPROVAL.METHOD", "UNLOQ push login is not enabled for this application."))
		return
	}
	ip := clientIP(r)
	a := &approval{typ: TypeAuthentication, method: string(unloq.MethodUNLOQ), ip: ip,
		title: "Log in?", message: "Widget login from " + ip, tokenType: "AUTHENTICATE",
		sourceClient: map[string]string{"ip": ip, "user-agent": r.UserAgent()}}
	s.mu.Lock()
	p := s.profileLocked(email)
	if p == nil {
		s.mu.Unlock()
		rp.fail(errNoProfile)
		return
	}
	a.p = p
	if e := s.pushLocked(a); e != nil {
		s.mu.Unlock()
		rp.fail(e)
		return
	}
	s.mu.Unlock()
	st, reason := s.await(r.Context(), rp, a)
	if st != StatusApproved {
		rp.fail(s.outcomeError(st, reason))
		return
	}
	s.mu.Lock()
	s.approvedLocked(a)
	tok := s.mintLocked(a, tokenTTL)
	s.mu.Unlock()
	rp.result(typeWidget, map[string]any{"unloq_id": p.unloqID(), "token": tok, "login_url": s.cfg.loginURL})
}

// handleIndex is a small landing page with links and a live widget demo.
func (s *Simulator) handleIndex(w http.ResponseWriter, r *http.Request) {
	var buf bytes.Buffer
	data := struct {
		Base, Public, WidgetKey, LoginURL string
	}{mountPrefix(r), s.publicBase(r), s.cfg.widgetKey, s.cfg.loginURL}
	if err := indexTmpl.Execute(&buf, data); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	setPageHeaders(w)
	_, _ = w.Write(buf.Bytes())
}

var indexTmpl = template.Must(template.New("index").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>UNLOQ simulator</title>
<style>
body { font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif; max-width:760px; margin:32px auto; padding:0 16px; color:#1d2433; }
code { background:#eef1f5; padding:1px 5px; border-radius:4px; }
.demo { border:1px solid #e2e6ee; border-radius:12px; padding:16px; margin-top:16px; }
#token { word-break:break-all; font-family:ui-monospace,Menlo,monospace; font-size:12px; }
</style></head>
<body>
<h1>UNLOQ simulator</h1>
<ul>
<li>API: <code>{{.Public}}/v1</code> (Bearer API key)</li>
<li>Phone: <a href="{{.Base}}/device">{{.Base}}/device</a></li>
<li>Widget script: <code>&lt;script src="{{.Public}}/login.js" data-unloq-key="{{.WidgetKey}}"&gt;&lt;/script&gt;</code></li>
<li>Control API: <code>{{.Public}}/_control/…</code>, e.g. <a href="{{.Base}}/_control/approvals?status=pending">pending approvals</a></li>
<li>Widget login URL: <code>{{.LoginURL}}</code></li>
</ul>
<div class="demo">
<p>Try the widget: enter an enrolled e-mail, click, and answer on the <a href="{{.Base}}/device" target="_blank">phone</a>.
This demo shows the token instead of redirecting.</p>
<script src="{{.Base}}/login.js" data-unloq-key="{{.WidgetKey}}"></script>
<p>Token: <span id="token">–</span></p>
<script>
window.UNLOQ.onLogin(function (d) { document.getElementById("token").textContent = d.token; });
</script>
</div>
</body></html>
`))

// loginJS is the widget script served at /login.js. It renders a "Log in
// with UNLOQ" box where its script tag sits, and on click asks the
// simulator (the directory the script was loaded from) to push to the
// phone. On approval it calls the window.UNLOQ.onLogin callbacks, or sends
// the browser to the login URL with ?token=AU….
const loginJS = `/* UNLOQ login widget (unloq2fa simulator) */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) {
    var all = document.getElementsByTagName("script");
    for (var i = all.length - 1; i >= 0; i--) {
      if (/\/login\.js(\?|#|$)/.test(all[i].src || "") && !all[i].getAttribute("data-unloq-done")) { script = all[i]; break; }
    }
  }
  if (!script || script.getAttribute("data-unloq-done")) { return; }
  script.setAttribute("data-unloq-done", "1");

  var base = (script.src || "").replace(/\/login\.js([?#].*)?$/, "");
  var key = script.getAttribute("data-unloq-key") || "";
  var presetEmail = script.getAttribute("data-unloq-email") || "";
  var theme = script.getAttribute("data-unloq-theme") === "dark" ? "dark" : "light";
  var initName = script.getAttribute("data-unloq-init");

  var U = window.UNLOQ = window.UNLOQ || {};
  U._callbacks = U._callbacks || [];
  if (typeof U.onLogin !== "function") {
    U.onLogin = function (fn) { if (typeof fn === "function") { U._callbacks.push(fn); } return U; };
  }

  if (!document.getElementById("unloq-sim-style")) {
    var st = document.createElement("style");
    st.id = "unloq-sim-style";
    st.textContent =
      ".unloq-w{box-sizing:border-box;max-width:340px;margin:12px 0;padding:18px;border-radius:14px;" +
      "font:15px/1.4 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;border:1px solid #e2e6ee;" +
      "box-shadow:0 4px 18px rgba(20,30,60,.08)}" +
      ".unloq-w *{box-sizing:border-box}" +
      ".unloq-light{background:#fff;color:#1d2433}.unloq-dark{background:#1d2433;color:#f1f3f8;border-color:#2c3548}" +
      ".unloq-brand{font-weight:700;letter-spacing:2px;font-size:13px;color:#2f6fed;margin-bottom:10px}" +
      ".unloq-w label{display:block;font-size:12px;opacity:.75;margin-bottom:4px}" +
      ".unloq-w input{width:100%;padding:9px 10px;border-radius:9px;border:1px solid #c9d0dc;font:inherit;margin-bottom:10px}" +
      ".unloq-dark input{background:#121826;color:#f1f3f8;border-color:#2c3548}" +
      ".unloq-w button{width:100%;padding:11px;border:0;border-radius:10px;background:#2f6fed;color:#fff;font:inherit;font-weight:600;cursor:pointer}" +
      ".unloq-w button:disabled{opacity:.6;cursor:default}" +
      ".unloq-status{min-height:1.4em;margin-top:10px;font-size:13px}" +
      ".unloq-status.err{color:#d64545}.unloq-status.ok{color:#1f9d55}" +
      ".unloq-as{font-size:13px;margin-bottom:10px;opacity:.85;word-break:break-all}";
    (document.head || document.documentElement).appendChild(st);
  }

  var box = document.createElement("div");
  box.className = "unloq-w unloq-" + theme;
  box.setAttribute("data-unloq-widget", "");
  var brand = document.createElement("div");
  brand.className = "unloq-brand";
  brand.textContent = "UNLOQ";
  box.appendChild(brand);
  var input = null;
  if (presetEmail) {
    var as = document.createElement("div");
    as.className = "unloq-as";
    as.textContent = "Logging in as " + presetEmail;
    box.appendChild(as);
  } else {
    var label = document.createElement("label");
    label.textContent = "E-mail";
    input = document.createElement("input");
    input.type = "email";
    input.autocomplete = "email";
    input.placeholder = "you@example.com";
    label.appendChild(input);
    box.appendChild(label);
  }
  var button = document.createElement("button");
  button.type = "button";
  button.textContent = "Log in with UNLOQ";
  box.appendChild(button);
  var status = document.createElement("div");
  status.className = "unloq-status";
  status.setAttribute("role", "status");
  status.setAttribute("aria-live", "polite");
  box.appendChild(status);
  script.parentNode.insertBefore(box, script.nextSibling);

  function say(text, kind) { status.textContent = text; status.className = "unloq-status" + (kind ? " " + kind : ""); }
  function withToken(u, token) { return u + (u.indexOf("?") >= 0 ? "&" : "?") + "token=" + encodeURIComponent(token); }
  var messages = {
    "APPROVAL.DENIED": "The login was denied on your phone.",
    "APPROVAL.TIMEOUT": "Your phone did not answer in time. Please try again.",
    "APPROVAL.DEVICE": "This e-mail has no UNLOQ device paired.",
    "PROFILE.NOT_FOUND": "No UNLOQ account uses this e-mail.",
    "PUSH.UNREGISTERED": "Your phone does not accept notifications.",
    "WIDGET.UNAUTHORIZED": "This widget is not configured correctly (invalid key)."
  };

  if (!key) { say("Missing data-unloq-key on the script tag.", "err"); button.disabled = true; }

  var busy = false;
  function login() {
    if (busy) { return; }
    var email = presetEmail || (input ? input.value.trim() : "");
    if (!email || email.indexOf("@") < 0) { say("Enter your e-mail address.", "err"); if (input) { input.focus(); } return; }
    busy = true;
    button.disabled = true;
    say("Check your phone and approve the login…");
    fetch(base + "/widget/authenticate", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      credentials: "omit",
      body: JSON.stringify({ key: key, email: email })
    }).then(function (r) { return r.text(); }).then(function (text) {
      var d = null;
      try { d = JSON.parse(text); } catch (e) { d = null; }
      if (d && d.result && d.result.token) {
        say("Approved. Logging you in…", "ok");
        var payload = { token: d.result.token, unloq_id: d.result.unloq_id };
        if (U._callbacks.length) {
          for (var i = 0; i < U._callbacks.length; i++) {
            try { U._callbacks[i](payload); } catch (e) { if (window.console) { console.error(e); } }
          }
          busy = false;
          button.disabled = false;
          return;
        }
        window.location.assign(withToken(d.result.login_url || "/uauth/login", d.result.token));
        return;
      }
      var code = d && d.error && d.error.code;
      say(messages[code] || (d && d.error && d.error.message) || "Unexpected answer from UNLOQ.", "err");
      busy = false;
      button.disabled = false;
    }).catch(function () {
      say("Cannot reach UNLOQ. Please try again.", "err");
      busy = false;
      button.disabled = false;
    });
  }
  button.addEventListener("click", login);
  if (input) { input.addEventListener("keydown", function (e) { if (e.key === "Enter") { e.preventDefault(); login(); } }); }

  // data-unloq-init names a global function called once the widget is
  // ready; it may be defined by a script after this one, so wait for the
  // document to be parsed.
  function runInit() {
    if (initName && typeof window[initName] === "function") {
      try { window[initName](U); } catch (e) { if (window.console) { console.error(e); } }
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", runInit);
  } else {
    setTimeout(runInit, 0);
  }
})();
`
