// A SCIM 2.0 service provider built the way scimmy's documentation shows: scimmy-routers mounted on
// express, Users (with the enterprise extension) and Groups declared with ingress/egress/degress
// handlers over an in-memory store. Everything SCIM — schema coercion, filters, PATCH, paging, errors —
// is scimmy's own; the handlers only store, find and delete records. Do not "fix" scimmy's behaviour
// here: entrasim's compatibility tests (tests/it/compat.rs) measure the library as users get it.
//
// Usage: node server.js [--token TOKEN]
// Listens on 127.0.0.1 on a port the OS picks and prints `listening on http://127.0.0.1:PORT/scim/v2`.
// With --token, only `Authorization: Bearer TOKEN` is accepted; without it, any bearer token is.

import {randomUUID} from "node:crypto";
import express from "express";
import SCIMMY from "scimmy";
import SCIMMYRouters from "scimmy-routers";

const args = process.argv.slice(2);
const tokenAt = args.indexOf("--token");
const token = tokenAt >= 0 ? args[tokenAt + 1] : undefined;

// What this server does: scimmy implements PATCH, filtering and sorting, so the configuration says so.
SCIMMY.Config.set({
    patch: {supported: true},
    filter: {supported: true, maxResults: 200},
    sort: {supported: true},
});

/**
 * One resource type's records, handled through scimmy's handler contract.
 * @param {typeof SCIMMY.Types.Resource} type - the scimmy resource type the records belong to
 */
function store(type) {
    const records = new Map();
    // Attributes the schema declares unique on this server ("server" or "global" uniqueness), such as
    // User.userName: the handler contract leaves enforcing them to the implementation.
    const unique = type.schema.definition.attributes
        .filter((a) => a.name !== "id" && ["server", "global"].includes(a.config.uniqueness))
        .map((a) => a.name);
    const clash = (data, id) => unique.find((name) => data[name] !== undefined && [...records.values()]
        .some((r) => r.id !== id && String(r[name]).toLowerCase() === String(data[name]).toLowerCase()));

    return {
        ingress: (resource, instance) => {
            const data = JSON.parse(JSON.stringify(instance));
            const now = new Date().toISOString();
            if (resource.id && !records.has(resource.id))
                throw new SCIMMY.Types.Error(404, null, `Resource ${resource.id} not found`);
            const taken = clash(data, resource.id);
            if (taken)
                throw new SCIMMY.Types.Error(409, "uniqueness", `${taken} is already in use`);
            const id = resource.id ?? randomUUID();
            const created = resource.id ? records.get(id).meta.created : now;
            const record = {...data, id, meta: {resourceType: type.schema.definition.name, created, lastModified: now}};
            records.set(id, record);
            return record;
        },
        egress: (resource) => {
            if (resource.id) {
                const record = records.get(resource.id);
                if (!record) throw new SCIMMY.Types.Error(404, null, `Resource ${resource.id} not found`);
                return record;
            }
            const all = [...records.values()];
            return resource.filter ? resource.filter.match(all) : all;
        },
        degress: (resource) => {
            if (!records.delete(resource.id))
                throw new SCIMMY.Types.Error(404, null, `Resource ${resource.id} not found`);
        },
    };
}

SCIMMY.Resources.declare(SCIMMY.Resources.User, {
    ...store(SCIMMY.Resources.User),
    extensions: [{schema: SCIMMY.Schemas.EnterpriseUser, required: false}],
});
SCIMMY.Resources.declare(SCIMMY.Resources.Group, store(SCIMMY.Resources.Group));

const app = express();
app.use("/scim/v2", new SCIMMYRouters({
    type: "bearer",
    handler: (request) => {
        const header = request.header("Authorization") ?? "";
        if (!header.startsWith("Bearer ") || (token !== undefined && header !== `Bearer ${token}`))
            throw new Error("Authorization not detected!");
        return "entrasim";
    },
}));

const server = app.listen(0, "127.0.0.1", () => {
    console.log(`listening on http://127.0.0.1:${server.address().port}/scim/v2`);
});
