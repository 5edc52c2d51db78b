// Chapter 6 on the intake form: "Link" on a suggested article keeps its id in the hidden
// knowledge_article field (the ticket does not exist yet); pressing it again unlinks.
(function () {
  "use strict";

  function field() { return document.getElementById("id_knowledge_article"); }

  function showState(container) {
    var chosen = field() ? field().value : "";
    container.querySelectorAll("[data-knowledge-link]").forEach(function (button) {
      var linked = button.dataset.knowledgeLink === chosen;
      if (!button.dataset.labelLink) { button.dataset.labelLink = button.textContent; }
      button.textContent = linked ? button.dataset.labelLinked : button.dataset.labelLink;
      button.setAttribute("aria-pressed", linked ? "true" : "false");
    });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-knowledge-link]");
    if (!button || !field()) { return; }
    event.preventDefault();
    var id = button.dataset.knowledgeLink;
    field().value = field().value === id ? "" : id;
    showState(document);
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target && event.detail.target.id === "knowledge-suggestions") {
      showState(event.detail.target);
    }
  });
})();
