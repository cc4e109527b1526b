// An admin script on Microsoft's Graph JavaScript client (@microsoft/microsoft-graph-client), driving an
// entrasim tenant: what a real provisioning admin automates. It authenticates with the client-credentials
// flow at the tenant's token endpoint, then creates a user, assigns it to the application, finds it with
// $filter, updates it, deletes and restores it, reads and starts the provisioning job, and pages through
// the provisioning logs. Every step asserts; the result is printed as one JSON line for the Rust test.
//
// Environment: ENTRASIM_GRAPH_URL (http://127.0.0.1:PORT), ENTRASIM_TENANT_ID, ENTRASIM_CLIENT_ID,
// ENTRASIM_CLIENT_SECRET, ENTRASIM_SERVICE_PRINCIPAL_ID.
"use strict";

const assert = require("node:assert/strict");
const { Client, HTTPMessageHandler, GraphError } = require("@microsoft/microsoft-graph-client");

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const base = env("ENTRASIM_GRAPH_URL");
const tenant = env("ENTRASIM_TENANT_ID");
const sp = env("ENTRASIM_SERVICE_PRINCIPAL_ID");
const DEFAULT_ACCESS = "00000000-0000-0000-0000-000000000000";

// Client credentials at the tenant's token endpoint, as MSAL would do against login.microsoftonline.com.
async function acquireToken() {
  const form = new URLSearchParams({
    grant_type: "client_credentials",
    client_id: env("ENTRASIM_CLIENT_ID"),
    client_secret: env("ENTRASIM_CLIENT_SECRET"),
    scope: "https://graph.microsoft.com/.default",
  });
  const answer = await fetch(`${base}/${tenant}/oauth2/v2.0/token`, { method: "POST", body: form });
  const body = await answer.json();
  assert.equal(answer.status, 200, JSON.stringify(body));
  assert.equal(body.token_type, "Bearer");
  return body.access_token;
}

// The SDK's own AuthenticationHandler only sends the token to https Graph hosts (or https custom hosts);
// the simulator is plain http on 127.0.0.1, so this chain puts the bearer token on every request itself and
// hands over to the SDK's HTTPMessageHandler.
function authMiddleware(token) {
  return {
    setNext(next) {
      this.next = next;
    },
    async execute(context) {
      const headers = new Headers(context.options.headers || {});
      headers.set("Authorization", `Bearer ${token}`);
      context.options.headers = headers;
      return this.next.execute(context);
    },
  };
}

