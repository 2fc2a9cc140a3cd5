// Hat editor: up/down buttons that reorder KPI and checklist rows by renumbering
// their position fields. Without JavaScript the position fields do the same.
(function () {
  "use strict";

  function filled(row) {
    return Array.prototype.some.call(row.querySelectorAll("input[type=text]"), function (input) {
      return input.value.trim() !== "";
    });
  }

  function renumber(tbody) {
    var n = 1;
    Array.prototype.forEach.call(tbody.rows, function (row) {
      var position = row.querySelector(".position-input");
      if (position && filled(row)) {
        position.value = n;
        n += 1;
      }
    });
  }

  function announce(text) {
    var live = document.getElementById("live");
    if (live) {
      live.textContent = "";
      window.setTimeout(function () { live.textContent = text; }, 50);
    }
  }

  function addButtons(table) {
    var tbody = table.tBodies[0];
    Array.prototype.forEach.call(tbody.rows, function (row) {
      var cell = row.querySelector(".move-cell");
      if (!cell) { return; }
      [["up", "↑"], ["down", "↓"]].forEach(function (pair) {
        var button = document.createElement("button");
        button.type = "button";
        button.className = "btn btn-sm btn-outline-secondary move-" + pair[0];
        button.textContent = pair[1];
        button.setAttribute("aria-label", table.getAttribute("data-label-" + pair[0]));
        button.addEventListener("click", function () {
          var other = pair[0] === "up" ? row.previousElementSibling : row.nextElementSibling;
          if (!other) { return; }
          if (pair[0] === "up") { tbody.insertBefore(row, other); } else { tbody.insertBefore(other, row); }
          renumber(tbody);
          button.focus();
          announce(table.getAttribute("data-label-moved"));
        });
        cell.appendChild(button);
      });
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("table[data-reorder]"), addButtons);
})();
