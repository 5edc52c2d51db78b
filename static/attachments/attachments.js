// Attachments: any <input type="file" data-attachments> takes files dropped on its form (or on its
// [data-attach-drop] zone) and screenshots pasted while its form has the focus, and lists what is
// chosen (image previews, sizes, a button to take one out). Without this script it is a plain
// multiple file input. Thumbnails marked [data-attach-preview] open in a preview dialog.
// Included by several partials (and again by htmx swaps): it sets itself up once.
(function () {
  "use strict";
  if (window.serviceToolkitAttachments) {
    return;
  }
  window.serviceToolkitAttachments = true;

  var lastUsed = null; // the input whose zone was last hovered, clicked or focused

  function inputsIn(root) {
    return root && root.querySelectorAll ? root.querySelectorAll("input[type=file][data-attachments]") : [];
  }

  // The file input a drop or paste at this element is for: its zone's, else its form's.
  function inputFor(element) {
    if (!element || !element.closest) {
      return null;
    }
    var zone = element.closest("[data-attach-drop]");
    var found = zone ? inputsIn(zone) : [];
    if (!found.length) {
      var form = element.closest("form");
      found = form ? inputsIn(form) : [];
    }
    return found.length ? found[0] : null;
  }

  function pad(number) {
    return (number < 10 ? "0" : "") + number;
  }

  // A pasted screenshot is called "image.png" by every browser: give it a name that says when.
  function pastedName(file, index) {
    var now = new Date();
    var stamp = now.getFullYear() + pad(now.getMonth() + 1) + pad(now.getDate()) + "-" +
      pad(now.getHours()) + pad(now.getMinutes()) + pad(now.getSeconds());
    var extension = (file.type.split("/")[1] || "png").replace("jpeg", "jpg");
    return "screenshot-" + stamp + (index ? "-" + (index + 1) : "") + "." + extension;
  }

  function setFiles(input, files) {
    var transfer = new DataTransfer();
    files.forEach(function (file) {
      transfer.items.add(file);
    });
    input.files = transfer.files;
    input.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function addFiles(input, added) {
    if (!input || !added.length) {
      return;
    }
    setFiles(input, Array.prototype.slice.call(input.files).concat(added));
    lastUsed = input;
  }

  function sizeText(bytes) {
    if (bytes < 1024) {
      return bytes + " B";
    }
    if (bytes < 1024 * 1024) {
      return (bytes / 1024).toFixed(1) + " KB";
    }
    return (bytes / 1024 / 1024).toFixed(1) + " MB";
  }

  // The list of chosen files under the input, drawn again whenever the choice changes.
  function drawChosen(input) {
    var list = input.parentNode.querySelector(":scope > .attach-chosen");
    if (!list) {
      list = document.createElement("ul");
      list.className = "attach-chosen list-unstyled small mb-0";
      input.insertAdjacentElement("afterend", list);
    }
    list.textContent = "";
    var maxBytes = parseInt(input.getAttribute("data-max-bytes") || "0", 10);
    Array.prototype.forEach.call(input.files, function (file, index) {
      var item = document.createElement("li");
      item.className = "attach-chosen-item";
      if (file.type && file.type.indexOf("image/") === 0 && file.type !== "image/svg+xml") {
        var image = document.createElement("img");
        image.alt = "";
        image.className = "attach-chosen-preview";
        var reader = new FileReader();
        reader.onload = function () {
          image.src = reader.result; // a data: URL (the page's policy allows those for images)
        };
        reader.readAsDataURL(file);
        item.appendChild(image);
      }
      var name = document.createElement("span");
      name.className = "attach-chosen-name";
      name.textContent = file.name + " · " + sizeText(file.size);
      item.appendChild(name);
      if (maxBytes && file.size > maxBytes) {
        item.classList.add("text-danger");
        var warning = document.createElement("span");
        warning.className = "attach-too-large";
        warning.textContent = " " + (input.getAttribute("data-too-large") || "");
        item.appendChild(warning);
      }
      var remove = document.createElement("button");
      remove.type = "button";
      remove.className = "btn btn-link btn-sm p-0 ms-2 attach-remove";
      remove.textContent = input.getAttribute("data-remove") || "×";
      remove.addEventListener("click", function () {
        var kept = Array.prototype.filter.call(input.files, function (_file, at) {
          return at !== index;
        });
        setFiles(input, kept);
      });
      item.appendChild(remove);
      list.appendChild(item);
    });
  }

  // Inputs rendered by a form library carry their hint as data-hint; put it under the input once.
  function enhance(root) {
    Array.prototype.forEach.call(inputsIn(root), function (input) {
      if (input.getAttribute("data-attach-ready")) {
        return;
      }
      input.setAttribute("data-attach-ready", "1");
      if (!input.closest("[data-attach-drop]") && input.parentNode) {
        input.parentNode.setAttribute("data-attach-drop", "");
        input.parentNode.classList.add("attach-drop");
      }
      var hint = input.getAttribute("data-hint");
      if (hint) {
        var text = document.createElement("div");
        text.className = "form-text attach-hint";
        text.textContent = hint;
        input.insertAdjacentElement("afterend", text);
      }
    });
  }

  document.addEventListener("change", function (event) {
    var input = event.target;
    if (input && input.matches && input.matches("input[type=file][data-attachments]")) {
      drawChosen(input);
      showRefusal(input, "");
    }
  });

  function zoneOf(target) {
    var input = inputFor(target);
    return input ? input.closest("[data-attach-drop]") || input.form : null;
  }

  // Files being dragged, and not onto some other page's own file input (which takes them natively).
  function carriesFiles(event) {
    var types = event.dataTransfer ? Array.prototype.slice.call(event.dataTransfer.types) : [];
    var other = event.target.matches && event.target.matches("input[type=file]:not([data-attachments])");
    return types.indexOf("Files") >= 0 && !other;
  }

  document.addEventListener("dragover", function (event) {
    if (!carriesFiles(event)) {
      return;
    }
    // A file let go beside a zone would make the browser leave the page to show it: refuse it instead.
    event.preventDefault();
    var zone = zoneOf(event.target);
    event.dataTransfer.dropEffect = zone ? "copy" : "none";
    if (zone) {
      zone.classList.add("attach-over");
    }
  });

  document.addEventListener("dragleave", function (event) {
    var zone = zoneOf(event.target);
    if (zone && !zone.contains(event.relatedTarget)) {
      zone.classList.remove("attach-over");
    }
  });

  document.addEventListener("drop", function (event) {
    if (!carriesFiles(event)) {
      return;
    }
    event.preventDefault();
    var input = inputFor(event.target);
    if (!input || !event.dataTransfer.files.length) {
      return;
    }
    var zone = zoneOf(event.target);
    if (zone) {
      zone.classList.remove("attach-over");
    }
    addFiles(input, Array.prototype.slice.call(event.dataTransfer.files));
  });

  // Which input a paste goes to: the focused element's form, else the zone last used.
  ["focusin", "pointerdown"].forEach(function (type) {
    document.addEventListener(type, function (event) {
      var input = inputFor(event.target);
      if (input) {
        lastUsed = input;
      }
    });
  });

  document.addEventListener("paste", function (event) {
    var data = event.clipboardData;
    if (!data || !data.files || !data.files.length) {
      return;
    }
    // Text copied from a document may bring a picture of itself along: then the text is what is meant.
    if (data.getData("text/plain")) {
      return;
    }
    var input = inputFor(document.activeElement) || (lastUsed && document.contains(lastUsed) ? lastUsed : null);
    if (!input) {
      var all = inputsIn(document);
      input = all.length === 1 ? all[0] : null;
    }
    if (!input) {
      return;
    }
    event.preventDefault();
    var files = Array.prototype.map.call(data.files, function (file, index) {
      if (file.type.indexOf("image/") === 0 && /^image\.\w+$/.test(file.name || "image.png")) {
        return new File([file], pastedName(file, index), { type: file.type, lastModified: Date.now() });
      }
      return file;
    });
    addFiles(input, files);
  });

  // The preview: a thumbnail opens the image in a dialog instead of a new tab.
  var dialog = null;
  function previewDialog() {
    if (!dialog) {
      dialog = document.createElement("dialog");
      dialog.className = "attach-preview-dialog";
      var image = document.createElement("img");
      image.alt = "";
      var close = document.createElement("button");
      close.type = "button";
      close.className = "btn-close attach-preview-close";
      close.addEventListener("click", function () {
        dialog.close();
      });
      dialog.appendChild(close);
      dialog.appendChild(image);
      dialog.addEventListener("click", function (event) {
        if (event.target === dialog) {
          dialog.close();
        }
      });
      document.body.appendChild(dialog);
    }
    return dialog;
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a[data-attach-preview]") : null;
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey || !window.HTMLDialogElement) {
      return;
    }
    event.preventDefault();
    var box = previewDialog();
    var image = box.querySelector("img");
    image.src = link.href;
    image.alt = link.querySelector("img") ? link.querySelector("img").alt : "";
    box.querySelector(".attach-preview-close").setAttribute(
      "aria-label", link.getAttribute("data-attach-preview") || "Close");
    box.showModal();
  });

  // Before sending: a file over the limit, or files adding up to more than one request may carry
  // (the server answers 413 without reading them), stop the form here with the reason beside the input.
  function refusal(input) {
    var maxBytes = parseInt(input.getAttribute("data-max-bytes") || "0", 10);
    var maxRequest = parseInt(input.getAttribute("data-max-request") || "0", 10);
    var total = 0;
    var tooLarge = false;
    Array.prototype.forEach.call(input.files, function (file) {
      total += file.size;
      tooLarge = tooLarge || (maxBytes && file.size > maxBytes);
    });
    if (tooLarge) {
      return input.getAttribute("data-too-large") || "";
    }
    if (maxRequest && total > maxRequest) {
      return input.getAttribute("data-too-much") || "";
    }
    return "";
  }

  function showRefusal(input, text) {
    var box = input.parentNode.querySelector(":scope > .attach-refused");
    if (!text) {
      if (box) {
        box.remove();
      }
      return;
    }
    if (!box) {
      box = document.createElement("div");
      box.className = "attach-refused text-danger small";
      box.setAttribute("role", "alert");
      input.insertAdjacentElement("afterend", box);
    }
    box.textContent = text;
  }

  // Capturing on the document runs before htmx's own listener on the form, so a stopped submit sends
  // nothing either way.
  document.addEventListener("submit", function (event) {
    var inputs = inputsIn(event.target);
    for (var i = 0; i < inputs.length; i++) {
      var text = refusal(inputs[i]);
      showRefusal(inputs[i], text);
      if (text) {
        event.preventDefault();
        event.stopImmediatePropagation();
        return;
      }
    }
  }, true);

  function start() {
    enhance(document);
    document.body.addEventListener("htmx:load", function (event) {
      enhance(event.target);
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
