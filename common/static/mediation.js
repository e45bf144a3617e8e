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
  var ORDER = { checking: 1, signing: 2, storing: 3, sealing: 3.5, done: 4 };

  function setup(form) {
    var bar = form.querySelector("progress");
    var stage = form.querySelector(".stage");
    var button = form.querySelector("button");
    var base = "/api/mediation/my/" + encodeURIComponent(form.dataset.number) + "/documents/" + form.dataset.document;
    var headers = { "Content-Type": "application/json", "X-Access-Code": form.dataset.code };
    form.addEventListener("submit", function (event) {
      event.preventDefault();
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
      fetch(base + "/sign?lang=" + lang, { method: "POST", headers: headers, body: JSON.stringify({ code: otp, document_sha256: form.dataset.sha }) })
        .then(function (r) { return r.json().then(function (body) { return { ok: r.ok, body: body }; }); })
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
