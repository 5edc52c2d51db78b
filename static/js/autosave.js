// Fields that save as they change, and a guard for typed input not saved yet (issue 17 item 5).
//
// Inside a [data-unsaved-guard] block (the solution design page):
// - a field the user types in is marked data-dirty="typed";
// - a [data-autosave] field (htmx posts it on "change") is "saving" from its change until its answer,
//   then clean, or "failed" (red) when the answer says X-Autosave: failed;
// - every [data-autosave-state] element says "Saving…", "All changes saved" or "Not saved";
// - a request that re-renders the block while typed input would be lost asks first, and so does
//   leaving the page. Requests queue on the block (hx-sync), so a score being saved is stored
//   before a "Choose" pressed right after it re-renders the block: "saving" fields do not ask.
(function () {
  "use strict";

  var GUARD = "[data-unsaved-guard]";

  function guardOf(element) {
    return element && element.closest ? element.closest(GUARD) : null;
  }

  function dirtyFields(states) {
    var selector = states.map(function (state) { return GUARD + " [data-dirty=" + state + "]"; });
    return Array.prototype.slice.call(document.querySelectorAll(selector.join(",")));
  }

  function render() {
    var guard = document.querySelector(GUARD);
    if (!guard) { return; }
    var state = "saved";
    if (dirtyFields(["saving"]).length) {
      state = "saving";
    } else if (dirtyFields(["failed"]).length) {
      state = "failed";
    }
    var label = guard.getAttribute("data-label-" + state);
    document.querySelectorAll("[data-autosave-state]").forEach(function (element) {
      element.textContent = label;
      element.classList.toggle("is-saving", state === "saving");
      element.classList.toggle("is-failed", state === "failed");
      element.setAttribute("data-state", state);
    });
  }

  document.addEventListener("input", function (event) {
    var field = event.target;
    if (field && field.name && guardOf(field)) {
      field.setAttribute("data-dirty", "typed");
    }
  });

  // Capture phase: runs before htmx's own listener on the field issues (or queues) the request.
  document.addEventListener("change", function (event) {
    var field = event.target;
    if (field && field.matches && field.matches("[data-autosave]") && guardOf(field)) {
      field.setAttribute("data-dirty", "saving");
      render();
    }
  }, true);

  document.addEventListener("htmx:afterRequest", function (event) {
    var field = event.detail.elt;
    if (!field || !field.matches || !field.matches("[data-autosave]")) { return; }
    var xhr = event.detail.xhr;
    var saved = event.detail.successful && xhr && xhr.getResponseHeader("X-Autosave") === "saved";
    if (saved) {
      // Typed again while this answer was on its way: that newer value is still to be saved.
      if (field.getAttribute("data-dirty") === "saving") { field.removeAttribute("data-dirty"); }
      field.classList.remove("is-invalid");
    } else {
      field.setAttribute("data-dirty", "failed");
      field.classList.add("is-invalid");
    }
    render();
  });

  // A request that swaps the whole block (not an autosave field's own) would drop typed input elsewhere.
  document.addEventListener("htmx:confirm", function (event) {
    var source = event.detail.elt;
    var guard = guardOf(source);
    if (!guard || source.matches("[data-autosave]")) { return; }
    var lost = dirtyFields(["typed", "failed"]).filter(function (field) {
      return !source.contains(field) && !(source.form && source.form.contains(field)) &&
        !(field.form && field.form.contains(source));
    });
    if (!lost.length) { return; }
    event.preventDefault();
    if (window.confirm(guard.getAttribute("data-label-unsaved"))) {
      event.detail.issueRequest(false);
    }
  });

  window.addEventListener("beforeunload", function (event) {
    if (dirtyFields(["typed", "saving", "failed"]).length) {
      event.preventDefault();
      event.returnValue = "";
    }
  });

  document.addEventListener("DOMContentLoaded", render);
  document.addEventListener("htmx:afterSettle", render);
})();
