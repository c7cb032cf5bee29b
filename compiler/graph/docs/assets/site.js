// schemac documentation site: search over entities and columns, and zoom /
// pan of the overview diagram. No network: the index comes from
// search-index.js, loaded before this file.
(function () {
  "use strict";
  var root = document.body.getAttribute("data-root") || "";

  // ---------------------------------------------------------------- search
  var input = document.getElementById("search");
  var results = document.getElementById("search-results");
  var entries = window.SCHEMAC_SEARCH || [];
  function rank(entry, query) {
    var name = (entry[1] ? entry[0] + "." + entry[1] : entry[0]).toLowerCase();
    var own = (entry[1] || entry[0]).toLowerCase();
    if (own === query) return 0;
    if (own.indexOf(query) === 0) return 1;
    if (name.indexOf(query) >= 0) return 2;
    return -1;
  }
  function show(query) {
    results.textContent = "";
    query = query.trim().toLowerCase();
    if (!query) return;
    var hits = [];
    for (var i = 0; i < entries.length; i++) {
      var r = rank(entries[i], query);
      if (r >= 0) hits.push([r, entries[i][1] ? 1 : 0, i]);
    }
    hits.sort(function (a, b) { return a[0] - b[0] || a[1] - b[1] || a[2] - b[2]; });
    hits.slice(0, 30).forEach(function (hit) {
      var e = entries[hit[2]];
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = root + "entities/" + e[0] + ".html" + (e[1] ? "#column-" + e[1] : "");
      a.textContent = e[1] ? e[0] + "." + e[1] : e[0];
      if (e[2]) {
        var detail = document.createElement("span");
        detail.className = "detail";
        detail.textContent = e[2];
        a.appendChild(detail);
      }
      li.appendChild(a);
      results.appendChild(li);
    });
    if (!hits.length) {
      var none = document.createElement("li");
      none.textContent = "No entity or column matches.";
      none.className = "detail";
      results.appendChild(none);
    }
  }
  if (input && results) {
    input.addEventListener("input", function () { show(input.value); });
    input.addEventListener("keydown", function (event) {
      var first = results.querySelector("a");
      if (event.key === "Enter" && first) { window.location.href = first.href; }
      if (event.key === "ArrowDown" && first) { event.preventDefault(); first.focus(); }
      if (event.key === "Escape") { input.value = ""; show(""); }
    });
    results.addEventListener("keydown", function (event) {
      var links = Array.prototype.slice.call(results.querySelectorAll("a"));
      var at = links.indexOf(document.activeElement);
      if (event.key === "ArrowDown" && at + 1 < links.length) { event.preventDefault(); links[at + 1].focus(); }
      if (event.key === "ArrowUp") { event.preventDefault(); (at > 0 ? links[at - 1] : input).focus(); }
      if (event.key === "Escape") { input.focus(); }
    });
  }

  // ------------------------------------------------------------ zoom / pan
  var svg = document.getElementById("er-diagram");
  if (!svg) return;
  var start = svg.getAttribute("viewBox").split(" ").map(Number);
  var box = start.slice();
  function apply() { svg.setAttribute("viewBox", box.join(" ")); }
  function zoom(factor, cx, cy) {
    if (cx === undefined) { cx = box[0] + box[2] / 2; cy = box[1] + box[3] / 2; }
    var w = box[2] / factor, h = box[3] / factor;
    if (w < 40 || w > start[2] * 20) return;
    box = [cx - (cx - box[0]) / factor, cy - (cy - box[1]) / factor, w, h];
    apply();
  }
  function at(event) {
    var rect = svg.getBoundingClientRect();
    var scale = Math.max(box[2] / rect.width, box[3] / rect.height);
    var offsetX = (rect.width * scale - box[2]) / 2, offsetY = (rect.height * scale - box[3]) / 2;
    return [box[0] - offsetX + (event.clientX - rect.left) * scale, box[1] - offsetY + (event.clientY - rect.top) * scale, scale];
  }
  document.getElementById("zoom-in").addEventListener("click", function () { zoom(1.25); });
  document.getElementById("zoom-out").addEventListener("click", function () { zoom(1 / 1.25); });
  document.getElementById("zoom-reset").addEventListener("click", function () { box = start.slice(); apply(); });
  svg.addEventListener("wheel", function (event) {
    event.preventDefault();
    var p = at(event);
    zoom(event.deltaY < 0 ? 1.15 : 1 / 1.15, p[0], p[1]);
  }, { passive: false });
  var drag = null, moved = false;
  svg.addEventListener("pointerdown", function (event) {
    drag = [event.clientX, event.clientY, box[0], box[1], at(event)[2]];
    moved = false;
  });
  window.addEventListener("pointermove", function (event) {
    if (!drag) return;
    var dx = event.clientX - drag[0], dy = event.clientY - drag[1];
    if (Math.abs(dx) + Math.abs(dy) > 4) moved = true;
    if (!moved) return;
    box[0] = drag[2] - dx * drag[4];
    box[1] = drag[3] - dy * drag[4];
    apply();
  });
  window.addEventListener("pointerup", function () { drag = null; });
  // A drag that ends on a box is not a click on it.
  svg.addEventListener("click", function (event) { if (moved) { event.preventDefault(); moved = false; } }, true);
})();
