// Account administration: "select all" in the permission matrix, and the scope form's choices.
(function () {
  function moduleBoxes(key) {
    return document.querySelectorAll(
      '[data-matrix-module="' + key + '"] input[name="permissions"]:not(:disabled)'
    );
  }

  function syncModuleToggle(section) {
    var toggle = section.querySelector(".js-matrix-all");
    if (!toggle) return;
    var boxes = Array.prototype.slice.call(moduleBoxes(toggle.dataset.module));
    var checked = boxes.filter(function (b) { return b.checked; }).length;
    toggle.checked = boxes.length > 0 && checked === boxes.length;
    toggle.indeterminate = checked > 0 && checked < boxes.length;
  }

  document.querySelectorAll("[data-matrix-module]").forEach(syncModuleToggle);

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches(".js-matrix-all")) {
      moduleBoxes(target.dataset.module).forEach(function (box) { box.checked = target.checked; });
    } else if (target.matches('[data-matrix-module] input[name="permissions"]')) {
      syncModuleToggle(target.closest("[data-matrix-module]"));
    } else if (target.matches('input[name="kind"]')) {
      showScopeChoices();
    }
  });

  // The scope form shows the estate list or the building list, as the chosen kind needs.
  function showScopeChoices() {
    var chosen = document.querySelector('input[name="kind"]:checked');
    var estates = document.getElementById("field-estates");
    var buildings = document.getElementById("field-buildings");
    if (!chosen || !estates || !buildings) return;
    estates.hidden = chosen.value !== "estates";
    buildings.hidden = chosen.value !== "buildings";
  }

  showScopeChoices();
})();
