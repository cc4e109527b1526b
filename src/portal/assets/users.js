// Users and groups: the simulated directory through Microsoft Graph (users, groups, members, the
// application's appRoleAssignedTo, deleted items). Every change is a Graph request.
(function () {
  "use strict";
  var P = window.Portal, el = P.el, $ = P.$;
  var MAX = 5000;
  var DEFAULT_ROLE = "00000000-0000-0000-0000-000000000000";
  var kind = "users";
  var data = { users: [], groups: [], deleted: [], assignments: {} };
  var editing = null; // the object the user/group dialog edits, or null for a new one
  var membersOf = null;

  async function load() {
    try {
      var results = await Promise.all([
        P.graphAll("/v1.0/users?$top=999", MAX),
        P.graphAll("/v1.0/groups?$top=999", MAX),
        P.graphAll(P.spPath + "/appRoleAssignedTo?$top=999", MAX * 2)
      ]);
      data.users = results[0];
      data.groups = results[1];
      data.assignments = {};
      results[2].forEach(function (a) { data.assignments[a.principalId] = a; });
      if (kind === "deleted") { await loadDeleted(); }
    } catch (e) {
      P.toast("Could not read the directory: " + e.message, "error");
    }
    render();
  }
  // Deleted users wait in the recycle bin and can be restored; the simulated tenant, like Graph for
  // security groups, deletes groups for good.
  async function loadDeleted() {
    var users = await P.graphAll("/v1.0/directory/deletedItems/microsoft.graph.user?$top=999", MAX);
    data.deleted = users.map(function (u) { u.kind = "User"; return u; });
  }

  function matches(o, text) {
    if (!text) { return true; }
    return [o.displayName, o.userPrincipalName, o.mailNickname, o.mail, o.id].some(function (v) {
      return v && String(v).toLowerCase().indexOf(text) !== -1;
    });
  }

  function render() {
    var text = $("search").value.trim().toLowerCase();
    var which = $("assigned-filter").value;
    $("assigned-filter").disabled = kind === "deleted";
    var list = kind === "deleted" ? data.deleted : data[kind];
    var shown = list.filter(function (o) {
      var assigned = Boolean(data.assignments[o.id]);
      return matches(o, text) && (kind === "deleted" || which === "all" || (which === "assigned") === assigned);
    });
    var head = P.clear($("directory-head"));
    var body = P.clear($("directory-body"));
    $("directory-caption").textContent = kind === "users" ? "Users" : kind === "groups" ? "Groups" : "Deleted users";
    var cols = kind === "users" ? ["Display name", "User principal name", "Account", "Assigned", "Actions"]
      : kind === "groups" ? ["Group name", "Mail nickname", "Description", "Assigned", "Actions"]
        : ["Display name", "Type", "Deleted", "Actions"];
    head.appendChild(el("tr", {}, cols.map(function (c) {
      return el("th", { scope: "col" }, c === "Actions" ? el("span", { class: "sr" }, c) : c);
    })));
    shown.slice(0, 500).forEach(function (o) {
      var tr = row(o);
      // Labels for the narrow layout, where each row reads as a card.
      Array.prototype.forEach.call(tr.children, function (td, i) {
        if (i > 0 && cols[i] !== "Actions") { td.setAttribute("data-label", cols[i]); }
      });
      body.appendChild(tr);
    });
    if (!shown.length) {
      body.appendChild(el("tr", {}, el("td", { colspan: String(cols.length), class: "empty" }, text ? "Nothing matches “" + text + "”." : "Nothing here yet.")));
    }
    var note = P.plural(shown.length, kind === "groups" ? "group" : kind === "users" ? "user" : "deleted object");
    if (shown.length > 500) { note += " (first 500 shown; refine the search)"; }
    if (list.truncated) { note += " · the directory holds more than " + MAX.toLocaleString("en-US"); }
    $("count").textContent = note;
  }

  function assignedCell(o) {
    return data.assignments[o.id] ? P.badge("success", "Assigned") : P.badge("notrun", "Not assigned");
  }
  function action(label, fn, danger) {
    return el("button", { type: "button", class: "btn-link" + (danger ? " danger" : ""), onclick: fn }, label);
  }

  function row(o) {
    var name = o.displayName || "(no name)";
    if (kind === "users") {
      return el("tr", { "data-id": o.id },
        el("td", {}, el("strong", {}, name), el("span", { class: "sub mono" }, o.id)),
        el("td", { class: "mono" }, o.userPrincipalName || ""),
        el("td", {}, o.accountEnabled === false ? P.badge("disabled", "Disabled") : P.badge("success", "Enabled")),
        el("td", {}, assignedCell(o)),
        el("td", { class: "actions" },
          action("Edit", function () { openUser(o); }),
          action(o.accountEnabled === false ? "Enable" : "Disable", function () { setEnabled(o, o.accountEnabled === false); }),
          assignButton(o, "User"),
          action("Delete", function () { remove(o, "users"); }, true)));
    }
    if (kind === "groups") {
      return el("tr", { "data-id": o.id },
        el("td", {}, el("strong", {}, name), el("span", { class: "sub mono" }, o.id)),
        el("td", { class: "mono" }, o.mailNickname || ""),
        el("td", {}, o.description || ""),
        el("td", {}, assignedCell(o)),
        el("td", { class: "actions" },
          action("Members", function () { openMembers(o); }),
          action("Edit", function () { openGroup(o); }),
          assignButton(o, "Group"),
          action("Delete", function () { remove(o, "groups"); }, true)));
    }
    return el("tr", { "data-id": o.id },
      el("td", {}, el("strong", {}, name), el("span", { class: "sub mono" }, o.userPrincipalName || o.id)),
      el("td", {}, o.kind),
      el("td", {}, P.formatTime(o.deletedDateTime)),
      el("td", { class: "actions" }, action("Restore", function () { restore(o); })));
  }

  function assignButton(o, type) {
    var a = data.assignments[o.id];
    return a ? action("Unassign", function () { unassign(o, a); })
      : action("Assign", function () { assign(o, type); });
  }

  async function run(fn, done) {
    try {
      await fn();
      if (done) { P.toast(done); }
    } catch (e) {
      P.toast(e.message, "error");
    }
    await load();
  }
  function assign(o) {
    return run(function () {
      return P.graph("POST", P.spPath + "/appRoleAssignedTo", { principalId: o.id, resourceId: P.config.sp, appRoleId: DEFAULT_ROLE });
    }, "Assigned " + o.displayName + " to the application.");
  }
  function unassign(o, a) {
    return run(function () { return P.graph("DELETE", P.spPath + "/appRoleAssignedTo/" + encodeURIComponent(a.id)); },
      "Unassigned " + o.displayName + ".");
  }
  function setEnabled(o, enabled) {
    return run(function () { return P.graph("PATCH", "/v1.0/users/" + encodeURIComponent(o.id), { accountEnabled: enabled }); },
      (enabled ? "Enabled " : "Disabled ") + o.displayName + ".");
  }
  async function remove(o, collection) {
    var what = collection === "users"
      ? "The user moves to Deleted, where it can be restored for 30 days. The next cycle disables it at the target."
      : "The group is deleted for good. The next cycle deletes it at the target.";
    var ok = await P.confirm("Delete " + o.displayName + "?", what, "Delete");
    if (!ok) { return; }
    return run(function () { return P.graph("DELETE", "/v1.0/" + collection + "/" + encodeURIComponent(o.id)); }, "Deleted " + o.displayName + ".");
  }
  function restore(o) {
    return run(function () { return P.graph("POST", "/v1.0/directory/deletedItems/" + encodeURIComponent(o.id) + "/restore"); },
      "Restored " + o.displayName + ".");
  }

  // The user dialog: new (POST /users, then the assignment) or edit (PATCH /users/{id}).
  var USER_FIELDS = ["displayName", "userPrincipalName", "mailNickname", "givenName", "surname", "mail", "jobTitle", "department"];
  function openUser(o) {
    editing = o || null;
    $("user-dialog-h").textContent = o ? "Edit " + o.displayName : "New user";
    $("user-save").textContent = o ? "Save" : "Create";
    USER_FIELDS.forEach(function (f) { $("u-" + f).value = (o && o[f]) || ""; });
    $("u-accountEnabled").checked = !o || o.accountEnabled !== false;
    $("u-assign-row").hidden = Boolean(o);
    $("user-error").hidden = true;
    $("user-dialog").showModal();
  }
  function randomPassword() {
    var bytes = new Uint8Array(18);
    crypto.getRandomValues(bytes);
    return btoa(String.fromCharCode.apply(null, bytes)) + "!a1";
  }
  async function saveUser(e) {
    e.preventDefault();
    var body = {};
    USER_FIELDS.forEach(function (f) {
      var v = $("u-" + f).value.trim();
      if (v || (editing && editing[f])) { body[f] = v || null; }
    });
    body.accountEnabled = $("u-accountEnabled").checked;
    try {
      if (editing) {
        await P.graph("PATCH", "/v1.0/users/" + encodeURIComponent(editing.id), body);
        P.toast("Saved " + body.displayName + ".");
      } else {
        if (!body.mailNickname) { body.mailNickname = body.userPrincipalName.split("@")[0]; }
        body.passwordProfile = { forceChangePasswordNextSignIn: true, password: randomPassword() };
        var created = await P.graph("POST", "/v1.0/users", body);
        if ($("u-assign").checked) {
          await P.graph("POST", P.spPath + "/appRoleAssignedTo", { principalId: created.id, resourceId: P.config.sp, appRoleId: DEFAULT_ROLE });
        }
        P.toast("Created " + body.displayName + ($("u-assign").checked ? " and assigned it to the application." : "."));
      }
      $("user-dialog").close();
      load();
    } catch (err) {
      $("user-error").textContent = err.message;
      $("user-error").hidden = false;
    }
  }

  function openGroup(o) {
    editing = o || null;
    $("group-dialog-h").textContent = o ? "Edit " + o.displayName : "New group";
    $("group-save").textContent = o ? "Save" : "Create";
    ["displayName", "mailNickname", "description"].forEach(function (f) { $("g-" + f).value = (o && o[f]) || ""; });
    $("g-assign-row").hidden = Boolean(o);
    $("group-error").hidden = true;
    $("group-dialog").showModal();
  }
  async function saveGroup(e) {
    e.preventDefault();
    var body = { displayName: $("g-displayName").value.trim() };
    var nick = $("g-mailNickname").value.trim();
    var description = $("g-description").value.trim();
    if (nick || editing) { body.mailNickname = nick || (editing && editing.mailNickname); }
    if (description || (editing && editing.description)) { body.description = description || null; }
    try {
      if (editing) {
        await P.graph("PATCH", "/v1.0/groups/" + encodeURIComponent(editing.id), body);
        P.toast("Saved " + body.displayName + ".");
      } else {
        body.mailNickname = body.mailNickname || body.displayName.replace(/[^A-Za-z0-9]/g, "").slice(0, 60) || "group";
        body.mailEnabled = false;
        body.securityEnabled = true;
        var created = await P.graph("POST", "/v1.0/groups", body);
        if ($("g-assign").checked) {
          await P.graph("POST", P.spPath + "/appRoleAssignedTo", { principalId: created.id, resourceId: P.config.sp, appRoleId: DEFAULT_ROLE });
        }
        P.toast("Created group " + body.displayName + ".");
      }
      $("group-dialog").close();
      load();
    } catch (err) {
      $("group-error").textContent = err.message;
      $("group-error").hidden = false;
    }
  }

  // Members: GET /groups/{id}/members, POST …/members/$ref, DELETE …/members/{id}/$ref.
  async function openMembers(group) {
    membersOf = group;
    $("members-h").textContent = "Members of " + group.displayName;
    $("members-error").hidden = true;
    $("member-search").value = "";
    var options = P.clear($("member-options"));
    data.users.slice(0, 2000).forEach(function (u) {
      options.appendChild(el("option", { value: u.userPrincipalName || u.id }, u.displayName));
    });
    await renderMembers();
    $("members-dialog").showModal();
  }
  async function renderMembers() {
    var body = P.clear($("members-body"));
    try {
      var members = await P.graphAll("/v1.0/groups/" + encodeURIComponent(membersOf.id) + "/members?$top=999", MAX);
      members.forEach(function (m) {
        body.appendChild(el("tr", {},
          el("td", {}, m.displayName || m.id),
          el("td", { class: "mono" }, m.userPrincipalName || ""),
          el("td", { class: "actions" }, action("Remove", function () { removeMember(m); }, true))));
      });
      if (!members.length) { body.appendChild(el("tr", {}, el("td", { colspan: "3", class: "empty" }, "No members."))); }
    } catch (e) {
      body.appendChild(el("tr", {}, el("td", { colspan: "3", class: "bad" }, e.message)));
    }
  }
  async function addMember(e) {
    e.preventDefault();
    var wanted = $("member-search").value.trim().toLowerCase();
    var user = data.users.find(function (u) {
      return [u.userPrincipalName, u.id, u.displayName].some(function (v) { return v && v.toLowerCase() === wanted; });
    });
    if (!user) {
      $("members-error").textContent = "No user called “" + $("member-search").value + "”: pick one from the suggestions.";
      $("members-error").hidden = false;
      return;
    }
    try {
      await P.graph("POST", "/v1.0/groups/" + encodeURIComponent(membersOf.id) + "/members/$ref",
        { "@odata.id": location.origin + "/v1.0/directoryObjects/" + user.id });
      $("members-error").hidden = true;
      $("member-search").value = "";
      P.toast("Added " + user.displayName + " to " + membersOf.displayName + ".");
    } catch (err) {
      $("members-error").textContent = err.message;
      $("members-error").hidden = false;
    }
    renderMembers();
  }
  async function removeMember(m) {
    try {
      await P.graph("DELETE", "/v1.0/groups/" + encodeURIComponent(membersOf.id) + "/members/" + encodeURIComponent(m.id) + "/$ref");
      P.toast("Removed " + (m.displayName || m.id) + " from " + membersOf.displayName + ".");
    } catch (err) {
      P.toast(err.message, "error");
    }
    renderMembers();
  }

  P.tabs(document.querySelector(".tabs"), async function (tab) {
    kind = tab.getAttribute("data-kind");
    $("panel-list").setAttribute("aria-labelledby", tab.id);
    if (kind === "deleted") {
      try { await loadDeleted(); } catch (e) { P.toast(e.message, "error"); }
    }
    render();
  });
  $("search").addEventListener("input", render);
  $("assigned-filter").addEventListener("change", render);
  $("cmd-refresh").addEventListener("click", load);
  $("cmd-add-user").addEventListener("click", function () { openUser(null); });
  $("cmd-add-group").addEventListener("click", function () { openGroup(null); });
  $("user-form").addEventListener("submit", saveUser);
  $("group-form").addEventListener("submit", saveGroup);
  $("member-add").addEventListener("submit", addMember);
  ["user-dialog", "group-dialog", "members-dialog"].forEach(function (id) { P.wireDialog($(id)); });
  $("members-dialog").addEventListener("close", load);
  var params = new URLSearchParams(location.search);
  if (params.get("search")) { $("search").value = params.get("search"); }
  load();
})();
