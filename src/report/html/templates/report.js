(function () {
  "use strict";
  var suites = Array.prototype.slice.call(document.querySelectorAll("section.suite"));
  var search = document.getElementById("filter-text");
  var note = document.getElementById("filter-count");
  function outcomeFilter() {
    var checked = document.querySelector("input[name=outcome]:checked");
    return checked ? checked.value : "all";
  }
  function apply() {
    var text = (search.value || "").trim().toLowerCase();
    var which = outcomeFilter();
    var shown = 0;
    suites.forEach(function (s) {
      var o = s.getAttribute("data-outcome");
      var okOutcome = which === "all" || (which === "bad" ? (o === "fail" || o === "error") : o === which);
      var okText = !text || s.getAttribute("data-search").indexOf(text) !== -1;
      s.hidden = !(okOutcome && okText);
      if (!s.hidden) { shown += 1; }
    });
    note.textContent = shown + " of " + suites.length + " shown";
  }
  search.addEventListener("input", apply);
  Array.prototype.forEach.call(document.querySelectorAll("input[name=outcome]"), function (r) {
    r.addEventListener("change", apply);
  });
  function setAll(open) {
    suites.forEach(function (s) {
      if (s.hidden) { return; }
      Array.prototype.forEach.call(s.querySelectorAll("details.suite-details, details.case-details"), function (d) {
        d.open = open;
      });
    });
  }
  document.getElementById("expand-all").addEventListener("click", function () { setAll(true); });
  document.getElementById("collapse-all").addEventListener("click", function () { setAll(false); });
  function reveal() {
    var id = decodeURIComponent(location.hash.slice(1));
    var el = id && document.getElementById(id);
    for (var d = el; d; d = d.parentElement) {
      if (d.tagName === "DETAILS") { d.open = true; }
      if (d.tagName === "SECTION" && d.hidden) { d.hidden = false; }
    }
    if (el) { el.scrollIntoView(); }
  }
  window.addEventListener("hashchange", reveal);
  reveal();
  apply();
})();
