// Provisioning logs: GET /v1.0/auditLogs/provisioning (provisioningObjectSummary), filtered here by
// date, identity, action, status and cycle; a detail drawer with Steps, Troubleshooting and
// recommendations, Modified properties and Summary; downloads as Graph JSON and as the admin center's
// three CSV files, the formats `entrasim logs` and `entrasim replay` read.
(function () {
  "use strict";
  var P = window.Portal, el = P.el, $ = P.$;
  var MAX = 5000;
  var records = [];
  var shown = [];
  var current = null;

  function status(r) { return (r.provisioningStatusInfo || {}).status || ""; }
  function cap(s) { s = String(s || ""); return s.charAt(0).toUpperCase() + s.slice(1); }
  function identityName(i) { return (i && (i.displayName || i.id)) || ""; }

  async function load() {
    try {
      records = await P.graphAll("/v1.0/auditLogs/provisioning?$top=500", MAX);
    } catch (e) {
      P.toast("Could not read the provisioning logs: " + e.message, "error");
      records = [];
    }
    records = records.filter(function (r) { return !r.jobId || r.jobId === P.config.job; });
    records.sort(function (a, b) { return String(b.activityDateTime).localeCompare(String(a.activityDateTime)); });
    fillCycles();
    render();
  }

  // Cycle ids, newest first, numbered in the order they ran.
  var cycleNumber = {};
  function fillCycles() {
    var order = [];
    records.slice().reverse().forEach(function (r) { if (order.indexOf(r.cycleId) === -1) { order.push(r.cycleId); } });
    cycleNumber = {};
    order.forEach(function (c, i) { cycleNumber[c] = i + 1; });
    var select = $("f-cycle");
    var keep = select.value || new URLSearchParams(location.search).get("cycle") || "";
    P.clear(select).appendChild(el("option", { value: "" }, "All"));
    order.slice().reverse().forEach(function (c) {
      select.appendChild(el("option", { value: c }, "Cycle " + cycleNumber[c] + " · " + c));
    });
    select.value = order.indexOf(keep) !== -1 ? keep : "";
  }

  function filtered() {
    var date = $("f-date").value;
    var text = $("f-identity").value.trim().toLowerCase();
    var action = $("f-action").value.toLowerCase();
    var st = $("f-status").value.toLowerCase();
    var cycle = $("f-cycle").value;
    // Relative to now, or to the newest entry when the tenant's clock runs ahead of this one.
    var newest = records.length ? new Date(records[0].activityDateTime).getTime() : Date.now();
    var since = { "1h": 3600e3, "24h": 86400e3, "7d": 7 * 86400e3 }[date];
    var from = since ? Math.max(Date.now(), newest) - since : null;
    return records.filter(function (r) {
      if (from !== null && new Date(r.activityDateTime).getTime() < from) { return false; }
      if (action && String(r.provisioningAction).toLowerCase() !== action) { return false; }
      if (st && status(r).toLowerCase() !== st) { return false; }
      if (cycle && r.cycleId !== cycle) { return false; }
      if (text) {
        var hay = [r.sourceIdentity, r.targetIdentity].map(function (i) { return i ? [i.displayName, i.id].join(" ") : ""; }).join(" ").toLowerCase();
        if (hay.indexOf(text) === -1) { return false; }
      }
      return true;
    });
  }

  function render() {
    shown = filtered();
    var body = P.clear($("log-body"));
    shown.slice(0, 1000).forEach(function (r, i) {
      var tr = el("tr", {
        tabindex: "0", "data-index": String(i), "data-change": r.changeId,
        "aria-label": cap(r.provisioningAction) + " " + identityName(r.sourceIdentity) + ", " + cap(status(r)) + ". Open details",
        onclick: function () { open(r, tr); },
        onkeydown: function (e) { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); open(r, tr); } }
      },
        el("td", { class: "mono" }, P.formatTime(r.activityDateTime)),
        el("td", {}, identityName(r.sourceIdentity), el("span", { class: "sub" }, ((r.sourceIdentity || {}).identityType || "") + (r.targetIdentity && r.targetIdentity.id ? " → " + r.targetIdentity.id : ""))),
        el("td", {}, cap(r.provisioningAction)),
        el("td", {}, P.badge(status(r), cap(status(r)))),
        el("td", {}, "Cycle " + (cycleNumber[r.cycleId] || "?")));
      ["Date", "Identity", "Action", "Status", "Cycle"].forEach(function (label, c) { tr.children[c].setAttribute("data-label", label); });
      if (current && current.changeId === r.changeId) { tr.classList.add("selected"); }
      body.appendChild(tr);
    });
    if (!shown.length) {
      body.appendChild(el("tr", {}, el("td", { colspan: "5", class: "empty" }, records.length ? "No log entry matches the filters." : "No provisioning activity yet.")));
    }
    var note = P.plural(shown.length, "entry").replace("entrys", "entries");
    if (shown.length > 1000) { note += " (newest 1,000 shown)"; }
    if (records.truncated) { note += " · from the newest " + records.length.toLocaleString("en-US") + " log entries"; }
    $("log-count").textContent = note;
  }

  // The detail drawer.
  var chooseTab;
  function open(r, tr) {
    current = r;
    Array.prototype.forEach.call(document.querySelectorAll("#log-body tr.selected"), function (t) { t.classList.remove("selected"); });
    if (tr) { tr.classList.add("selected"); }
    $("detail-h").textContent = cap(r.provisioningAction) + " · " + identityName(r.sourceIdentity) + " · " + cap(status(r));
    renderSteps(r);
    renderTrouble(r);
    renderProps(r);
    renderSummary(r);
    $("log-detail").hidden = false;
    chooseTab($("dt-steps"));
    $("dt-steps").focus();
  }
  function close() {
    $("log-detail").hidden = true;
    var row = document.querySelector("#log-body tr.selected");
    if (row) { row.focus(); }
  }

  function kv(pairs) {
    return el("div", { class: "table-wrap" }, el("table", { class: "kv" }, el("tbody", {}, pairs.filter(function (p) { return p[1] !== undefined && p[1] !== null && p[1] !== ""; }).map(function (p) {
      var value = typeof p[1] === "object" && !(p[1] instanceof Node) ? JSON.stringify(p[1]) : p[1];
      // Identifiers and values read best in a fixed-width font; sentences do not.
      var prose = typeof value === "string" && /\s\S+\s/.test(value);
      return el("tr", {}, el("td", {}, p[0]), el("td", { class: prose ? null : "mono" }, value));
    }))));
  }

  // The blade's wording of a step, from its type and the object's.
  function stepTitle(s, r) {
    var kind = String((r.sourceIdentity || {}).identityType || "object").toLowerCase();
    var t = String(s.provisioningStepType || "").toLowerCase();
    return {
      import: "Import " + kind, scoping: "Determine if " + kind + " is in scope",
      matching: "Match " + kind + " between source and target system", processing: "Determine the action",
      referenceresolution: "Resolve references", export: "Perform action"
    }[t] || cap(s.provisioningStepType || s.name || "Step");
  }

  function renderSteps(r) {
    var box = P.clear($("dp-steps"));
    var steps = r.provisioningSteps || [];
    if (!steps.length) { box.appendChild(el("p", { class: "empty" }, "This entry has no steps.")); return; }
    box.appendChild(el("ol", { class: "steps" }, steps.map(function (s, i) {
      var details = s.details || {};
      var names = Object.keys(details);
      return el("li", { class: "step" }, el("details", { open: String(s.status).toLowerCase() === "failure" ? true : null },
        el("summary", {}, el("span", { class: "chev", "aria-hidden": "true" }),
          el("span", { class: "step-no s-" + String(s.status).toLowerCase(), "aria-hidden": "true" }, String(i + 1)),
          el("span", { class: "step-title" }, stepTitle(s, r), s.description ? el("span", { class: "sub step-desc" }, s.description) : null),
          P.badge(s.status, cap(s.status))),
        el("div", { class: "step-body" }, s.name ? el("p", { class: "code" }, s.name) : null,
          names.length ? kv(names.map(function (k) { return [k, details[k]]; })) : el("p", { class: "empty" }, "No details."))));
    })));
  }

  async function renderTrouble(r) {
    var box = P.clear($("dp-trouble"));
    var e = (r.provisioningStatusInfo || {}).errorInformation;
    if (!e) {
      box.appendChild(el("p", {}, status(r).toLowerCase() === "skipped"
        ? "The object was skipped: it is out of scope or already in sync. The Steps tab shows which condition decided it."
        : "No error: nothing to troubleshoot."));
      return;
    }
    box.appendChild(el("h3", {}, "Error"));
    box.appendChild(kv([["Error code", e.errorCode], ["Reason", e.reason], ["Error category", e.errorCategory], ["Additional details", e.additionalDetails]]));
    box.appendChild(el("h3", {}, "Recommendation"));
    var rec = el("div", { class: "hint" }, e.recommendedAction || "See the meaning of the error code below.");
    box.appendChild(rec);
    if (e.errorCode) {
      try {
        var info = await P.local("/_portal/troubleshooting?code=" + encodeURIComponent(e.errorCode));
        if (info && current === r) {
          box.appendChild(el("h3", {}, "What " + info.code + " means"));
          box.appendChild(kv([["Meaning", info.meaning], ["Usual fix", info.fix], ["Typical HTTP status", info.http], ["Retried", info.retry === "transient" ? "yes, in later cycles; usually clears by itself" : info.retry === "skip" ? "no: the object was skipped" : "yes, but it fails again until the cause is fixed"]]));
        }
      } catch (err) { P.problem(err); }
    }
  }

  function renderProps(r) {
    var box = P.clear($("dp-props"));
    var props = r.modifiedProperties || [];
    if (!props.length) { box.appendChild(el("p", { class: "empty" }, "No properties were modified.")); return; }
    box.appendChild(el("div", { class: "table-wrap" }, el("table", { class: "stack" },
      el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "Property"), el("th", { scope: "col" }, "Old value"), el("th", { scope: "col" }, "New value"))),
      el("tbody", {}, props.map(function (p) {
        return el("tr", {}, el("td", { class: "mono", "data-label": "Property" }, p.displayName),
          el("td", { class: "mono", "data-label": "Old value" }, p.oldValue == null ? "" : p.oldValue),
          el("td", { class: "mono", "data-label": "New value" }, p.newValue == null ? "" : p.newValue));
      })))));
  }

  function renderSummary(r) {
    var box = P.clear($("dp-summary"));
    var s = r.sourceIdentity || {}, t = r.targetIdentity || {};
    box.appendChild(kv([
      ["Date", P.formatTime(r.activityDateTime)], ["Action", cap(r.provisioningAction)], ["Status", cap(status(r))],
      ["Cycle ID", r.cycleId], ["Change ID", r.changeId], ["Job ID", r.jobId], ["Log ID", r.id],
      ["Duration (ms)", r.durationInMilliseconds],
      ["Source identity", [s.identityType, s.displayName, s.id].filter(Boolean).join(" · ")],
      ["Target identity", [t.identityType, t.displayName, t.id].filter(Boolean).join(" · ")],
      ["Source system", (r.sourceSystem || {}).displayName], ["Target system", (r.targetSystem || {}).displayName]
    ]));
  }

  // Downloads: Graph JSON, and the admin center's CSV download (three files joined on the change id).
  function stamp() { return new Date().toISOString().replace(/[:.]/g, "-").slice(0, 19); }
  function downloadJson() {
    var doc = { "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#auditLogs/provisioning", value: shown };
    var link = P.download("ProvisioningLogs_" + stamp() + ".json", "application/json", JSON.stringify(doc, null, 2));
    offer("Download JSON", [link]);
  }
  function csvFiles(list) {
    var when = stamp();
    var main = P.csv(["Date (UTC)", "ID", "Job ID", "Cycle ID", "Change ID", "Action", "Status", "Error Code", "Status Reason",
      "Error Category", "Recommended Action", "Additional Details", "Source Identity ID", "Source Identity Name", "Source Identity Type",
      "Target Identity ID", "Target Identity Name", "Target Identity Type", "Source System", "Target System", "Duration (ms)", "Tenant ID"],
    list.map(function (r) {
      var e = (r.provisioningStatusInfo || {}).errorInformation || {};
      var s = r.sourceIdentity || {}, t = r.targetIdentity || {};
      return [r.activityDateTime, r.id, r.jobId, r.cycleId, r.changeId, cap(r.provisioningAction), cap(status(r)), e.errorCode, e.reason,
        e.errorCategory, e.recommendedAction, e.additionalDetails, s.id, s.displayName, s.identityType, t.id, t.displayName, t.identityType,
        (r.sourceSystem || {}).displayName, (r.targetSystem || {}).displayName, r.durationInMilliseconds, r.tenantId];
    }));
    var steps = P.csv(["Change ID", "Name", "Type", "Status", "Description", "Details"], [].concat.apply([], list.map(function (r) {
      return (r.provisioningSteps || []).map(function (s) {
        return [r.changeId, s.name, s.provisioningStepType, cap(s.status), s.description, JSON.stringify(s.details || {})];
      });
    })));
    var props = P.csv(["Change ID", "Property", "Old Value", "New Value"], [].concat.apply([], list.map(function (r) {
      return (r.modifiedProperties || []).map(function (p) { return [r.changeId, p.displayName, p.oldValue, p.newValue]; });
    })));
    return [
      P.download("ProvisioningLogs_" + when + ".csv", "text/csv", main),
      P.download("ProvisioningLogs_ProvisioningSteps_" + when + ".csv", "text/csv", steps),
      P.download("ProvisioningLogs_ModifiedProperties_" + when + ".csv", "text/csv", props)
    ];
  }
  function offer(title, links) {
    var dialog = el("dialog", { "aria-labelledby": "dl-h", id: "download-dialog" },
      el("form", { method: "dialog" }, el("h2", { id: "dl-h" }, title),
        el("p", {}, P.plural(shown.length, "entry").replace("entrys", "entries") + " (the filtered list). " +
          (links.length > 1 ? "The admin center's CSV download is three files joined on the change id; keep them in one folder for entrasim logs and replay." : "Graph's auditLogs/provisioning format.")),
        el("ul", { class: "downloads" }, links.map(function (a) { return el("li", {}, a); })),
        el("div", { class: "dialog-actions" }, el("button", { class: "btn", value: "close" }, "Close"))));
    document.body.appendChild(dialog);
    dialog.addEventListener("close", function () {
      links.forEach(function (a) { URL.revokeObjectURL(a.href); });
      dialog.remove();
    });
    dialog.showModal();
  }

  // Initial filters from the address (?action=Create&status=Failure&cycle=…&identity=…).
  var params = new URLSearchParams(location.search);
  [["action", "f-action"], ["status", "f-status"], ["identity", "f-identity"], ["date", "f-date"]].forEach(function (p) {
    if (params.get(p[0])) { $(p[1]).value = params.get(p[0]); }
  });
  chooseTab = P.tabs($("log-detail").querySelector(".tabs"), function (tab) {
    ["steps", "trouble", "props", "summary"].forEach(function (k) { $("dp-" + k).hidden = tab.id !== "dt-" + k; });
  });
  ["f-date", "f-action", "f-status", "f-cycle"].forEach(function (id) { $(id).addEventListener("change", render); });
  $("f-identity").addEventListener("input", render);
  $("filters").addEventListener("reset", function () { setTimeout(render, 0); });
  $("filters").addEventListener("submit", function (e) { e.preventDefault(); render(); });
  $("detail-close").addEventListener("click", close);
  $("log-detail").addEventListener("keydown", function (e) { if (e.key === "Escape") { close(); } });
  $("cmd-refresh").addEventListener("click", load);
  $("cmd-json").addEventListener("click", downloadJson);
  $("cmd-csv").addEventListener("click", function () { offer("Download CSV", csvFiles(shown)); });
  // A long cycle logs objects without pause: read the log at most every few seconds meanwhile.
  var reload = P.throttle(function () { if ($("auto-refresh").checked) { load(); } }, 3000);
  P.onEvent(function (event) {
    if (event.type === "object" || event.type === "cycle_finished") { reload(); }
  });
  load();
})();
