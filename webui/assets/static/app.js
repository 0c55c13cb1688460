// minipbx web UI: live status updates (Server-Sent Events), the
// simulator controls and the buttons that call the API. Plain JavaScript, no build step, no libraries.
// Every page works without this file; it only makes the status,
// diagnostics and voicemail pages live and the simulator buttons answer
// without a page reload.
"use strict";

(function () {
  const csrfMeta = document.querySelector('meta[name="csrf-token"]');
  const csrf = csrfMeta ? csrfMeta.content : "";

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === "class") e.className = v;
      else e.setAttribute(k, v === true ? "" : String(v));
    }
    for (const c of children) {
      if (c === undefined || c === null || c === "") continue;
      e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return e;
  }

  function badge(cls, text) { return el("span", { class: "badge " + cls }, text); }

  // --- live status ----------------------------------------------------------

  const portsBody = document.getElementById("ports-body");
  const tzHolder = document.querySelector("[data-tz]");
  const tz = tzHolder ? tzHolder.dataset.tz : "";

  function clock(iso) {
    if (!iso || iso.startsWith("0001-")) return "";
    const d = new Date(iso);
    try {
      return d.toLocaleTimeString("en-GB", { hour12: false, timeZone: tz || "UTC" });
    } catch (e) {
      return d.toISOString().slice(11, 19);
    }
  }

  function emptyRow(cols, text) {
    return el("tr", { class: "empty" }, el("td", { colspan: cols }, text));
  }

  function renderPorts(ports) {
    const rows = (ports || []).map((p) => {
      const lineCls = p.line === "ok" ? "good" : (p.line === "fault" || p.line === "no-battery") ? "bad" : "warn";
      const line = el("td", { class: "line" }, badge(lineCls, p.line));
      if (p.in_call) line.append(" ", badge("info", "in call"));
      if (p.fault) line.append(" ", el("span", { class: "fault" }, p.fault));
      return el("tr", { id: "port-" + p.kind + "-" + p.number, "data-kind": p.kind, "data-number": p.number },
        el("td", { class: "port" }, (p.kind === "fxs" ? "FXS " : "FXO ") + p.number),
        el("td", {}, p.name || ""),
        el("td", { class: "hook" }, badge(p.hook === "off-hook" ? "warn" : "quiet", p.hook)),
        line,
        el("td", { class: "ext" }, p.extension || ""));
    });
    portsBody.replaceChildren(...(rows.length ? rows : [emptyRow(5, "This box has no analog ports.")]));
  }

  function renderRegistrations(regs) {
    const body = document.getElementById("registrations-body");
    const rows = (regs || []).map((r) => el("tr", {},
      el("td", {}, r.extension),
      el("td", {}, r.user_agent || r.contact),
      el("td", {}, r.source),
      el("td", {}, el("time", { datetime: r.expires }, clock(r.expires)))));
    body.replaceChildren(...(rows.length ? rows : [emptyRow(4, "No SIP phone is registered. Phones register with their extension number as user name and the extension's SIP password.")]));
  }

  function renderTrunks(trunks) {
    const body = document.getElementById("trunks-body");
    if (!body) return;
    body.replaceChildren(...(trunks || []).map((t) => {
      const state = el("td", {}, badge(t.state === "registered" || t.state === "peer" ? "good" : "warn", t.state));
      if (t.reason) state.append(" ", el("span", { class: "fault" }, t.reason));
      return el("tr", { id: "trunk-" + t.name }, el("td", {}, t.name), state, el("td", {}, String(t.active_calls || 0)));
    }));
  }

  function setLive(state, text) {
    const live = document.getElementById("live");
    if (!live) return;
    live.dataset.state = state;
    live.textContent = text;
  }

  function startLive() {
    if (!portsBody || !window.EventSource) return;
    let es;
    const connect = () => {
      es = new EventSource("/api/v1/events");
      es.addEventListener("open", () => setLive("on", "Live"));
      es.addEventListener("status", (ev) => {
        let msg;
        try { msg = JSON.parse(ev.data); } catch (e) { return; }
        const st = msg.status || {};
        renderPorts(st.ports);
        renderRegistrations(st.registrations);
        renderTrunks(st.trunks);
        // The operator view (operator.js) re-reads its part of the page.
        document.dispatchEvent(new CustomEvent("pbx:status", { detail: msg }));
        document.body.dataset.lastEvent = msg.kind || "";
        setLive("on", "Live");
      });
      es.addEventListener("logout", () => { es.close(); window.location.assign("/login"); });
      es.addEventListener("error", () => {
        if (es.readyState === EventSource.CLOSED) {
          // The server refused the stream: the session may have ended.
          setLive("retry", "Disconnected — checking…");
          fetch("/api/v1/status", { credentials: "same-origin" }).then((r) => {
            if (r.status === 401 || r.status === 403) window.location.assign("/login");
            else setTimeout(connect, 5000);
          }).catch(() => setTimeout(connect, 5000));
        } else {
          setLive("retry", "Reconnecting…");
        }
      });
    };
    connect();
    window.addEventListener("pagehide", () => es && es.close());
  }

  // --- buttons that call the API --------------------------------------------

  // A form with data-api (the simulator's, the operator view's) is sent
  // to that API path instead of being posted: the body is data-body when
  // the form has one, else the simulator's fields. The outcome shows in
  // the element data-result names (the simulator's by default), and a
  // "pbx:done" event tells the page's own script. Listened to on the
  // document, so forms a page redraws keep working.
  function simBody(form) {
    const action = form.elements.action.value;
    if (action === "dial") {
      return { digits: form.elements.digits.value.trim(), pulse: form.elements.pulse.checked };
    }
    if (action === "ring") {
      return { number: form.elements.number.value.trim(), name: form.elements.name.value.trim() };
    }
    return null;
  }

  function showResult(form, cls, text) {
    const out = document.getElementById(form.dataset.result || "sim-result");
    if (!out) return;
    out.className = "sim-result " + cls;
    out.textContent = text;
  }

  function setupAPIForms() {
    document.addEventListener("submit", async (ev) => {
      const form = ev.target.closest("form[data-api]");
      if (!form) return;
      ev.preventDefault();
      const button = form.querySelector("button");
      let what = button ? (button.getAttribute("aria-label") || button.textContent.trim()) : "Action";
      const unit = form.closest(".sim-unit");
      if (unit) what += " (" + unit.querySelector("h3").firstChild.textContent.trim() + ")";
      const opts = { method: form.dataset.method || "POST", credentials: "same-origin", headers: { "X-CSRF-Token": csrf } };
      const body = form.dataset.body !== undefined ? form.dataset.body : (simBody(form) && JSON.stringify(simBody(form)));
      if (body) {
        opts.headers["Content-Type"] = "application/json";
        opts.body = body;
      }
      if (button) button.disabled = true;
      try {
        const r = await fetch(form.dataset.api, opts);
        if (r.ok) {
          showResult(form, "ok", what + ": done.");
        } else {
          let msg = "HTTP " + r.status;
          try {
            const j = await r.json();
            msg = j.fields && j.fields.length ? j.fields.map((f) => f.message).join(" ") : j.error;
          } catch (e) { /* not JSON */ }
          if (r.status === 401) window.location.assign("/login");
          showResult(form, "bad", what + ": " + msg);
        }
      } catch (e) {
        showResult(form, "bad", what + ": the box did not answer (" + e.message + ").");
      } finally {
        if (button) button.disabled = false;
        document.dispatchEvent(new CustomEvent("pbx:done", { detail: { form } }));
      }
    });
  }

  // --- diagnostics -----------------------------------------------------------

  // The diagnostics page reloads when a run starts or ends, the next run
  // or the alarm changes, unless the installer is editing the schedule.
  function diagLive() {
    const form = document.getElementById("diag-form");
    if (!document.getElementById("diag-state-title") || !window.EventSource) return;
    let dirty = false;
    if (form) form.addEventListener("input", () => { dirty = true; });
    const es = new EventSource("/api/v1/events");
    es.addEventListener("open", () => { document.body.dataset.diagLive = "on"; });
    es.addEventListener("status", (ev) => {
      let msg;
      try { msg = JSON.parse(ev.data); } catch (e) { return; }
      if (msg.kind === "diagnostics" && !dirty) {
        es.close();
        window.location.reload();
      }
    });
    window.addEventListener("pagehide", () => es.close());
  }

  // --- voicemail -------------------------------------------------------------

  // The Voicemail pages reload when a message arrives, is heard or is
  // deleted (the live "voicemail" event), unless a message is being
  // listened to: reloading would cut it off, so a notice offers the
  // reload instead. Once the page is being left (a mark or delete button,
  // a link) the stream closes: the event that the installer's own action
  // causes must not reload the old page over the action's answer.
  function voicemailLive() {
    if (!document.getElementById("voicemail-live") || !window.EventSource) return;
    const listening = () => Array.from(document.querySelectorAll("audio")).some((a) => !a.paused || (a.currentTime > 0 && !a.ended));
    const es = new EventSource("/api/v1/events");
    document.addEventListener("submit", () => es.close());
    window.addEventListener("beforeunload", () => es.close());
    es.addEventListener("open", () => { document.body.dataset.vmLive = "on"; });
    es.addEventListener("status", (ev) => {
      let msg;
      try { msg = JSON.parse(ev.data); } catch (e) { return; }
      if (msg.kind !== "voicemail") return;
      if (listening()) {
        const note = document.getElementById("vm-changed");
        if (note) note.hidden = false;
        return;
      }
      es.close();
      window.location.reload();
    });
    window.addEventListener("pagehide", () => es.close());
  }

  // --- recordings ------------------------------------------------------------

  // The upload form posts as it is; this only spares the installer a long
  // upload the box would refuse (a file over the limit is stopped here,
  // with the box's own words beside the field) and shows that a large
  // file is on its way.
  function uploadCheck() {
    const form = document.getElementById("upload-form");
    const input = document.getElementById("upload-file");
    if (!form || !input) return;
    const max = Number(form.dataset.maxBytes || 0);
    form.addEventListener("submit", (ev) => {
      const f = input.files && input.files[0];
      if (f && max > 0 && f.size > max) {
        ev.preventDefault();
        let p = document.getElementById("upload-file-error");
        if (!p) {
          p = el("p", { class: "field-error", id: "upload-file-error" });
          input.after(p);
          input.setAttribute("aria-describedby", "upload-file-error upload-file-help");
        }
        p.textContent = form.dataset.tooBig;
        input.setAttribute("aria-invalid", "true");
        document.getElementById("upload-file-field").classList.add("has-error");
        return;
      }
      const button = document.getElementById("upload-submit");
      if (button) { button.disabled = true; button.textContent = "Uploading…"; }
    });
    // Back to this page from the browser's cache: the form is usable again.
    window.addEventListener("pageshow", () => {
      const button = document.getElementById("upload-submit");
      if (button) { button.disabled = false; button.textContent = "Upload"; }
    });
  }

  startLive();
  setupAPIForms();
  diagLive();
  voicemailLive();
  uploadCheck();
})();
