// Message templates: a variable chip inserts "{name}" where the cursor was in the card's
// subject or text (the text when neither had the focus), then lets the preview update.
(function () {
  "use strict";

  var lastField = new WeakMap(); // form -> the subject or text input last focused

  document.addEventListener("focusin", function (event) {
    var target = event.target;
    if (target.matches && target.matches("[data-variable-target]") && target.form) {
      lastField.set(target.form, target);
    }
  });

  function insertAtCursor(field, text) {
    var start = field.selectionStart;
    var end = field.selectionEnd;
    if (typeof start !== "number") {
      start = end = field.value.length;
    }
    field.value = field.value.slice(0, start) + text + field.value.slice(end);
    var cursor = start + text.length;
    field.focus();
    field.setSelectionRange(cursor, cursor);
    field.dispatchEvent(new Event("input", { bubbles: true }));
  }

  document.addEventListener("click", function (event) {
    var chip = event.target.closest(".js-insert-variable");
    if (!chip || !chip.form) return;
    event.preventDefault();
    var field = lastField.get(chip.form) || chip.form.querySelector("textarea[data-variable-target]");
    if (field) insertAtCursor(field, "{" + chip.dataset.variable + "}");
  });
})();
