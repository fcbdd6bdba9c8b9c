// Drives UNLOQ's official Node client (npm unloq@0.9.4) against the
// unloqtest simulator.
//
//   node test.js <baseURL> <apiKey> [email]
//
// The profile must be enrolled (paired) already. The script uses the
// simulator's /_control API to script the phone. It prints one line per
// step and "ALL OK" at the end; it exits non-zero on the first failure.
"use strict";

var http = require("http");
var https = require("https");
var unloq = require("unloq");

var base = (process.argv[2] || "").replace(/\/+$/, "");
var apiKey = process.argv[3];
var email = process.argv[4] || "node@example.test";
if (!base || !apiKey) {
  console.error("usage: node test.js <baseURL> <apiKey> [email]");
  process.exit(2);
}

// Key only (no secret): the client sends "Authorization: Bearer <key>".
// It builds URLs as gateway + "/v1/" + path.
var api = new unloq.Api({ key: apiKey, gateway: base });

function control(method, path, body) {
  return new Promise(function (resolve, reject) {
    var u = new URL(base + path);
    var data = body === undefined ? null : JSON.stringify(body);
    var req = (u.protocol === "https:" ? https : http).request(u, {
      method: method,
      headers: data ? { "content-type": "application/json", "content-length": Buffer.byteLength(data) } : {}
    }, function (res) {
      var chunks = "";
      res.setEncoding("utf8");
      res.on("data", function (c) { chunks += c; });
      res.on("end", function () {
        if (res.statusCode >= 300) { return reject(new Error(method + " " + path + ": HTTP " + res.statusCode + " " + chunks)); }
        try { resolve(chunks ? JSON.parse(chunks) : null); } catch (e) { reject(e); }
      });
    });
    req.on("error", reject);
    if (data) { req.write(data); }
    req.end();
  });
}

function setMode(mode) {
  return control("PUT", "/_control/profiles/" + encodeURIComponent(email) + "/behavior", { mode: mode });
}

// answerNext waits for the next pending approval of email and answers it.
function answerNext(answer) {
  var deadline = Date.now() + 10000;
  return new Promise(function (resolve, reject) {
    (function poll() {
      control("GET", "/_control/approvals?status=pending&email=" + encodeURIComponent(email)).then(function (list) {
        if (list.length > 0) {
          return control("POST", "/_control/approvals/" + list[0].id + "/" + answer).then(resolve);
        }
        if (Date.now() > deadline) { return reject(new Error("no pending approval")); }
        setTimeout(poll, 20);
      }).catch(reject);
    })();
  });
}

function fail(step, err) {
  console.log("FAIL " + step + ": " + (err && (err.code || "") + " " + (err.message || err)));
  process.exit(1);
}

function expect(cond, step, msg) {
  if (!cond) { fail(step, new Error(msg)); }
}

(async function main() {
  var step;
  try {
    // 1. An approved push authentication (the client adds ?events=true).
    step = "authenticate";
    await setMode("approve");
    var auth = await api.authenticate({ email: email }, { data: { ip: "203.0.113.5" } });
    expect(typeof auth.token === "string" && auth.token.indexOf("AU") === 0, step, "no AU token: " + JSON.stringify(auth));
    expect(typeof auth.unloq_id === "string", step, "unloq_id is not a string");
    console.log("AUTH_OK unloq_id=" + auth.unloq_id + " token_len=" + auth.token.length);

    // 2. Token exchange with a session id (numbers are stringified / parsed).
    step = "tokenData";
    var user = await api.tokenData(auth.token, { sid: "node-sess-1", duration: "3600" });
    expect(user.email === email, step, "wrong email " + user.email);
    console.log("TOKEN_OK email=" + user.email + " method=" + user.method + " ip_source=" + user.ip_source + " token_type=" + user.token_type);

    // A used token is refused.
    step = "tokenData reuse";
    try {
      await api.tokenData(auth.token, { sid: "node-sess-2" });
      fail(step, new Error("a used token was accepted"));
    } catch (e) {
      console.log("REUSE_REFUSED code=" + e.code);
    }

    // 3. A denial on the phone.
    step = "denial";
    await setMode("manual");
    var denied = api.authenticate({ email: email });
    var answered = answerNext("deny");
    try {
      await denied;
      fail(step, new Error("the denied login resolved"));
    } catch (e) {
      await answered;
      console.log("DENIED code=" + e.code + " status=" + e.status);
    }

    // 4. Now the OTP is mandatory: without it, APPROVAL.TOKEN at once.
    step = "otp required";
    try {
      await api.authenticate({ email: email }, { events: false });
      fail(step, new Error("a login without OTP was accepted after a denial"));
    } catch (e) {
      console.log("TOKEN_REQUIRED code=" + e.code + " status=" + e.status);
    }

    // 5. With the phone's current OTP the push goes through.
    step = "otp";
    await setMode("approve");
    var otp = (await control("GET", "/_control/profiles/" + encodeURIComponent(email) + "/otp")).otp;
    var ok = await api.authenticate({ email: email, token: otp }, { events: false });
    expect(typeof ok.token === "string" && ok.token.indexOf("AU") === 0, step, "no token");
    console.log("OTP_OK token_len=" + ok.token.length);

    // 6. Attach a session id by token (POST /token/session).
    step = "authToken";
    var sess = await api.authToken(ok.token, { sid: "node-sess-3", duration: 60 });
    console.log("SESSION_OK result=" + JSON.stringify(sess));

    // 7. A temporary token from the device OTP (POST /token/generate).
    step = "generateToken";
    otp = (await control("GET", "/_control/profiles/" + encodeURIComponent(email) + "/otp")).otp;
    var gen = await api.generateToken({ email: email, device_token: otp }, 120);
    expect(typeof gen.token === "string" && gen.token.indexOf("AU") === 0, step, "no token");
    console.log("GENERATE_OK unloq_id=" + gen.unloq_id);

    console.log("ALL OK");
  } catch (e) {
    fail(step, e);
  }
})();
