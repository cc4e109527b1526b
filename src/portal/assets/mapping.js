// Attribute mapping: the job's synchronizationSchema from Graph, as the blade's table per object
// mapping (target attribute, source attribute or expression, matching precedence, apply), with the
// target object actions and the scoping filters.
(function () {
  "use strict";
  var P = window.Portal, el = P.el, $ = P.$;
  var APPLY = { Always: "Always", ObjectAddOnly: "Only during object creation", AttributeAddUpdate: "Always", AttributeAddOnly: "Only during object creation" };
  var OPERATORS = {
    EQUALS: "EQUALS", NOT_EQUALS: "NOT EQUALS", IS_TRUE: "IS TRUE", IS_FALSE: "IS FALSE", IS_NULL: "IS NULL",
    IS_NOT_NULL: "IS NOT NULL", REGEX_MATCH: "MATCH", NOT_REGEX_MATCH: "NOT MATCH", Includes: "Includes",
    GREATER_THAN: "Greater_Than", GREATER_THAN_OR_EQUALS: "Greater_Than_OR_EQUALS"
  };

  // Long attribute paths (URNs, value filters) may break after `:`, `.` and `]`, not inside a word.
  function breakable(text) {
    var parts = String(text || "").split(/(?<=[:.\]])/);
    var out = [];
    parts.forEach(function (p, i) { out.push(p); if (i < parts.length - 1) { out.push(el("wbr")); } });
    return out;
  }

  function source(am) {
    var s = am.source || {};
    var text = s.expression || (s.type === "Constant" ? '"' + (s.name || "") + '"' : s.name) || "";
    return el("span", { class: "mono" }, text);
  }
  function mappingType(am) {
    var t = (am.source || {}).type;
    return t === "Attribute" ? "Direct" : t === "Function" ? "Expression" : t || "";
  }

  function objectMapping(om, rule) {
    var rows = (om.attributeMappings || []).slice().sort(function (a, b) {
      return ((b.matchingPriority || 0) > 0) - ((a.matchingPriority || 0) > 0) || (a.matchingPriority || 0) - (b.matchingPriority || 0);
    });
    var title = om.name || ("Provision " + (om.sourceObjectName || "") + " objects");
    var block = el("section", { class: "card mapping-block", "aria-label": title },
      el("h2", {}, title, om.enabled === false ? P.badge("disabled", "Disabled") : P.badge("success", "Enabled")),
      el("dl", { class: "facts" },
        el("dt", {}, "Source object"), el("dd", {}, (om.sourceObjectName || "") + " (" + (rule.sourceDirectoryName || "Microsoft Entra ID") + ")"),
        el("dt", {}, "Target object"), el("dd", { class: "mono" }, om.targetObjectName || ""),
        el("dt", {}, "Target object actions"), el("dd", {}, (om.flowTypes || "Add, Update, Delete").split(/,\s*/).map(function (f) {
          return { Add: "Create", Update: "Update", Delete: "Delete" }[f] || f;
        }).join(", "))),
      el("h3", {}, "Attribute mappings"),
      el("div", { class: "table-wrap" }, el("table", { class: "grid mapping" },
        el("caption", { class: "sr" }, "Attribute mappings of " + title),
        el("thead", {}, el("tr", {}, ["Target attribute", "Source attribute or expression", "Mapping type", "Default value", "Matching precedence", "Apply this mapping"].map(function (h) { return el("th", { scope: "col" }, h); }))),
        el("tbody", {}, rows.map(function (am) {
          return el("tr", {},
            el("td", { class: "mono" }, breakable(am.targetAttributeName)),
            el("td", {}, source(am)),
            el("td", {}, mappingType(am)),
            el("td", { class: "mono" }, am.defaultValue || ""),
            el("td", {}, am.matchingPriority > 0 ? el("span", { class: "pill" }, String(am.matchingPriority)) : ""),
            el("td", {}, APPLY[am.flowType] || am.flowType || "Always"));
        })))));
    block.appendChild(el("h3", {}, "Source object scope"));
    block.appendChild(scope(om.scope));
    return block;
  }

  // Scoping filters: clauses in one group are ANDed, groups are ORed.
  function scope(s) {
    var groups = (s && (s.groups || (s.filter && s.filter.groups))) || [];
    var input = (s && s.inputFilterGroups) || [];
    groups = groups.concat(input);
    if (!groups.length) { return el("p", { class: "note" }, "All records: no scoping filter."); }
    return el("ol", { class: "scopes" }, groups.map(function (g, i) {
      return el("li", {}, el("strong", {}, g.name || "Scoping filter " + (i + 1)), el("ul", {}, (g.clauses || []).map(function (c) {
        var values = ((c.targetOperand || {}).values || []).join(", ");
        return el("li", { class: "clause" }, (c.sourceOperandName || "") + " " + (OPERATORS[c.operatorName] || c.operatorName || "") + (values ? " " + values : ""));
      })), i < groups.length - 1 ? el("p", { class: "note" }, "or") : null);
    }));
  }

  async function load() {
    var box = P.clear($("mappings"));
    try {
      var schema = await P.graph("GET", P.jobPath + "/schema");
      var blob = new Blob([JSON.stringify(schema, null, 2)], { type: "application/json" });
      $("cmd-schema").href = URL.createObjectURL(blob);
      var rules = (schema && schema.synchronizationRules) || [];
      rules.forEach(function (rule) {
        (rule.objectMappings || []).forEach(function (om) { box.appendChild(objectMapping(om, rule)); });
      });
      if (!box.firstChild) { await fromTenant(box); }
    } catch (e) {
      box.appendChild(el("p", { class: "alert alert-error" }, "Could not read the job's schema: " + e.message));
    }
  }
  // A mapping given as a preset or TOML file has no synchronizationSchema yet: the tenant's own rows
  // (`/_entrasim/mapping`) fill the same table.
  async function fromTenant(box) {
    var m = await P.local("/_entrasim/mapping");
    if (!m) { box.appendChild(el("p", { class: "empty" }, "The schema has no object mappings.")); return; }
    $("cmd-schema").hidden = true;
    [["users", "User"], ["groups", "Group"]].forEach(function (k) {
      var o = m[k[0]];
      if (!o) { return; }
      var actions = o.actions || {};
      var om = {
        name: "Provision Microsoft Entra ID " + k[1] + "s", enabled: true, sourceObjectName: k[1],
        targetObjectName: "urn:ietf:params:scim:schemas:core:2.0:" + k[1],
        flowTypes: [actions.create && "Add", actions.update && "Update", actions.delete && "Delete"].filter(Boolean).join(", "),
        attributeMappings: (o.attributes || []).map(function (a) {
          return {
            targetAttributeName: a.target, defaultValue: a["default"] || "", matchingPriority: a.matchingPrecedence || 0,
            flowType: a.apply === "Always" ? "Always" : "ObjectAddOnly",
            source: { type: { Direct: "Attribute", Expression: "Function" }[a.type] || a.type, expression: a.type === "Direct" ? "[" + a.source + "]" : a.type === "Constant" ? '"' + a.source + '"' : a.source }
          };
        }),
        scope: { groups: (o.scope || []).map(function (f) {
          return { name: f.title, clauses: (f.clauses || []).map(function (c) {
            return { sourceOperandName: c.attribute, operatorName: c.operator, targetOperand: { values: c.value === null || c.value === undefined ? [] : [String(c.value)] } };
          }) };
        }) }
      };
      box.appendChild(objectMapping(om, { sourceDirectoryName: "Microsoft Entra ID" }));
    });
  }

  $("cmd-refresh").addEventListener("click", load);
  load();
})();
