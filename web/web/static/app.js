// Row selection in the orders table: select all on the page, and a live count of the selected.
// Plain DOM, re-bound after every htmx swap (the table is swapped when tabs, sort or page change).
(function () {
  function bind(root) {
    var all = root.querySelector && root.querySelector("#select-all");
    var count = document.getElementById("selected-count");
    function boxes() { return document.querySelectorAll("input.row-select"); }
    function update() {
      var n = 0;
      boxes().forEach(function (b) { if (b.checked) n++; });
      if (count) count.textContent = n + " selected";
      if (all) all.checked = n > 0 && n === boxes().length;
    }
    if (all) {
      all.addEventListener("change", function () {
        boxes().forEach(function (b) { b.checked = all.checked; });
        update();
      });
    }
    boxes().forEach(function (b) { b.addEventListener("change", update); });
    update();
  }
  document.addEventListener("DOMContentLoaded", function () { bind(document); });
  document.addEventListener("htmx:afterSettle", function () { bind(document); });
  // An htmx request that fails shows its error text rather than nothing.
  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    if (xhr.status === 422 && event.detail.target) return; // forms answer their own errors
    var box = document.getElementById("flashes");
    if (box) {
      var p = document.createElement("p");
      p.className = "flash error";
      p.setAttribute("role", "alert");
      p.textContent = "The request failed (" + xhr.status + "). Reload the page and try again.";
      box.appendChild(p);
    }
  });
  document.addEventListener("htmx:beforeSwap", function (event) {
    // The message form answers 422 with itself and the reason: show it.
    if (event.detail.xhr.status === 422) { event.detail.shouldSwap = true; event.detail.isError = false; }
  });
})();
