// The conversation card: a canned reply picked in <select data-canned-target="ID"> fills that textarea
// (appended below text already typed). Delegated from the document, so it survives htmx swaps; the
// card includes this file again after each swap, hence the guard.
(function () {
  "use strict";
  if (window.conversationCannedPicker) {
    return;
  }
  window.conversationCannedPicker = true;

  document.addEventListener("change", function (event) {
    var select = event.target;
    if (!select || !select.matches || !select.matches("select[data-canned-target]")) {
      return;
    }
    var option = select.options[select.selectedIndex];
    var area = document.getElementById(select.getAttribute("data-canned-target"));
    if (!option || !option.value || !area) {
      return;
    }
    var text = option.getAttribute("data-body") || "";
    area.value = area.value.trim() ? area.value.replace(/\s+$/, "") + "\n\n" + text : text;
    area.focus();
    select.selectedIndex = 0;
  });
})();
