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
})();
