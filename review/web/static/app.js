// Keyboard shortcuts for the review UI (no external libraries: the app must work offline).
(function () {
  "use strict";
  const page = document.body.dataset.page;
  const help = document.getElementById("help");

  function typing(el) {
    return el && (el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT");
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
