// The RACI matrix: keyboard movement between cells (roving tabindex), one shared
// menu of choices moved next to the cell, and letter keys that set a cell
// directly. An editable cell is a bare <button name="c" value="<task>-<hat>">
// (without JavaScript it opens the cell's own page); its letters are its text.
// The writes go through the #cell-menu form: htmx posts it and swaps the answer
// in place; without htmx the same form posts normally and the server redirects back.
// What a write did shows as a toast beside the cell, and a link to #task-<id>
// (from the map) brings that row into view, highlighted.
(function () {
  "use strict";
  var table = document.getElementById("matrix");
  if (!table) { return; }
  var menu = document.getElementById("cell-menu");
  var current = null;    // the cell-btn that has the roving tabindex
  var lastCellId = null; // the <td> id to focus again after a write

  function cells() { return Array.prototype.slice.call(table.querySelectorAll(".cell-btn")); }

  function rows() {
    return Array.prototype.slice.call(table.querySelectorAll("tbody tr")).filter(function (tr) {
      return tr.querySelector(".cell-btn");
    });
  }

  function setCurrent(btn, focus) {
    if (!btn) { return; }
    if (editable(btn)) { btn.setAttribute("aria-haspopup", "menu"); }
    if (current && current !== btn && document.body.contains(current)) { current.tabIndex = -1; }
    btn.tabIndex = 0;
    current = btn;
    if (focus) { btn.focus(); }
  }

  function position(btn) {
    var tr = btn.closest("tr");
    var list = rows();
    var r = list.indexOf(tr);
    var c = Array.prototype.slice.call(tr.querySelectorAll(".cell-btn")).indexOf(btn);
    return { rows: list, r: r, c: c };
  }

  function move(btn, dr, dc, edge) {
    var p = position(btn);
    var r = Math.max(0, Math.min(p.rows.length - 1, p.r + dr));
    var rowCells = p.rows[r].querySelectorAll(".cell-btn");
    var c = edge === "start" ? 0 : edge === "end" ? rowCells.length - 1 : p.c + dc;
    c = Math.max(0, Math.min(rowCells.length - 1, c));
    setCurrent(rowCells[c], true);
  }

  function editable(btn) { return btn && btn.tagName === "BUTTON" && btn.name === "c"; }

  function lettersOf(btn) { return btn.textContent.trim(); }

  function submit(btn, letters) {
    if (!menu || !editable(btn)) { return; }
    var ids = btn.value.split("-");
    menu.elements.task.value = ids[0];
    menu.elements.hat.value = ids[1];
    menu.elements.expected.value = lettersOf(btn);
    menu.elements.letters.value = letters;
    lastCellId = btn.closest("td").id;
    closeMenu(false);
    if (menu.requestSubmit) { menu.requestSubmit(); } else { menu.submit(); }
  }

  function menuItems() { return Array.prototype.slice.call(menu.querySelectorAll("[role=menuitem]")); }

  function openMenu(btn) {
    if (!menu || !editable(btn)) { return; }
    hideToast();
    var rect = btn.getBoundingClientRect();
    menu.hidden = false;
    menu.style.top = (window.scrollY + rect.bottom) + "px";
    // Kept inside the window: beside a cell at the right edge (a phone) it
    // would otherwise stick out and make the page scroll sideways.
    var room = document.documentElement.clientWidth - menu.offsetWidth - 8;
    menu.style.left = (window.scrollX + Math.max(8, Math.min(rect.left, room))) + "px";
    menu.dataset.for = btn.closest("td").id;
    btn.setAttribute("aria-expanded", "true");
    var items = menuItems();
    var chosen = items.filter(function (i) { return i.dataset.letters === lettersOf(btn); })[0];
    (chosen || items[0]).focus();
  }

  function menuOwner() {
    var td = menu && menu.dataset.for && document.getElementById(menu.dataset.for);
    return td ? td.querySelector(".cell-btn") : null;
  }

  function closeMenu(refocus) {
    if (!menu || menu.hidden) { return; }
    var owner = menuOwner();
    menu.hidden = true;
    if (owner) {
      owner.removeAttribute("aria-expanded");
      if (refocus) { setCurrent(owner, true); }
    }
  }

  var LETTERS = { r: "R", a: "A", c: "C", i: "I" };

  table.addEventListener("keydown", function (event) {
    var btn = event.target.closest(".cell-btn");
    if (!btn || event.altKey || event.ctrlKey || event.metaKey) { return; }
    var key = event.key;
    var moves = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
    if (moves[key]) {
      event.preventDefault();
      move(btn, moves[key][0], moves[key][1]);
    } else if (key === "Home" || key === "End") {
      event.preventDefault();
      move(btn, 0, 0, key === "Home" ? "start" : "end");
    } else if (key === "Enter" || key === " ") {
      if (editable(btn)) { event.preventDefault(); openMenu(btn); }
    } else if (LETTERS[key.toLowerCase()] && editable(btn)) {
      event.preventDefault();
      submit(btn, LETTERS[key.toLowerCase()]);
    } else if ((key === "Delete" || key === "Backspace") && editable(btn)) {
      event.preventDefault();
      submit(btn, "");
    }
  });

  table.addEventListener("click", function (event) {
    var btn = event.target.closest(".cell-btn");
    if (!btn) { return; }
    setCurrent(btn, false);
    if (editable(btn) && menu) {
      event.preventDefault();
      openMenu(btn);
    }
  });

  // The cells' own form is the path without JavaScript: never let it submit here.
  var cellsForm = document.getElementById("matrix-cells");
  if (cellsForm) {
    cellsForm.addEventListener("submit", function (event) {
      event.preventDefault();
      if (editable(event.submitter)) { openMenu(event.submitter); }
    });
  }

  table.addEventListener("focusin", function (event) {
    var btn = event.target.closest(".cell-btn");
    if (btn) { setCurrent(btn, false); }
  });

  if (menu) {
    menu.addEventListener("click", function (event) {
      var item = event.target.closest("[role=menuitem]");
      if (item) { submit(menuOwner(), item.dataset.letters); }
    });
    menu.addEventListener("keydown", function (event) {
      var items = menuItems();
      var i = items.indexOf(document.activeElement);
      var key = event.key;
      if (key === "Escape" || key === "Tab") {
        event.preventDefault();
        closeMenu(true);
      } else if (key === "ArrowDown" || key === "ArrowRight") {
        event.preventDefault();
        items[(i + 1) % items.length].focus();
      } else if (key === "ArrowUp" || key === "ArrowLeft") {
        event.preventDefault();
        items[(i - 1 + items.length) % items.length].focus();
      } else if (LETTERS[key.toLowerCase()]) {
        event.preventDefault();
        submit(menuOwner(), LETTERS[key.toLowerCase()]);
      } else if (key === "Delete" || key === "Backspace") {
        event.preventDefault();
        submit(menuOwner(), "");
      }
    });
    document.addEventListener("click", function (event) {
      if (!menu.hidden && !menu.contains(event.target) && !event.target.closest(".cell-btn")) {
        closeMenu(false);
      }
    });
  }

  // After a write (or an undo), put the focus back on the cell that was changed.
  // The form that asked may be swapped away, so remember the cell before the request
  // and refocus when the out-of-band swaps land.
  var pending = false;
  document.body.addEventListener("htmx:beforeRequest", function (event) {
    var form = event.detail.elt;
    if (!form || !(form === menu || form.classList.contains("undo-form"))) { return; }
    if (form.classList.contains("undo-form")) {
      lastCellId = form.dataset.cell;
    }
    pending = true;
  });
  document.body.addEventListener("htmx:oobAfterSwap", function () {
    if (!pending) { return; }
    pending = false;
    window.setTimeout(function () {
      var td = lastCellId && document.getElementById(lastCellId);
      var btn = td && td.querySelector(".cell-btn");
      if (btn) { setCurrent(btn, true); }
      showToast(lastCellId);
    }, 30);
  });

  // The notice of a write, as a toast beside the cell it is about. Fixed to the
  // window (it never makes the page larger) and kept inside it.
  var toastCellId = null;

  // The toast is the wrapper #matrix-toast: the notice inside it is swapped by
  // each write, and the wrapper alone is moved (htmx would copy a swapped
  // element's style attribute, which the Content-Security-Policy refuses).
  function hideToast() {
    var box = document.getElementById("matrix-toast");
    if (box && box.classList.contains("matrix-toast")) { box.hidden = true; }
  }

  function placeToast() {
    var box = document.getElementById("matrix-toast");
    var td = toastCellId && document.getElementById(toastCellId);
    if (!box || box.hidden || !box.classList.contains("matrix-toast") || !td) { return; }
    var rect = td.getBoundingClientRect();
    var width = box.offsetWidth, height = box.offsetHeight;
    var vw = document.documentElement.clientWidth, vh = window.innerHeight;
    var top = rect.bottom + 6;
    if (top + height > vh - 8) { top = rect.top - height - 6; }
    box.style.top = Math.max(8, Math.min(top, vh - height - 8)) + "px";
    box.style.left = Math.max(8, Math.min(rect.left, vw - width - 8)) + "px";
  }

  function showToast(cellId) {
    var box = document.getElementById("matrix-toast");
    var notice = document.getElementById("matrix-notice");
    if (!box || !notice || !notice.firstElementChild) { return; }
    toastCellId = cellId;
    box.classList.add("matrix-toast");
    box.hidden = false;
    var close = notice.querySelector(".notice-close");
    if (close) { close.hidden = false; }
    placeToast();
  }

  document.addEventListener("click", function (event) {
    var close = event.target.closest("#matrix-toast .notice-close");
    if (!close) { return; }
    hideToast();
    var td = toastCellId && document.getElementById(toastCellId);
    var btn = td && td.querySelector(".cell-btn");
    if (btn) { setCurrent(btn, true); }
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && event.target.closest && event.target.closest("#matrix-toast")) {
      hideToast();
      var td = toastCellId && document.getElementById(toastCellId);
      var btn = td && td.querySelector(".cell-btn");
      if (btn) { setCurrent(btn, true); }
    }
  });
  window.addEventListener("resize", placeToast);
  window.addEventListener("scroll", placeToast, { passive: true });
  var scroller = table.closest(".matrix-scroll");
  if (scroller) { scroller.addEventListener("scroll", placeToast, { passive: true }); }
  // A refused write (403, 404, a lost connection) must not pass silently.
  document.body.addEventListener("htmx:responseError", function () {
    var live = document.getElementById("live");
    var text = table.dataset.errorText || "";
    if (live && text) {
      live.textContent = "";
      window.setTimeout(function () { live.textContent = text; }, 50);
    }
    var notice = document.getElementById("matrix-notice");
    if (notice && text) {
      notice.textContent = "";
      var alert = document.createElement("div");
      alert.className = "alert alert-danger py-2 mb-2";
      alert.textContent = text;
      notice.appendChild(alert);
      showToast(lastCellId);
    }
  });

  // Each cell carries its hat's name, which a phone shows beside the letters
  // when the grid becomes a list by task (matrix.css). Written here rather than
  // on the server: the cells' markup stays as small as a page of 2,000 needs.
  var hatTitles = Array.prototype.map.call(table.querySelectorAll("thead .hat-head .hat-title"), function (el) {
    return el.textContent.trim();
  });
  function labelRow(tr) {
    if (!tr) { return; }
    Array.prototype.forEach.call(tr.querySelectorAll("td"), function (td, i) {
      if (hatTitles[i] !== undefined) { td.setAttribute("data-hat", hatTitles[i]); }
    });
  }
  Array.prototype.forEach.call(table.querySelectorAll("tbody tr[id^='task-']"), labelRow);
  table.classList.add("hat-labels");
  document.body.addEventListener("htmx:oobAfterSwap", function (event) {
    var el = event.detail && event.detail.target;
    var tr = el && el.id && el.id.indexOf("cell-") === 0 && document.getElementById(el.id);
    if (tr) { labelRow(tr.closest("tr")); }
  });

  // One tab stop for the whole grid: the first cell; arrows do the rest.
  cells().forEach(function (c) {
    c.tabIndex = -1;
    if (editable(c)) { c.setAttribute("aria-haspopup", "menu"); }
  });
  var first = table.querySelector(".cell-btn");
  if (first) { first.tabIndex = 0; current = first; }

  // A link to one task (#task-<id>, as the map's gaps are) lands on its row:
  // scrolled into view inside the matrix's box, highlighted, and the row's
  // first cell is where Tab enters the grid.
  var target = /^#task-\d+$/.test(window.location.hash) && document.getElementById(window.location.hash.slice(1));
  // The browser's own jump to the fragment puts the row at the top of the
  // scroll box, under its sticky header: place it below the header instead,
  // then bring it into the window (on a phone the page itself scrolls).
  function landOn(row) {
    var scroller = table.closest(".matrix-scroll");
    if (scroller && scroller.scrollHeight > scroller.clientHeight) {
      var head = table.tHead ? table.tHead.getBoundingClientRect().height : 0;
      var delta = row.getBoundingClientRect().top - scroller.getBoundingClientRect().top;
      var free = scroller.clientHeight - head - row.offsetHeight;
      scroller.scrollTop += delta - head - Math.max(0, free / 3);
    }
    var rect = row.getBoundingClientRect();
    if (rect.top < 0 || rect.bottom > window.innerHeight) {
      window.scrollBy(0, rect.top - window.innerHeight / 3);
    }
  }
  if (target && table.contains(target)) {
    target.classList.add("row-target");
    landOn(target);
    window.addEventListener("load", function () { window.setTimeout(function () { landOn(target); }, 0); });
    var firstCell = target.querySelector(".cell-btn");
    if (firstCell) {
      if (current) { current.tabIndex = -1; }
      firstCell.tabIndex = 0;
      current = firstCell;
    }
  }
})();
