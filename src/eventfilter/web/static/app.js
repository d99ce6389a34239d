// eventfilter review queue: keep the session alive while a caseworker works,
// and never lose a note being typed (kept in this browser and on the server).
(function () {
  "use strict";
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  var active = false;
  ["keydown", "input", "click", "scroll"].forEach(function (e) {
    document.addEventListener(e, function () { active = true; }, { passive: true });
  });

  // Activity extends the session: ping while the caseworker is working.
  function ping() {
    if (!active || document.hidden) { return; }
    active = false;
    fetch("/ping", { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (s) { document.getElementById("session-lost").hidden = s.signed_in; })
      .catch(function () { /* offline: the note is kept locally, try again later */ });
  }
  setInterval(ping, 120000);

  // Drafts: every keystroke to this browser's storage, and to the server after a pause.
  var note = document.querySelector("textarea[data-draft-url]");
  if (note) {
    var key = note.dataset.draftKey;
    var status = document.querySelector(".draft-status");
    var saved = null;
    try { saved = JSON.parse(localStorage.getItem(key) || "null"); } catch (e) { saved = null; }
    if (saved && saved.text && saved.text !== note.value) {
      note.value = saved.text;  // what was typed here last wins: it is never older than the server's copy
      if (status) { status.textContent = "Your unsent note was restored."; }
    }
    var timer = null;
    function send() {
      var body = new URLSearchParams({ note: note.value });
      fetch(note.dataset.draftUrl, {
        method: "POST", credentials: "same-origin", body: body,
        headers: { "X-CSRF-Token": csrf }
      }).then(function (r) {
        if (status) {
          status.textContent = r.ok ? "Draft saved " + new Date().toLocaleTimeString()
            : "Draft kept in this browser (the server did not take it).";
        }
        if (r.status === 401) { document.getElementById("session-lost").hidden = false; }
      }).catch(function () {
        if (status) { status.textContent = "Offline: the draft is kept in this browser."; }
      });
    }
    note.addEventListener("input", function () {
      localStorage.setItem(key, JSON.stringify({ text: note.value, at: Date.now() }));
      clearTimeout(timer);
      timer = setTimeout(send, 800);
    });
  }
  // A resolved item: its draft is done with.
  document.querySelectorAll("[data-clear-draft]").forEach(function (el) {
    localStorage.removeItem(el.dataset.clearDraft);
  });
  // Ask once more before a stop becomes final.
  document.querySelectorAll("button[data-confirm]").forEach(function (b) {
    b.addEventListener("click", function (e) {
      if (!window.confirm(b.dataset.confirm)) { e.preventDefault(); }
    });
  });
})();
