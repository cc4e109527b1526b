// Provision on demand: pick a user or group (and up to five of a group's members), POST
// …/jobs/{id}/provisionOnDemand, and show the answer
// (Graph's stringKeyStringValuePair: `key` holds the result, `value` the steps and modified properties,
// both as JSON text) as the blade's numbered steps.
(function () {
  "use strict";
  var P = window.Portal, el = P.el, $ = P.$;
  var objects = { User: null, Group: null };
  var selected = null;
  var active = -1;
  var ruleId = null;
  var MAX_MEMBERS = 5;

  function kind() { return document.querySelector("input[name=pod-kind]:checked").value; }

  async function loadObjects(k) {
    if (!objects[k]) {
      var path = k === "User" ? "/v1.0/users?$top=999" : "/v1.0/groups?$top=999";
      try { objects[k] = await P.graphAll(path, 5000); } catch (e) { objects[k] = []; P.toast(e.message, "error"); }
    }
    return objects[k];
  }

  async function renderPicklist() {
    var k = kind();
    var list = await loadObjects(k);
    var text = $("pod-search").value.trim().toLowerCase();
    var shown = list.filter(function (o) {
      return !text || [o.displayName, o.userPrincipalName, o.mailNickname, o.id].some(function (v) {
        return v && v.toLowerCase().indexOf(text) !== -1;
      });
    }).slice(0, 50);
    var box = P.clear($("pod-results"));
    active = -1;
    shown.forEach(function (o, i) {
      var option = el("div", {
        role: "option", id: "pod-option-" + i, "data-id": o.id,
        "aria-selected": selected && selected.id === o.id ? "true" : "false",
        onclick: function () { choose(o); }
      }, el("span", {}, o.displayName || o.id), el("span", { class: "sub mono" }, o.userPrincipalName || o.mailNickname || o.id));
      option._object = o;
      box.appendChild(option);
    });
    if (!shown.length) { box.appendChild(el("p", { class: "empty", style: null }, "No " + k.toLowerCase() + " matches.")); }
  }

  function choose(o) {
    selected = { id: o.id, kind: kind(), name: o.displayName || o.id, upn: o.userPrincipalName || "" };
    Array.prototype.forEach.call(document.querySelectorAll("#pod-results [role=option]"), function (opt) {
      opt.setAttribute("aria-selected", opt.getAttribute("data-id") === o.id ? "true" : "false");
    });
    $("pod-selected").textContent = "Selected " + selected.kind.toLowerCase() + ": " + selected.name + (selected.upn ? " (" + selected.upn + ")" : "");
    $("pod-run").disabled = false;
    renderMembers();
  }

  // A group's direct user members as checkboxes; at most five can be picked (Graph's limit).
  async function renderMembers() {
    var box = $("pod-members"), list = P.clear($("pod-member-list"));
    box.hidden = !selected || selected.kind !== "Group";
    if (box.hidden) { return; }
    var group = selected.id, members = [];
    try {
      members = await P.graphAll("/v1.0/groups/" + encodeURIComponent(group) + "/members?$select=id,displayName,userPrincipalName", 5000);
    } catch (e) {
      P.toast(e.message, "error");
    }
    if (!selected || selected.id !== group) { return; }
    var users = members.filter(function (m) { return String(m["@odata.type"] || "").toLowerCase().indexOf("user") !== -1; });
    if (!users.length) { list.appendChild(el("p", { class: "empty" }, "The group has no user members; only the group is provisioned.")); return; }
    users.forEach(function (m) {
      var input = el("input", { type: "checkbox", value: m.id, name: "pod-member", onchange: limitMembers });
      list.appendChild(el("label", { class: "check" }, input,
        el("span", {}, m.displayName || m.id), el("span", { class: "sub mono" }, " " + (m.userPrincipalName || ""))));
    });
    limitMembers();
  }

  function pickedMembers() {
    return Array.prototype.map.call(document.querySelectorAll("input[name=pod-member]:checked"), function (i) { return i.value; });
  }

  function limitMembers() {
    var full = pickedMembers().length >= MAX_MEMBERS;
    Array.prototype.forEach.call(document.querySelectorAll("input[name=pod-member]"), function (i) {
      i.disabled = full && !i.checked;
    });
    $("pod-members-note").textContent = pickedMembers().length + " of at most " + MAX_MEMBERS + " members picked.";
  }

  function moveActive(delta) {
    var options = document.querySelectorAll("#pod-results [role=option]");
    if (!options.length) { return; }
    active = Math.max(0, Math.min(options.length - 1, active + delta));
    Array.prototype.forEach.call(options, function (o, i) { o.classList.toggle("active", i === active); });
    options[active].scrollIntoView({ block: "nearest" });
    $("pod-results").setAttribute("aria-activedescendant", options[active].id);
  }
  function keys(e) {
    if (e.key === "ArrowDown") { e.preventDefault(); moveActive(1); }
    if (e.key === "ArrowUp") { e.preventDefault(); moveActive(-1); }
    if (e.key === "Enter" && active >= 0) {
      e.preventDefault();
      var opt = document.querySelectorAll("#pod-results [role=option]")[active];
      if (opt) { choose(opt._object); }
    }
  }

  async function rule() {
    if (ruleId) { return ruleId; }
    try {
      var schema = await P.graph("GET", P.jobPath + "/schema");
      var rules = ((schema && schema.synchronizationRules) || []).filter(function (r) { return r.id; });
      ruleId = rules.length ? rules[0].id : "";
    } catch (e) {
      ruleId = "";
    }
    // A schema that names no rule (a mapping given as a preset or TOML file): the tenant accepts any id.
    if (!ruleId) { ruleId = P.config.job; }
    return ruleId;
  }

  function parseJson(text) {
    if (typeof text !== "string") { return text || {}; }
    try { return JSON.parse(text); } catch (e) { return {}; }
  }

  async function provision(e) {
    e.preventDefault();
    if (!selected) { return; }
    var button = $("pod-run");
    button.disabled = true;
    button.textContent = "Provisioning…";
    var result = $("pod-result");
    try {
      var subject = { objectId: selected.id, objectTypeName: selected.kind };
      var members = selected.kind === "Group" ? pickedMembers() : [];
      if (members.length) {
        subject.links = { members: members.map(function (id) { return { objectId: id, objectTypeName: "User" }; }) };
      }
      var body = { parameters: [{ subjects: [subject], ruleId: await rule() }] };
      var answer = await P.graph("POST", P.jobPath + "/provisionOnDemand", body);
      show(parseJson(answer.key), parseJson(answer.value));
    } catch (err) {
      show({ result: "Failure", details: { errorCode: err.code, errorMessage: err.graphMessage || err.message } }, {});
    }
    result.hidden = false;
    button.disabled = false;
    button.textContent = "Provision";
    $("pod-result-h").focus();
  }

  // The blade's five steps, matched to Graph's provisioningSteps by their type.
  var STEPS = [
    { type: "testconnection", title: "Test connection" },
    { type: "import", title: "Import {kind}" },
    { type: "scoping", title: "Determine if {kind} is in scope" },
    { type: "matching", title: "Match {kind} between source and target system" },
    { type: "export", title: "Perform action" }
  ];
  function stepType(s) {
    var t = String(s.type || s.provisioningStepType || "").toLowerCase().replace(/[^a-z]/g, "");
    if (t === "processing" || t === "referenceresolution") { return "export"; }
    if (/connection/.test(t) || /connection/i.test(s.name || "")) { return "testconnection"; }
    return t;
  }

  function show(key, value) {
    if (Array.isArray(value)) { value = value[0] || {}; }
    var status = key.result || (value.statusInfo || {}).status || "Unknown";
    var what = selected.kind.toLowerCase();
    P.clear($("pod-outcome")).appendChild(P.badge(status));
    var details = key.details || {};
    $("pod-summary").textContent = (value.action ? value.action + " · " : "") + selected.name +
      (details.errorMessage ? " — " + details.errorMessage : "") + (details.errorCode ? " (" + details.errorCode + ")" : "");
    var steps = value.provisioningSteps || [];
    var list = P.clear($("pod-steps"));
    var connectionFailed = steps.some(function (s) { return stepType(s) === "testconnection"; });
    STEPS.forEach(function (def, i) {
      var step = steps.filter(function (s) { return stepType(s) === def.type; });
      var title = def.title.replace("{kind}", what);
      if (def.type === "testconnection" && !connectionFailed) {
        // Graph reports the connection test only when it fails; the later steps reached the target.
        list.appendChild(stepItem(i + 1, title, steps.length ? "Success" : "Skipped",
          steps.length ? "The provisioning service reached the target system with the saved credentials." : "No steps were reported.", {}));
        return;
      }
      if (!step.length) {
        list.appendChild(stepItem(i + 1, title, "Skipped", "This step did not run.", {}));
        return;
      }
      var combined = {};
      step.forEach(function (s) { Object.assign(combined, s.details || {}); });
      var worst = step.map(function (s) { return s.status; }).sort(function (a, b) { return rank(b) - rank(a); })[0];
      list.appendChild(stepItem(i + 1, title, worst, step.map(function (s) { return s.description; }).filter(Boolean).join(" "), combined));
    });
    renderModified(value.modifiedProperties || []);
  }
  function rank(s) { return { failure: 3, warning: 2, skipped: 1 }[String(s).toLowerCase()] || 0; }

  function stepItem(n, title, status, description, details) {
    var s = String(status || "").toLowerCase();
    var names = Object.keys(details);
    var body = el("div", { class: "step-body" }, description && description !== title ? el("p", {}, description) : null);
    if (names.length) { body.appendChild(detailTable(details)); }
    var head = [el("span", { class: "step-no s-" + s, "aria-hidden": "true" }, String(n)),
      el("span", { class: "step-title" }, title), P.badge(status)];
    return el("li", { class: "step", "data-status": status },
      el("details", { open: s === "failure" ? true : null },
        el("summary", {}, el("span", { class: "chev", "aria-hidden": "true" }), head,
          el("span", { class: "sr" }, names.length ? ", " + names.length + " details" : "")),
        body));
  }

  // "View details": one row per detail; the scoping step's ScopeEvaluationResult is a JSON object of
  // clause → verdict, shown one clause per row.
  function detailTable(details) {
    var rows = [];
    Object.keys(details).forEach(function (k) {
      var v = details[k];
      if (k === "ScopeEvaluationResult") {
        var clauses = parseJson(v);
        Object.keys(clauses).forEach(function (c) {
          rows.push(el("tr", {}, el("td", { class: "clause" }, c), el("td", {}, clauses[c] === true || clauses[c] === "True" ? el("span", { class: "ok" }, "pass") : el("span", { class: "bad" }, "fail"))));
        });
        return;
      }
      var text = typeof v === "string" ? v : JSON.stringify(v);
      var verdict = text === "True" ? el("span", { class: "ok" }, "True") : text === "False" ? el("span", { class: "bad" }, "False") : text;
      rows.push(el("tr", {}, el("td", {}, k), el("td", { class: "mono" }, verdict)));
    });
    return el("div", { class: "table-wrap" }, el("table", { class: "kv" }, el("caption", { class: "sr" }, "Details"), el("tbody", {}, rows)));
  }

  function renderModified(props) {
    var box = P.clear($("pod-modified"));
    if (!props.length) { box.appendChild(el("p", { class: "empty" }, "No properties were modified.")); return; }
    box.appendChild(el("div", { class: "table-wrap" }, el("table", { id: "pod-modified-table", class: "stack" },
      el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "Property"), el("th", { scope: "col" }, "Old value"), el("th", { scope: "col" }, "New value"))),
      el("tbody", {}, props.map(function (p) {
        return el("tr", {}, el("td", { class: "mono", "data-label": "Property" }, p.displayName),
          el("td", { class: "mono", "data-label": "Old value" }, p.oldValue === null || p.oldValue === undefined ? "" : p.oldValue),
          el("td", { class: "mono", "data-label": "New value" }, p.newValue === null || p.newValue === undefined ? "" : p.newValue));
      })))));
  }

  $("pod-result-h").tabIndex = -1;
  $("pod-search").addEventListener("input", renderPicklist);
  $("pod-search").addEventListener("keydown", keys);
  $("pod-results").addEventListener("keydown", keys);
  Array.prototype.forEach.call(document.querySelectorAll("input[name=pod-kind]"), function (r) {
    r.addEventListener("change", function () {
      selected = null;
      $("pod-run").disabled = true;
      $("pod-selected").textContent = "Nothing selected.";
      renderMembers();
      $("pod-search").placeholder = kind() === "User" ? "Type a display name or user principal name" : "Type a group name";
      renderPicklist();
    });
  });
  $("pod-form").addEventListener("submit", provision);
  var params = new URLSearchParams(location.search);
  if (params.get("search")) { $("pod-search").value = params.get("search"); }
  renderPicklist();
})();
