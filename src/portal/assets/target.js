// Target: the endpoint from /_entrasim/status and its exchanges from /_entrasim/exchanges, listed in the
// HTML report's exchange markup (`details.exchange`, the report's styles); new ones are appended while
// cycles run.
(function () {
  "use strict";
  var P = window.Portal, el = P.el, $ = P.$;
  var box = $("exchanges");
  var after = 0;
  var count = 0;
  var busy = false;

  async function loadTarget() {
    try {
      var status = await P.local("/_entrasim/status");
      var t = (status && status.target) || {};
      $("target-url").textContent = t.url || "—";
      $("target-dialect").textContent = t.dialect === "compliant"
        ? "compliant (aadOptscim062020 is set)" : (t.dialect || "legacy") + " (the default scim job)";
      $("target-kind").textContent = t.embedded ? "entrasim's embedded SCIM endpoint" : "external";
      var test = status && status.testConnection;
      $("target-test").textContent = test ? describeTest(test) : "not run yet";
    } catch (e) {
      $("target-url").textContent = "Could not read the target: " + e.message;
    }
  }
  function describeTest(test) {
    if (typeof test !== "object") { return String(test); }
    var verdict = test.passed === true || test.ok === true ? "passed" : test.passed === false || test.ok === false ? "failed" : "";
    return [verdict, test.message || test.detail || test.error || "", test.at ? P.formatTime(test.at) : ""].filter(Boolean).join(" · ") || JSON.stringify(test);
  }

  function statusBadge(status) {
    if (status === null || status === undefined) { return el("span", { class: "http http-x" }, "no answer"); }
    return el("span", { class: "http http-" + Math.floor(status / 100) }, String(status));
  }
  function exchange(x) {
    var origin = x.origin && x.origin !== "cycle" ? " · " + x.origin.replace(/_/g, " ") : x.cycle ? " · cycle " + x.cycle : "";
    return el("details", { class: "exchange", "data-seq": String(x.seq) },
      el("summary", {}, el("span", { class: "chev", "aria-hidden": "true" }), el("span", { class: "req" }, x.request_line),
        el("span", { class: "note" }, origin.replace(/^ · /, "")), statusBadge(x.status)),
      el("pre", {}, x.text));
  }

  async function more() {
    if (busy) { return; }
    busy = true;
    try {
      var page = await P.local("/_entrasim/exchanges?after=" + after);
      var list = (page && page.value) || [];
      var empty = $("no-exchanges");
      if (empty && (list.length || after === 0)) {
        empty.textContent = "No requests yet: start provisioning or test the connection.";
        if (list.length) { empty.remove(); }
      }
      list.forEach(function (x) { box.appendChild(exchange(x)); after = Math.max(after, x.seq); });
      count += list.length;
      // Keep the page light: the oldest rows go once there are more than the tenant keeps.
      while (box.children.length > 2000) { box.removeChild(box.firstChild); }
      $("exchange-count").textContent = after ? P.plural(after, "request") + " sent" + (after > box.children.length ? " · the newest " + box.children.length.toLocaleString("en-US") + " listed" : "") : "";
    } catch (e) {
      P.toast(e.message, "error");
    }
    busy = false;
  }
  var soon = P.throttle(more, 2000);
  P.onEvent(function (event) {
    if (event.type !== "progress") { soon(); }
  });
  loadTarget();
  more();
})();
