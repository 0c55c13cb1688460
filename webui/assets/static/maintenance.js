// minipbx web UI: the Maintenance page's firmware upload (with a progress
// bar) and backup restore. Plain JavaScript, no libraries; loaded only by
// that page. The upload goes to the REST API with the session's CSRF token
// in the X-CSRF-Token header; while it runs, the engine's progress is
// polled so that the bar keeps moving through the write and the re-read.
"use strict";

(function () {
  const csrfMeta = document.querySelector('meta[name="csrf-token"]');
  const csrf = csrfMeta ? csrfMeta.content : "";
  // The page's words (app.js's t: the layout's #i18n block).
  const t = (window.minipbx && window.minipbx.t) || ((msg, ...args) => args.reduce((out, a) => out.replace("%s", a), msg));

  function errorText(xhr) {
    try {
      const j = JSON.parse(xhr.responseText);
      if (j && j.error) return j;
    } catch (e) { /* not JSON */ }
    return { error: t("The box answered %s %s.", xhr.status, xhr.statusText || "") };
  }

  function setStatus(node, cls, text) {
    node.className = cls ? "notice " + cls : "";
    node.textContent = text;
  }

  function mib(n) { return (n / 1048576).toFixed(1) + " MiB"; }

  // --- firmware upgrade ------------------------------------------------------

  const up = document.getElementById("up-form");
  if (up) {
    const file = document.getElementById("up-file");
    const force = document.getElementById("up-force");
    const bar = document.getElementById("up-progress");
    const status = document.getElementById("up-status");
    const submit = document.getElementById("up-submit");
    let poll = null;

    function stopPoll() { if (poll) { clearInterval(poll); poll = null; } }

    function pollProgress() {
      const x = new XMLHttpRequest();
      x.open("GET", up.dataset.progress);
      x.onload = function () {
        if (x.status !== 200) return;
        let p;
        try { p = JSON.parse(x.responseText); } catch (e) { return; }
        if (!p || !p.total) return;
        // done runs to 2*total: the write, then the re-read.
        if (p.state === "writing" || p.state === "checking") {
          bar.value = Math.min(100, Math.round(100 * p.done / (2 * p.total)));
          const done = mib(Math.min(p.done, 2 * p.total)), all = mib(2 * p.total);
          setStatus(status, "info", p.state === "writing"
            ? t("Writing %s: %s of %s (write and read back)", p.version || "", done, all)
            : t("Verifying %s: %s of %s (write and read back)", p.version || "", done, all));
        }
      };
      x.send();
    }

    up.addEventListener("submit", function (ev) {
      ev.preventDefault();
      if (!file.files.length) { setStatus(status, "bad", t("Choose an update bundle first.")); return; }
      if (force.checked && !window.confirm(t("Install even if this bundle is an OLDER firmware? An older firmware may not read the current configuration; the snapshot taken now is what it will find."))) return;
      const fd = new FormData();
      fd.append("bundle", file.files[0]);
      const x = new XMLHttpRequest();
      x.open("POST", up.dataset.upload + (force.checked ? "?force=1" : ""));
      x.setRequestHeader("X-CSRF-Token", csrf);
      bar.hidden = false;
      bar.value = 0;
      submit.disabled = true;
      setStatus(status, "info", t("Uploading…"));
      x.upload.onprogress = function (e) {
        if (!e.lengthComputable) return;
        // The image is written as it arrives: the upload is the first half.
        bar.value = Math.round(50 * e.loaded / e.total);
        setStatus(status, "info", t("Uploading and writing: %s of %s", mib(e.loaded), mib(e.total)));
      };
      x.upload.onload = function () { if (!poll) poll = setInterval(pollProgress, 500); };
      x.onload = function () {
        stopPoll();
        submit.disabled = false;
        if (x.status === 200) {
          let r = {};
          try { r = JSON.parse(x.responseText); } catch (e) { /* keep {} */ }
          bar.value = 100;
          submit.disabled = true;
          setStatus(status, "ok", t("Firmware %s is installed in slot %s. The box is restarting into it now; it confirms itself once healthy. Reload this page in a minute.",
            r.version || "", r.slot || "?"));
          return;
        }
        bar.hidden = true;
        const e = errorText(x);
        setStatus(status, "bad", t("Not installed: %s Nothing was changed; the box keeps running this firmware.", e.error + (e.code ? " (" + e.code + ")" : "")));
      };
      x.onerror = function () {
        stopPoll();
        submit.disabled = false;
        bar.hidden = true;
        setStatus(status, "bad", t("The upload was interrupted. The box keeps running this firmware; try again."));
      };
      x.send(fd);
      poll = setInterval(pollProgress, 1000);
    });
  }

  // --- restore ---------------------------------------------------------------

  // voicemailText says what a restore did with voicemail (the answer's
  // "voicemail" object).
  function voicemailText(v) {
    if (!v || !v.included) return " " + t("The backup holds no voicemail; the box's is unchanged.");
    if (v.mode === "skip") return " " + t("The voicemail in the backup was left out.");
    let s = " " + t("Voicemail: %s messages and %s greetings restored", v.messages, v.greetings);
    if (v.kept_messages + v.kept_greetings > 0) s += "; " + t("%s messages and %s greetings already on the box kept", v.kept_messages, v.kept_greetings);
    if (v.removed_messages + v.removed_greetings > 0) s += "; " + t("%s messages and %s greetings not in the backup deleted", v.removed_messages, v.removed_greetings);
    return s + ".";
  }

  const rs = document.getElementById("rs-form");
  if (rs) {
    const file = document.getElementById("rs-file");
    const prompts = document.getElementById("rs-prompts");
    const voicemail = document.getElementById("rs-voicemail");
    const status = document.getElementById("rs-status");
    const submit = document.getElementById("rs-submit");
    rs.addEventListener("submit", function (ev) {
      ev.preventDefault();
      if (!file.files.length) { setStatus(status, "bad", t("Choose a backup file first.")); return; }
      if (!window.confirm(t("Replace the whole configuration with this backup?"))) return;
      const fd = new FormData();
      fd.append("backup", file.files[0]);
      const x = new XMLHttpRequest();
      const q = new URLSearchParams();
      if (!prompts.checked) q.set("prompts", "0");
      if (voicemail && voicemail.value !== "1") q.set("voicemail", voicemail.value);
      x.open("POST", rs.dataset.upload + (q.toString() ? "?" + q.toString() : ""));
      x.setRequestHeader("X-CSRF-Token", csrf);
      submit.disabled = true;
      setStatus(status, "info", t("Restoring…"));
      x.onload = function () {
        submit.disabled = false;
        status.textContent = "";
        if (x.status === 200) {
          let r = {};
          try { r = JSON.parse(x.responseText); } catch (e) { /* keep {} */ }
          setStatus(status, "ok", t("Restored the backup made by firmware %s", r.firmware || "?") +
            (r.prompts && r.prompts.length ? " " + t("with %s prompts", r.prompts.length) : "") + ". " + t("The new configuration is in use.") +
            voicemailText(r.voicemail));
          return;
        }
        const e = errorText(x);
        setStatus(status, "bad", t("Not restored, nothing changed: %s", e.error));
        if (e.fields && e.fields.length) {
          const ul = document.createElement("ul");
          ul.id = "rs-fields";
          for (const f of e.fields) {
            const li = document.createElement("li");
            li.textContent = (f.field ? f.field + ": " : "") + (f.message || "");
            ul.append(li);
          }
          status.append(ul);
        }
      };
      x.onerror = function () {
        submit.disabled = false;
        setStatus(status, "bad", t("The upload was interrupted; nothing changed."));
      };
      x.send(fd);
    });
  }
})();
