// Behaviour that used to sit in inline handlers (onchange=…, onfocus=…), which the
// Content-Security-Policy forbids: elements ask for it with data- attributes instead.
(function () {
  "use strict";

  // <select data-submit-on-change>: choosing submits its form (the language switch).
  document.addEventListener("change", function (event) {
    var field = event.target;
    if (field && field.matches && field.matches("[data-submit-on-change]") && field.form) {
      field.form.submit();
    }
  });

  // <input data-select-on-focus>: focusing selects the whole value, ready to copy (the survey link).
  document.addEventListener("focusin", function (event) {
    var field = event.target;
    if (field && field.matches && field.matches("[data-select-on-focus]") && field.select) {
      field.select();
    }
  });
})();
