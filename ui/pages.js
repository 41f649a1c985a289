/* sessiond dashboard: the Jobs, Sessions and Session detail pages. A page is
 * {title, render(view, args, query) -> optional cleanup, event(ev), refresh()}; app.js routes
 * to it, hands it every change-feed event, and calls refresh() only while the feed is down. */
"use strict";

(function () {
  var h = SD.h, DASH = SD.DASH;
  SD.pages = SD.pages || {};

  var STATES = ["Starting", "Working", "Stopping", "Stopped", "Pausing", "Resuming", "Idle",
    "Postprocessing", "WaitingTape", "WaitingRepository", "WaitingSlot", "ActionRequired"];
  var RESULTS = ["Success", "Warning", "Failed", "None"];
  var COMMON_TYPES = ["BackupJob", "ReplicaJob", "BackupCopyJob", "ConfigurationBackup", "RestoreVm",
    "InstantRecovery", "FileLevelRestore", "SureBackup", "RepositoryMaintenance", "Retention",
    "AgentBackup", "AgentPolicy", "SqlLogBackup", "OracleLogBackup", "MalwareDetection", "NasRestore"];

  function errorBox(view, err) {
    view.appendChild(h("p.error", {role: "alert"}, "Could not load: " + (err && err.message || err)));
  }

  function heading(text) {
    return h("h1", {tabindex: "-1"}, text);
  }

  /* After the next frame is painted (two animation frames later). */
  function afterPaint(fn) {
    requestAnimationFrame(function () { requestAnimationFrame(fn); });
  }

  /* The job field that carries missed runs (set from sessiond's missedRun records: VBR has none). */
  var MISSED_FIELDS = ["missedRuns"];

  function firstOf(o, names) {
    for (var i = 0; i < names.length; i++) if (o[names[i]] !== undefined) return o[names[i]];
    return undefined;
  }

  /* Missed runs as the server reports them (a count or a list): a warning when there are any. */
  function missed(v) {
    if (v === undefined || v === null) return DASH;
    var n = Array.isArray(v) ? v.length : +v;
    return n > 0 ? h("span.badge.r-Warning", {title: n + " missed run" + (n > 1 ? "s" : "")}, String(n)) : "0";
  }

  /* ------------------------------------------------------------------ Jobs */

  function stripOf(list) {
    var items = list.slice().reverse();   /* oldest on the left */
    return h("ul.strip", {"aria-label": "Last " + items.length + " results, oldest first"},
      items.map(function (s) {
        var o = SD.outcome(s);
        return h("li.s-" + o, {title: SD.fmtTime(s.creationTime) + ": " + o, "data-result": o});
      }));
  }

  var JOB_COLUMNS = ["Job", "Type", "Last result", "Last run (UTC)", "Duration", "Next run (UTC)", "Missed", "Last 30 results"];
  var SESSION_COLUMNS = ["Name", "Type", "State", "Progress", "Result", "Created (UTC)", "Duration"];

  SD.pages.jobs = {
    title: "Jobs",
    render: function (view) {
      var page = this;
      performance.clearMarks("jobs:requested");
      performance.clearMarks("jobs:painted");
      performance.clearMeasures("jobs:first-paint");
      performance.mark("jobs:requested");
      page.jobs = {};
      page.tbody = h("tbody");
      view.appendChild(heading("Jobs"));
      view.appendChild(h("div.scroll", h("table#jobs-table.cards",
        h("caption.sr-only", "Every job with its last result"),
        h("thead", h("tr", JOB_COLUMNS
          .map(function (t, i) { return h("th" + (i === 1 || i === 5 ? ".hide-narrow" : ""), {scope: "col"}, t); }))),
        page.tbody)));
      return page.refresh();
    },
    /* newOnly: read the 30-run strips only of jobs not seen before (the events keep the rest). */
    refresh: function (newOnly) {
      var page = this;
      /* Missed runs are sessiond's own records (estate kind missedRun, child of the job):
         counted per job beside the VBR job list, which has no field for them. */
      var missedRuns = SD.api("/api/v1/estate/missedRun" + SD.query({limit: 1000})).then(function (m) {
        var n = {};
        ((m && m.data) || []).forEach(function (x) { n[x.parentId] = (n[x.parentId] || 0) + 1; });
        return n;
      }, function () { return null; });
      return Promise.all([SD.api("/api/v1/jobs/states" + SD.query({limit: 1000})), missedRuns]).then(function (both) {
        var body = both[0], counts = both[1];
        if (counts)
          ((body && body.data) || []).forEach(function (j) {
            if (counts[j.id] || j.nextRun) j.missedRuns = counts[j.id] || 0;
          });
        var first = !page.tbody.firstChild;
        page.tbody.textContent = "";
        var list = (body && body.data) || [];
        if (!list.length)
          page.tbody.appendChild(h("tr", h("td", {colspan: "8"}, h("p.empty", "No jobs have reported a session yet."))));
        list.forEach(function (j) {
          var old = page.jobs[j.id];
          page.jobs[j.id] = {job: j, runs: old ? old.runs : null, row: null};
          page.row(j.id);
        });
        function strips() {
          list.forEach(function (j) { if (page.jobs[j.id] && (!newOnly || !page.jobs[j.id].runs)) page.loadRuns(j.id); });
        }
        if (!first) return strips();
        afterPaint(function () {   /* the strips fill in once the table is on screen */
          performance.mark("jobs:painted");
          performance.measure("jobs:first-paint", "jobs:requested", "jobs:painted");
          strips();
        });
      }, function (err) { errorBox(page.tbody.closest("div").parentNode, err); });
    },
    loadRuns: function (id) {
      var page = this;
      return SD.api("/api/v1/sessions" + SD.query({jobIdFilter: id, limit: 30, orderColumn: "CreationTime", orderAsc: "false"}))
        .then(function (body) {
          if (!page.jobs[id]) return;
          page.jobs[id].runs = (body && body.data) || [];
          page.row(id);
        }, function () {});
    },
    row: function (id) {
      var e = this.jobs[id], j = e.job, runs = e.runs;
      var last = runs && runs[0];
      var running = last ? last.state !== "Stopped" : j.status === "Running";
      var result = running ? "Running" : (last ? SD.outcome(last) : j.lastResult || "None");
      var tr = h("tr", {"data-job": id},
        h("th", {scope: "row"}, h("a", {href: "#/sessions?" + "name=" + encodeURIComponent(j.name)}, j.name)),
        h("td.hide-narrow.type", SD.camel(j.type)),
        h("td.nw", h("a", {href: "#/session/" + (last ? last.id : j.sessionId), "aria-label": "Last run of " + j.name + ": " + result},
          SD.badge(result)), running ? SD.progress(last ? last.progressPercent : j.progressPercent, "Progress of " + j.name) : null),
        h("td.nw", SD.fmtTime(last ? last.creationTime : j.lastRun)),
        h("td.nw", last ? SD.fmtDuration(SD.durationOf(last)) : DASH),
        h("td.hide-narrow", j.nextRun ? SD.fmtTime(j.nextRun) : (j.nextRunPolicy || DASH)),
        h("td.num", missed(firstOf(j, MISSED_FIELDS))),
        h("td", runs ? stripOf(runs) : h("span.note", "loading…")));
      SD.labelCells(tr, JOB_COLUMNS);
      if (e.row && e.row.parentNode) e.row.parentNode.replaceChild(tr, e.row);
      else this.tbody.appendChild(tr);
      e.row = tr;
    },
    event: function (ev) {
      if (ev.kind !== "session") return;
      var s = ev.data, e = this.jobs[s.jobId], page = this;
      if (!e) {   /* a job seen for the first time: read the list again (once per burst) */
        if (!page.pending) page.pending = setTimeout(function () { page.pending = null; page.refresh(true); }, 300);
        return;
      }
      var runs = e.runs || [];
      var i = runs.findIndex(function (r) { return r.id === s.id; });
      if (i >= 0) runs[i] = s;
      else if (!runs.length || Date.parse(s.creationTime) >= Date.parse(runs[0].creationTime)) {
        runs.unshift(s);
        if (runs.length > 30) runs.pop();
      }
      e.runs = runs;
      this.row(s.jobId);
    },
    cleanup: function () { clearTimeout(this.pending); this.pending = null; }
  };

  /* -------------------------------------------------------------- Sessions */

  var PAGE_SIZE = 25;

  function toIso(local) {   /* <input type=datetime-local> is read as UTC, as the page shows times */
    return local ? local + (local.length === 16 ? ":00" : "") + "Z" : "";
  }

  function field(id, label, input) {
    input.id = id;
    return h("div", h("label", {"for": id}, label), input);
  }

  function select(name, options, value) {
    return h("select", {name: name}, h("option", {value: ""}, "Any"),
      options.map(function (o) { return h("option", {value: o, selected: o === value}, o); }));
  }

  SD.pages.sessions = {
    title: "Sessions",
    render: function (view, args, q) {
      var page = this;
      page.q = q;
      page.rows = {};
      page.skip = Math.max(0, parseInt(q.skip, 10) || 0);
      view.appendChild(heading("Sessions"));
      var f = h("form.filters#session-filters", {role: "search", "aria-label": "Filter sessions"},
        field("f-name", "Name contains", h("input", {name: "name", value: q.name || "", type: "search"})),
        field("f-type", "Type", h("input", {name: "type", value: q.type || "", list: "types", autocomplete: "off"})),
        h("datalist#types", COMMON_TYPES.map(function (t) { return h("option", {value: t}); })),
        field("f-state", "State", select("state", STATES, q.state)),
        field("f-result", "Result", select("result", RESULTS, q.result)),
        field("f-after", "Created after (UTC)", h("input", {name: "after", type: "datetime-local", value: q.after || ""})),
        field("f-before", "Created before (UTC)", h("input", {name: "before", type: "datetime-local", value: q.before || ""})),
        h("div", h("button", {type: "submit"}, "Apply")),
        h("div", h("button.secondary", {type: "button", onclick: function () { location.hash = "#/sessions"; }}, "Clear")));
      f.addEventListener("submit", function (e) {
        e.preventDefault();
        var next = {};
        ["name", "type", "state", "result", "after", "before"].forEach(function (k) {
          var v = f.elements[k].value.trim();
          if (v) next[k] = v;
        });
        var hash = "#/sessions" + SD.query(next);
        if (location.hash === hash) page.refresh();
        else location.hash = hash;
      });
      view.appendChild(f);
      page.tbody = h("tbody");
      page.info = h("span#page-info", {"aria-live": "polite"});
      page.prev = h("button.secondary#prev", {type: "button", onclick: function () { page.go(-1); }}, "Previous");
      page.next = h("button.secondary#next", {type: "button", onclick: function () { page.go(1); }}, "Next");
      page.err = h("p.error", {role: "alert"});
      view.appendChild(page.err);
      view.appendChild(h("div.scroll", h("table#sessions-table.cards",
        h("caption.sr-only", "Sessions, newest first"),
        h("thead", h("tr", SESSION_COLUMNS.map(function (t, i) {
          return h("th" + (i === 1 || i === 6 ? ".hide-narrow" : ""), {scope: "col"}, t);
        }))), page.tbody)));
      view.appendChild(h("nav.pager", {"aria-label": "Pages of sessions"}, page.prev, page.info, page.next));
      return page.refresh();
    },
    params: function () {
      var q = this.q;
      return {
        nameFilter: q.name, typeFilter: q.type, stateFilter: q.state, resultFilter: q.result,
        createdAfterFilter: toIso(q.after), createdBeforeFilter: toIso(q.before),
        orderColumn: "CreationTime", orderAsc: "false", skip: this.skip, limit: PAGE_SIZE
      };
    },
    go: function (dir) {
      var q = Object.assign({}, this.q);
      q.skip = Math.max(0, this.skip + dir * PAGE_SIZE);
      if (!q.skip) delete q.skip;
      location.hash = "#/sessions" + SD.query(q);
    },
    refresh: function () {
      var page = this;
      return SD.api("/api/v1/sessions" + SD.query(page.params())).then(function (body) {
        page.err.textContent = "";
        page.tbody.textContent = "";
        page.rows = {};
        var list = (body && body.data) || [], total = body && body.pagination ? body.pagination.total : list.length;
        list.forEach(function (s) { page.put(s, false); });
        if (!list.length) page.tbody.appendChild(h("tr", h("td", {colspan: "7"}, h("p.empty", "No session matches."))));
        page.total = total;
        page.info.textContent = list.length ? (page.skip + 1) + "\u2013" + (page.skip + list.length) + " of " + total : "0 of " + total;
        page.prev.disabled = page.skip === 0;
        page.next.disabled = page.skip + list.length >= total;
      }, function (err) {
        page.err.textContent = err.status === 400 ? "The filter was refused: " + err.message : "Could not load: " + err.message;
      });
    },
    put: function (s, fresh) {
      var old = this.rows[s.id];
      var tr = h("tr" + (fresh ? ".fresh" : ""), {"data-id": s.id, "data-state": s.state},
        h("th", {scope: "row"}, h("a", {href: "#/session/" + s.id}, s.name)),
        h("td.hide-narrow.type", SD.camel(s.sessionType)),
        h("td", s.state),
        h("td", SD.progress(s.progressPercent, "Progress of " + s.name)),
        h("td", SD.badge(SD.outcome(s))),
        h("td.nw", SD.fmtTime(s.creationTime)),
        h("td.hide-narrow.nw", SD.fmtDuration(SD.durationOf(s))));
      SD.labelCells(tr, SESSION_COLUMNS);
      if (old) old.parentNode.replaceChild(tr, old);
      else this.tbody.appendChild(tr);
      this.rows[s.id] = tr;
    },
    event: function (ev) {
      if (ev.kind !== "session") return;
      var s = ev.data;
      if (this.rows[s.id]) {
        this.put(s, true);
        return;
      }
      /* A session this page does not show: a new one belongs on the first page; look again
       * (once for a burst of events). */
      if (this.skip === 0 && !this.pending) {
        var page = this;
        page.pending = setTimeout(function () { page.pending = null; page.refresh(); }, 300);
      }
    },
    cleanup: function () { clearTimeout(this.pending); this.pending = null; }
  };

  /* ---------------------------------------------------------- Session detail */

  var FIELD_ORDER = [["id", "Id"], ["name", "Name"], ["jobId", "Job id"], ["sessionType", "Type"],
    ["state", "State"], ["progressPercent", "Progress"], ["result.result", "Result"], ["result.message", "Message"],
    ["result.isCanceled", "Canceled"], ["creationTime", "Created (UTC)"], ["endTime", "Ended (UTC)"],
    ["progress.duration", "Duration"], ["parentSessionId", "Parent session"], ["initiatedBy", "Initiated by"],
    ["platformName", "Platform"], ["resourceId", "Resource id"], ["resourceReference", "Resource"], ["usn", "Change number (usn)"]];

  function pick(o, path) {
    return path.split(".").reduce(function (a, k) { return a && a[k] !== undefined ? a[k] : undefined; }, o);
  }

  var TASK_COLUMNS = ["Name", "Type", "State", "Progress", "Result"];

  SD.pages.session = {
    title: "Session",
    render: function (view, args) {
      var page = this;
      page.id = args[0];
      page.tasks = {};
      page.head = heading("Session");
      page.fields = h("dl.fields#session-fields");
      page.msg = h("span#stop-msg", {role: "status"});
      page.stop = h("button.danger#stop", {type: "button", hidden: true, onclick: function () { page.doStop(); }}, "Stop session");
      page.logBody = h("tbody");
      page.taskBody = h("tbody");
      view.appendChild(page.head);
      view.appendChild(h("div.actions", page.stop, page.msg));
      view.appendChild(page.fields);
      view.appendChild(h("h2", "Task sessions"));
      view.appendChild(h("div.scroll", h("table#tasks-table.cards",
        h("thead", h("tr", TASK_COLUMNS.map(function (t) { return h("th", {scope: "col"}, t); }))),
        page.taskBody)));
      view.appendChild(h("h2", "Log"));
      view.appendChild(h("div.log.scroll", {tabindex: "0", "aria-label": "Session log"}, h("table#log-table",
        h("thead", h("tr", ["Time (UTC)", "Status", "Entry"].map(function (t) { return h("th", {scope: "col"}, t); }))),
        page.logBody)));
      return page.refresh();
    },
    refresh: function () {
      var page = this, base = "/api/v1/sessions/" + encodeURIComponent(page.id);
      return Promise.all([
        SD.api(base).then(function (s) { page.show(s); }),
        page.loadLog(),
        SD.api(base + "/taskSessions" + SD.query({limit: 1000})).then(function (b) {
          page.taskBody.textContent = "";
          page.tasks = {};
          ((b && b.data) || []).forEach(function (t) { page.putTask(t); });
          if (!page.taskBody.firstChild) page.taskBody.appendChild(h("tr", h("td.note", {colspan: "5"}, "No task sessions.")));
        })
      ]).catch(function (err) {
        page.head.textContent = err.status === 404 ? "No such session" : "Session";
        page.fields.textContent = "";
        page.fields.appendChild(h("p.error", {role: "alert"}, err.status === 404 ? "This session does not exist." : "Could not load: " + err.message));
      });
    },
    loadLog: function () {
      var page = this;
      return SD.api("/api/v1/sessions/" + encodeURIComponent(page.id) + "/logs").then(function (b) {
        page.logBody.textContent = "";
        var recs = ((b && b.records) || []).slice().sort(function (a, c) { return a.id - c.id; });
        recs.forEach(function (r) {
          page.logBody.appendChild(h("tr", {"data-log": r.id},
            h("td", SD.fmtTime(r.startTime) + ":" + (r.startTime || "").slice(17, 19)),
            h("td", SD.badge(r.status === "Succeeded" ? "Success" : r.status === "Failed" ? "Failed" : r.status === "Warning" ? "Warning" : "None")),
            h("td", r.title, r.description ? h("div.note", r.description) : null)));
        });
        if (!recs.length) page.logBody.appendChild(h("tr", h("td.note", {colspan: "3"}, "The log is empty.")));
      });
    },
    show: function (s) {
      var page = this;
      page.session = s;
      page.head.textContent = s.name;
      page.fields.textContent = "";
      FIELD_ORDER.forEach(function (f) {
        var v = pick(s, f[0]), dd;
        if (v === undefined || v === null || v === "") return;
        if (f[0] === "parentSessionId") dd = h("a", {href: "#/session/" + v}, v);
        else if (f[0] === "progressPercent") dd = SD.progress(v, "Session progress");
        else if (f[0] === "result.result") dd = SD.badge(SD.outcome(s));
        else if (/Time$/.test(f[0])) dd = SD.fmtTime(v);
        else if (f[0] === "progress.duration") dd = SD.fmtDuration(SD.durationOf(s));
        else dd = String(v);
        page.fields.appendChild(h("dt", f[1]));
        page.fields.appendChild(h("dd", {"data-field": f[0]}, dd));
      });
      page.stop.hidden = !(SD.canStop() && s.state !== "Stopped");
    },
    putTask: function (t) {
      var old = this.tasks[t.id];
      var pct = t.progress ? t.progress.progressPercent : t.progressPercent;
      var tr = SD.labelCells(h("tr", {"data-task": t.id},
        h("th", {scope: "row"}, t.name), h("td", t.type), h("td", t.state),
        h("td", SD.progress(pct, "Progress of " + t.name)),
        h("td", SD.badge(t.state && t.state !== "Stopped" ? "Running" : (t.result && t.result.result) || "None"))), TASK_COLUMNS);
      if (old) old.parentNode.replaceChild(tr, old);
      else {
        var empty = this.taskBody.querySelector("td.note");
        if (empty) this.taskBody.textContent = "";
        this.taskBody.appendChild(tr);
      }
      this.tasks[t.id] = tr;
    },
    doStop: function () {
      var page = this;
      page.stop.disabled = true;
      page.msg.textContent = "Stopping…";
      SD.api("/api/v1/sessions/" + encodeURIComponent(page.id) + "/stop", {method: "POST"}).then(function (s) {
        page.msg.textContent = "Stop requested.";
        if (s && s.id) page.show(s);
      }, function (err) {
        page.msg.textContent = err.status === 403 ? "Your role may not stop sessions." : "Stop failed: " + err.message;
      }).finally(function () { page.stop.disabled = false; });
    },
    event: function (ev) {
      var d = ev.data, page = this;
      if (ev.kind === "session" && d.id === page.id) {
        page.show(d);
        /* Its log changed or it moved on: read the log again (once per burst). */
        if (!page.pendingLog) page.pendingLog = setTimeout(function () { page.pendingLog = null; page.loadLog(); }, 200);
      } else if (ev.kind === "taskSession" && d.sessionId === page.id) {
        page.putTask(d);
      }
    },
    cleanup: function () { clearTimeout(this.pendingLog); this.pendingLog = null; }
  };
})();
