// The branch kiosk's face verification: plain JavaScript, no build step.
// The clerk's page opens a grant; the kiosk page starts an attempt with it, shows the challenge
// one step at a time while it captures camera frames, sends them to the node, shows the decision
// and hands a successful one over to the hub's resident page (#code=…&decision=…).
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const config = JSON.parse(($("kiosk-config") || { textContent: "{}" }).textContent);
  const _ = (m, params) => {
    let text = (config.messages && config.messages[m]) || m;
    for (const [k, v] of Object.entries(params || {})) text = text.replace("{" + k + "}", v);
    return text;
  };
  const PROMPTS = {
    look: () => _("Look straight at the camera."),
    blink: () => _("Blink your eyes."),
    turn_left: () => _("Turn your head to your left."),
    turn_right: () => _("Turn your head to your right."),
  };
  const LOOK_MS = 1200, STEP_MS = 1900, EVERY_MS = 200, MAX_FRAMES = 60;
  const STORE = "qiaolink.kiosk";

  function problem(text) { $("k-problem").textContent = text || ""; }
  function status(text) { $("k-status").textContent = text || ""; }
  function show(id) {
    for (const s of ["k-start", "k-challenge", "k-live", "k-result"]) $(s).hidden = s !== id;
  }

  async function call(method, path, body, grant) {
    const headers = { "Accept": "application/json", "Accept-Language": config.lang || "zh" };
    if (grant) headers["X-Kiosk-Grant"] = grant;
    const init = { method, headers };
    if (body instanceof FormData) init.body = body;
    else if (body !== undefined) { init.body = JSON.stringify(body); headers["Content-Type"] = "application/json"; }
    const r = await fetch(path, init);
    const data = await r.json().catch(() => ({}));
    if (!r.ok) throw new Error(data.title || r.statusText);
    return data;
  }

  // --- the clerk opens a verification -------------------------------------------------------
  function clerk(form) {
    form.onsubmit = async (e) => {
      e.preventDefault();
      problem("");
      status(_("Opening the verification…"));
      try {
        const body = { resident_id: $("k-resident-id").value.trim(), act_id: $("k-act").value.trim() };
        if ($("k-booking").value.trim()) body.booking_reference = $("k-booking").value.trim();
        const opened = await call("POST", "/api/identity/kiosk-grants", body);
        const code = $("k-code").value.trim();
        status(_("The kiosk verification is ready."));
        location.assign("/kiosk/verify?lang=" + config.lang + "#grant=" + encodeURIComponent(opened.token) +
          (code ? "&code=" + encodeURIComponent(code) : ""));
      } catch (error) { status(""); problem(error.message); }
    };
  }

  // --- the kiosk ----------------------------------------------------------------------------
  const state = { grant: "", code: "", view: null, attempt: null, frames: [], decision: null };
  window.qiaolinkKiosk = state; // for people debugging, and for the end-to-end test

  function readGrant() {
    const fragment = new URLSearchParams(location.hash.slice(1));
    if (fragment.get("grant")) {
      sessionStorage.setItem(STORE, JSON.stringify({ grant: fragment.get("grant"), code: fragment.get("code") || "" }));
    }
    if (location.hash) history.replaceState(null, "", location.pathname + location.search);
    const kept = JSON.parse(sessionStorage.getItem(STORE) || "{}");
    state.grant = kept.grant || "";
    state.code = kept.code || "";
  }

  async function kiosk() {
    readGrant();
    if (!state.grant) { problem(_("This page has no kiosk verification. Please ask the clerk to open one.")); return; }
    try {
      state.view = await call("GET", "/api/identity/kiosk-grants/current", undefined, state.grant);
    } catch (error) { problem(error.message); return; }
    $("k-resident").textContent = state.view.resident;
    $("k-who").hidden = false;
    show("k-start");
    $("k-begin").onclick = begin;
    $("k-camera").onclick = capture;
    $("k-begin").focus();
  }

  async function begin() {
    problem("");
    $("k-begin").disabled = true;
    status(_("Starting…"));
    try {
      state.attempt = await call("POST", "/api/identity/attempts", undefined, state.grant);
    } catch (error) { status(""); problem(error.message); return; }
    status("");
    const list = $("k-actions");
    list.replaceChildren(...state.attempt.challenge.map((a) => {
      const li = document.createElement("li");
      li.dataset.action = a;
      li.textContent = PROMPTS[a]();
      return li;
    }));
    $("k-challenge").dataset.challenge = state.attempt.challenge.join(",");
    show("k-challenge");
    $("k-camera").focus();
  }

  async function openCamera() {
    try {
      return await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 }, audio: false });
    } catch (error) {
      return null;
    }
  }

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  async function capture() {
    problem("");
    $("k-camera").disabled = true;
    const stream = navigator.mediaDevices ? await openCamera() : null;
    if (!stream) { $("k-camera").disabled = false; problem(_("No camera could be opened. Please ask the clerk for help.")); return; }
    const video = $("k-video");
    video.srcObject = stream;
    await video.play();
    show("k-live");
    const steps = ["look", ...state.attempt.challenge];
    const items = [...document.querySelectorAll("#k-actions li")];
    const t0 = performance.now();
    const grabbing = grab(video, t0, LOOK_MS + STEP_MS * state.attempt.challenge.length);
    for (const [i, step] of steps.entries()) {
      $("k-prompt").textContent = PROMPTS[step]();
      $("k-step").textContent = i === 0 ? "" : _("Step {n} of {total}", { n: i, total: steps.length - 1 });
      items.forEach((li, j) => {
        li.toggleAttribute("data-done", j < i - 1);
        if (j === i - 1) li.setAttribute("aria-current", "step"); else li.removeAttribute("aria-current");
      });
      await sleep(i === 0 ? LOOK_MS : STEP_MS);
    }
    await grabbing;
    stream.getTracks().forEach((t) => t.stop());
    await send();
  }

  async function grab(video, t0, span) {
    const canvas = $("k-canvas");
    const context = canvas.getContext("2d");
    while (performance.now() - t0 < span && state.frames.length < MAX_FRAMES) {
      const t = Math.round(performance.now() - t0);
      context.drawImage(video, 0, 0, canvas.width, canvas.height);
      const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.85));
      if (blob) state.frames.push({ blob, t });
      await sleep(Math.max(0, EVERY_MS - (performance.now() - t0 - t)));
    }
  }

  async function send() {
    $("k-prompt").textContent = "";
    $("k-step").textContent = "";
    $("k-video").srcObject = null;
    show(null); // the camera is off: only the progress stays on the screen
    $("k-progress").hidden = false;
    status(_("Checking your face… this takes a few seconds."));
    const form = new FormData();
    form.append("t_ms", state.frames.map((f) => f.t).join(","));
    state.frames.forEach((f, i) => form.append("frame", f.blob, "frame-" + i + ".jpg"));
    try {
      const path = "/api/identity/attempts/" + encodeURIComponent(state.attempt.attempt_id) + "/frames";
      state.decision = await call("POST", path, form, state.grant);
    } catch (error) {
      $("k-progress").hidden = true; status(""); problem(error.message); return;
    }
    $("k-progress").hidden = true;
    status("");
    sessionStorage.removeItem(STORE); // the grant is spent
    result(state.decision);
  }

  function reasonOf(reason) {
    const key = reason.startsWith("liveness_") ? "liveness" : reason.startsWith("identity_") ? "identity" : reason;
    const text = (config.reasons || {})[key];
    return text ? _(text) : reason;
  }

  function result(signed) {
    const decision = signed.decision;
    show("k-result");
    $("k-result").dataset.accepted = String(decision.accepted);
    if (!decision.accepted) {
      $("k-verdict").textContent = _("The verification did not succeed.");
      $("k-reason").textContent = reasonOf(decision.reason);
      return;
    }
    $("k-verdict").textContent = _("Your identity is verified.");
    const packed = btoa(JSON.stringify(signed)).replace(/\+/g, "-").replace(/\//g, "_");
    const link = $("k-continue");
    link.href = state.view.hub_act_url + "?lang=" + config.lang +
      "#code=" + encodeURIComponent(state.code) + "&decision=" + packed;
    link.hidden = false;
    link.focus();
  }

  const form = $("k-open");
  if (form) clerk(form);
  else if ($("kiosk")) kiosk();
})();