async function main() {
  const token = await acquireToken();
  const auth = authMiddleware(token);
  auth.setNext(new HTTPMessageHandler());
  const client = Client.initWithMiddleware({ middleware: auth, baseUrl: `${base}/`, defaultVersion: "v1.0" });
  const out = {};

  // Create a user.
  const user = await client.api("/users").post({
    accountEnabled: true,
    displayName: "Dana Admin-Script",
    mailNickname: "dana",
    userPrincipalName: "dana@contoso.com",
    passwordProfile: { forceChangePasswordNextSignIn: true, password: "Script-Pass-1" },
    department: "Sales",
  });
  assert.match(user.id, /^[0-9a-f-]{36}$/);
  out.userId = user.id;

  // Assign it to the application with the default access role.
  const assignment = await client.api(`/servicePrincipals/${sp}/appRoleAssignedTo`).post({
    principalId: user.id,
    resourceId: sp,
    appRoleId: DEFAULT_ACCESS,
  });
  assert.equal(assignment.principalId, user.id);
  const assigned = await client.api(`/servicePrincipals/${sp}/appRoleAssignedTo`).get();
  assert.ok(assigned.value.some((a) => a.principalId === user.id));

  // Find it with $filter and $select, count the users.
  const found = await client.api("/users").filter("startswith(displayName,'Dana') and department eq 'Sales'").select("id,displayName").get();
  assert.equal(found.value.length, 1);
  assert.deepEqual(Object.keys(found.value[0]).sort(), ["displayName", "id"]);
  const counted = await client.api("/users").count(true).top(1).get();
  out.userCount = counted["@odata.count"];
  assert.ok(counted["@odata.nextLink"].startsWith(`${base}/v1.0/users?`));

  // Update it; read it back by userPrincipalName.
  await client.api(`/users/${user.id}`).patch({ jobTitle: "Account Executive" });
  const read = await client.api("/users/dana@contoso.com").select("jobTitle").get();
  assert.equal(read.jobTitle, "Account Executive");

  // Delete it (recycle bin), find it there, restore it.
  await client.api(`/users/${user.id}`).delete();
  const bin = await client.api("/directory/deletedItems/microsoft.graph.user").get();
  assert.ok(bin.value.some((u) => u.id === user.id));
  const restored = await client.api(`/directory/deletedItems/${user.id}/restore`).post({});
  assert.equal(restored.id, user.id);

  // Change tracking: a first round of groups/delta, then a group made with the user as a member, which the
  // next round (asked for with the first round's $deltatoken, as the SDK cannot follow an http link) lists.
  const first = await client.api("/groups/delta").select("displayName,members").get();
  assert.ok(first.value.every((g) => Array.isArray(g["members@delta"])), JSON.stringify(first));
  const deltaToken = new URL(first["@odata.deltaLink"]).searchParams.get("$deltatoken");
  const group = await client.api("/groups").post({
    displayName: "Partners",
    mailEnabled: false,
    mailNickname: "partners",
    securityEnabled: true,
  });
  await client.api(`/groups/${group.id}/members/$ref`).post({ "@odata.id": `${base}/v1.0/directoryObjects/${user.id}` });
  const next = await client.api("/groups/delta").select("displayName,members").query({ $deltatoken: deltaToken }).get();
  out.groupsDelta = next.value.map((g) => [g.displayName, g["members@delta"].map((m) => m.id === user.id)]);

  // A missing object is a GraphError with Graph's code.
  try {
    await client.api("/users/00000000-1111-4111-8111-000000000000").get();
    assert.fail("expected a 404");
  } catch (e) {
    assert.ok(e instanceof GraphError, String(e));
    assert.equal(e.statusCode, 404);
    assert.equal(e.code, "Request_ResourceNotFound");
    out.notFoundRequestId = e.requestId;
  }

  // Read the provisioning job and start it.
  const jobs = await client.api(`/servicePrincipals/${sp}/synchronization/jobs`).get();
  assert.equal(jobs.value.length, 1);
  const job = jobs.value[0];
  out.jobId = job.id;
  out.jobCodeBefore = job.status.code;
  await client.api(`/servicePrincipals/${sp}/synchronization/jobs/${job.id}/start`).post({});
  const started = await client.api(`/servicePrincipals/${sp}/synchronization/jobs/${job.id}`).get();
  out.jobCodeAfter = started.status.code;

  // Page through the provisioning logs. The SDK's PageIterator parses only https nextLinks, so over the
  // simulator's http the script takes the $skiptoken from each nextLink and asks for the next page with it.
  const entries = [];
  let page = await client.api("/auditLogs/provisioning").top(2).get();
  for (;;) {
    entries.push(...page.value);
    const next = page["@odata.nextLink"];
    if (!next) break;
    assert.ok(next.startsWith(`${base}/v1.0/auditLogs/provisioning?`), next);
    const skipToken = new URL(next).searchParams.get("$skiptoken");
    page = await client.api("/auditLogs/provisioning").top(2).skipToken(skipToken).get();
  }
  out.logEntries = entries.length;
  out.logStatuses = entries.map((e) => e.provisioningStatusInfo.status);

  console.log(JSON.stringify(out));
}

main().catch((e) => {
  console.error(e && e.stack ? e.stack : e);
  process.exit(1);
});
