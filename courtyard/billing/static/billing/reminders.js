// Reminders pages (no inline scripts: CSP): "select the page" on the arrears list, and the
// call outcome shown only when the reminder is a phone call.
(function () {
  "use strict";

  document.addEventListener("change", function (event) {
    var all = event.target.closest(".js-select-all");
    if (all) {
      document.querySelectorAll(all.getAttribute("data-target")).forEach(function (box) {
        box.checked = all.checked;
      });
    }
    if (event.target.name === "channel") {
      showOutcome();
    }
  });

  function showOutcome() {
    var chosen = document.querySelector("input[name=channel]:checked");
    document.querySelectorAll(".js-call-only").forEach(function (block) {
      block.hidden = !chosen || chosen.value !== "phone";
    });
  }

  document.addEventListener("DOMContentLoaded", showOutcome);
})();
