// hatta: the little JavaScript we write ourselves. No inline scripts (CSP).
(function () {
  "use strict";
  // Announce htmx swaps that carry a message for screen readers (HX-Trigger: {"announce": "..."}).
  document.body.addEventListener("announce", function (event) {
    var live = document.getElementById("live");
    if (live && event.detail && event.detail.value) {
      live.textContent = "";
      window.setTimeout(function () { live.textContent = event.detail.value; }, 50);
    }
  });
})();
