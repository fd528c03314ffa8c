// Courtyard's small behaviours; no inline scripts (the Content-Security-Policy forbids them).
(function () {
  "use strict";

  // Selects marked .js-autosubmit (estate filter, language) submit their form on change.
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches && target.matches(".js-autosubmit") && target.form) {
      if (target.form.requestSubmit) {
        target.form.requestSubmit();
      } else {
        target.form.submit();
      }
    }
  });

  // A drop zone's unseen file input names the files chosen beneath it (the browser's own
  // "No file chosen" line is hidden with the input).
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches(".cy-photo-input")) return;
    var shown = input.parentNode.querySelector(".cy-photo-chosen");
    if (shown) {
      shown.textContent = Array.prototype.map.call(input.files, function (file) { return file.name; }).join(", ");
    }
  });

  // data-confirm="…" on a link or button asks first; on a form it asks before submitting.
  document.addEventListener("click", function (event) {
    var element = event.target.closest("[data-confirm]");
    if (element && element.tagName !== "FORM" && !window.confirm(element.getAttribute("data-confirm"))) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.hasAttribute("data-confirm") && !window.confirm(form.getAttribute("data-confirm"))) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  function showAlert(text) {
    var container = document.querySelector(".page-body .container-xl") || document.body;
    var alert = document.createElement("div");
    alert.className = "alert alert-danger alert-dismissible";
    alert.setAttribute("role", "alert");
    var body = document.createElement("div");
    body.textContent = text;
    var close = document.createElement("a");
    close.className = "btn-close";
    close.setAttribute("data-bs-dismiss", "alert");
    close.setAttribute("aria-label", "close");
    alert.appendChild(body);
    alert.appendChild(close);
    container.insertBefore(alert, container.firstChild);
  }

  if (window.htmx) {
    // Keep the browser's back button working on htmx-swapped tables without a stale cache.
    htmx.config.historyCacheSize = 5;
    htmx.config.refreshOnHistoryMiss = true;
    // A failed partial request (403, 404, 500, lost connection) must not fail silently.
    // The texts come translated from data attributes on <body> (see base.html).
    document.body.addEventListener("htmx:responseError", function (event) {
      var status = event.detail.xhr.status;
      var data = document.body.dataset;
      showAlert((status === 403 && data.msgForbidden) || (status === 404 && data.msgNotFound) || data.msgFailed || "Error");
    });
    document.body.addEventListener("htmx:sendError", function () {
      showAlert(document.body.dataset.msgOffline || "Offline");
    });
  }
})();
