/* sessiond dashboard: the API client. Everything goes through sessiond's VBR dialect
 * (x-api-version 1.3-rev2) with a bearer token held in this script's memory only: no
 * cookie, no Web Storage, so a reload signs out. The change feed is read with fetch() and a
 * stream reader, because EventSource cannot send an Authorization header. */
"use strict";

var SD = window.SD = window.SD || {};

SD.API_VERSION = "1.3-rev2";
/* Roles as the token carries them (byte 2 of its payload, src/core/auth.c). */
SD.ROLES = {1: "viewer", 2: "operator", 3: "reporter", 4: "admin"};

(function () {
  var auth = null;          /* {access, refresh, expiresAt (ms), user, role} */
  var refreshTimer = null;
  var listeners = {signedIn: [], signedOut: [], event: [], live: []};

  function emit(kind, arg) {
    listeners[kind].forEach(function (fn) { fn(arg); });
  }
  SD.on = function (kind, fn) { listeners[kind].push(fn); };

  function ApiError(status, body) {
    this.status = status;
    this.body = body;
    this.message = (body && (body.message || body.errorCode)) || ("HTTP " + status);
  }
  ApiError.prototype = Object.create(Error.prototype);
  SD.ApiError = ApiError;

  /* The role inside an access token: base64url(payload) "." base64url(MAC). The page only
   * uses it to hide what the server would refuse anyway. */
  function roleOf(token) {
    try {
      var p = token.split(".")[0].replace(/-/g, "+").replace(/_/g, "/");
      while (p.length % 4) p += "=";
      return SD.ROLES[atob(p).charCodeAt(2)] || "none";
    } catch (e) {
      return "none";
    }
  }

  function form(obj) {
    return Object.keys(obj).map(function (k) {
      return encodeURIComponent(k) + "=" + encodeURIComponent(obj[k]);
    }).join("&");
  }

  function tokenRequest(fields) {
    return fetch("/api/oauth2/token", {
      method: "POST",
      headers: {"x-api-version": SD.API_VERSION, "Content-Type": "application/x-www-form-urlencoded"},
      body: form(fields), cache: "no-store", credentials: "omit"
    }).then(function (resp) {
      return resp.json().catch(function () { return null; }).then(function (body) {
        if (!resp.ok) throw new ApiError(resp.status, body);
        return body;
      });
    });
  }

  function accept(body, user) {
    auth = {
      access: body.access_token, refresh: body.refresh_token,
      expiresAt: Date.now() + body.expires_in * 1000,
      user: user, role: roleOf(body.access_token)
    };
    /* Renew at four fifths of the token's life (a 15-minute token: after 12 minutes). */
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(function () {
      SD.refresh().catch(function () { SD.signOut("Your session ended; please sign in again."); });
    }, Math.max(5000, body.expires_in * 800));
  }

  SD.signIn = function (user, password) {
    return tokenRequest({grant_type: "password", username: user, password: password}).then(function (body) {
      accept(body, user);
      emit("signedIn", auth);
      return auth;
    });
  };

  var refreshing = null;
  SD.refresh = function () {
    if (!auth) return Promise.reject(new ApiError(401, null));
    if (!refreshing) {
      var user = auth.user;
      refreshing = tokenRequest({grant_type: "refresh_token", refresh_token: auth.refresh}).then(function (body) {
        accept(body, user);
        return auth;
      }).finally(function () { refreshing = null; });
    }
    return refreshing;
  };

  SD.signOut = function (why) {
    var old = auth;
    auth = null;
    clearTimeout(refreshTimer);
    SD.feed.stop();
    if (old) {
      fetch("/api/oauth2/logout", {
        method: "POST", credentials: "omit",
        headers: {"x-api-version": SD.API_VERSION, "Authorization": "Bearer " + old.access}
      }).catch(function () {});
    }
    emit("signedOut", why || "");
  };

  SD.user = function () { return auth; };
  SD.canStop = function () { return !!auth && (auth.role === "operator" || auth.role === "admin"); };

  /* GET (or another method) of a VBR path; resolves to the JSON body (null when empty).
   * A 401 refreshes the token once and retries. */
  SD.api = function (path, opts, retried) {
    opts = opts || {};
    if (!auth) return Promise.reject(new ApiError(401, null));
    var headers = {"x-api-version": SD.API_VERSION, "Authorization": "Bearer " + auth.access};
    if (opts.json !== undefined) headers["Content-Type"] = "application/json";
    return fetch(path, {
      method: opts.method || "GET", headers: headers, credentials: "omit", cache: "no-store",
      body: opts.json !== undefined ? JSON.stringify(opts.json) : undefined
    }).then(function (resp) {
      if (resp.status === 401 && !retried && auth) {
        return SD.refresh().then(function () { return SD.api(path, opts, true); }, function () {
          SD.signOut("Your session ended; please sign in again.");
          throw new ApiError(401, null);
        });
      }
      return resp.text().then(function (text) {
        var body = null;
        try { body = text ? JSON.parse(text) : null; } catch (e) { body = null; }
        if (!resp.ok) throw new ApiError(resp.status, body);
        return body;
      });
    });
  };

  SD.query = function (params) {
    var parts = [];
    Object.keys(params).forEach(function (k) {
      var v = params[k];
      if (v !== undefined && v !== null && v !== "")
        parts.push(encodeURIComponent(k) + "=" + encodeURIComponent(v));
    });
    return parts.length ? "?" + parts.join("&") : "";
  };

  /* ---- the change feed: GET /api/v1/sessions/events as server-sent events ---- */
  SD.feed = (function () {
    var ctrl = null, lastId = null, connected = false, retryTimer = null, backoff = 1000;

    function setLive(on) {
      if (connected === on) return;
      connected = on;
      emit("live", on);
    }

    function dispatch(ev) {
      if (ev.id !== undefined) lastId = ev.id;
      if (!ev.data || (ev.event !== "session" && ev.event !== "taskSession")) return;
      var obj;
      try { obj = JSON.parse(ev.data); } catch (e) { return; }
      emit("event", {kind: ev.event, data: obj});
    }

    /* The text/event-stream format: fields per line, an empty line ends an event. */
    function parser() {
      var buf = "", ev = {data: ""}, hasData = false;
      return function (chunk) {
        buf += chunk;
        var nl;
        while ((nl = buf.search(/\r\n|\r|\n/)) >= 0) {
          var line = buf.slice(0, nl);
          buf = buf.slice(nl + (buf.substr(nl, 2) === "\r\n" ? 2 : 1));
          if (line === "") {
            if (hasData) dispatch(ev);
            ev = {data: ""};
            hasData = false;
            continue;
          }
          if (line[0] === ":") continue;
          var c = line.indexOf(":");
          var field = c < 0 ? line : line.slice(0, c);
          var value = c < 0 ? "" : line.slice(c + 1).replace(/^ /, "");
          if (field === "data") { ev.data += (hasData ? "\n" : "") + value; hasData = true; }
          else if (field === "event") ev.event = value;
          else if (field === "id") ev.id = value;
        }
      };
    }

    function schedule() {
      setLive(false);
      clearTimeout(retryTimer);
      retryTimer = setTimeout(start, backoff);
      backoff = Math.min(backoff * 2, 30000);
    }

    function start() {
      var a = SD.user();
      if (!a || ctrl) return;
      ctrl = new AbortController();
      var mine = ctrl;
      var headers = {"x-api-version": SD.API_VERSION, "Authorization": "Bearer " + a.access,
                     "Accept": "text/event-stream"};
      if (lastId !== null) headers["Last-Event-ID"] = lastId;
      fetch("/api/v1/sessions/events", {headers: headers, signal: mine.signal, cache: "no-store", credentials: "omit"})
        .then(function (resp) {
          if (resp.status === 401) {
            return SD.refresh().then(function () { throw new Error("token renewed"); });
          }
          if (!resp.ok || !resp.body) throw new Error("feed answered " + resp.status);
          setLive(true);
          backoff = 1000;
          var reader = resp.body.getReader(), dec = new TextDecoder(), feedText = parser();
          function pump() {
            return reader.read().then(function (r) {
              if (r.done) throw new Error("feed ended");
              feedText(dec.decode(r.value, {stream: true}));
              return pump();
            });
          }
          return pump();
        })
        .catch(function () {
          if (ctrl !== mine) return;   /* stopped on purpose */
          ctrl = null;
          if (SD.user()) schedule();
        });
    }

    return {
      start: function () { backoff = 1000; start(); },
      stop: function () {
        clearTimeout(retryTimer);
        if (ctrl) { var c = ctrl; ctrl = null; c.abort(); }
        lastId = null;
        setLive(false);
      },
      connected: function () { return connected; }
    };
  })();

  /* ---- small helpers shared by the pages ---- */

  /* h("tag#id.class", {attr: v, onclick: fn}, child, …): children are nodes, strings or arrays. */
  SD.h = function (spec, attrs) {
    var m = /^([a-z0-9]+)((?:[.#][\w-]+)*)$/i.exec(spec);
    var el = document.createElement(m[1]), cls = [];
    (m[2].match(/[.#][\w-]+/g) || []).forEach(function (t) {
      if (t[0] === "#") el.id = t.slice(1); else cls.push(t.slice(1));
    });
    if (cls.length) el.className = cls.join(" ");
    var kids = Array.prototype.slice.call(arguments, 2);
    if (attrs && (typeof attrs !== "object" || attrs.nodeType || Array.isArray(attrs))) {
      kids.unshift(attrs);
      attrs = null;
    }
    Object.keys(attrs || {}).forEach(function (k) {
      var v = attrs[k];
      if (v === undefined || v === null || v === false) return;
      if (k.slice(0, 2) === "on") el.addEventListener(k.slice(2), v);
      else if (k === "text") el.textContent = v;
      else if (k in el && k !== "list" && typeof v !== "string") el[k] = v;
      else el.setAttribute(k, v === true ? "" : v);
    });
    (function add(list) {
      list.forEach(function (c) {
        if (c === null || c === undefined || c === false) return;
        if (Array.isArray(c)) add(c);
        else el.appendChild(c.nodeType ? c : document.createTextNode(String(c)));
      });
    })(kids);
    return el;
  };

  SD.DASH = "\u2014";

  /* Labels each cell of a row with its column's heading (narrow screens show them). */
  SD.labelCells = function (tr, headings) {
    Array.prototype.forEach.call(tr.cells, function (c, i) {
      if (c.tagName === "TD" && headings[i]) c.setAttribute("data-label", headings[i]);
    });
    return tr;
  };

  /* A CamelCase word with line-break opportunities between its parts (<wbr>). */
  SD.camel = function (word) {
    var out = [];
    String(word || "").split(/(?=[A-Z][a-z])/).forEach(function (part, i) {
      if (i) out.push(document.createElement("wbr"));
      out.push(part);
    });
    return out;
  };

  SD.fmtTime = function (iso) {
    if (!iso) return SD.DASH;
    var d = new Date(iso);
    if (isNaN(d)) return SD.DASH;
    return d.toISOString().slice(0, 16).replace("T", " ");   /* UTC, as the headings say */
  };

  SD.fmtDuration = function (ms) {
    if (ms === null || ms === undefined || isNaN(ms) || ms < 0) return SD.DASH;
    var s = Math.round(ms / 1000), h = Math.floor(s / 3600), m = Math.floor(s % 3600 / 60);
    s = s % 60;
    if (h) return h + " h " + m + " min";
    if (m) return m + " min " + s + " s";
    return s + " s";
  };

  /* How long a session ran (or has run so far). */
  SD.durationOf = function (s) {
    if (!s || !s.creationTime) return null;
    var end = s.endTime ? Date.parse(s.endTime) : Date.now();
    return end - Date.parse(s.creationTime);
  };

  /* The result a session shows: Running while it runs, else its result. */
  SD.outcome = function (s) {
    if (s.state && s.state !== "Stopped") return "Running";
    return (s.result && s.result.result) || s.lastResult || "None";
  };

  SD.badge = function (result) {
    var text = {Success: "Success", Warning: "Warning", Failed: "Failed", None: "None", Running: "Running"}[result] || result;
    return SD.h("span.badge.r-" + (text in {Success: 1, Warning: 1, Failed: 1, Running: 1} ? text : "None"), text);
  };

  SD.progress = function (pct, label) {
    var p = SD.h("progress", {max: "100", value: String(pct || 0), "aria-label": label || "Progress"});
    return SD.h("span.prog", p, SD.h("span.pct", (pct || 0) + "%"));
  };
})();
