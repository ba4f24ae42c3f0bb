// balance-gateway dashboard: the little JavaScript it has. Pages work without it; it adds
// table filters and a confirmation before a plan is applied. No build step, no dependency.
"use strict";

// A `.filters` block with data-filters-for="<table id>" filters that table's rows: a text
// control matches the row's text, a select matches the row's data-<name> attribute, a
// checkbox keeps rows whose data-<name> is "yes".
function setUpFilters(box) {
  const table = document.getElementById(box.dataset.filtersFor);
  if (!table || !table.tBodies.length) return;
  const rows = Array.from(table.tBodies[0].rows);
  const controls = Array.from(box.querySelectorAll("[data-filter]"));
  const counter = box.querySelector("[data-filter-count]");
  const noun = counter ? counter.textContent.replace(/^\s*\d+ of \d+\s*/, "") : "";

  function matches(row, control) {
    const key = control.dataset.filter;
    if (key === "text") {
      const wanted = control.value.trim().toLowerCase();
      return !wanted || row.textContent.toLowerCase().includes(wanted);
    }
    if (control.type === "checkbox") return !control.checked || row.dataset[key] === "yes";
    return !control.value || row.dataset[key] === control.value;
  }

  function update() {
    let shown = 0;
    for (const row of rows) {
      const keep = controls.every((control) => matches(row, control));
      row.hidden = !keep;
      if (keep) shown += 1;
    }
    if (counter) counter.textContent = `${shown} of ${rows.length} ${noun}`;
  }

  for (const control of controls) {
    control.addEventListener("input", update);
    control.addEventListener("change", update);
  }
  update();
}

// A form with data-confirm asks first; once sent, its button says so (no double submit).
function setUpConfirm(form) {
  form.addEventListener("submit", (event) => {
    if (!window.confirm(form.dataset.confirm)) {
      event.preventDefault();
      return;
    }
    const button = form.querySelector("button[type=submit]");
    if (button) {
      button.disabled = true;
      button.textContent = "Applying…";
    }
  });
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-filters-for]").forEach(setUpFilters);
  document.querySelectorAll("form[data-confirm]").forEach(setUpConfirm);
});
