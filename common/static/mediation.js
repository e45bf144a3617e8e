// Mediation pages: show times in the viewer's own zone, and the party's signing step with progress.
(function () {
  "use strict";
  var zone = "";
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { zone = ""; }
  var params = new URLSearchParams(window.location.search);
  var hasCookie = document.cookie.split(";").some(function (c) { return c.trim().indexOf("tz=") === 0; });
  if (zone && /^[A-Za-z0-9_+\/-]+$/.test(zone) && !params.get("tz") && !hasCookie) {
    document.cookie = "tz=" + zone + "; path=/; max-age=31536000; SameSite=Lax";
    if (!window.sessionStorage.getItem("tz-set")) {
      window.sessionStorage.setItem("tz-set", "1");
      window.location.reload();
      return;
    }
  }
  var lang = (document.documentElement.lang || "zh").slice(0, 2);
  var DECISION = "qiaolink.mediation.decision.";

  // Back from the branch kiosk: keep the node's signed face decision for this tab, then show
  // the party's own page (the code and the decision leave the address bar).
  var landing = document.getElementById("from-kiosk");
  if (landing) {
    var fragment = new URLSearchParams(window.location.hash.slice(1));
    var number = landing.dataset.number;
    if (fragment.get("decision")) {
      try {
        var raw = atob(fragment.get("decision").replace(/-/g, "+").replace(/_/g, "/"));
        window.sessionStorage.setItem(DECISION + number, JSON.stringify(JSON.parse(raw)));
      } catch (e) { /* a broken hand-over: the page asks for the kiosk again */ }
    }
    window.location.replace("/mediation/my?" + new URLSearchParams({ number: number, code: fragment.get("code") || "", lang: lang }).toString());
    return;
  }

  function decisionFor(number) {
    try { return JSON.parse(window.sessionStorage.getItem(DECISION + number) || "null"); } catch (e) { return null; }
  }
  var ORDER = { checking: 1, signing: 2, storing: 3, sealing: 3.5, done: 4 };

  function setup(form) {
    var bar = form.querySelector("progress");
    var stage = form.querySelector(".stage");
    var button = form.querySelector("button");
    var base = "/api/mediation/my/" + encodeURIComponent(form.dataset.number) + "/documents/" + form.dataset.document;
    var headers = { "Content-Type": "application/json", "X-Access-Code": form.dataset.code };
    var decision = decisionFor(form.dataset.number);
    if (decision) {
      Array.prototype.forEach.call(document.querySelectorAll(".face-done"), function (mark) { mark.hidden = false; });
    }
    function post(path, body) {
      return fetch(base + path + "?lang=" + lang, { method: "POST", headers: headers, body: JSON.stringify(body) })
        .then(function (r) { return r.json().then(function (b) { return { ok: r.ok, body: b }; }); });
    }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (!decision) {
        stage.textContent = form.dataset.face;
        return;
      }
      var otp = form.querySelector("input[name=otp]").value.trim();
      button.disabled = true;
      bar.hidden = false;
      bar.value = 0.5;
      stage.textContent = form.dataset.checking;
      var polling = window.setInterval(function () {
        fetch(base + "/progress?lang=" + lang, { headers: headers }).then(function (r) { return r.json(); }).then(function (p) {
          if (ORDER[p.stage]) { bar.value = ORDER[p.stage]; stage.textContent = form.dataset[p.stage] || stage.textContent; }
        }).catch(function () { /* the next poll tries again */ });
      }, 400);
      post("/challenge", { face_decision: decision })
        .then(function (res) {
          if (!res.ok) { return res; }
          return post("/sign", { code: otp, document_sha256: res.body.document_sha256 });
        })
        .then(function (res) {
          window.clearInterval(polling);
          if (res.ok) {
            bar.value = 4;
            stage.textContent = form.dataset.done;
            window.setTimeout(function () { window.location.reload(); }, 800);
          } else {
            bar.hidden = true;
            button.disabled = false;
            stage.textContent = form.dataset.failed + " " + (res.body.title || "");
          }
        })
        .catch(function () { window.clearInterval(polling); button.disabled = false; bar.hidden = true; stage.textContent = form.dataset.failed; });
    });
  }
  Array.prototype.forEach.call(document.querySelectorAll("form.sign-form"), setup);
})();
