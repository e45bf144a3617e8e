// Qiaolink video session client: plain JavaScript, no build step.
// It speaks the signalling of media/signalling.py: on welcome / renegotiate / rebuild it offers
// a new RTCPeerConnection with its own camera and microphone plus one receive slot per other
// participant; the answer says which transceiver (mid) carries whom.
"use strict";
(function () {
  const config = JSON.parse(document.getElementById("media-config").textContent);
  const params = new URLSearchParams(location.search);
  const session = params.get("session");
  const token = params.get("token");
  const $ = (id) => document.getElementById(id);

  function _(message, values) {
    let text = config.messages[message] || message;
    for (const [key, value] of Object.entries(values || {})) {
      text = text.split("{" + key + "}").join(String(value));
    }
    return text;
  }

  const state = {
    ws: null, pc: null, channel: null, local: null, left: false, retries: 0,
    participants: [], tracksByMid: {}, tiles: {}, awaiting: false, again: null,
    status: "connecting", quality: null, events: [], outbox: [],
  };
  window.qiaolinkMedia = state; // for people debugging a call, and for the end-to-end test

  // The page around the client (common/static/session-page.js) follows these events.
  function emit(name, detail) { document.dispatchEvent(new CustomEvent("qiaolink:" + name, { detail })); }
  const roleName = (role) => (config.roles && config.roles[role]) || role;
  // The page names the people it expects ({participant: {name, role}}); others go by their id.
  const known = (id) => (config.people && config.people[id]) || null;
  const nameOf = (id) => (known(id) ? known(id).name : id);
  const roleOf = (id, role) => (known(id) ? known(id).role : roleName(role));
  // A person's name is data, never translated: it goes in an element that says so.
  function named(name) {
    const span = document.createElement("span");
    span.translate = false;
    span.textContent = name;
    return span;
  }

  function setStatus(name, label) {
    state.status = name;
    emit("status", { status: name });
    $("status").dataset.state = name;
    $("status").textContent = label;
  }

  function problem(text) { $("problem").textContent = text; }

  function tile(id, who, role) {
    if (!state.tiles[id]) {
      const box = document.createElement("div");
      box.className = "tile";
      box.dataset.participant = id;
      const video = document.createElement("video");
      video.autoplay = true; video.playsInline = true;
      if (id === "__self__") video.muted = true;
      const label = document.createElement("span");
      label.className = "tile-label";
      if (who && who !== role) label.append(named(who), " · ");  // not "Notary · Notary"
      label.append(role);
      box.append(video, label);
      $("tiles").append(box);
      state.tiles[id] = { box, video, stream: new MediaStream() };
      video.srcObject = state.tiles[id].stream;
    }
    return state.tiles[id];
  }

  function dropTile(id) {
    const t = state.tiles[id];
    if (t) { t.box.remove(); delete state.tiles[id]; }
  }

  async function listDevices() {
    const devices = await navigator.mediaDevices.enumerateDevices();
    for (const [select, kind] of [[$("camera"), "videoinput"], [$("microphone"), "audioinput"]]) {
      const chosen = select.value;
      select.replaceChildren();
      for (const d of devices.filter((d) => d.kind === kind)) {
        const option = document.createElement("option");
        option.value = d.deviceId;
        option.textContent = d.label || d.deviceId.slice(0, 8) || kind;
        select.append(option);
      }
      if (chosen) select.value = chosen;
    }
  }

  async function openMedia() {
    const camera = $("camera").value, microphone = $("microphone").value;
    const constraints = {
      audio: microphone ? { deviceId: { exact: microphone } } : true,
      video: Object.assign({ width: 640, height: 480 }, camera ? { deviceId: { exact: camera } } : {}),
    };
    try {
      const stream = await navigator.mediaDevices.getUserMedia(constraints);
      if (state.local) state.local.getTracks().forEach((t) => t.stop());
      state.local = stream;
      const self = tile("__self__", "", _("You"));
      self.video.srcObject = stream;
      await listDevices();
    } catch (error) {
      problem(_("Camera or microphone not available: {error}", { error: error.name }));
      state.local = new MediaStream();
    }
  }

  async function switchDevice() {
    await openMedia();
    if (!state.pc) return;
    for (const sender of state.pc.getSenders()) {
      if (!sender.track) continue;
      const next = state.local.getTracks().find((t) => t.kind === sender.track.kind);
      if (next) await sender.replaceTrack(next);
    }
  }

  function gathered(pc) {
    if (pc.iceGatheringState === "complete") return Promise.resolve();
    return new Promise((resolve) => {
      const check = () => {
        if (pc.iceGatheringState === "complete") {
          pc.removeEventListener("icegatheringstatechange", check);
          resolve();
        }
      };
      pc.addEventListener("icegatheringstatechange", check);
      setTimeout(resolve, 3000); // offer what we have; the hub does not trickle
    });
  }

  async function offer(others) {
    if (state.pc) state.pc.close();
    const pc = new RTCPeerConnection({ iceServers: config.iceServers, bundlePolicy: "max-bundle" });
    state.pc = pc;
    state.tracksByMid = {};
    if (state.plane === "janus") { // publish only: Janus offers what we receive; events go on the socket
      for (const own of state.local.getTracks()) pc.addTransceiver(own, { direction: "sendonly", streams: [state.local] });
    } else for (const kind of ["audio", "video"]) {
      const own = state.local.getTracks().find((t) => t.kind === kind);
      if (own) pc.addTransceiver(own, { direction: "sendrecv", streams: [state.local] });
      else pc.addTransceiver(kind, { direction: "recvonly" });
      for (let i = 1; i < others; i++) pc.addTransceiver(kind, { direction: "recvonly" });
    }
    state.channel = state.plane === "janus" ? null : pc.createDataChannel("events");
    if (state.channel) state.channel.onmessage = (e) => showEvent(JSON.parse(e.data));
    pc.ontrack = (e) => { state.tracksByMid[e.transceiver.mid] = e.track; };
    pc.onconnectionstatechange = () => {
      if (pc !== state.pc) return;
      if (pc.connectionState === "connected") { setStatus("connected", _("Connected")); state.retries = 0; }
      if (pc.connectionState === "failed") { setStatus("reconnecting", _("Reconnecting…")); ask(state.participants.length); }
    };
    await pc.setLocalDescription(await pc.createOffer());
    await gathered(pc);
    send({ type: "offer", sdp: pc.localDescription.sdp });
  }

  function ask(others) { // one offer outstanding at a time
    state.again = others;
    if (!state.awaiting) { state.awaiting = true; const n = state.again; state.again = null; offer(n); }
  }

  async function answered(message) {
    await state.pc.setRemoteDescription({ type: "answer", sdp: message.sdp });
    showStreams(message.streams, state.tracksByMid);
    state.awaiting = false;
    if (state.again !== null) ask(state.again);
  }

  async function subscribed(message) { // Janus: a fresh connection carrying everyone else
    if (state.inbound) state.inbound.close();
    const pc = new RTCPeerConnection({ iceServers: config.iceServers, bundlePolicy: "max-bundle" });
    state.inbound = pc;
    const byMid = {};
    pc.ontrack = (e) => { byMid[e.transceiver.mid] = e.track; };
    await pc.setRemoteDescription({ type: "offer", sdp: message.sdp });
    await pc.setLocalDescription(await pc.createAnswer());
    await gathered(pc);
    send({ type: "answer", sdp: pc.localDescription.sdp });
    showStreams(message.streams, byMid);
  }

  function showStreams(streams, tracksByMid) {
    for (const s of streams) {
      const track = tracksByMid[s.mid];
      if (!track) continue;
      if (!state.tiles[s.participant]) note(...aboutSomeone("{name} joined", nameOf(s.participant)));
      const t = tile(s.participant, nameOf(s.participant), roleOf(s.participant, s.role));
      t.stream.getTracks().filter((x) => x.kind === track.kind).forEach((x) => t.stream.removeTrack(x));
      t.stream.addTrack(track);
    }
  }

  function send(message) {
    if (state.ws && state.ws.readyState === WebSocket.OPEN) state.ws.send(JSON.stringify(message));
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const url = scheme + location.host + config.signalBase + encodeURIComponent(session) +
      "/signal?token=" + encodeURIComponent(token);
    const ws = new WebSocket(url);
    state.ws = ws;
    state.awaiting = false; state.again = null;
    ws.onmessage = (e) => {
      const message = JSON.parse(e.data);
      if (message.participants) {
        state.participants = message.participants;
        emit(message.type === "welcome" ? "welcome" : "participants", { you: message.you, participants: message.participants });
      }
      if (message.type === "welcome") {
        state.plane = message.plane || "relay";
        // back on a new socket: what the session posted meanwhile, then what we kept
        const seen = state.events.reduce((last, e) => Math.max(last, e.seq), 0);
        if (seen) send({ type: "resume", since: seen });
        state.outbox.splice(0).forEach((event) => send({ type: "event", event: event }));
      }
      if (message.type === "welcome" || message.type === "renegotiate" || message.type === "rebuild") {
        if (message.type === "rebuild") setStatus("reconnecting", _("Reconnecting…"));
        ask(state.participants.length);
      } else if (message.type === "answer") {
        answered(message);
      } else if (message.type === "offer") {
        subscribed(message);
      } else if (message.type === "event") {
        showEvent(message.entry);
      } else if (message.type === "peer-left") {
        dropTile(message.participant);
        state.participants = state.participants.filter((p) => p.participant !== message.participant);
        emit("participants", { participants: state.participants });
        note(...aboutSomeone("{name} left", nameOf(message.participant)));
      } else if (message.type === "error") {
        problem(message.message + " (" + message.code + ")");
      }
    };
    ws.onclose = () => {
      if (state.left) { setStatus("disconnected", _("Disconnected")); return; }
      setStatus("reconnecting", _("Reconnecting…"));
      state.retries += 1;
      state.timer = setTimeout(connect, Math.min(10000, 500 * 2 ** state.retries)); // reconnect by itself
    };
  }

  function note(...parts) {
    const item = document.createElement("li");
    item.append(...parts);
    $("events").prepend(item);
  }

  // A message about a person, their name marked as data: ["", <name>, " joined"].
  function aboutSomeone(message, name) {
    const [before, after] = _(message).split("{name}");
    return [before || "", named(name), after || ""];
  }

  function showEvent(entry) {
    if (entry.error) { problem(entry.error); return; }
    if (state.events.some((e) => e.seq === entry.seq)) return;
    state.events.push(entry);
    const p = entry.payload || {};
    const who = named(nameOf(entry.participant) + ": ");
    if (entry.kind === "show_page") note(who, _("Showing page {page} of document {document}", { page: p.page, document: p.document_id }));
    else if (entry.kind === "request_signature") note(who, _("Signature requested from {signer} for document {document}", { signer: p.signer, document: p.document_id }));
    else if (entry.kind === "consent_prompt") {
      $("consent").hidden = false;
      $("consent-text").textContent = p.text + " — " + _("Do you consent?");
      $("consent").dataset.prompt = p.prompt_id;
      note(who, p.text);
    } else if (entry.kind === "consent_answer") note(who, p.given ? _("Consent given") : _("Consent refused"));
    else if (entry.kind === "caption") note(who, p.text);
  }

  // On the socket, ordered with the renegotiations that replace the data channel (a channel
  // can still read "open" on one side after the other side closed it); kept while the socket
  // is down and sent once the next one is greeted.
  function sendEvent(event) {
    if (state.ws && state.ws.readyState === WebSocket.OPEN) send({ type: "event", event: event });
    else state.outbox.push(event);
  }
  window.qiaolinkMedia.sendEvent = sendEvent;

  // Join again after leaving, or at once instead of waiting for the next automatic retry.
  window.qiaolinkMedia.rejoin = () => {
    clearTimeout(state.timer);
    state.left = false; state.retries = 0;
    if (state.ws) { state.ws.onclose = null; state.ws.close(); }
    if (state.pc) { state.pc.close(); state.pc = null; }
    if (state.inbound) { state.inbound.close(); state.inbound = null; }
    setStatus("connecting", _("Connecting…"));
    connect();
  };

  async function quality() {
    if (!state.pc || state.pc.connectionState !== "connected") return;
    const stats = await state.pc.getStats();
    let lost = 0, received = 0, rtt = null;
    stats.forEach((s) => {
      if (s.type === "inbound-rtp") { lost += s.packetsLost || 0; received += s.packetsReceived || 0; }
      if (s.type === "candidate-pair" && s.nominated && s.currentRoundTripTime !== undefined) rtt = s.currentRoundTripTime;
    });
    const loss = received ? lost / (lost + received) : 0;
    const level = loss > 0.08 || (rtt !== null && rtt > 0.6) ? "poor" : loss > 0.02 || (rtt !== null && rtt > 0.3) ? "fair" : "good";
    state.quality = level;
    $("quality").textContent = _("Connection quality: {quality}", { quality: _(level) });
  }

  $("mute").onclick = () => {
    const track = state.local && state.local.getAudioTracks()[0];
    if (!track) return;
    track.enabled = !track.enabled;
    $("mute").textContent = track.enabled ? _("Mute") : _("Unmute");
  };
  $("video-toggle").onclick = () => {
    const track = state.local && state.local.getVideoTracks()[0];
    if (!track) return;
    track.enabled = !track.enabled;
    $("video-toggle").textContent = track.enabled ? _("Camera off") : _("Camera on");
  };
  $("leave").onclick = () => {
    state.left = true;
    send({ type: "leave" });
    if (state.pc) state.pc.close();
    if (state.inbound) state.inbound.close();
    if (state.ws) state.ws.close();
    setStatus("disconnected", _("Disconnected"));
  };
  $("camera").onchange = switchDevice;
  $("microphone").onchange = switchDevice;
  $("consent-yes").onclick = () => answerConsent(true);
  $("consent-no").onclick = () => answerConsent(false);
  function answerConsent(given) {
    sendEvent({ kind: "consent_answer", prompt_id: $("consent").dataset.prompt, given: given });
    $("consent").hidden = true;
  }
  $("caption-form").onsubmit = (e) => {
    e.preventDefault();
    const text = $("caption-text").value.trim();
    if (text) sendEvent({ kind: "caption", text: text, lang: config.lang });
    $("caption-text").value = "";
  };

  if (!session || !token) { problem(_("This invitation is missing from the address.")); return; }
  openMedia().then(() => { connect(); setInterval(quality, 2000); });
})();
