// The hat editor: one form for the whole page.
// - Leaving with unsaved typing asks first (a dirty flag, cleared on submit).
// - KPI and checklist rows reorder by dragging a handle, or with the move
//   buttons (keyboard), announced to screen readers; the hidden position
//   fields are renumbered. "Add" buttons append an empty row.
// - Selects marked data-suggest become search-as-you-type comboboxes that ask
//   the server; the select stays in the form (hidden) and submits the id.
// Without JavaScript the page still works: rows keep their order, the
// selects list the nearest choices.
(function () {
  "use strict";

  var form = document.getElementById("hat-editor");
  if (!form) { return; }
  var each = function (list, fn) { Array.prototype.forEach.call(list, fn); };

  function announce(text) {
    var live = document.getElementById("live");
    if (live) {
      live.textContent = "";
      window.setTimeout(function () { live.textContent = text; }, 50);
    }
  }

  // Unsaved typing --------------------------------------------------------
  var dirty = form.hasAttribute("data-unsaved");
  var submitting = false;
  function showDirty() {
    each(form.querySelectorAll(".unsaved-note, .publish-unsaved"), function (el) { el.hidden = !dirty; });
    var publish = form.querySelector(".publish-button[data-nothing]");
    // With unsaved typing, Publish saves it and shows what would be published.
    if (publish) { publish.disabled = !dirty; }
  }
  function markDirty() { if (!dirty) { dirty = true; showDirty(); } }
  form.addEventListener("input", function (event) {
    if (!event.target.closest("[data-no-dirty]")) { markDirty(); }
  });
  form.addEventListener("change", function (event) {
    if (!event.target.closest("[data-no-dirty]")) { markDirty(); }
  });
  form.addEventListener("submit", function () { submitting = true; });
  window.addEventListener("beforeunload", function (event) {
    if (dirty && !submitting) {
      event.preventDefault();
      event.returnValue = form.getAttribute("data-label-leave") || "";
      return event.returnValue;
    }
  });
  showDirty();

  // Reordering --------------------------------------------------------------
  function filled(row) {
    return Array.prototype.some.call(row.querySelectorAll("input[type=text], textarea"), function (input) {
      return input.value.trim() !== "";
    });
  }

  function renumber(list) {
    var n = 1;
    each(list.children, function (row, i) {
      each(row.querySelectorAll(".row-n"), function (span) { span.textContent = " " + (i + 1); });
      var position = row.querySelector(".position-input");
      if (position) {
        position.value = filled(row) ? n : "";
        if (filled(row)) { n += 1; }
      }
    });
  }

  function moved(list, row) {
    var rows = Array.prototype.slice.call(list.children);
    var text = list.getAttribute("data-label-moved")
      .replace("{n}", rows.indexOf(row) + 1).replace("{total}", rows.length);
    renumber(list);
    markDirty();
    announce(text);
  }

  function button(label, text, cls) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "btn btn-sm btn-outline-secondary " + cls;
    b.textContent = text;
    b.setAttribute("aria-label", label);
    b.title = label;
    return b;
  }

  function equip(list, row) {
    var cell = row.querySelector(".move-cell");
    if (!cell || cell.querySelector(".move-up")) { return; }
    // The handle is for the mouse and touch; the move buttons are the keyboard's way.
    var handle = document.createElement("span");
    handle.className = "drag-handle btn btn-sm btn-outline-secondary";
    handle.textContent = "⠿";
    handle.title = list.getAttribute("data-label-drag");
    handle.setAttribute("aria-hidden", "true");
    var up = button(list.getAttribute("data-label-up"), "↑", "move-up");
    var down = button(list.getAttribute("data-label-down"), "↓", "move-down");
    up.addEventListener("click", function () {
      if (row.previousElementSibling) { list.insertBefore(row, row.previousElementSibling); moved(list, row); }
      up.focus();
    });
    down.addEventListener("click", function () {
      if (row.nextElementSibling) { list.insertBefore(row.nextElementSibling, row); moved(list, row); }
      down.focus();
    });
    // Pointer events (mouse, touch and pen alike): the row follows the pointer.
    // Listened to on the document: moving the row in the page would end a
    // pointer capture on the handle.
    function follow(event) {
      var rows = Array.prototype.slice.call(list.children);
      var before = rows.find(function (other) {
        var box = other.getBoundingClientRect();
        return other !== row && event.clientY < box.top + box.height / 2;
      });
      if (before && before !== row.nextElementSibling) { list.insertBefore(row, before); }
      else if (!before && row !== list.lastElementChild) { list.appendChild(row); }
    }
    function drop() {
      document.removeEventListener("pointermove", follow);
      document.removeEventListener("pointerup", drop);
      document.removeEventListener("pointercancel", drop);
      row.classList.remove("dragging");
      moved(list, row);
    }
    handle.addEventListener("pointerdown", function (event) {
      event.preventDefault();
      row.classList.add("dragging");
      document.addEventListener("pointermove", follow);
      document.addEventListener("pointerup", drop);
      document.addEventListener("pointercancel", drop);
    });
    cell.insertBefore(down, cell.firstChild);
    cell.insertBefore(up, down);
    cell.insertBefore(handle, up);
  }

  each(form.querySelectorAll("[data-reorder]"), function (list) {
    each(list.children, function (row) { equip(list, row); });
  });

  // Adding rows ---------------------------------------------------------------
  each(form.querySelectorAll(".add-row"), function (add) {
    var prefix = add.getAttribute("data-for");
    var list = form.querySelector("[data-reorder][data-prefix='" + prefix + "']");
    var total = form.querySelector("input[name='" + prefix + "-TOTAL_FORMS']");
    var max = form.querySelector("input[name='" + prefix + "-MAX_NUM_FORMS']");
    var template = document.getElementById(prefix + "-empty");
    if (!list || !total || !template) { return; }
    add.hidden = false;
    add.addEventListener("click", function () {
      var index = parseInt(total.value, 10);
      if (max && index >= parseInt(max.value, 10)) { return; }
      var html = template.innerHTML.replace(/__prefix__/g, index).replace(/__n__/g, index + 1);
      list.insertAdjacentHTML("beforeend", html);
      total.value = index + 1;
      var row = list.lastElementChild;
      equip(list, row);
      markDirty();
      var first = row.querySelector("input[type=text]");
      if (first) { first.focus(); }
    });
  });

  // Search-as-you-type -----------------------------------------------------------
  function combobox(select) {
    var url = select.getAttribute("data-suggest");
    var id = select.id;
    var input = document.createElement("input");
    input.type = "text";
    input.id = id + "-search";
    input.className = "form-control suggest-input";
    input.autocomplete = "off";
    input.placeholder = form.getAttribute("data-label-search") || "";
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", id + "-suggestions");
    var chosen = select.options[select.selectedIndex];
    input.value = chosen && chosen.value ? chosen.text : "";
    var list = document.createElement("ul");
    list.id = id + "-suggestions";
    list.className = "list-group suggest-list";
    list.setAttribute("role", "listbox");
    list.hidden = true;
    var label = document.querySelector("label[for='" + id + "']");
    if (label) {
      label.setAttribute("for", input.id);
      list.setAttribute("aria-label", label.textContent.replace("*", "").trim());
    }
    var help = document.getElementById(id + "_helptext");
    if (help) { help.hidden = true; }  // "showing 200 of …, search to find others": the field searches now
    select.hidden = true;
    select.setAttribute("data-no-dirty", "");
    select.parentNode.insertBefore(input, select);
    select.parentNode.insertBefore(list, select.nextSibling);

    var active = -1, timer = null, asked = 0;
    function items() { return list.querySelectorAll("[role=option]"); }
    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }
    function highlight(i) {
      var all = items();
      if (!all.length) { return; }
      active = (i + all.length) % all.length;
      each(all, function (li, j) {
        li.classList.toggle("active", j === active);
        li.setAttribute("aria-selected", j === active ? "true" : "false");
      });
      input.setAttribute("aria-activedescendant", all[active].id);
      all[active].scrollIntoView({ block: "nearest" });
    }
    function pick(li) {
      var value = li.getAttribute("data-value");
      var option = Array.prototype.find.call(select.options, function (o) { return o.value === value; });
      if (!option) {
        option = new Option(li.textContent, value);
        select.add(option);
      }
      select.value = value;
      input.value = li.textContent;
      close();
      markDirty();
    }
    function show(results, query) {
      list.textContent = "";
      results.forEach(function (row, i) {
        var li = document.createElement("li");
        li.id = id + "-option-" + i;
        li.className = "list-group-item list-group-item-action";
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        li.setAttribute("data-value", row.id);
        li.textContent = row.label;
        li.addEventListener("mousedown", function (event) { event.preventDefault(); pick(li); });
        list.appendChild(li);
      });
      list.hidden = results.length === 0;
      input.setAttribute("aria-expanded", results.length ? "true" : "false");
      active = -1;
      announce((form.getAttribute("data-label-suggestions") || "{n}").replace("{n}", results.length));
      if (!query && !results.length) { close(); }
    }
    function ask() {
      var query = input.value.trim();
      var mine = ++asked;
      fetch(url + (url.indexOf("?") < 0 ? "?" : "&") + "q=" + encodeURIComponent(query), { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.json() : { results: [] }; })
        .then(function (data) { if (mine === asked) { show(data.results || [], query); } })
        .catch(function () { /* offline: the typed text stays, the choice is unchanged */ });
    }
    input.addEventListener("input", function () {
      if (input.value.trim() === "" && !select.required) { select.value = ""; }
      window.clearTimeout(timer);
      timer = window.setTimeout(ask, 200);
    });
    input.addEventListener("focus", function () { if (list.hidden) { ask(); } });
    input.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown") { event.preventDefault(); if (list.hidden) { ask(); } else { highlight(active + 1); } }
      else if (event.key === "ArrowUp") { event.preventDefault(); highlight(active - 1); }
      else if (event.key === "Enter") {
        // Enter chooses a suggestion; it never submits the form from here.
        event.preventDefault();
        if (active >= 0) { pick(items()[active]); }
      } else if (event.key === "Escape") { close(); }
    });
    input.addEventListener("blur", function () { window.setTimeout(close, 100); });
  }
  each(form.querySelectorAll("select[data-suggest]"), combobox);
})();
