// The resident's signature drawn with a finger, a pen or a mouse on a plain canvas.
// Markup: <div class="signature-pad" data-input="ID"><canvas></canvas>
//          <button type="button" class="js-signature-clear">…</button></div>
// Each stroke writes the drawing as a PNG data URL into the hidden input ID; "clear" empties
// it. A value already in the input (the form came back with an error) is drawn again.
(function () {
  "use strict";

  function setup(pad) {
    var canvas = pad.querySelector("canvas");
    var input = document.getElementById(pad.getAttribute("data-input"));
    if (!canvas || !input) {
      return;
    }
    var context = canvas.getContext("2d");
    var drawing = false;
    var last = null;

    function size() {
      // Draw at the screen's pixel density, so strokes stay sharp on a phone.
      var ratio = window.devicePixelRatio || 1;
      var rect = canvas.getBoundingClientRect();
      var saved = input.value;
      canvas.width = Math.round(rect.width * ratio);
      canvas.height = Math.round(rect.height * ratio);
      context.setTransform(ratio, 0, 0, ratio, 0, 0);
      context.lineWidth = 2.5;
      context.lineCap = "round";
      context.lineJoin = "round";
      context.strokeStyle = "#111827";
      if (saved) {
        restore(saved);
      }
    }

    function restore(dataUrl) {
      var image = new Image();
      image.onload = function () {
        var rect = canvas.getBoundingClientRect();
        context.drawImage(image, 0, 0, rect.width, rect.height);
        pad.classList.add("signed");
      };
      image.src = dataUrl;
    }

    function point(event) {
      var rect = canvas.getBoundingClientRect();
      return { x: event.clientX - rect.left, y: event.clientY - rect.top };
    }

    function save() {
      input.value = canvas.toDataURL("image/png");
      pad.classList.add("signed");
      input.dispatchEvent(new Event("change", { bubbles: true }));
    }

    canvas.addEventListener("pointerdown", function (event) {
      event.preventDefault();
      drawing = true;
      last = point(event);
      if (canvas.setPointerCapture) {
        canvas.setPointerCapture(event.pointerId);
      }
      // A tap alone leaves a dot.
      context.beginPath();
      context.arc(last.x, last.y, context.lineWidth / 2, 0, Math.PI * 2);
      context.fillStyle = context.strokeStyle;
      context.fill();
    });
    canvas.addEventListener("pointermove", function (event) {
      if (!drawing) {
        return;
      }
      event.preventDefault();
      var next = point(event);
      context.beginPath();
      context.moveTo(last.x, last.y);
      context.lineTo(next.x, next.y);
      context.stroke();
      last = next;
    });
    function finish() {
      if (drawing) {
        drawing = false;
        save();
      }
    }
    canvas.addEventListener("pointerup", finish);
    canvas.addEventListener("pointercancel", finish);
    canvas.addEventListener("pointerleave", finish);

    var clear = pad.querySelector(".js-signature-clear");
    if (clear) {
      clear.addEventListener("click", function () {
        var rect = canvas.getBoundingClientRect();
        context.clearRect(0, 0, rect.width, rect.height);
        input.value = "";
        pad.classList.remove("signed");
      });
    }

    var width = canvas.getBoundingClientRect().width;
    window.addEventListener("resize", function () {
      // Phones fire resize when the address bar hides; redraw only when the width changed.
      var now = canvas.getBoundingClientRect().width;
      if (Math.abs(now - width) > 1) {
        width = now;
        size();
      }
    });
    size();
  }

  function init() {
    var pads = document.querySelectorAll(".signature-pad");
    for (var i = 0; i < pads.length; i++) {
      setup(pads[i]);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
