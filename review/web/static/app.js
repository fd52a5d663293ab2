// Keyboard shortcuts for the review UI (no external libraries: the app must work offline).
(function () {
  "use strict";
  const page = document.body.dataset.page;
  const help = document.getElementById("help");

  function typing(el) {
    // a focused check box, radio or slider takes no typing: the shortcuts stay live
    const keyless = ["checkbox", "radio", "range", "button", "submit"];
    return el && ((el.tagName === "INPUT" && keyless.indexOf(el.type) < 0) || el.tagName === "TEXTAREA" ||
                  el.tagName === "SELECT");
  }

  function submit(action) {
    const form = document.getElementById("decide");
    if (!form) return;
    const button = form.querySelector('button[data-action="' + action + '"]');
    if (!button || button.disabled) return;
    const who = document.getElementById("annotator");
    if (who && !who.value.trim()) { who.focus(); return; }
    form.requestSubmit(button);
  }

  function go(id) {
    const a = document.getElementById(id);
    if (a) window.location.href = a.href;
  }

  // Every decision button says which action it stands for.
  document.querySelectorAll("#decide button[data-action]").forEach(function (b) {
    b.addEventListener("click", function () { document.getElementById("action").value = b.dataset.action; });
  });
  const form = document.getElementById("decide");
  if (form) {
    form.addEventListener("submit", function (ev) {
      const action = document.getElementById("action");
      if (ev.submitter && ev.submitter.dataset.action) action.value = ev.submitter.dataset.action;
      if (!action.value) action.value = "edit";
    });
  }

  // Declared-signal controls (label_form.html): radio 1-9, toggle y/n, x = selected text as the
  // toggle's evidence span, f = filter a multi-select, Enter = save.
  const signals = Array.from(document.querySelectorAll("fieldset.signal"));
  function first(control) { return signals.find(function (f) { return f.dataset.control === control; }); }
  function press(field, value) {
    const hidden = field.querySelector('input[type="hidden"][name^="value_"]');
    hidden.value = value;
    field.querySelectorAll("button.choice").forEach(function (b) {
      b.setAttribute("aria-pressed", b.dataset.value === value ? "true" : "false");
    });
  }
  signals.forEach(function (field) {
    field.querySelectorAll("button.choice").forEach(function (b) {
      b.addEventListener("click", function () { press(field, b.dataset.value); });
    });
    const range = field.querySelector('input[type="range"]');
    if (range) {
      range.addEventListener("input", function () {
        document.getElementById("out_" + field.dataset.signal).value = range.value;
        document.getElementById("set_" + field.dataset.signal).value = "true";
      });
    }
    const ta = field.querySelector("input.typeahead");
    if (ta) {
      const opts = Array.from(field.querySelectorAll("label.opt"));
      ta.addEventListener("input", function () {
        const q = ta.value.trim().toLowerCase();
        opts.forEach(function (o) { o.hidden = q !== "" && o.textContent.toLowerCase().indexOf(q) < 0; });
      });
      ta.addEventListener("keydown", function (ev) {
        if (ev.key !== "Enter") return;
        ev.preventDefault();
        ev.stopPropagation();
        const hit = opts.find(function (o) { return !o.hidden && !o.querySelector("input").checked; });
        if (hit) hit.querySelector("input").checked = true;
        ta.value = "";
        opts.forEach(function (o) { o.hidden = false; });
      });
    }
  });
  function selectedSpan() {
    const sel = window.getSelection();
    if (!sel || sel.isCollapsed || !sel.rangeCount) return null;
    const r = sel.getRangeAt(0);
    const node = r.startContainer.nodeType === 1 ? r.startContainer : r.startContainer.parentElement;
    const pre = node && node.closest("pre.content");
    if (!pre || !pre.contains(r.endContainer)) return null;
    const before = document.createRange();
    before.setStart(pre, 0);
    before.setEnd(r.startContainer, r.startOffset);
    const start = before.toString().length;
    const text = r.toString();
    return { field: pre.dataset.field, start: start, end: start + text.length, text: text };
  }
  function labelKey(ev) {
    if (!signals.length) return false;
    const radio = first("radio");
    const toggle = first("toggle");
    if (radio && /^[1-9]$/.test(ev.key)) {
      const box = radio.querySelectorAll('input[type="radio"]')[Number(ev.key) - 1];
      if (box) box.checked = true;
      return true;
    }
    if (toggle && (ev.key === "y" || ev.key === "n")) { press(toggle, ev.key === "y" ? "true" : "false"); return true; }
    if (toggle && ev.key === "x") {
      const span = selectedSpan();
      if (span) {
        document.getElementById("span_" + toggle.dataset.signal).value = JSON.stringify(span);
        document.getElementById("spantext_" + toggle.dataset.signal).textContent =
          span.field + "[" + span.start + ":" + span.end + "] \u201c" + span.text + "\u201d";
      }
      return true;
    }
    if (ev.key === "f" && first("multiselect")) { first("multiselect").querySelector("input.typeahead").focus(); return true; }
    if (ev.key === "Enter") { submit("edit"); return true; }
    return false;
  }

  // Queue page: j/k move a highlighted row, Enter opens it.
  let row = -1;
  const rows = Array.from(document.querySelectorAll("#queue tbody tr[data-href]"));
  function select(n) {
    if (!rows.length) return;
    row = Math.max(0, Math.min(rows.length - 1, n));
    rows.forEach(function (r, i) { r.classList.toggle("selected", i === row); });
    rows[row].scrollIntoView({ block: "nearest" });
  }

  document.addEventListener("keydown", function (ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const el = document.activeElement;
    if (typing(el)) {
      if (ev.key === "Escape") { el.blur(); ev.preventDefault(); }
      else if (ev.key === "Enter" && el.classList.contains("edit-value")) { ev.preventDefault(); submit("edit"); }
      return;
    }
    if (ev.key === "Escape") { help.hidden = true; return; }
    if (ev.key === "?") { help.hidden = !help.hidden; return; }
    if (page === "queue") {
      if (ev.key === "j") select(row + 1);
      else if (ev.key === "k") select(row - 1);
      else if (ev.key === "Enter" && row >= 0) window.location.href = rows[row].dataset.href;
      else return;
      ev.preventDefault();
      return;
    }
    if (page !== "item") return;
    if (labelKey(ev)) { ev.preventDefault(); return; }
    const keys = { a: "accept_model", g: "accept_gold", c: "accept_consensus", s: "skip" };
    if (keys[ev.key]) submit(keys[ev.key]);
    else if (ev.key === "e") { const v = document.querySelector(".edit-value"); if (v) { v.focus(); v.select(); } }
    else if (ev.key === "/") { document.getElementById("comment").focus(); }
    else if (ev.key === "j") go("next");
    else if (ev.key === "k") go("prev");
    else if (ev.key === "q") go("to-queue");
    else return;
    ev.preventDefault();
  });
})();
