// Remote notarization pages: plain JavaScript, no build step. Every step goes through the
// JSON API (/api/notarizations/...), so the video session beside the steps is never reloaded.
// Each step's controls carry data-when="<stages>": they are shown only in those stages (the
// act's state, or "presented_signed" once the resident has signed what was presented), and
// the page follows the act as others move it (the resident signs, the clerk witnesses).
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const root = $("act");
  if (!root) return;
  const config = JSON.parse(($("notarization-config") || { textContent: "{}" }).textContent);
  const _ = (m) => (config.messages && config.messages[m]) || m;
  const actId = root.dataset.act;
  const role = root.dataset.role;
  const api = "/api/notarizations/" + encodeURIComponent(actId);
  const state = { act: null, decision: null, joined: false, code: sessionStorage.getItem("qiaolink.code." + actId) || "" };
  window.qiaolinkAct = state; // for people debugging

  function busy(on, text) {
    $("act-progress").hidden = !on;
    $("act-status").textContent = text || (on ? _("Working… this can take a few seconds.") : "");
    root.querySelectorAll("button").forEach((b) => { b.disabled = on; });
  }

  async function call(method, path, body, headers) {
    const init = { method, headers: Object.assign({ "Accept-Language": config.lang || "zh", Accept: "application/json" }, headers || {}) };
    if (body !== undefined) { init.body = JSON.stringify(body); init.headers["Content-Type"] = "application/json"; }
    const r = await fetch(path, init);
    const data = await r.json().catch(() => ({}));
    if (!r.ok) throw new Error(data.title || r.statusText);
    return data;
  }

  async function step(path, body, text, headers) {
    $("act-problem").textContent = "";
    busy(true, text);
    try {
      const act = await call("POST", path, body, headers);
      busy(false, _("Done."));
      if (act.state) await refresh();
      return act;
    } catch (error) {
      busy(false);
      $("act-problem").textContent = error.message;
      return null;
    }
  }

  function stageOf(act) {
    const signed = act.state === "presented" && act.current_sha256 && act.current_sha256 !== act.document_sha256;
    return signed ? "presented_signed" : act.state;
  }

  function show(act) {
    state.act = act;
    const stage = stageOf(act);
    root.dataset.state = act.state;
    root.dataset.stage = stage;
    markSteps(act.state);
    if ($("act-state")) $("act-state").textContent = _((config.states || {})[act.state] || "");
    if ($("act-next")) $("act-next").textContent = (config.next || {})[stage] || "";
    document.querySelectorAll("[data-when]").forEach((el) => {
      el.hidden = !el.dataset.when.split(" ").includes(stage);
    });
    let unread = 0;
    for (const a of act.advisements || []) {
      const box = document.querySelector('[data-advisement="' + a.code + '"]');
      if (box) { box.checked = a.read; box.disabled = a.read; }
      if (!a.read) unread += 1;
    }
    const present = document.querySelector('[data-action="present"]');
    if (present) present.hidden = unread > 0;
    const reason = $("act-reason");
    if (reason) { reason.hidden = !act.reason; reason.querySelector("span").textContent = act.reason || ""; }
    if (role === "resident") showResident(act, stage);
  }

  function markSteps(current) {
    const order = ["booked", "identified", "in_session", "presented", "witnessed", "issued"];
    const at = order.indexOf(current);
    document.querySelectorAll(".steps li").forEach((li) => {
      const i = order.indexOf(li.dataset.step);
      li.toggleAttribute("data-done", at >= 0 && i < at);
      if (i === at) li.setAttribute("aria-current", "step"); else li.removeAttribute("aria-current");
    });
  }

  const headers = () => (role === "resident" ? { "X-Query-Code": state.code } : {});

  async function refresh() {
    try {
      show(await call("GET", role === "resident" ? api + "/status" : api, undefined, headers()));
    } catch (e) { /* keep what we show; the next poll tries again */ }
  }

  function on(action, handler) {
    const button = document.querySelector('[data-action="' + action + '"]');
    if (button) button.onclick = handler;
  }

  // --- the notary ---------------------------------------------------------------------------
  function notary() {
    const stored = "qiaolink.session." + actId;
    on("start-session", async () => {
      busy(true);
      try {
        const opened = await call("POST", "/api/sessions", {
          case_id: root.dataset.number, kind: "notarization",
          participants: [{ participant: "notary", role: "notary" }, { participant: "resident", role: "resident" }],
        });
        await call("POST", api + "/session", { video_session_id: opened.session_id });
        const mine = opened.invitations.find((i) => i.role === "notary");
        const search = "?session=" + opened.session_id + "&token=" + encodeURIComponent(mine.token) + "&lang=" + config.lang;
        sessionStorage.setItem(stored, search);
        location.search = search;
      } catch (error) { busy(false); $("act-problem").textContent = error.message; }
    });
    // back on the act page from elsewhere while the session runs: return to it
    const running = ["in_session", "presented", "witnessed"].includes(root.dataset.state);
    if (running && !new URLSearchParams(location.search).get("token") && sessionStorage.getItem(stored)) {
      location.search = sessionStorage.getItem(stored);
      return;
    }
    on("show", () => {
      if (window.qiaolinkMedia && window.qiaolinkMedia.sendEvent) {
        window.qiaolinkMedia.sendEvent({ kind: "show_page", document_id: root.dataset.number, page: 1 });
        $("act-status").textContent = _("Showing the certificate to the resident.");
      }
    });
    document.querySelectorAll("[data-advisement]").forEach((box) => {
      box.onchange = async () => {
        if (!box.checked) { box.checked = true; return; }
        const done = await step(api + "/advisements", { code: box.dataset.advisement });
        if (!done) box.checked = false;
      };
    });
    for (const name of ["present", "issue", "resume"]) on(name, () => step(api + "/" + name));
    for (const name of ["refuse", "adjourn"]) on(name, () => step(api + "/" + name, { reason: $("reason").value }));
    refresh();
    setInterval(refresh, 4000);
  }

  // --- the branch clerk ---------------------------------------------------------------------
  function clerk() {
    on("witness", () => step(api + "/witness"));
    refresh();
    setInterval(refresh, 4000);
  }

  // --- the resident (kiosk or own device) ---------------------------------------------------
  function resident() {
    const fragment = new URLSearchParams(location.hash.slice(1));
    if (fragment.get("code")) state.code = fragment.get("code");
    if (fragment.get("decision")) {
      try { state.decision = JSON.parse(atob(fragment.get("decision").replace(/-/g, "+").replace(/_/g, "/"))); } catch (e) { state.decision = null; }
      sessionStorage.setItem("qiaolink.decision." + actId, JSON.stringify(state.decision));
    } else {
      state.decision = JSON.parse(sessionStorage.getItem("qiaolink.decision." + actId) || "null");
    }
    if (location.hash) history.replaceState(null, "", location.pathname + location.search);
    $("query-code").value = state.code;
    $("code-form").onsubmit = (e) => { e.preventDefault(); state.code = $("query-code").value.trim(); load(); };
    on("sign", sign);
    on("join", join);
    if (state.code) load();
    setInterval(() => { if (state.code && !$("resident-view").hidden) refresh(); }, 4000);
  }

  async function load() {
    $("act-problem").textContent = "";
    try {
      const act = await call("GET", api + "/status", undefined, headers());
      sessionStorage.setItem("qiaolink.code." + actId, state.code);
      $("code-form").hidden = true;
      $("resident-view").hidden = false;
      show(act);
      if (act.state === "booked" && state.decision) {
        await step(api + "/identity", { face_decision: state.decision }, _("Verifying your identity…"), headers());
      }
    } catch (error) { $("act-problem").textContent = error.message; }
  }

  async function join() { // the resident's own invitation, then the video client beside the steps
    $("act-problem").textContent = "";
    try {
      const invited = await call("POST", api + "/video", undefined, headers());
      history.replaceState(null, "", location.pathname + "?session=" + invited.session + "&token=" + encodeURIComponent(invited.token) + "&lang=" + config.lang);
      state.joined = true;
      $("session").dataset.live = "true";
      const script = document.createElement("script");
      script.src = "/media/static/media-session.js";
      document.body.append(script);
      show(state.act);
    } catch (error) { $("act-problem").textContent = error.message; }
  }

  // The resident reads the time in their own zone: the one asked for in the address, else the
  // zone of the device they use (the kiosk's in the branch, or their own phone's).
  function residentZone() {
    if (new URLSearchParams(window.location.search).get("tz")) return config.zone;
    try { return Intl.DateTimeFormat().resolvedOptions().timeZone || config.zone; } catch (e) { return config.zone; }
  }

  function showResident(act, stage) {
    $("r-number").textContent = act.number;
    $("r-title").textContent = (config.titles || {})[act.type] || act.title_zh;
    const zone = residentZone();
    $("r-when").textContent = new Date(act.scheduled_at).toLocaleString(
      config.lang === "zh" ? "zh-CN" : config.lang, { timeZone: zone, dateStyle: "medium", timeStyle: "short" }
    ) + " " + zone;
    const join = document.querySelector('[data-action="join"]');
    if (state.joined && join) join.parentElement.hidden = true;
    $("r-document").onclick = (e) => { e.preventDefault(); open(api + "/document.pdf"); };
    $("r-sha").textContent = act.current_sha256 || "";
    $("r-certificate").onclick = (e) => { e.preventDefault(); save(api + "/certificate.pdf", act.number + ".pdf"); };
    if (stage !== "presented") $("sign-step").hidden = true;
  }

  async function open(path) { // the query code goes in a header, never in an address
    const r = await fetch(path, { headers: headers() });
    const url = URL.createObjectURL(await r.blob());
    window.open(url, "_blank");
  }

  async function save(path, name) { // a download the resident keeps (to show or to check)
    const r = await fetch(path, { headers: headers() });
    const link = document.createElement("a");
    link.href = URL.createObjectURL(await r.blob());
    link.download = name;
    document.body.append(link);
    link.click();
    link.remove();
  }

  async function sign() {
    const act = state.act;
    if (!$("r-consent").checked) { $("r-consent").focus(); return; }
    $("act-problem").textContent = "";
    busy(true, _("Signing the certificate…"));
    try {
      const request = "/api/signatures/requests/" + encodeURIComponent(act.signing_request_id);
      await call("POST", request + "/challenge", { face_decision: state.decision }, headers());
      await call("POST", request + "/resident", { code: $("r-code").value.trim(), document_sha256: act.document_sha256 }, headers());
      busy(false, _("Your signature is on the certificate."));
      await refresh();
    } catch (error) { busy(false); $("act-problem").textContent = error.message; }
  }

  if (root.dataset.state) markSteps(root.dataset.state);
  if (role === "notary") notary();
  else if (role === "clerk") clerk();
  else resident();
})();
