/* sessiond dashboard: the Charts and Repositories pages, and their charts drawn as inline
 * SVG with DOM calls (no library, no inline style: colours come from classes in app.css). Each bar is a <g class="bar"> with a
 * <title>, so a screen reader and a test can count and read them. */
"use strict";

(function () {
  var NS = "http://www.w3.org/2000/svg";
  var W = 640, H = 240, L = 48, R = 10, T = 10, B = 34;
  var SERIES_COLOURS = 6;   /* .s0 … .s5 in app.css */

  function s(tag, attrs, kids) {
    var el = document.createElementNS(NS, tag);
    Object.keys(attrs || {}).forEach(function (k) { el.setAttribute(k, attrs[k]); });
    (kids || []).forEach(function (k) { if (k) el.appendChild(k); });
    return el;
  }

  function text(x, y, str, anchor) {
    var t = s("text", {x: x, y: y, "text-anchor": anchor || "middle"});
    t.textContent = str;
    return t;
  }

  function title(str) {
    var t = s("title");
    t.textContent = str;
    return t;
  }

  /* A frame with a y axis from 0 to max, ticks labelled by fmt. */
  function frame(label, max, fmt) {
    var svg = s("svg", {viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": label});
    svg.appendChild(title(label));
    svg.appendChild(s("line", {x1: L, y1: T, x2: L, y2: H - B, "class": "axis"}));
    svg.appendChild(s("line", {x1: L, y1: H - B, x2: W - R, y2: H - B, "class": "axis"}));
    for (var i = 0; i <= 5; i++) {
      var v = max * i / 5, y = H - B - (H - B - T) * i / 5;
      svg.appendChild(text(L - 4, y + 4, fmt(v), "end"));
    }
    return svg;
  }

  function niceMax(v) {
    if (v <= 0) return 1;
    var p = Math.pow(10, Math.floor(Math.log10(v))), m = v / p;
    return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
  }

  /* Which labels to print under n bars so they do not overlap. */
  function labelEvery(n) { return Math.max(1, Math.ceil(n / 10)); }

  SD.chart = {
    /* groups: [{label, parts: [{key, value}]}], one stacked bar each; keys pick the colour. */
    stacked: function (label, groups, fmt) {
      fmt = fmt || function (v) { return String(Math.round(v)); };
      var max = niceMax(Math.max.apply(null, [0].concat(groups.map(function (g) {
        return g.parts.reduce(function (a, p) { return a + p.value; }, 0);
      }))));
      var svg = frame(label, max, fmt);
      var n = Math.max(groups.length, 1), slot = (W - L - R) / n, bw = Math.max(2, slot * 0.7);
      var every = labelEvery(groups.length);
      groups.forEach(function (g, i) {
        var x = L + i * slot + (slot - bw) / 2, y = H - B;
        var total = g.parts.reduce(function (a, p) { return a + p.value; }, 0);
        var bar = s("g", {"class": "bar", "data-label": g.label, "data-total": total});
        bar.appendChild(title(g.label + ": " + g.parts.filter(function (p) { return p.value; })
          .map(function (p) { return p.value + " " + p.key; }).join(", ")));
        g.parts.forEach(function (p) {
          if (!p.value) return;
          var h = (H - B - T) * p.value / max;
          y -= h;
          bar.appendChild(s("rect", {x: x.toFixed(1), y: y.toFixed(1), width: bw.toFixed(1),
            height: Math.max(h, 0.5).toFixed(1), "class": "seg c-" + p.key, "data-key": p.key, "data-value": p.value}));
        });
        svg.appendChild(bar);
        if (i % every === 0) svg.appendChild(text(x + bw / 2, H - B + 14, g.short || g.label));
      });
      return svg;
    },

    /* bars: [{label, value, key?}]: one plain bar each. */
    bars: function (label, bars, fmt) {
      return SD.chart.stacked(label, bars.map(function (b) {
        return {label: b.label, short: b.short, parts: [{key: b.key || "dur", value: b.value}]};
      }), fmt);
    },

    /* series: [{name, points: [{t (ms), v (0..100)}]}], points oldest first: fill in percent
     * over time, the y axis up to 100 % or to the first round value above every point. Each
     * series is a <g class="series"> whose circles carry data-t and data-v; seriesLegend names
     * them. */
    lines: function (label, series) {
      var pts = [], top = 0;
      series.forEach(function (se) { se.points.forEach(function (p) { pts.push(p.t); top = Math.max(top, p.v); }); });
      var max = Math.min(100, niceMax(top));   /* 0 to 100 %, or less when every value is far below */
      var svg = frame(label, max, function (v) { return v + "%"; });
      var t0 = Math.min.apply(null, pts), t1 = Math.max.apply(null, pts);
      if (!(t1 > t0)) { t0 -= 60000; t1 += 60000; }
      function X(t) { return L + (W - L - R) * (t - t0) / (t1 - t0); }
      function Y(v) { return H - B - (H - B - T) * Math.min(max, Math.max(0, v)) / max; }
      function when(t) { return new Date(t).toISOString().slice(t1 - t0 > 86400000 ? 5 : 11, 16).replace("T", " "); }
      series.forEach(function (se, i) {
        var g = s("g", {"class": "series s" + i % SERIES_COLOURS, "data-label": se.name, "data-points": se.points.length});
        var first = se.points[0], last = se.points[se.points.length - 1];
        g.appendChild(title(se.name + ": " + (first === last ? first.v.toFixed(1) + "% at " + when(first.t)
          : first.v.toFixed(1) + "% at " + when(first.t) + " UTC to " + last.v.toFixed(1) + "% at " + when(last.t)) +
          " UTC, " + se.points.length + " point" + (se.points.length === 1 ? "" : "s")));
        if (se.points.length > 1)
          g.appendChild(s("polyline", {"class": "c-line", points: se.points.map(function (p) {
            return X(p.t).toFixed(1) + "," + Y(p.v).toFixed(1);
          }).join(" ")}));
        se.points.forEach(function (p) {
          g.appendChild(s("circle", {cx: X(p.t).toFixed(1), cy: Y(p.v).toFixed(1), r: se.points.length > 60 ? 1.5 : 3,
            "class": "c-fill", "data-t": new Date(p.t).toISOString(), "data-v": p.v.toFixed(2)}));
        });
        svg.appendChild(g);
      });
      for (var i = 0; i <= 4; i++)   /* the time axis (UTC): both ends and three between */
        svg.appendChild(text(L + (W - L - R) * i / 4, H - B + 14, when(t0 + (t1 - t0) * i / 4),
          i === 0 ? "start" : i === 4 ? "end" : "middle"));
      return svg;
    },

    legend: function (keys) {
      return SD.h("ul.legend", keys.map(function (k) { return SD.h("li.c-" + k, k); }));
    },

    /* The names of the series of a lines chart, in their colours. */
    seriesLegend: function (series) {
      return SD.h("ul.legend", series.map(function (se, i) { return SD.h("li.s" + i % SERIES_COLOURS, se.name); }));
    }
  };
})();

/* ------------------------------------------------------------ the two pages */
(function () {
  var h = SD.h, DASH = SD.DASH;
  var DAYS = 14;
  var FILL_MAX = 24;   /* repositories drawn in the fill chart */
  var RESULT_KEYS = ["Success", "Warning", "Failed", "None"];
  SD.pages = SD.pages || {};

  function dayOf(iso) { return iso.slice(0, 10); }

  /* Every session created since `after` (ISO), newest first, page by page. */
  function sessionsSince(after, extra) {
    var out = [];
    function page(skip) {
      return SD.api("/api/v1/sessions" + SD.query(Object.assign({createdAfterFilter: after, orderColumn: "CreationTime",
        orderAsc: "false", skip: skip, limit: 1000}, extra || {}))).then(function (b) {
        var d = (b && b.data) || [];
        out = out.concat(d);
        var total = b && b.pagination ? b.pagination.total : 0;
        if (d.length && out.length < total && out.length < 20000) return page(skip + d.length);
        return out;
      });
    }
    return page(0);
  }

  /* The repositories' states; null when this server does not report repositories (404). */
  SD.repositories = function () {
    return SD.api("/api/v1/backupInfrastructure/repositories/states" + SD.query({limit: 1000})).then(function (b) {
      return (b && b.data) || [];
    }, function (err) {
      if (err.status === 404) return null;
      throw err;
    });
  };

  /* The fill history sessiond keeps of repository r (one sample an hour, 14 days at most) as
   * a line: {name, points: [{t, v}]}, oldest first, from `since` (ms) on. */
  function fillHistory(r, since) {
    return SD.api("/api/v1/estate/repositorySample" + SD.query({parentId: r.id, limit: 1000})).then(function (b) {
      var points = ((b && b.data) || []).map(function (x) {
        var cap = +x.capacityBytes, used = x.usedBytes !== undefined ? +x.usedBytes : cap - (+x.freeBytes);
        return {t: Date.parse(x.time), v: cap > 0 ? 100 * used / cap : NaN};
      }).filter(function (p) { return p.t >= since && !isNaN(p.v); });
      points.sort(function (a, b) { return a.t - b.t; });
      return {name: r.name, points: points};
    });
  }

  function emptyState(text) { return h("p.empty", {role: "note"}, text); }

  function panel(id, title) {
    var body = h("div.chart-body", h("p.note", "loading…"));
    var sec = h("section.chart#" + id, {"aria-labelledby": id + "-h"}, h("h2", {id: id + "-h"}, title), body);
    sec.body = body;
    return sec;
  }

  function fill(sec, kids) {
    sec.body.textContent = "";
    kids.forEach(function (k) { if (k) sec.body.appendChild(k); });
  }

  SD.pages.charts = {
    title: "Charts",
    render: function (view) {
      var page = this;
      view.appendChild(h("h1", {tabindex: "-1"}, "Charts"));
      page.perDay = panel("chart-results", "Results per day (last " + DAYS + " days, UTC)");
      page.dur = panel("chart-duration", "Duration per run");
      page.fillSec = panel("chart-fill", "Repository fill over time (last " + DAYS + " days, UTC)");
      page.jobSel = h("select#duration-job", {onchange: function () { page.drawDuration(); }});
      view.appendChild(h("div.charts", page.perDay, page.dur, page.fillSec));
      return Promise.all([page.drawPerDay(), page.loadJobs(), page.drawFill()]);
    },
    refresh: function () { return Promise.all([this.drawPerDay(), this.drawDuration(), this.drawFill()]); },
    drawPerDay: function () {
      var page = this, start = new Date();
      start.setUTCHours(0, 0, 0, 0);
      start.setUTCDate(start.getUTCDate() - (DAYS - 1));
      return sessionsSince(start.toISOString()).then(function (list) {
        var by = {};
        list.forEach(function (s) {
          var d = dayOf(s.creationTime);
          by[d] = by[d] || {Success: 0, Warning: 0, Failed: 0, None: 0};
          var r = (s.result && s.result.result) || "None";
          by[d][r in by[d] ? r : "None"]++;
        });
        var days = Object.keys(by).sort();
        if (!days.length) return fill(page.perDay, [emptyState("No sessions in the last " + DAYS + " days.")]);
        /* one bar per day from the first day with sessions to today, empty days included */
        var groups = [], today = dayOf(new Date().toISOString());
        for (var d = new Date(days[0] + "T00:00:00Z"); dayOf(d.toISOString()) <= today; d.setUTCDate(d.getUTCDate() + 1)) {
          var key = dayOf(d.toISOString()), c = by[key] || {};
          groups.push({label: key, short: key.slice(5), parts: RESULT_KEYS.map(function (k) { return {key: k, value: c[k] || 0}; })});
        }
        fill(page.perDay, [SD.chart.stacked("Sessions per day by result", groups), SD.chart.legend(RESULT_KEYS)]);
      }).catch(function (err) { fill(page.perDay, [h("p.error", "Could not load: " + err.message)]); });
    },
    loadJobs: function () {
      var page = this;
      return SD.api("/api/v1/jobs/states" + SD.query({limit: 1000})).then(function (b) {
        var jobs = (b && b.data) || [];
        page.jobSel.textContent = "";
        jobs.forEach(function (j) { page.jobSel.appendChild(h("option", {value: j.id}, j.name)); });
        return page.drawDuration();
      });
    },
    drawDuration: function () {
      var page = this, id = page.jobSel.value;
      var label = h("label", {"for": "duration-job"}, "Job ");
      if (!id) return Promise.resolve(fill(page.dur, [emptyState("No jobs yet.")]));
      return SD.api("/api/v1/sessions" + SD.query({jobIdFilter: id, limit: 30, orderColumn: "CreationTime", orderAsc: "false"}))
        .then(function (b) {
          var runs = ((b && b.data) || []).filter(function (s) { return s.endTime; }).reverse();
          var name = page.jobSel.options[page.jobSel.selectedIndex].text;
          var kids = [h("p", label, page.jobSel)];
          if (!runs.length) kids.push(emptyState("This job has no finished run."));
          else {
            kids.push(SD.chart.bars("Duration of the last " + runs.length + " runs of " + name, runs.map(function (s) {
              var ms = SD.durationOf(s);
              return {label: SD.fmtTime(s.creationTime) + " " + SD.fmtDuration(ms), short: s.creationTime.slice(5, 10),
                value: ms / 60000, key: (s.result && s.result.result) || "None"};
            }), function (v) { return v.toFixed(v < 10 ? 1 : 0) + " min"; }));
            kids.push(SD.chart.legend(RESULT_KEYS));
          }
          fill(page.dur, kids);
        }).catch(function (err) { fill(page.dur, [h("p", label, page.jobSel), h("p.error", "Could not load: " + err.message)]); });
    },
    drawFill: function () {
      var page = this, since = Date.now() - DAYS * 86400000;
      return SD.repositories().then(function (list) {
        if (list === null || !list.length)
          return fill(page.fillSec, [emptyState(list === null ? "This server does not report repositories."
            : "No repository has been reported.")]);
        var shown = list.slice(0, FILL_MAX);
        return Promise.all(shown.map(function (r) { return fillHistory(r, since); })).then(function (series) {
          series = series.filter(function (se) { return se.points.length; });
          if (!series.length)
            return fill(page.fillSec, [emptyState("No repository has reported its capacity in the last " + DAYS + " days.")]);
          fill(page.fillSec, [SD.chart.lines("Used space of each repository, in percent", series),
            SD.chart.seriesLegend(series),
            h("p.note", "One point per repository and hour: the last capacity and free space reported in that hour, " +
              "as sessiond keeps them (14 days)." + (list.length > shown.length
                ? " The first " + shown.length + " of " + list.length + " repositories." : ""))]);
        });
      }).catch(function (err) { fill(page.fillSec, [h("p.error", "Could not load: " + err.message)]); });
    },
    event: function (ev) {
      /* A run that ended changes today's bar, maybe the selected job's durations and a
       * repository's fill. */
      var page = this;
      if (ev.kind !== "session" || ev.data.state !== "Stopped" || page.pending) return;
      page.pending = setTimeout(function () {
        page.pending = null;
        page.drawPerDay();
        page.drawDuration();
        page.drawFill();   /* a backup that ended may have filled its repository */
      }, 5000);
    },
    cleanup: function () { clearTimeout(this.pending); this.pending = null; }
  };

  function gb(v) { return v === undefined || v === null || isNaN(+v) ? DASH : (+v).toFixed(1) + " GB"; }

  SD.pages.repositories = {
    title: "Repositories",
    render: function (view) {
      var page = this;
      view.appendChild(h("h1", {tabindex: "-1"}, "Repositories"));
      page.box = h("div#repositories", h("p.note", "loading…"));
      view.appendChild(page.box);
      return page.refresh();
    },
    refresh: function () {
      var page = this;
      return Promise.all([SD.repositories(), SD.api("/api/v1/jobs/states" + SD.query({limit: 1000})).catch(function () { return null; })])
        .then(function (res) {
          var list = res[0], jobs = (res[1] && res[1].data) || [];
          page.box.textContent = "";
          if (list === null) return page.box.appendChild(emptyState("This server does not report repositories yet."));
          if (!list.length) return page.box.appendChild(emptyState("No repository has been reported."));
          page.box.appendChild(h("div.scroll", h("table#repositories-table",
            h("caption.sr-only", "Repositories with their capacity and the jobs that write there"),
            h("thead", h("tr", ["Repository", "Type", "Capacity", "Free", "Used", "Jobs writing there"].map(function (t, i) {
              return h("th" + (i === 1 ? ".hide-narrow" : "") + (i >= 2 && i <= 3 ? ".num" : ""), {scope: "col"}, t);
            }))),
            h("tbody", list.map(function (r) {
              var cap = +r.capacityGB, used = r.usedSpaceGB !== undefined ? +r.usedSpaceGB : cap - (+r.freeGB);
              var pct = cap > 0 ? Math.round(100 * used / cap) : null;
              var writers = jobs.filter(function (j) {
                return (j.repositoryId && j.repositoryId === r.id) || (j.repositoryName && j.repositoryName === r.name);
              }).map(function (j) { return j.name; });
              return h("tr", {"data-repository": r.id},
                h("th", {scope: "row"}, r.name, r.isOnline === false ? h("span.note", " (offline)") : null),
                h("td.hide-narrow", r.type || DASH),
                h("td.num", gb(r.capacityGB)), h("td.num", gb(r.freeGB)),
                h("td", pct === null ? DASH : [h("meter", {min: "0", max: "100", low: "70", high: "90", optimum: "0",
                  value: String(pct), "aria-label": "Used space of " + r.name}), " " + pct + "%"]),
                h("td", writers.length ? writers.join(", ") : DASH));
            })))));
        }, function (err) {
          page.box.textContent = "";
          page.box.appendChild(h("p.error", {role: "alert"}, "Could not load: " + err.message));
        });
    }
  };
})();
