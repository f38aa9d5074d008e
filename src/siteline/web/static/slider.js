// Before/after slider: the "after" picture is clipped to the right of the slider's value,
// so moving it uncovers one or the other; a checkbox shows or hides the change overlay.
(function () {
  "use strict";
  document.querySelectorAll("figure.compare").forEach(function (figure) {
    var after = figure.querySelector("img.after");
    var overlay = figure.querySelector("img.overlay");
    var input = figure.querySelector("[data-slider-input]");
    var toggle = figure.querySelector("[data-overlay-toggle]");
    function clip() {
      var value = input ? Number(input.value) : 50;
      var shape = "inset(0 0 0 " + value + "%)";
      if (after) { after.style.clipPath = shape; }
      if (overlay) { overlay.style.clipPath = shape; }
    }
    if (input) { input.addEventListener("input", clip); }
    if (toggle && overlay) {
      toggle.addEventListener("change", function () { overlay.hidden = !toggle.checked; });
    }
    clip();
  });
})();
