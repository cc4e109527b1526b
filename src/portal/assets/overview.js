// Overview: the job's status from Graph (synchronizationJob), the last cycle's statistics and the
// escrows from the provisioning logs, live progress from the tenant's events; Start, Stop, Restart and
// Test connection are Graph calls.
(function () {
  "use strict";
  var P = window.Portal, el = P.el, $ = P.$;

  // What to do for each synchronizationQuarantine reason (ENTRA.md 6.5).
  var QUARANTINE_FIX = {
    EncounteredQuarantineException: "Most requests to the target failed, usually because the secret token is invalid or expired or the tenant URL is wrong. Fix the admin credentials, select Test connection, then Restart provisioning.",
    EncounteredBaseEscrowThreshold: "Too many objects failed to provision. Open the provisioning logs filtered on Failure, fix the cause (endpoint errors or mapped values), then Restart provisioning to clear the escrows.",
    EncounteredTotalEscrowThreshold: "More than 40,000 objects failed to provision. Fix the cause shown in the provisioning logs (Failure), then Restart provisioning to clear the escrows.",
    EncounteredEscrowProportionThreshold: "More than 40% of the provisioning events failed. Fix the cause shown in the provisioning logs (Failure), then Restart provisioning to clear the escrows.",
    TooManyDeletes: "The accidental-deletions threshold was exceeded. Review the staged deletions in the provisioning logs; if they are intended, allow them and restart, otherwise fix the scope or the source.",
    QuarantinedOnDemand: "An administrator quarantined the job. Select Start provisioning to resume.",
    QuarantineOnDemand: "An administrator quarantined the job. Select Start provisioning to resume.",
    Unknown: "Check the provisioning logs for failures, fix them, then Restart provisioning."
  };
  var STATUS_LABEL = { Active: "Running", Paused: "Stopped", Quarantine: "Quarantined", NotRun: "Not run yet", NotConfigured: "Not configured", Disabled: "Disabled" };

  var running = null; // {cycle, done, total, pages} while a cycle runs, from the events
  var job = null;
  var engineEscrows = null; // from the engine's job_status events, which count escrows exactly
  var finished = 0; // the last cycle known to have ended: later news of it is stale

  function statusOf(j) {
    var code = (j.status && j.status.code) || "NotRun";
    if (j.schedule && j.schedule.state === "Disabled" && code !== "Quarantine") { return { code: "Disabled", label: "Disabled" }; }
    return { code: code, label: STATUS_LABEL[code] || code };
  }

  function renderJob(j) {
    job = j;
    var status = j.status || {};
    var st = statusOf(j);
    P.clear($("job-status")).appendChild(P.badge(st.code === "Active" ? "active" : st.code, st.label));
    var interval = P.durationMs(j.schedule && j.schedule.interval);
    $("job-schedule").textContent = interval ? "Every " + P.describeDuration(interval) : "—";
    var last = status.lastExecution || {};
    $("job-last").textContent = last.timeBegan
      ? P.formatTime(last.timeBegan) + (last.timeEnded ? " – " + P.formatTime(last.timeEnded) : " (running)") + (last.state ? " · " + last.state : "")
      : "No cycle yet";
    var steady = P.formatTime(status.steadyStateLastAchievedTime);
    $("job-steady").textContent = steady === "never" || steady === "—" ? "Not reached yet" : "Last reached " + steady;
    $("job-next").textContent = nextCycle(j, st, interval);
    $("cmd-start").disabled = st.code === "Active";
    $("cmd-stop").disabled = st.code === "Paused" || st.code === "Disabled";

    var q = status.quarantine;
    $("quarantine").hidden = !(st.code === "Quarantine" || q);
    if (q) {
      var reason = q.reason || "Unknown";
      var error = q.error && (q.error.message || q.error.code);
      $("quarantine-reason").textContent = "Reason: " + reason + (error ? " — " + error : "");
      $("quarantine-fix").textContent = QUARANTINE_FIX[reason] || QUARANTINE_FIX.Unknown;
      $("quarantine-times").textContent = "In quarantine since " + P.formatTime(q.currentBegan) +
        (q.nextAttempt ? " · next attempt " + P.formatTime(q.nextAttempt) : "") +
        (q.seriesCount ? " · " + P.plural(q.seriesCount, "quarantine") + " in this series" : "");
    }

    var counts = P.clear($("cycle-counts"));
    (status.synchronizedEntryCountByType || []).forEach(function (pair) {
      // Keys are object types, sometimes as schema URNs: `urn:…:core:2.0:User` → Users.
      var type = String(pair.key).split(":").pop();
      type = type.charAt(0).toUpperCase() + type.slice(1);
      counts.appendChild(el("dt", {}, type + (/s$/.test(type) ? "" : "s") + " provisioned"));
      counts.appendChild(el("dd", {}, Number(pair.value).toLocaleString("en-US")));
    });
    if (!running) { renderProgressFromStatus(status); }
  }

  function nextCycle(j, st, interval) {
    var status = j.status || {};
    if (st.code === "Paused" || st.code === "Disabled") { return "None: provisioning is stopped"; }
    if (status.quarantine && status.quarantine.nextAttempt) { return P.formatTime(status.quarantine.nextAttempt) + " (quarantine: at most once a day)"; }
    if (running) { return "After the running cycle"; }
    var last = status.lastExecution || {};
    if (last.timeEnded && interval) { return P.formatTime(new Date(new Date(last.timeEnded).getTime() + interval).toISOString()); }
    if (st.code === "Active") { return "Now (initial cycle)"; }
    return "—";
  }

  function setProgress(done, total, unit) {
    var pct = total > 0 ? Math.min(100, Math.round((done / total) * 100)) : 0;
    var bar = $("cycle-progress");
    bar.setAttribute("aria-valuenow", String(pct));
    bar.setAttribute("aria-valuetext", pct + "%");
    bar.querySelector(".bar").style.width = pct + "%";
    bar.classList.toggle("done", total > 0 && done >= total);
    $("cycle-pages").textContent = total > 0 ? done.toLocaleString("en-US") + " of " + P.plural(total, unit) + " · " + pct + "% complete" : "Entra counts a cycle's progress in pages of objects, not objects.";
  }

  function renderProgressFromStatus(status) {
    var progress = (status.progress || []).slice(-1)[0];
    var last = status.lastExecution || {};
    if (progress && progress.totalUnits) {
      setProgress(progress.completedUnits || 0, progress.totalUnits, singular(progress.units || "page"));
    } else if (last.timeEnded) {
      setProgress(1, 1, "page");
    } else {
      setProgress(0, 0, "page");
    }
    $("cycle-when").textContent = last.timeBegan ? "Started " + P.formatTime(last.timeBegan) : "";
    if (last.timeBegan && !last.timeEnded) {
      $("cycle-state").textContent = "Cycle in progress";
    } else if (last.timeEnded) {
      $("cycle-state").textContent = { Succeeded: "Cycle completed", EntryLevelErrors: "Cycle completed with errors on some objects", Failed: "Cycle failed" }[last.state] ||
        (status.lastSuccessfulExecution ? "Cycle completed" : "Cycle completed with failures");
      $("cycle-when").textContent = "Ended " + P.formatTime(last.timeEnded);
    } else {
      $("cycle-state").textContent = statusOf(job).code === "Active" ? "Initial cycle not started yet" : "No cycle has run";
    }
  }
  function singular(unit) { return String(unit).toLowerCase().replace(/s$/, ""); }

  // A cycle's counts as the engine reports them (`cycle_finished`, `job_status.last_execution`).
  function renderCounts(counts, cycle) {
    var tiles = { create: counts.creates, update: (counts.updates || 0) + (counts.enables || 0), disable: counts.disables, delete: counts.deletes, skipped: counts.skips, failed: counts.failures };
    Object.keys(tiles).forEach(function (k) { $("stat-" + k).textContent = Number(tiles[k] || 0).toLocaleString("en-US"); });
    if (cycle) { $("stats-cycle").textContent = "Cycle " + cycle + " · " + P.plural(counts.requests || 0, "request") + " to the target"; }
  }

  // The engine's own view of the job, sent on every change: escrows, the last cycle's counts, the
  // quarantine's advice and the next cycle, which Graph's synchronizationJob does not carry.
  function applyStatus(st) {
    if (!st) { return; }
    engineEscrows = Number(st.escrows_outstanding || 0);
    $("escrows").textContent = engineEscrows.toLocaleString("en-US");
    if (st.last_execution) { finished = Math.max(finished, st.last_execution.cycle || 0); }
    if (st.last_execution && !st.running) { renderCounts(st.last_execution.counts || {}, st.last_execution.cycle); }
    var code = { not_run: "NotRun", active: "Active", paused: "Paused", quarantine: "Quarantine", disabled: "Disabled" }[st.code];
    if (code) {
      P.clear($("job-status")).appendChild(P.badge(code === "Active" ? "active" : code, STATUS_LABEL[code] || code));
    }
    $("quarantine").hidden = !st.quarantine;
    if (st.quarantine) {
      $("quarantine-reason").textContent = "Reason: " + st.quarantine.reason + (st.quarantine.detail ? " — " + st.quarantine.detail : "");
      if (st.quarantine.what_to_do) { $("quarantine-fix").textContent = st.quarantine.what_to_do; }
    }
    if (st.next_cycle_at && !st.running) { $("job-next").textContent = P.formatTime(st.next_cycle_at); }
    if (st.running && st.running.cycle > finished) {
      progress(st.running.cycle, st.running.done, st.running.total, st.running.kind);
    } else if (!st.running && running) {
      running = null;
      refreshSoon();
    }
  }

  function renderClock(clock) {
    if (!clock) { return; }
    var speed = Number(clock.speed || 1);
    $("job-clock").textContent = P.formatTime(clock.now) + " · simulated" + (speed !== 1 ? ", " + speed.toLocaleString("en-US") + "× real time" : "") + (clock.paused ? " · paused" : "");
  }

  // Progress in pages of users, as Entra counts it.
  function progress(cycle, done, total, kind) {
    running = running || { cycle: cycle };
    if (kind) { running.kind = kind; }
    var size = P.config.pageSize;
    var pages = Math.max(1, Math.ceil((total || 0) / size));
    setProgress(Math.min(pages, Math.ceil((done || 0) / size)), pages, "page");
    $("cycle-state").textContent = (running.kind ? cap(running.kind) + " cycle " : "Cycle ") + cycle + " in progress";
    $("cycle-when").textContent = Number(done || 0).toLocaleString("en-US") + " of " + P.plural(total || 0, "user") + " evaluated";
  }
  function cap(s) { s = String(s); return s.charAt(0).toUpperCase() + s.slice(1); }

  // The last cycle's counts and the escrows, from the provisioning logs.
  function renderLogs(records) {
    var mine = records.filter(function (r) { return !r.jobId || r.jobId === P.config.job; });
    if (!mine.length) {
      ["create", "update", "disable", "delete", "skipped", "failed"].forEach(function (k) { $("stat-" + k).textContent = "0"; });
      if (engineEscrows === null) { $("escrows").textContent = "0"; }
      return;
    }
    mine.sort(function (a, b) { return String(b.activityDateTime).localeCompare(String(a.activityDateTime)); });
    var cycle = mine[0].cycleId;
    var counts = { create: 0, update: 0, disable: 0, delete: 0, skipped: 0, failed: 0 };
    mine.forEach(function (r) {
      if (r.cycleId !== cycle) { return; }
      var status = String((r.provisioningStatusInfo || {}).status || "").toLowerCase();
      var action = String(r.provisioningAction || "").toLowerCase();
      if (status === "failure") { counts.failed++; }
      else if (status === "skipped") { counts.skipped++; }
      else if (counts[action] !== undefined) { counts[action]++; }
    });
    Object.keys(counts).forEach(function (k) { $("stat-" + k).textContent = counts[k].toLocaleString("en-US"); });
    $("stats-cycle").textContent = "Cycle " + cycle + ", ended " + P.formatTime(mine[0].activityDateTime) + (records.truncated ? " (from the newest " + records.length + " log entries)" : "");
    Array.prototype.forEach.call(document.querySelectorAll("#stats a.tile"), function (a) {
      var u = new URL(a.href, location.origin);
      u.searchParams.set("cycle", cycle);
      a.href = u.pathname + u.search;
    });
    // An escrow is an object whose newest log entry is a failure: a later success clears it.
    var latest = {};
    mine.forEach(function (r) {
      var key = ((r.sourceIdentity || {}).id) || ((r.targetIdentity || {}).id) || r.changeId;
      if (!(key in latest)) { latest[key] = r; }
    });
    var escrows = Object.keys(latest).filter(function (k) {
      return String((latest[k].provisioningStatusInfo || {}).status).toLowerCase() === "failure";
    }).length;
    if (engineEscrows === null) { $("escrows").textContent = escrows.toLocaleString("en-US"); }
  }

  async function refresh() {
    try {
      renderJob(await P.graph("GET", P.jobPath));
    } catch (e) {
      $("cycle-state").textContent = "Could not read the job: " + e.message;
    }
    try {
      // The engine's view: escrows, the last cycle's counts, the quarantine's advice, the simulated clock.
      var tenant = await P.local("/_entrasim/status");
      if (tenant) {
        renderClock(tenant.clock);
        applyStatus(tenant.job);
      }
    } catch (e) {
      P.problem(e); // Graph alone still fills the page
    }
    try {
      renderLogs(await P.graphAll("/v1.0/auditLogs/provisioning?$top=500", 5000));
    } catch (e) {
      $("stats-cycle").textContent = "Could not read the provisioning logs: " + e.message;
    }
  }
  // Events can come in floods during a long cycle: read Graph at most every two seconds meanwhile.
  var refreshSoon = P.throttle(refresh, 2000);

  async function command(button, path, body, done) {
    button.disabled = true;
    try {
      await P.graph("POST", P.jobPath + path, body);
      P.toast(done);
    } catch (e) {
      P.toast(e.message, "error");
    }
    button.disabled = false;
    refresh();
  }

  // Test connection: Graph's validateCredentials with the saved credentials; a Graph that wants them
  // spelled out (the simulator's does) gets them from the credentials dialog.
  async function testConnection(credentials) {
    var box = $("connection");
    var button = $("cmd-test");
    button.disabled = true;
    box.hidden = false;
    box.className = "alert";
    box.textContent = "Testing the connection to the target…";
    var body = credentials ? { useSavedCredentials: false, credentials: credentials } : { useSavedCredentials: true, credentials: [] };
    try {
      await P.graph("POST", P.spPath + "/synchronization/jobs/validateCredentials", body);
      box.className = "alert alert-success";
      box.textContent = "The supplied credentials are authorized to enable provisioning.";
    } catch (e) {
      if (!credentials && e.status === 400 && /useSavedCredentials/.test(e.graphMessage || "")) {
        box.hidden = true;
        button.disabled = false;
        askCredentials(e.graphMessage);
        return;
      }
      box.className = "alert alert-error";
      P.clear(box).appendChild(el("h2", {}, "Test connection failed"));
      box.appendChild(el("p", {}, e.graphMessage || e.message));
      if (e.code) { box.appendChild(el("p", { class: "code" }, e.code)); }
    }
    button.disabled = false;
  }
  async function askCredentials(why) {
    if (!$("cred-url").value) {
      try {
        var status = await P.local("/_entrasim/status");
        if (status && status.target) { $("cred-url").value = status.target.url; }
      } catch (e) {
        P.problem(e); // typed by hand then
      }
    }
    $("credentials-why").textContent = "The tenant's Graph API needs the credentials to test (" + why + "). They are sent to it only, and not kept by this page.";
    $("credentials-dialog").showModal();
  }
  $("credentials-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var credentials = [{ key: "BaseAddress", value: $("cred-url").value.trim() }, { key: "SecretToken", value: $("cred-token").value }];
    $("cred-token").value = "";
    $("credentials-dialog").close();
    testConnection(credentials);
  });
  P.wireDialog($("credentials-dialog"));

  function onEvent(event) {
    switch (event.type) {
      case "cycle_started":
        if (event.cycle <= finished) { break; }
        running = { cycle: event.cycle, kind: event.kind };
        progress(event.cycle, 0, 0, event.kind);
        $("cycle-when").textContent = "Started " + P.formatTime(event.at);
        break;
      case "progress":
        if (event.cycle > finished) { progress(event.cycle, event.done, event.total); }
        break;
      case "cycle_finished":
        running = null;
        finished = Math.max(finished, event.cycle || 0);
        if (event.counts) { renderCounts(event.counts, event.cycle); }
        refreshSoon();
        break;
      case "job_status":
        applyStatus(event.status);
        refreshSoon();
        break;
      default:
        // object, finding, quarantine, on_demand and anything newer: Graph has the rest.
        if (!running || event.type !== "object") { refreshSoon(); }
    }
  }

  $("cmd-start").addEventListener("click", function () { command($("cmd-start"), "/start", undefined, "Provisioning started."); });
  $("cmd-stop").addEventListener("click", function () { command($("cmd-stop"), "/pause", undefined, "Provisioning stopped: the running cycle completes, no further cycles start."); });
  $("cmd-refresh").addEventListener("click", refresh);
  $("cmd-test").addEventListener("click", function () { testConnection(null); });
  var dialog = $("restart-dialog");
  $("cmd-restart").addEventListener("click", function () {
    $("restart-reset-scope").checked = false;
    dialog.showModal();
  });
  dialog.addEventListener("close", function () {
    if (dialog.returnValue !== "restart") { return; }
    var scope = $("restart-reset-scope").checked ? "Full" : "Watermark, Escrows, QuarantineState";
    command($("cmd-restart"), "/restart", { criteria: { resetScope: scope } }, "Provisioning restarted: the next cycle is an initial cycle.");
  });
  P.onEvent(onEvent);
  refresh();
})();
