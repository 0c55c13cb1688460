// minipbx web UI: the dial plan's forms made quicker to use. Every form
// works without this file (picker.go, the schedule's week grid); this
// splits each destination picker into a choice of kind and then of
// object, shows the outside-number box only when it is wanted, opens the
// "create new" form at once, and copies a schedule's Monday to the other
// weekdays without a round trip. Plain JavaScript, no libraries.
"use strict";

(function () {
  // A picker: <select data-picker> with one <optgroup> per kind of
  // destination (its options' values say the kind: "group:sales"), and
  // perhaps an outside-number box (#ID-number).
  function enhancePicker(sel) {
    const groups = Array.from(sel.querySelectorAll("optgroup"));
    groups.forEach((g, i) => {
      const first = g.querySelector("option");
      g.dataset.kind = first ? first.value.split(":")[0] : "g" + i;
    });
    const loose = Array.from(sel.children).filter((o) => o.tagName === "OPTION");
    const number = document.getElementById(sel.id + "-number");
    const kind = document.createElement("select");
    kind.id = sel.id + "-kind";
    kind.className = "picker-kind";
    kind.setAttribute("aria-label", (sel.labels[0] ? sel.labels[0].textContent.trim() : sel.name) + ": kind");
    for (const o of loose) kind.append(new Option(o.value === "" ? o.textContent : "Current: " + o.textContent, "loose:" + o.value));
    for (const g of groups) kind.append(new Option(g.label, g.dataset.kind));
    const kindOf = (value) => {
      const o = Array.from(sel.options).find((x) => x.value === value);
      return o && o.parentElement.tagName === "OPTGROUP" ? o.parentElement.dataset.kind : "loose:" + value;
    };
    const show = () => {
      const k = kind.value;
      for (const g of groups) g.hidden = g.dataset.kind !== k;
      for (const o of loose) o.hidden = !k.startsWith("loose:");
      sel.hidden = k.startsWith("loose:");
      if (number) number.hidden = sel.value !== "number:";
    };
    kind.addEventListener("change", () => {
      const k = kind.value;
      if (k.startsWith("loose:")) {
        sel.value = k.slice("loose:".length);
      } else {
        const g = groups.find((x) => x.dataset.kind === k);
        if (g && g.querySelector("option")) sel.value = g.querySelector("option").value;
      }
      show();
      sel.dispatchEvent(new Event("change", { bubbles: true }));
    });
    sel.addEventListener("change", () => {
      if (kindOf(sel.value) !== kind.value) kind.value = kindOf(sel.value);
      show();
      if (sel.value.startsWith("new:") && sel.form) {
        // Keep what is typed and open the new object's form (the box
        // keeps this form as a draft and brings it back).
        sel.form.requestSubmit();
      } else if (sel.value === "number:" && number && document.activeElement === sel) {
        number.focus();
      }
    });
    kind.value = kindOf(sel.value);
    sel.before(kind);
    show();
  }

  // A schedule's week grid: the button copies Monday's hours to
  // Tuesday–Friday here instead of asking the box.
  function enhanceWeek(button) {
    button.addEventListener("click", (ev) => {
      const form = button.form;
      const from = Array.from(form.querySelectorAll('input[name^="day_mon."]'));
      if (!from.length) return;
      ev.preventDefault();
      for (const day of ["tue", "wed", "thu", "fri"]) {
        from.forEach((src, i) => {
          const dst = form.elements.namedItem("day_" + day + "." + i);
          if (dst) dst.value = src.value;
        });
      }
      const note = document.getElementById("week-copied");
      if (note) note.hidden = false;
    });
  }

  document.querySelectorAll("select[data-picker]").forEach(enhancePicker);
  document.querySelectorAll("button[data-copy-weekdays]").forEach(enhanceWeek);
})();
