// The diagnosis table's bulk actions (diagnosis/templates/diagnosis/_bulk_bar.html). The form works
// without this file (every field shows, the server checks everything); this only makes it easier:
// "select all on this page", the count of selected rows, and only the fields the chosen action needs.
(function () {
  "use strict";

  function form() { return document.getElementById("bulk-form"); }
  function rows() { return document.querySelectorAll('input[name="ticket"][form="bulk-form"]'); }

  function showCount() {
    var bar = form();
    if (!bar) { return; }
    var count = document.getElementById("bulk-count");
    var matching = document.getElementById("bulk-scope-matching");
    var ticked = 0;
    var all = rows();
    all.forEach(function (box) { if (box.checked) { ticked += 1; } });
    if (count) {
      if (matching && matching.checked) {
        count.textContent = count.dataset.all;
      } else {
        count.textContent = ticked ? count.dataset.some.replace("{count}", String(ticked)) : count.dataset.none;
      }
    }
    var whole = ticked > 0 && ticked === all.length;
    document.querySelectorAll("[data-bulk-select-page]").forEach(function (box) {
      box.checked = whole;
      box.indeterminate = ticked > 0 && !whole;
    });
  }

  function showFields() {
    var bar = form();
    if (!bar) { return; }
    var action = bar.elements.action.value;
    bar.querySelectorAll("[data-bulk-for]").forEach(function (part) {
      part.hidden = part.dataset.bulkFor.split(" ").indexOf(action) === -1;
    });
    bar.querySelectorAll("[data-required-for]").forEach(function (field) {
      field.required = field.dataset.requiredFor.split(" ").indexOf(action) !== -1;
    });
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (!target || !target.matches || !form()) { return; }
    if (target.matches("[data-bulk-select-page]")) {
      rows().forEach(function (box) { box.checked = target.checked; });
    }
    if (target.id === "bulk-action") { showFields(); }
    showCount();
  });

  document.addEventListener("DOMContentLoaded", function () { showFields(); showCount(); });
  // The table's rows may be swapped in by htmx (pagination): count again.
  document.addEventListener("htmx:afterSwap", showCount);
})();
