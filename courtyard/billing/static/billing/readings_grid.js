/* The meter reading grid: usage as you type, unusual usage marked before saving, Enter moves
   down (Shift+Enter up), and a warning before leaving with unsaved readings. */
(function () {
  "use strict";
  var grid = document.querySelector(".reading-grid");
  if (!grid) return;
  var form = grid.closest("form");
  var factor = parseFloat(grid.dataset.factor) || 3;
  var inputs = Array.prototype.slice.call(grid.querySelectorAll("input.reading-input"));
  var editable = inputs.filter(function (input) { return !input.readOnly; });
  var saveButton = form.querySelector(".grid-save");
  var saveLabel = saveButton.querySelector("span");
  var plainLabel = saveLabel.textContent;
  var submitting = false;

  function number(text) {
    text = (text || "").trim().replace(/,/g, "");
    if (text === "" || !/^\d+(\.\d{0,2})?$/.test(text)) return text === "" ? null : NaN;
    return parseFloat(text);
  }

  function fill(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_match, key) { return values[key]; });
  }

  function update(input) {
    var row = input.closest("tr");
    var usage = row.querySelector(".usage");
    var note = row.querySelector(".live-note");
    var previous = row.dataset.previous === "" ? null : parseFloat(row.dataset.previous);
    var median = row.dataset.median === "" ? null : parseFloat(row.dataset.median);
    var value = number(input.value);
    var changed = input.value.trim() !== "" && value !== parseFloat(row.dataset.saved);
    row.classList.remove("is-below", "is-unusual", "is-changed");
    note.textContent = "";
    if (value === null) {
      usage.textContent = "";
      return false;
    }
    if (isNaN(value)) {
      usage.textContent = "";
      row.classList.add("is-below", "is-changed");
      note.textContent = grid.dataset.msgBad;
      return true;
    }
    // A saved figure shows its usage; its state is the badge beside it.
    if (!changed) {
      usage.textContent = previous === null ? "0.00" : (value - previous).toFixed(2);
      return false;
    }
    row.classList.add("is-changed");
    if (previous === null) {
      usage.textContent = "0.00";
      note.textContent = grid.dataset.msgFirst;
      return true;
    }
    var used = value - previous;
    usage.textContent = used.toFixed(2);
    if (used < 0) {
      row.classList.add("is-below");
      note.textContent = fill(grid.dataset.msgBelow, { previous: previous.toFixed(2) });
    } else if (median !== null && used > factor * median) {
      row.classList.add("is-unusual");
      note.textContent = fill(grid.dataset.msgUnusual, {
        factor: factor, median: median.toFixed(2)
      });
    }
    return true;
  }

  function refreshCount() {
    var count = inputs.filter(function (input) {
      return input.closest("tr").classList.contains("is-changed");
    }).length;
    saveLabel.textContent = count ? fill(grid.dataset.msgSave, { count: count }) : plainLabel;
    return count;
  }

  function move(from, step) {
    var index = editable.indexOf(from) + step;
    if (index >= 0 && index < editable.length) {
      editable[index].focus();
      editable[index].select();
    } else if (step > 0) {
      saveButton.focus();
    }
  }

  grid.addEventListener("input", function (event) {
    if (!event.target.matches("input.reading-input")) return;
    update(event.target);
    refreshCount();
  });

  grid.addEventListener("keydown", function (event) {
    var input = event.target;
    if (!input.matches("input.reading-input") || input.readOnly) return;
    if (event.key === "Enter") {
      event.preventDefault();
      move(input, event.shiftKey ? -1 : 1);
    } else if (event.key === "ArrowDown") {
      event.preventDefault();
      move(input, 1);
    } else if (event.key === "ArrowUp") {
      event.preventDefault();
      move(input, -1);
    }
  });

  form.addEventListener("submit", function () { submitting = true; });
  window.addEventListener("beforeunload", function (event) {
    if (!submitting && refreshCount()) {
      event.preventDefault();
      event.returnValue = grid.dataset.msgLeave;
    }
  });

  inputs.forEach(update);
  refreshCount();
  // Start where the work is: the first room without a figure (or the first with an error).
  var first = grid.querySelector("tr.has-error input.reading-input") ||
    editable.filter(function (input) { return input.value.trim() === ""; })[0];
  if (first) first.focus();
})();
