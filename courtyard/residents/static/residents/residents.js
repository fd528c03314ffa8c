// Residents pages: "Add a member" adds a row to the household formset (no inline scripts: CSP).
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest(".js-add-member");
    if (!button) {
      return;
    }
    var template = document.getElementById("member-template");
    var total = document.getElementById("id_members-TOTAL_FORMS");
    var max = document.getElementById("id_members-MAX_NUM_FORMS");
    if (!template || !total) {
      return;
    }
    var count = parseInt(total.value, 10) || 0;
    if (max && count >= parseInt(max.value, 10)) {
      return;
    }
    var html = template.innerHTML.replace(/__prefix__/g, String(count));
    var holder = document.createElement("div");
    holder.innerHTML = html.trim();
    var row = holder.firstElementChild;
    document.querySelector(".member-rows").appendChild(row);
    total.value = String(count + 1);
    var hint = document.querySelector(".js-no-members");
    if (hint) {
      hint.classList.add("d-none");
    }
    var first = row.querySelector("input:not([type=hidden])");
    if (first) {
      first.focus();
    }
  });
})();
