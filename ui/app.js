/* sessiond dashboard: sign-in, hash routing (#/jobs, #/sessions?…, #/session/<id>, #/charts,
 * #/repositories), the live indicator, and the fallback refresh that runs only while the
 * change feed is down. */
"use strict";

(function () {
  var $ = function (id) { return document.getElementById(id); };
  var FALLBACK_MS = 15000;
  var current = null, pollTimer = null, wasLive = false;

  function announce(text) { $("status").textContent = text; }

  function parseHash() {
    var raw = location.hash.replace(/^#\/?/, "");
    var qpos = raw.indexOf("?"), path = qpos < 0 ? raw : raw.slice(0, qpos), query = {};
    if (qpos >= 0) raw.slice(qpos + 1).split("&").forEach(function (kv) {
      if (!kv) return;
      var i = kv.indexOf("=");
      query[decodeURIComponent(i < 0 ? kv : kv.slice(0, i))] = i < 0 ? "" : decodeURIComponent(kv.slice(i + 1).replace(/\+/g, " "));
    });
    var parts = path.split("/").filter(Boolean).map(decodeURIComponent);
    return {name: parts[0] || "jobs", args: parts.slice(1), query: query};
  }

  function route() {
    if (!SD.user()) return;
    var r = parseHash(), page = SD.pages[r.name] || SD.pages.jobs;
    if (current && current.cleanup) current.cleanup();
    current = page;
    var view = $("view");
    view.textContent = "";
    document.querySelectorAll(".top a[data-page]").forEach(function (a) {
      var on = a.getAttribute("data-page") === r.name || (r.name === "session" && a.getAttribute("data-page") === "sessions");
      if (on) a.setAttribute("aria-current", "page"); else a.removeAttribute("aria-current");
    });
    document.title = page.title + " \u2013 sessiond";
    page.render(view, r.args, r.query);
    var h1 = view.querySelector("h1");
    if (h1 && document.activeElement && document.activeElement.closest && document.activeElement.closest(".top")) h1.focus();
    schedulePoll();
  }

  /* No polling while the feed is connected; every FALLBACK_MS while it is not. */
  function schedulePoll() {
    clearInterval(pollTimer);
    pollTimer = null;
    if (!SD.user() || SD.feed.connected()) return;
    pollTimer = setInterval(function () {
      if (current && current.refresh && !SD.feed.connected()) current.refresh();
    }, FALLBACK_MS);
  }

  function showLogin(why) {
    $("top").hidden = true;
    $("view").textContent = "";
    $("login").hidden = false;
    $("login-error").textContent = why || "";
    $("login-password").value = "";
    $("login-user").focus();
  }

  SD.on("signedIn", function (a) {
    $("login").hidden = true;
    $("top").hidden = false;
    $("user").textContent = a.user + " (" + a.role + ")";
    document.body.setAttribute("data-role", a.role);
    document.body.setAttribute("data-live", "0");
    SD.feed.start();
    if (!location.hash) location.hash = "#/jobs";
    route();
    announce("Signed in as " + a.user);
  });

  SD.on("signedOut", function (why) {
    clearInterval(pollTimer);
    wasLive = false;
    if (current && current.cleanup) current.cleanup();
    current = null;
    document.body.removeAttribute("data-role");
    showLogin(why);
  });

  SD.on("live", function (on) {
    var el = $("live");
    el.textContent = on ? "live" : "offline";
    el.className = "live" + (on ? " on" : "");
    el.title = on ? "Live updates are on" : "Live updates are off: the page refreshes every " + FALLBACK_MS / 1000 + " s";
    document.body.setAttribute("data-live", on ? "1" : "0");
    schedulePoll();
    if (on && wasLive && current && current.refresh) current.refresh();   /* catch up once after a gap */
    if (on) wasLive = true;
  });

  SD.on("event", function (ev) {
    if (current && current.event) current.event(ev);
  });

  document.addEventListener("DOMContentLoaded", function () {
    $("login-form").addEventListener("submit", function (e) {
      e.preventDefault();
      var btn = e.target.querySelector("button");
      btn.disabled = true;
      $("login-error").textContent = "";
      SD.signIn($("login-user").value.trim(), $("login-password").value).catch(function (err) {
        $("login-error").textContent = err.status === 401 ? "The user name or password is wrong."
          : err.status === 429 ? "Too many attempts; wait a minute." : "Sign-in failed: " + err.message;
      }).finally(function () { btn.disabled = false; });
    });
    $("logout").addEventListener("click", function () { SD.signOut("You signed out."); });
    window.addEventListener("hashchange", route);
    showLogin("");
  });
})();
