// Shared by every portal page: the Microsoft Graph client (same origin, the bearer token the tenant put in
// the page), the live event stream, and small widgets (elements, badges, toasts, tabs, dialogs, CSV).
(function () {
  "use strict";

  function meta(name) {
    var m = document.querySelector('meta[name="entrasim:' + name + '"]');
    return m ? m.getAttribute("content") : "";
  }
  var config = {
    token: meta("token"), sp: meta("service-principal"), job: meta("job"), tenant: meta("tenant"),
    pageSize: Number(meta("page-size")) || 1024
  };
  var enc = encodeURIComponent;
  var spPath = "/v1.0/servicePrincipals/" + enc(config.sp);
  var jobPath = spPath + "/synchronization/jobs/" + enc(config.job);

  // A Graph call. Answers that are not 2xx throw an Error with Graph's `error.code`/`error.message`.
  async function graph(method, path, body) {
    var init = { method: method, headers: { Authorization: "Bearer " + config.token, Accept: "application/json" } };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    var response;
    try {
      response = await fetch(path, init);
    } catch (e) {
      var down = new Error("the tenant did not answer " + method + " " + path + " (is entrasim tenant still running?)");
      down.status = 0;
      throw down;
    }
    var text = await response.text();
    var data = null;
    if (text) {
      try { data = JSON.parse(text); } catch (e) { data = text; }
    }
    if (response.status === 401) { expired(); }
    if (!response.ok) {
      var info = data && data.error ? data.error : {};
      var err = new Error((info.code ? info.code + ": " : "") + (info.message || (method + " " + path + " returned " + response.status)));
      err.status = response.status;
      err.code = info.code || "";
      err.graphMessage = info.message || "";
      throw err;
    }
    return data;
  }

  // JSON the portal (`/_portal/…`) or the tenant's control routes (`/_entrasim/…`, which take the same
  // token as Graph) serve; null on 404.
  async function local(path) {
    var response = await fetch(path, { headers: { Accept: "application/json", Authorization: "Bearer " + config.token } });
    if (response.status === 404) { return null; }
    if (response.status === 401) { expired(); }
    if (!response.ok) { throw new Error("GET " + path + " returned " + response.status); }
    return response.json();
  }

  // Tokens last an hour; a page left open longer gets a new one by reloading.
  var told = false;
  function expired() {
    if (told) { return; }
    told = true;
    toast("This page's sign-in expired: reload the page to continue.", "error");
  }

  // Every item of a Graph collection, following @odata.nextLink, up to `max` items.
  async function graphAll(path, max) {
    var items = [];
    var next = path;
    var truncated = false;
    while (next) {
      var page = await graph("GET", next);
      items = items.concat((page && page.value) || []);
      next = page && page["@odata.nextLink"];
      if (next) {
        var u = new URL(next, location.origin);
        next = u.pathname + u.search;
      }
      if (max && items.length >= max) {
        truncated = Boolean(next) || items.length > max;
        items = items.slice(0, max);
        break;
      }
    }
    items.truncated = truncated;
    return items;
  }

  // el("td", {class: "x", onclick: f}, child, "text", ...)
  function el(tag, attrs) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        var v = attrs[k];
        if (v === undefined || v === null || v === false) { return; }
        if (k.slice(0, 2) === "on") { node.addEventListener(k.slice(2), v); }
        else if (k === "text") { node.textContent = v; }
        else { node.setAttribute(k, v === true ? "" : v); }
      });
    }
    for (var i = 2; i < arguments.length; i++) { append(node, arguments[i]); }
    return node;
  }
  function append(node, child) {
    if (child === undefined || child === null || child === false) { return; }
    if (Array.isArray(child)) { child.forEach(function (c) { append(node, c); }); return; }
    node.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  function clear(node) { while (node.firstChild) { node.removeChild(node.firstChild); } return node; }
  function $(id) { return document.getElementById(id); }

  // A status badge: Success, Failure, Skipped, Warning, or a job state.
  var BADGES = {
    success: "pass", active: "pass", running: "pass", passed: "pass", succeeded: "pass",
    failure: "fail", failed: "fail", quarantine: "fail", quarantined: "fail", error: "fail",
    warning: "warn", paused: "skip", stopped: "skip", skipped: "skip", notrun: "info", disabled: "skip"
  };
  function badge(status, label) {
    var key = String(status || "").toLowerCase().replace(/[^a-z]/g, "");
    return el("span", { class: "badge badge-" + (BADGES[key] || "info") }, label || status || "Unknown");
  }

  function toast(message, kind) {
    var t = el("div", { class: "toast" + (kind === "error" ? " error" : ""), role: kind === "error" ? "alert" : null }, message);
    $("toasts").appendChild(t);
    setTimeout(function () { t.remove(); }, kind === "error" ? 9000 : 5000);
  }

  function pad(n) { return n < 10 ? "0" + n : String(n); }
  // "2026-12-07 13:20:05" in the browser's time zone.
  function formatTime(iso) {
    if (!iso) { return "—"; }
    var d = new Date(iso);
    if (isNaN(d.getTime())) { return String(iso); }
    if (d.getUTCFullYear() < 1900) { return "never"; }
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + " " + pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds());
  }
  // ISO 8601 duration (PT40M, P1D, PT1H30M) in milliseconds, or null.
  function durationMs(text) {
    var m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:([\d.]+)S)?)?$/.exec(String(text || ""));
    if (!m) { return null; }
    return (((+(m[1] || 0) * 24 + +(m[2] || 0)) * 60 + +(m[3] || 0)) * 60 + +(m[4] || 0)) * 1000;
  }
  function describeDuration(ms) {
    if (ms === null || ms === undefined) { return "—"; }
    var minutes = Math.round(ms / 60000);
    if (minutes < 1) { return Math.round(ms / 1000) + " seconds"; }
    if (minutes < 120) { return minutes + " minute" + (minutes === 1 ? "" : "s"); }
    var hours = Math.round(minutes / 60);
    if (hours < 48) { return hours + " hours"; }
    return Math.round(hours / 24) + " days";
  }
  function plural(n, word) { return n.toLocaleString("en-US") + " " + word + (n === 1 ? "" : "s"); }

  // Calls `fn` once, `ms` after the last of a burst of calls.
  function debounce(fn, ms) {
    var timer = null;
    return function () {
      clearTimeout(timer);
      timer = setTimeout(fn, ms);
    };
  }

  // Calls `fn` at most once every `ms` while calls keep coming, and once after the last of them.
  function throttle(fn, ms) {
    var last = 0, timer = null;
    return function () {
      var wait = last + ms - Date.now();
      clearTimeout(timer);
      if (wait <= 0) { last = Date.now(); fn(); } else { timer = setTimeout(function () { last = Date.now(); fn(); }, wait); }
    };
  }

  // The tenant's live events (`/_entrasim/events`: one JSON engine event per message, named by its
  // `type`). EventSource sends no headers, so the token goes in the query. Every page registers
  // handlers; an event type this list does not name is not delivered, so new kinds are ignored.
  var EVENT_TYPES = ["message", "cycle_started", "progress", "object", "cycle_finished", "job_status", "quarantine",
    "finding", "on_demand", "step_started", "step_finished"];
  var handlers = [];
  var source = null;
  function setLive(state, text) {
    var live = $("live");
    if (!live) { return; }
    live.className = "live " + state;
    live.querySelector(".live-text").textContent = text;
  }
  function onEvent(fn) {
    handlers.push(fn);
    if (source || typeof EventSource === "undefined") { return; }
    source = new EventSource("/_entrasim/events?access_token=" + enc(config.token));
    source.onopen = function () { setLive("on", "Live"); };
    source.onerror = function () { setLive("off", "Reconnecting…"); };
    var deliver = function (message) {
      var event;
      try { event = JSON.parse(message.data); } catch (e) { return; }
      if (!event || typeof event !== "object") { return; }
      if (event.type === "cycle_started" || event.type === "progress") { setLive("on busy", "Cycle running"); }
      if (event.type === "cycle_finished") { setLive("on", "Live"); }
      handlers.forEach(function (h) {
        try { h(event); } catch (e) { problem(e); /* and the other handlers still run */ }
      });
    };
    EVENT_TYPES.forEach(function (name) { source.addEventListener(name, deliver); });
    // Close the stream when the page goes: a browser keeps only six connections to one origin, and a
    // stream left open by a page kept in the back/forward cache would hold one of them.
    window.addEventListener("pagehide", function () { source.close(); });
    // A page brought back from that cache has a closed stream and old figures: load it afresh.
    window.addEventListener("pageshow", function (e) { if (e.persisted) { location.reload(); } });
  }

  // Arrow-key navigation between tabs; `select(tab)` is called on click and on arrows.
  function tabs(list, select) {
    var all = Array.prototype.slice.call(list.querySelectorAll("[role=tab]"));
    function choose(tab) {
      all.forEach(function (t) {
        var on = t === tab;
        t.setAttribute("aria-selected", on ? "true" : "false");
        t.tabIndex = on ? 0 : -1;
      });
      select(tab);
    }
    all.forEach(function (tab, i) {
      tab.addEventListener("click", function () { choose(tab); });
      tab.addEventListener("keydown", function (e) {
        var to = null;
        if (e.key === "ArrowRight") { to = all[(i + 1) % all.length]; }
        if (e.key === "ArrowLeft") { to = all[(i - 1 + all.length) % all.length]; }
        if (e.key === "Home") { to = all[0]; }
        if (e.key === "End") { to = all[all.length - 1]; }
        if (to) { e.preventDefault(); to.focus(); choose(to); }
      });
    });
    return choose;
  }

  // A modal question; resolves to true when confirmed.
  function confirmDialog(title, text, action) {
    return new Promise(function (resolve) {
      var ok = el("button", { class: "btn btn-primary", value: "ok" }, action);
      var cancel = el("button", { class: "btn", value: "cancel", type: "submit" }, "Cancel");
      var dialog = el("dialog", { "aria-labelledby": "confirm-h" },
        el("form", { method: "dialog" }, el("h2", { id: "confirm-h" }, title), el("p", {}, text),
          el("div", { class: "dialog-actions" }, ok, cancel)));
      document.body.appendChild(dialog);
      dialog.addEventListener("close", function () {
        resolve(dialog.returnValue === "ok");
        dialog.remove();
      });
      dialog.showModal();
      cancel.focus();
    });
  }

  // Closes a dialog from its [data-close] buttons and Escape.
  function wireDialog(dialog) {
    Array.prototype.forEach.call(dialog.querySelectorAll("[data-close]"), function (b) {
      b.addEventListener("click", function () { dialog.close(); });
    });
  }

  // One CSV field, quoted when it needs to be (RFC 4180).
  function csvField(value) {
    var s = value === null || value === undefined ? "" : String(value);
    return /[",\r\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
  }
  function csv(header, rows) {
    return [header].concat(rows).map(function (r) { return r.map(csvField).join(","); }).join("\r\n") + "\r\n";
  }
  function download(name, type, text) {
    return el("a", { href: URL.createObjectURL(new Blob([text], { type: type })), download: name }, name);
  }

  // Problems a page met and got past, kept for the browser tests (and the console).
  var problems = [];
  function problem(e) {
    problems.push(String((e && e.message) || e));
    if (window.console) { console.warn(e); }
  }
  window.addEventListener("error", function (e) { problems.push(String(e.message)); });
  window.addEventListener("unhandledrejection", function (e) { problems.push(String(e.reason && e.reason.message || e.reason)); });

  window.Portal = {
    problem: problem, problems: problems,
    config: config, jobPath: jobPath, spPath: spPath, graph: graph, graphAll: graphAll, local: local,
    el: el, clear: clear, $: $, badge: badge, toast: toast, formatTime: formatTime, durationMs: durationMs,
    describeDuration: describeDuration, plural: plural, debounce: debounce, throttle: throttle, onEvent: onEvent, tabs: tabs,
    confirm: confirmDialog, wireDialog: wireDialog, csv: csv, download: download
  };
  document.addEventListener("DOMContentLoaded", function () {
    // At narrow widths the menu is a strip that scrolls sideways: show the current page's entry.
    var strip = window.matchMedia("(max-width: 900px)");
    function showCurrent() {
      var current = document.querySelector(".menu a.current");
      if (current && strip.matches) {
        var menu = current.closest(".menu");
        menu.scrollLeft = current.offsetLeft - (menu.clientWidth - current.offsetWidth) / 2;
      }
    }
    showCurrent();
    strip.addEventListener("change", showCurrent);
    // Pages that do not listen themselves still show whether the tenant is reachable.
    onEvent(function () {});
  });
})();
