// Target: the endpoint and its exchanges. The server renders the newest exchanges with the report's
// exchange partial; while cycles run, new ones are appended from /_portal/exchanges.
(function () {
  "use strict";
  var P = window.Portal, $ = P.$;
  var box = $("exchanges");
  var busy = false;

  async function more() {
    if (busy) { return; }
    busy = true;
    try {
      var next = Number(box.getAttribute("data-next")) || 0;
      var page = await P.local("/_portal/exchanges?from=" + next);
      if (page && page.html) {
        var empty = $("no-exchanges");
        if (empty) { empty.remove(); }
        // Server-rendered and HTML-escaped by askama.
        box.insertAdjacentHTML("beforeend", page.html);
      }
      if (page) {
        box.setAttribute("data-next", String(page.next));
        $("exchange-count").textContent = P.plural(page.total, "request") + " sent";
      }
    } catch (e) {
      P.toast(e.message, "error");
    }
    busy = false;
  }
  var soon = P.debounce(more, 500);
  P.onEvent(function (event) {
    if (event.type !== "progress") { soon(); }
  });
})();
