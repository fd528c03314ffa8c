/* The must-read pop-up (portal): it opens without script; with script, Confirm waits for the
   tick, focus starts in the pop-up, and Escape does nothing (only confirming closes it). */
(function () {
  "use strict";
  var dialog = document.getElementById("must-read");
  if (!dialog) return;
  var tick = dialog.querySelector("input[name=understood]");
  var confirm = dialog.querySelector("[data-testid=must-read-confirm]");
  function sync() { confirm.disabled = !tick.checked; }
  tick.addEventListener("change", sync);
  sync();
  dialog.focus();
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { event.preventDefault(); event.stopPropagation(); }
  }, true);
})();
