// minipbx operator view: keeps the live part of the status page (calls,
// parked calls, conference rooms, extensions) current. Plain JavaScript,
// no build step, no libraries.
//
// The live part has one source, the server's templates: on every status
// event (app.js announces them as "pbx:status") and after every button
// (app.js sends the buttons to the API and announces "pbx:done"), this
// script reads /status/live and puts it in place of the old part.
// Without this file the page shows the state of its loading, and every
// button still works as a plain form.
"use strict";

(function () {
  const root = document.getElementById("operator");
  if (!root) return;

  // One reading at a time, so that an older answer never replaces a
  // newer one; events that arrive meanwhile cause one more reading.
  let reading = false;
  let again = false;
  async function refresh() {
    if (reading) { again = true; return; }
    reading = true;
    try {
      const r = await fetch("/status/live", { credentials: "same-origin" });
      if (r.ok) {
        const doc = new DOMParser().parseFromString(await r.text(), "text/html");
        const fresh = doc.getElementById("operator");
        if (fresh) {
          root.replaceChildren(...fresh.childNodes);
          root.dataset.version = String(Number(root.dataset.version || 0) + 1);
        }
      }
    } catch (e) {
      // The next event reads again; app.js shows the connection state.
    } finally {
      reading = false;
      if (again) { again = false; refresh(); }
    }
  }
  document.addEventListener("pbx:status", refresh);
  document.addEventListener("pbx:done", (ev) => { if (ev.detail.form.classList.contains("op-form")) refresh(); });
})();
