// The intake form (diagnosis/ticket_new.html): the customer picker, suggestions applied to the fields the
// engineer has not chosen, the customer's usual contact filled in, and the keyboard (Enter saves).
// Loaded only on that page. No inline script: the Content-Security-Policy forbids it.
(function () {
  "use strict";

  var form = document.getElementById("intake-form");
  if (!form) { return; }
  var customer = document.getElementById("id_customer_name");
  var list = document.getElementById("customer-options");
  var status = document.getElementById("customer-status");
  var tier = document.getElementById("id_customer_tier");
  var contact = document.getElementById("id_contact_name");
  var details = document.getElementById("id_contact_details");
  var shortcuts = document.getElementById("intake-shortcuts");

  function composing(event) {
    // Enter that ends a Chinese IME composition must never save or pick.
    return event.isComposing || event.keyCode === 229;
  }

  function save() {
    if (form.dataset.saving === "true") { return; }
    form.dataset.saving = "true";
    var button = form.querySelector("[type=submit]");
    if (form.requestSubmit) { form.requestSubmit(button || undefined); } else { form.submit(); }
  }
  form.addEventListener("submit", function () {
    form.dataset.saving = "true";
    var button = form.querySelector("[type=submit]");
    // After the browser has taken the button's value: a second Enter cannot log the ticket twice.
    if (button) { window.setTimeout(function () { button.disabled = true; }, 0); }
  });

  // ------------------------------------------------------------ fields chosen by hand stay as chosen
  // A person's own input (a trusted "input" event) marks the field; suggestions fill only unmarked ones.
  form.addEventListener("input", function (event) {
    if (event.isTrusted && event.target && event.target.name) {
      event.target.dataset.touched = "true";
      delete event.target.dataset.auto;
      form.dataset.dirty = "true";
    }
  });

  function suggest(field, value, notify) {
    if (!field || value === undefined || value === null || field.dataset.touched === "true") { return; }
    // Never under the cursor: a suggestion landing as the person starts typing there would be typed onto.
    if (field === document.activeElement) { return; }
    if (field.value === value) { return; }
    field.value = value;
    field.dataset.auto = "true";
    if (notify) { field.dispatchEvent(new Event("change", { bubbles: true })); }
  }

  function applyAssist() {
    var assist = document.querySelector("#intake-assist [data-assist]");
    if (!assist) { return; }
    suggest(document.getElementById("id_problem_type"), assist.dataset.problemType, false);
    if (assist.dataset.impactScope) {
      // "change" asks for a new priority suggestion (hx-trigger on the impact field).
      suggest(document.getElementById("id_impact_scope"), assist.dataset.impactScope, true);
    }
    if (assist.dataset.usersAffected) {
      suggest(document.getElementById("id_users_affected"), assist.dataset.usersAffected, false);
    }
  }

  // ------------------------------------------------------------ the customer's contacts
  var contactsList = document.getElementById("contact-names");

  function fillDetailsFrom(option) {
    if (!details || !option) { return; }
    if (details.value === "" || details.dataset.auto === "true") {
      details.value = option.dataset.details || "";
      details.dataset.auto = "true";
    }
  }

  function applyContacts() {
    var options = contactsList ? contactsList.querySelectorAll("option") : [];
    if (!contact) { return; }
    if (!options.length) {
      // Another customer, none of whose people we know: what was filled for the previous one goes.
      if (contact.dataset.auto === "true") { contact.value = ""; delete contact.dataset.auto; }
      if (details && details.dataset.auto === "true") { details.value = ""; delete details.dataset.auto; }
      return;
    }
    // The contact on the customer's latest ticket comes first: the usual caller.
    if (contact.value === "" || contact.dataset.auto === "true") {
      contact.value = options[0].value;
      contact.dataset.auto = "true";
      if (details && details.dataset.auto === "true") { details.value = ""; }
      fillDetailsFrom(options[0]);
    }
  }

  if (contact) {
    contact.addEventListener("change", function () {
      var options = contactsList ? contactsList.querySelectorAll("option") : [];
      for (var i = 0; i < options.length; i++) {
        if (options[i].value === contact.value) { fillDetailsFrom(options[i]); return; }
      }
    });
  }

  document.addEventListener("htmx:afterSettle", function () {
    applyAssist();
    // app.js swaps the datalist when the customer changes (outerHTML: a new element each time).
    var current = document.getElementById("contact-names");
    if (current && current !== contactsList) {
      contactsList = current;
      applyContacts();
    }
  });

  // ------------------------------------------------------------ the customer picker (ARIA combobox)
  var results = [];
  var active = -1;
  var timer = null;
  var controller = null;
  var enterWaiting = false;

  if (customer && list) {
    customer.parentNode.classList.add("position-relative");
    customer.insertAdjacentElement("afterend", list);
  }

  function setActive(index) {
    active = index;
    var items = list.querySelectorAll("[role=option]");
    for (var i = 0; i < items.length; i++) {
      var on = i === index;
      items[i].setAttribute("aria-selected", on ? "true" : "false");
      items[i].classList.toggle("active", on);
    }
    if (index >= 0 && items[index]) {
      customer.setAttribute("aria-activedescendant", items[index].id);
      items[index].scrollIntoView({ block: "nearest" });
    } else {
      customer.removeAttribute("aria-activedescendant");
    }
  }

  function close() {
    list.hidden = true;
    customer.setAttribute("aria-expanded", "false");
    customer.removeAttribute("aria-activedescendant");
    active = -1;
  }

  function announce(count) {
    if (!status) { return; }
    var text = count === 0 ? status.dataset.none : count === 1 ? status.dataset.one : status.dataset.many;
    status.textContent = (text || "").replace("%(count)s", String(count));
  }

  function render() {
    list.textContent = "";
    results.forEach(function (item, index) {
      var option = document.createElement("li");
      option.id = "customer-option-" + index;
      option.setAttribute("role", "option");
      option.className = "list-group-item list-group-item-action";
      option.textContent = item.name;
      var note = document.createElement("span");
      note.className = "customer-option-tier";
      note.textContent = item.tier;
      option.appendChild(note);
      // mousedown, not click: the field keeps the focus.
      option.addEventListener("mousedown", function (event) {
        event.preventDefault();
        pick(index);
      });
      list.appendChild(option);
    });
    var open = results.length > 0;
    list.hidden = !open;
    customer.setAttribute("aria-expanded", open ? "true" : "false");
    // The first match is highlighted at once (a list with automatic selection): Enter takes it.
    setActive(open ? 0 : -1);
    announce(results.length);
  }

  function pick(index) {
    var item = results[index];
    if (!item) { return; }
    customer.value = item.name;
    customer.dataset.picked = item.name;
    close();
    if (tier) { tier.disabled = true; }  // an existing customer keeps its own tier
    customer.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function search() {
    timer = null;
    var query = customer.value.trim();
    if (controller) { controller.abort(); }
    if (!query) { results = []; render(); enterWaiting = false; return; }
    controller = window.AbortController ? new AbortController() : null;
    var url = customer.dataset.searchUrl + "?q=" + encodeURIComponent(query);
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" },
                 signal: controller ? controller.signal : undefined })
      .then(function (response) { return response.ok ? response.json() : { results: [] }; })
      .then(function (data) {
        controller = null;
        if (customer.value.trim() !== query) { return; }
        results = data.results || [];
        render();
        if (enterWaiting) {
          enterWaiting = false;
          if (results.length) { pick(0); }
        }
      })
      .catch(function () { /* aborted by a newer search, or offline: the list stays as it was */ });
  }

  function pending() { return timer !== null || controller !== null; }

  if (customer && list) {
    customer.addEventListener("input", function () {
      delete customer.dataset.picked;
      if (tier) { tier.disabled = false; }
      if (timer) { window.clearTimeout(timer); }
      timer = window.setTimeout(search, 150);
    });
    customer.addEventListener("blur", function () { window.setTimeout(close, 100); });
    customer.addEventListener("keydown", function (event) {
      if (composing(event)) { return; }
      var open = !list.hidden && results.length > 0;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        if (!open) { if (results.length) { render(); } else if (customer.value.trim()) { search(); } return; }
        var step = event.key === "ArrowDown" ? 1 : -1;
        setActive((active + step + results.length) % results.length);
      } else if (event.key === "Enter" && !event.ctrlKey && !event.metaKey && !event.altKey) {
        if (open && active >= 0) {
          event.preventDefault();
          event.stopPropagation();
          pick(active);
        } else if (pending() && customer.dataset.picked === undefined) {
          // Typed and pressed Enter before the list came: take the first match when it does.
          event.preventDefault();
          event.stopPropagation();
          enterWaiting = true;
          if (timer) { window.clearTimeout(timer); search(); }
        }
      } else if (event.key === "Escape" && open) {
        event.preventDefault();
        close();
      }
    });
  }

  // ------------------------------------------------------------ the keyboard
  function editable(element) {
    if (!element) { return false; }
    var tag = element.tagName;
    return element.isContentEditable || tag === "TEXTAREA" ||
      (tag === "INPUT" && !/^(checkbox|radio|button|submit|reset)$/.test(element.type));
  }

  form.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || composing(event) || event.defaultPrevented) { return; }
    var target = event.target;
    if (event.ctrlKey || event.metaKey) {
      // Ctrl+Enter / ⌘+Enter: save from any field, the description's textarea too.
      event.preventDefault();
      save();
      return;
    }
    if (event.altKey || event.shiftKey) { return; }
    var oneLine = target.tagName === "SELECT" ||
      (target.tagName === "INPUT" && !/^(button|submit|reset|file)$/.test(target.type));
    if (oneLine && !target.getAttribute("list")) {
      event.preventDefault();
      save();
    }
  });

  document.addEventListener("keydown", function (event) {
    if (composing(event)) { return; }
    // Alt+N: a new, empty intake. Alt+letter menus: Firefox uses F E V S B T H, Chrome and Edge F and E.
    if (event.altKey && !event.ctrlKey && !event.metaKey && !event.shiftKey && event.code === "KeyN") {
      event.preventDefault();
      if (form.dataset.dirty !== "true" || window.confirm(form.dataset.discardQuestion || "")) {
        window.location.assign(window.location.pathname);
      }
      return;
    }
    if (event.key === "?" && !event.ctrlKey && !event.metaKey && !editable(event.target) && shortcuts) {
      event.preventDefault();
      shortcuts.open = !shortcuts.open;
      if (shortcuts.open) { shortcuts.querySelector("summary").focus(); }
    }
  });
})();
