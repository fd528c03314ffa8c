// Cashier and receipt pages (no inline scripts: CSP). The total follows the ticked bills and
// their typed amounts, counted in whole cents so that no float rounding shows; typing an
// amount ticks its bill. The receipt's print button prints. The server checks it all again.
(function () {
  "use strict";

  // "1,234.5" → 123450 cents; null when it is not an amount with at most two decimals.
  function cents(text) {
    var match = /^(\d+)(?:\.(\d{0,2}))?$/.exec((text || "").replace(/[,\s]/g, ""));
    if (!match) {
      return null;
    }
    return parseInt(match[1], 10) * 100 + parseInt(((match[2] || "") + "00").slice(0, 2), 10);
  }

  function money(total) {
    var yuan = Math.floor(total / 100).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return yuan + "." + ("0" + (total % 100)).slice(-2);
  }

  function refresh(form) {
    var total = 0;
    var count = 0;
    form.querySelectorAll("[data-bill-row]").forEach(function (row) {
      var box = row.querySelector("input[name=bill]");
      var amount = row.querySelector("[data-amount]");
      var value = cents(amount.value);
      row.classList.toggle("table-active", box.checked);
      amount.classList.toggle("is-invalid", value === null || value === 0);
      if (box.checked && value !== null) {
        total += value;
        count += 1;
      }
    });
    var shown = form.querySelector("[data-total]");
    if (shown) {
      shown.textContent = money(total);
    }
    var counted = form.querySelector("[data-count]");
    if (counted) {
      counted.textContent = count;
    }
    var all = form.querySelector("[data-select-all]");
    if (all) {
      var boxes = form.querySelectorAll("input[name=bill]");
      var ticked = form.querySelectorAll("input[name=bill]:checked");
      all.checked = boxes.length > 0 && ticked.length === boxes.length;
      all.indeterminate = ticked.length > 0 && ticked.length < boxes.length;
    }
  }

  document.addEventListener("change", function (event) {
    var form = event.target.closest(".cashier-form");
    if (!form) {
      return;
    }
    if (event.target.hasAttribute("data-select-all")) {
      form.querySelectorAll("input[name=bill]").forEach(function (box) {
        box.checked = event.target.checked;
      });
    }
    refresh(form);
  });

  document.addEventListener("input", function (event) {
    var form = event.target.closest(".cashier-form");
    if (!form || !event.target.hasAttribute("data-amount")) {
      return;
    }
    var box = event.target.closest("[data-bill-row]").querySelector("input[name=bill]");
    box.checked = true;
    refresh(form);
  });

  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-print]")) {
      window.print();
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".cashier-form").forEach(refresh);
  });
})();
