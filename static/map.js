// The map: zoom the org chart inside its scrolling box. Without script the chart
// still scrolls; the zoom buttons stay hidden.
(function () {
  "use strict";
  var box = document.querySelector(".orgchart");
  var canvas = box && box.querySelector(".orgchart-canvas");
  var tools = document.querySelector(".orgchart-tools");
  if (!canvas || !tools) return;
  var zoom = 1;

  function set(value) {
    zoom = Math.min(1.5, Math.max(0.4, Math.round(value * 100) / 100));
    canvas.style.setProperty("--chart-zoom", zoom);
  }
  function fit() {
    set(1);
    var width = canvas.scrollWidth;
    if (width > box.clientWidth) set(Math.max(0.6, (box.clientWidth - 16) / width));
  }
  tools.addEventListener("click", function (event) {
    var button = event.target.closest("[data-zoom]");
    if (!button) return;
    var how = button.getAttribute("data-zoom");
    if (how === "in") set(zoom + 0.1);
    else if (how === "out") set(zoom - 0.1);
    else fit();
  });
  tools.hidden = false;
  // A wide chart starts fitted to the screen (down to 60 %; beyond that it scrolls).
  if (window.matchMedia("(min-width: 768px)").matches) fit();
})();
