// Service Toolkit's own behaviour. Small on purpose: htmx does the requests.
(function () {
  "use strict";

  // The intake form fills the priority from the live suggestion until the engineer picks one.
  document.addEventListener("change", function (event) {
    if (event.target && event.target.id === "id_priority") {
      event.target.dataset.touched = "true";
    }
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (!target || target.id !== "priority-suggestion") { return; }
    var suggested = target.querySelector("[data-suggested-priority]");
    var select = document.getElementById("id_priority");
    if (suggested && select && select.dataset.touched !== "true") {
      select.value = suggested.dataset.suggestedPriority;
    }
  });

  // Loading the contact names of the customer being typed.
  document.addEventListener("change", function (event) {
    if (event.target && event.target.id === "id_customer_name" && window.htmx) {
      window.htmx.ajax("GET", event.target.dataset.contactsUrl + "?customer_name=" +
        encodeURIComponent(event.target.value), { target: "#contact-names", swap: "outerHTML" });
    }
  });

  // "Copy" buttons: data-copy names the field whose value goes to the clipboard (the survey link).
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-copy]") : null;
    if (!button) { return; }
    var field = document.querySelector(button.dataset.copy);
    if (!field) { return; }
    field.select();
    var copied = function () { button.textContent = button.dataset.copiedLabel; };
    var legacy = function () { if (document.execCommand("copy")) { copied(); } };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(copied, legacy);
    } else {
      legacy();
    }
  });
})();
