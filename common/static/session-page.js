// The session page around the video client (media-session.js): who is here, the connection
// state and a way to rejoin. It listens to the client's "qiaolink:status" and
// "qiaolink:participants" events; it starts nothing itself.
"use strict";
(function () {
  const root = document.getElementById("session");
  if (!root) return;
  const config = JSON.parse(document.getElementById("media-config").textContent);
  const text = (m) => (config.page && config.page[m]) || m;
  const roles = config.roles || {};
  const people = document.getElementById("people");
  const rejoin = document.getElementById("rejoin");

  function entry(participant, role) {
    let item = people.querySelector('[data-participant="' + CSS.escape(participant) + '"]');
    if (!item) {
      item = document.createElement("li");
      item.dataset.participant = participant;
      const known = (config.people || {})[participant];
      const who = known ? known.name : participant;
      const label = known ? known.role : roles[role] || role;
      for (const [name, value] of [["who", who], ["role", label], ["presence", ""]]) {
        const span = document.createElement("span");
        span.className = name;
        if (name === "who") span.translate = false;
        span.textContent = value;
        item.append(span, " ");
      }
      people.append(item);
    }
    return item;
  }

  function present(list) {
    const here = new Set(list.map((p) => p.participant));
    for (const p of list) entry(p.participant, p.role);
    people.querySelectorAll("li[data-participant]").forEach((item) => {
      const on = here.has(item.dataset.participant) || item.dataset.self === "true";
      item.dataset.present = on ? "true" : "false";
      item.querySelector(".presence").textContent = on ? text("here") : text("not here yet");
    });
    const waiting = document.getElementById("waiting");
    if (waiting) waiting.hidden = here.size > 0;
  }

  document.addEventListener("qiaolink:participants", (e) => present(e.detail.participants));
  document.addEventListener("qiaolink:welcome", (e) => {
    const self = people.querySelector('[data-participant="' + CSS.escape(e.detail.you) + '"]');
    if (self) { self.dataset.self = "true"; self.querySelector(".who").textContent += " (" + text("You") + ")"; }
    present(e.detail.participants);
  });
  document.addEventListener("qiaolink:status", (e) => {
    const state = e.detail.status;
    rejoin.hidden = !(state === "disconnected" || state === "reconnecting");
    root.dataset.state = state;
  });
  rejoin.onclick = () => { if (window.qiaolinkMedia && window.qiaolinkMedia.rejoin) window.qiaolinkMedia.rejoin(); };
})();
