"""sessiond benchmarks: nginx and sessiond side by side on 127.0.0.1, same wrk settings.

Run through bench/run (make bench / make bench-quick). Prints medians of >= 3 runs and
writes them as JSON to build/bench/results-{full,quick}.json. docs/PERFORMANCE.md explains
every figure. nginx and every sessiond started here are stopped on exit, also on failure.
"""
import argparse
import base64
import http.client as httpclient
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid as uuidlib
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(ROOT, "build")
SESSIOND = os.environ.get("BENCH_SESSIOND") or os.path.join(BUILD, "sessiond")   # another build to compare
GEN = os.path.join(BUILD, "sessiond-gen")
CACHE = os.path.join(BUILD, "bench")
PASSWORD = "benchpass1"
VBR = {"x-api-version": "1.3-rev2"}
LIST_QUERY = "limit=100&typeFilter=BackupJob&resultFilter=Success&orderColumn=CreationTime&orderAsc=false"

procs = []          # every process we started: stopped in cleanup()
tmpdir = None


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def cleanup():
    for p in reversed(procs):
        if p.poll() is None:
            p.terminate()
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
    procs.clear()
    if tmpdir and os.path.isdir(tmpdir):
        shutil.rmtree(tmpdir, ignore_errors=True)


def on_signal(sig, frame):
    raise SystemExit(128 + sig)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(port, method, path, body=None, headers=None, timeout=600):
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path), data=body, method=method,
                                 headers=headers or {})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return r.status, r.read()


def proc_status(pid):
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM", "RssAnon", "RssFile"):
                out[k] = int(v.split()[0]) / 1024.0   # MiB
    return out


# ---------- servers ----------

class Sessiond:
    def __init__(self, db, level):
        self.db, self.level, self.port, self.p = db, level, None, None

    def start(self):
        """Starts the server; returns seconds from exec until it answered an HTTP request."""
        self.port = free_port()
        env = dict(os.environ, SESSIOND_ADMIN_PASSWORD=PASSWORD)
        t0 = time.perf_counter()
        self.p = subprocess.Popen([SESSIOND, "--listen", "127.0.0.1:%d" % self.port, "--db", self.db,
                                   "--log-level", self.level], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(self.p)
        while True:
            if self.p.poll() is not None:
                raise RuntimeError("sessiond exited with %d on start" % self.p.returncode)
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    s.sendall(b"GET /api/v1/serverTime HTTP/1.1\r\nHost: x\r\nx-api-version: 1.3-rev2\r\n"
                              b"Connection: close\r\n\r\n")
                    if s.recv(64).startswith(b"HTTP/1.1 200"):
                        return time.perf_counter() - t0
            except OSError:
                pass
            time.sleep(0.0005)

    def stop(self):
        if self.p and self.p.poll() is None:
            self.p.terminate()
            self.p.wait(30)
        if self.p in procs:
            procs.remove(self.p)

    def token(self):
        body = ("grant_type=password&username=admin&password=%s" % PASSWORD).encode()
        _, out = http(self.port, "POST", "/api/oauth2/token", body,
                      dict(VBR, **{"Content-Type": "application/x-www-form-urlencoded"}))
        return json.loads(out)["access_token"]

    def em_session(self):
        """An Enterprise Manager logon session id (the X-RestSvcSessionId value)."""
        auth = base64.b64encode(("admin:%s" % PASSWORD).encode()).decode()
        req = urllib.request.Request("http://127.0.0.1:%d/api/sessionMngr/?v=latest" % self.port, data=b"",
                                     method="POST", headers={"Authorization": "Basic " + auth})
        with urllib.request.urlopen(req, timeout=60) as r:
            r.read()
            return r.headers["X-RestSvcSessionId"]

    def status(self):
        return proc_status(self.p.pid)


class Nginx:
    def __init__(self, root):
        self.prefix = os.path.join(tmpdir, "nginx")
        self.root = root
        self.port = free_port()
        os.makedirs(self.prefix, exist_ok=True)
        conf = os.path.join(self.prefix, "nginx.conf")
        with open(conf, "w") as f:
            f.write("""daemon off;
worker_processes %d;
pid %s/nginx.pid;
error_log %s/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_requests 100000000;
    keepalive_timeout 60s;
    default_type application/json;
    client_body_temp_path %s/body;
    proxy_temp_path %s/proxy;
    fastcgi_temp_path %s/fastcgi;
    uwsgi_temp_path %s/uwsgi;
    scgi_temp_path %s/scgi;
    server {
        listen 127.0.0.1:%d;
        root %s;
        location / { }
    }
}
""" % ((os.cpu_count() or 2,) + (self.prefix,) * 7 + (self.port, root)))
        self.p = subprocess.Popen(["nginx", "-p", self.prefix, "-c", conf, "-e", os.path.join(self.prefix, "error.log")],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(self.p)
        for _ in range(500):
            if self.p.poll() is not None:
                raise RuntimeError("nginx exited with %d (see %s/error.log)" % (self.p.returncode, self.prefix))
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.01)
        raise RuntimeError("nginx did not start")


# ---------- wrk ----------

def parse_time(s):
    for unit, mul in (("us", 1e-3), ("ms", 1.0), ("s", 1e3), ("m", 60e3)):
        if s.endswith(unit):
            return float(s[:-len(unit)]) * mul
    return float(s)


# --quick: every wrk run is ended after this many seconds by SIGINT, on which wrk stops and
# reports over the time it actually ran (its -d cannot be shorter than 1 s). None: runs last -d.
QUICK_RUN = None


def wrk(port, path, dur, threads=2, conns=64, script="auth.lua", env=None, latency=False):
    cmd = ["wrk", "-t%d" % threads, "-c%d" % conns, "-d%ds" % dur, "-s", os.path.join(ROOT, "bench", script)]
    if latency:
        cmd.append("--latency")
    cmd.append("http://127.0.0.1:%d%s" % (port, path))
    p = subprocess.Popen(cmd, env=dict(os.environ, **(env or {})), stdout=subprocess.PIPE, text=True)
    try:
        out, _ = p.communicate(timeout=QUICK_RUN if QUICK_RUN and QUICK_RUN < dur else None)
    except subprocess.TimeoutExpired:
        p.send_signal(signal.SIGINT)
        out, _ = p.communicate()
    if p.returncode:
        raise RuntimeError("wrk exited with %d: %s" % (p.returncode, " ".join(cmd)))
    res = {"rps": 0.0, "non2xx": 0, "errors": 0, "requests": 0}
    in_dist = False
    for line in out.splitlines():
        w = line.split()
        if "requests in" in line:
            res["requests"] = int(w[0])
        elif line.startswith("Requests/sec:"):
            res["rps"] = float(w[1])
        elif line.strip().startswith("Non-2xx or 3xx responses:"):
            res["non2xx"] = int(w[-1])
        elif line.strip().startswith("Socket errors:"):
            res["errors"] = sum(int(x.strip(",")) for x in w[3::2])
        elif line.strip().startswith("Latency Distribution"):
            in_dist = True
        elif in_dist and len(w) == 2 and w[0].endswith("%"):
            res["p" + w[0][:-1]] = parse_time(w[1])
        elif in_dist:
            in_dist = False
    if res["non2xx"] or res["errors"]:
        log("  warning: %d non-2xx responses, %d socket errors on %s" % (res["non2xx"], res["errors"], path))
    return res


_children = {}   # pid: its child processes when first asked (nginx's workers stay the same)


def cpu_seconds(pid):
    """User + system CPU of pid and its child processes (nginx workers) so far."""
    if pid not in _children:
        _children[pid] = [int(x) for x in subprocess.run(["pgrep", "-P", str(pid)], capture_output=True,
                                                         text=True).stdout.split()]
    pids = [pid] + _children[pid]
    t = 0
    for p in pids:
        try:
            with open("/proc/%d/stat" % p) as f:
                st = f.read().rsplit(")", 1)[1].split()
            t += int(st[11]) + int(st[12])
        except OSError:
            pass
    return t / os.sysconf("SC_CLK_TCK")


def wrk_cpu(pid, *args, **kw):
    """wrk(...) plus the server's CPU microseconds per request: a figure that the load of
    other processes on the machine disturbs much less than requests per second."""
    c0 = cpu_seconds(pid)
    res = wrk(*args, **kw)
    res["cpu_us"] = (cpu_seconds(pid) - c0) * 1e6 / max(1, res["requests"])
    return res


def quick_runs():
    """--quick: each wrk run lasts 0.2 s (see QUICK_RUN)."""
    global QUICK_RUN
    QUICK_RUN = 0.2


def timing(a, full_duration=8):
    """Seconds per wrk run and runs per figure: --quick measures each figure once for 0.2 s
    (make bench-quick stays short); otherwise medians of at least 3 runs."""
    if a.quick:
        quick_runs()
        return a.duration or 1, a.runs or 1
    return a.duration or full_duration, max(3, a.runs or 3)


def med(xs):
    return statistics.median(xs) if xs else float("nan")


LIST_TARGET = 0.25   # DESIGN §8: a first page of 100 >= 0.25x nginx's req/s for the same bytes


def list_vs_nginx(ngx, srv, nginx_path, path, dur, runs, env, script="auth.lua"):
    """One list against nginx serving its bytes, runs times alternately (medians): as clients
    poll it (the same request again: a page rendered since the last write answers, see
    src/api/cache.h), and rendered on every request (rendered.lua gives each request a query
    of its own). Returns nginx, sessiond, rendered req/s, their ratios and the server's CPU
    microseconds per request."""
    g = {k: [] for k in ("nginx", "sessiond", "rendered", "cpu_us", "rendered_cpu_us")}
    for _ in range(runs):
        a = wrk_cpu(ngx.p.pid, ngx.port, nginx_path, dur, script=script, env=env)
        b = wrk_cpu(srv.p.pid, srv.port, path, dur, script=script, env=env)
        c = wrk_cpu(srv.p.pid, srv.port, path, dur, script="rendered.lua", env=env)
        g["nginx"].append(a["rps"]), g["sessiond"].append(b["rps"]), g["rendered"].append(c["rps"])
        g["cpu_us"].append(b["cpu_us"]), g["rendered_cpu_us"].append(c["cpu_us"])
    m = {k: med(v) for k, v in g.items()}
    m["ratio"] = m["sessiond"] / m["nginx"] if m["nginx"] else float("nan")
    m["rendered_ratio"] = m["rendered"] / m["nginx"] if m["nginx"] else float("nan")
    return m


def list_line(label, m):
    """A report line: both ratios against the list target."""
    verdict = "met" if m["ratio"] >= LIST_TARGET else "NOT met"
    return "%-52s %7.3fx  rendered %6.3fx  (%.0f / %.0f / nginx %.0f req/s)  target >= %.2fx: %s" % (
        label, m["ratio"], m["rendered_ratio"], m["sessiond"], m["rendered"], m["nginx"], LIST_TARGET, verdict)


# ---------- dataset ----------

def dataset(n):
    """A pristine store of n sessions (cached in build/bench), copied into the temp dir."""
    os.makedirs(CACHE, exist_ok=True)
    base = os.path.join(CACHE, "sessions-%d" % n)
    db = base + ".db"
    # What the data depends on: the generator, the schema, and the type codes of the catalog.
    inputs = [os.path.join(ROOT, p) for p in ("bench/gen.c", "src/store/store_sql.c", "src/model/catalog.def")]
    stale = not os.path.exists(db) or not os.path.exists(base + ".running") or \
        any(os.path.exists(p) and os.path.getmtime(db) < os.path.getmtime(p) for p in inputs)
    if stale:
        for ext in (".db", ".db-wal", ".db-shm", ".sample", ".running"):
            if os.path.exists(base + ext):
                os.remove(base + ext)
        log("generating %d sessions ..." % n)
        subprocess.run([GEN, "--db", db, "--sessions", str(n), "--running", "1000",
                        "--sample-file", base + ".sample", "--running-file", base + ".running"], check=True)
    work = os.path.join(tmpdir, "s%d.db" % n)
    shutil.copyfile(db, work)
    with open(base + ".sample") as f:
        sample = f.read().strip()
    return work, sample, base + ".running"


# ---------- one store size ----------

def bench_size(n, dur, runs, export_all):
    r = {"sessions": n}
    db, sample, running_file = dataset(n)
    log("== %d sessions (%s)" % (n, db))

    # start-up (first start creates the admin user: not timed) and idle RSS
    s = Sessiond(db, "warn")
    s.start()
    s.stop()
    starts, rss = [], []
    for _ in range(max(runs, 3)):
        s = Sessiond(db, "warn")
        starts.append(s.start())
        time.sleep(0.5)
        rss.append(s.status()["VmRSS"])
        s.stop()
    r["startup_ms"] = med(starts) * 1000
    r["idle_rss_mib"] = med(rss)
    log("  start-up %.1f ms, idle RSS %.1f MiB" % (r["startup_ms"], r["idle_rss_mib"]))

    # the same store twice: one process per database file (a second one is refused)
    db_info = db + ".info.db"
    shutil.copyfile(db, db_info)
    warn = Sessiond(db, "warn")
    info = Sessiond(db_info, "info")
    warn.start()
    info.start()
    tok_w, tok_i = warn.token(), info.token()
    em_w, em_i = warn.em_session(), info.em_session()
    # one session of the backup family, so all three dialects show it
    _, listing = http(warn.port, "GET", "/api/v1/sessions?limit=1&typeFilter=BackupJob&stateFilter=Stopped",
                      headers=dict(VBR, Authorization="Bearer " + tok_w))
    sid = json.loads(listing)["data"][0]["id"] if json.loads(listing)["data"] else sample
    gets = {   # name: (path, wrk script, env for warn, env for info, extra request headers)
        "vbr": ("/api/v1/sessions/" + sid, "auth.lua", {"BENCH_TOKEN": tok_w}, {"BENCH_TOKEN": tok_i},
                dict(VBR, Authorization="Bearer " + tok_w)),
        "em": ("/api/backupSessions/%s?format=Entity" % sid, "em.lua", {"BENCH_EMSESSION": em_w},
               {"BENCH_EMSESSION": em_i}, {"X-RestSvcSessionId": em_w}),
        "vbaz": ("/api/v8.1/jobSessions/" + sid, "auth.lua", {"BENCH_TOKEN": tok_w}, {"BENCH_TOKEN": tok_i},
                 dict(VBR, Authorization="Bearer " + tok_w)),
    }
    www = os.path.join(tmpdir, "www")
    for name, (path, _, _, _, hdrs) in gets.items():
        _, body = http(warn.port, "GET", path, headers=hdrs)
        file = os.path.join(www, path.split("?")[0].lstrip("/"))
        os.makedirs(os.path.dirname(file), exist_ok=True)
        with open(file, "wb") as f:
            f.write(body)
        r.setdefault("body_bytes", {})[name] = len(body)
    for d in (tmpdir, www):
        os.chmod(d, 0o755)
    for dirpath, dirs, files in os.walk(www):
        for x in dirs:
            os.chmod(os.path.join(dirpath, x), 0o755)
        for x in files:
            os.chmod(os.path.join(dirpath, x), 0o644)
    ngx = Nginx(www)

    # (1) GET one session by id in each dialect, interleaved runs, paired ratios against nginx
    r["gets"] = {}
    for name, (path, script, env_w, env_i, _) in gets.items():
        g = {"nginx": [], "warn": [], "info": [], "ratio_warn": [], "ratio_info": [],
             "cpu_nginx": [], "cpu_warn": [], "cpu_info": []}
        for i in range(runs):
            a = wrk_cpu(ngx.p.pid, ngx.port, path, dur, script=script, env=env_w)
            b = wrk_cpu(warn.p.pid, warn.port, path, dur, script=script, env=env_w)
            c = wrk_cpu(info.p.pid, info.port, path, dur, script=script, env=env_i)
            g["nginx"].append(a["rps"]), g["warn"].append(b["rps"]), g["info"].append(c["rps"])
            g["ratio_warn"].append(b["rps"] / a["rps"]), g["ratio_info"].append(c["rps"] / a["rps"])
            g["cpu_nginx"].append(a["cpu_us"]), g["cpu_warn"].append(b["cpu_us"]), g["cpu_info"].append(c["cpu_us"])
            log("  GET %s run %d: nginx %.0f/s (%.1f us CPU/req), sessiond %.0f/s (%.1f us) warn, %.0f/s (%.1f us) info"
                % (name, i + 1, a["rps"], a["cpu_us"], b["rps"], b["cpu_us"], c["rps"], c["cpu_us"]))
        r["gets"][name] = {k: med(v) for k, v in g.items()}
    r["get"] = r["gets"]["vbr"]

    # (1b) GET by id, a different session each request (uncached): a random walk over many ids,
    # nginx serving one file per session at the same paths
    r["get_spread"] = get_spread(db, warn, ngx, www, tok_w, 2000 if n <= 10000 else 20000, dur, runs)

    # (2) filtered, sorted list: first page and a deep page, one connection (latency, not queueing)
    for name, q in (("list", LIST_QUERY), ("deep", LIST_QUERY + "&skip=%d" % (n // 2))):
        p50, p99, rps = [], [], []
        for i in range(runs):
            tok_w = warn.token()
            x = wrk(warn.port, "/api/v1/sessions?" + q, dur, threads=1, conns=1, latency=True,
                    env={"BENCH_TOKEN": tok_w})
            p50.append(x.get("p50", float("nan"))), p99.append(x.get("p99", float("nan"))), rps.append(x["rps"])
        r[name] = {"p50_ms": med(p50), "p99_ms": med(p99), "rps": med(rps)}
        log("  %s page: p50 %.2f ms, p99 %.2f ms, %.0f req/s" % (name, r[name]["p50_ms"], r[name]["p99_ms"],
                                                                 r[name]["rps"]))

    # (3) ingest: progress PATCHes, each acknowledged after its commit
    for srv, key in ((warn, "ingest_warn"), (info, "ingest_info")):
        vals = []
        for i in range(runs):
            x = wrk(srv.port, "/", dur, script="patch.lua",
                    env={"BENCH_TOKEN": srv.token(), "BENCH_IDS": running_file})
            vals.append(x["rps"])
        r[key] = med(vals)
        log("  ingest (%s): %.0f PATCH/s" % (srv.level, r[key]))
    info.stop()
    warn.stop()

    # (4) export on a fresh process, so its peak RSS is start-up plus the export
    if export_all:
        r["export"] = export(db, n, runs)
    ngx.p.terminate()
    ngx.p.wait(10)
    procs.remove(ngx.p)
    return r


def ingest_only(n, dur, runs):
    """--only ingest: step (3) alone on a store of n sessions, with the server's CPU per PATCH."""
    db, _, running_file = dataset(n)
    srv = Sessiond(db, "warn")
    srv.start()
    try:
        rps, cpu = [], []
        for i in range(runs):
            x = wrk_cpu(srv.p.pid, srv.port, "/", dur, script="patch.lua",
                        env={"BENCH_TOKEN": srv.token(), "BENCH_IDS": running_file})
            rps.append(x["rps"]), cpu.append(x["cpu_us"])
            log("  ingest run %d: %.0f PATCH/s, %.1f us server CPU per PATCH (load average %.2f)"
                % (i + 1, x["rps"], x["cpu_us"], os.getloadavg()[0]))
        print("ingest, %d sessions: median %.0f PATCH/s, %.1f us CPU per PATCH" % (n, med(rps), med(cpu)))
    finally:
        srv.stop()


def spread_only(n, dur, runs):
    """--only spread: step (1b) alone on a store of n sessions, with the server's RSS after the walk."""
    db, _, _ = dataset(n)
    srv = Sessiond(db, "warn")
    srv.start()
    try:
        www = os.path.join(tmpdir, "www")
        os.makedirs(www, exist_ok=True)
        for d in (tmpdir, www):
            os.chmod(d, 0o755)
        ngx = Nginx(www)
        m = get_spread(db, srv, ngx, www, srv.token(), 2000 if n <= 10000 else 20000, dur, runs)
        st = srv.status()
        print("GET by id, a different session each request, %d sessions: median %.3fx nginx (%.0f vs %.0f req/s), "
              "%.1f vs %.1f us CPU per request; RSS after the walk %.1f MiB (anon %.1f, file %.1f); load average %.2f"
              % (n, m["ratio"], m["sessiond"], m["nginx"], m["cpu"], m["cpu_nginx"], st["VmRSS"],
                 st.get("RssAnon", 0), st.get("RssFile", 0), os.getloadavg()[0]))
    finally:
        srv.stop()


def get_spread(db, srv, ngx, www, tok, k, dur, runs):
    """GET /api/v1/sessions/{id} over k sessions picked at random from the store, each request
    another (bench/spread.lua), against nginx serving each session's bytes from its own file."""
    import sqlite3
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    ids = [str(uuidlib.UUID(bytes=bytes(row[0]))) for row in
           con.execute("SELECT id FROM sessions ORDER BY random() LIMIT ?", (k,))]
    con.close()
    idfile = os.path.join(tmpdir, "spread-ids")
    with open(idfile, "w") as f:
        f.write("\n".join(ids) + "\n")
    base = os.path.join(www, "api", "v1", "sessions")
    os.makedirs(base, exist_ok=True)
    c = httpclient.HTTPConnection("127.0.0.1", srv.port, timeout=60)
    for sid in ids:
        c.request("GET", "/api/v1/sessions/" + sid, headers=dict(VBR, Authorization="Bearer " + tok))
        resp = c.getresponse()
        body = resp.read()
        with open(os.path.join(base, sid), "wb") as f:
            f.write(body)
        os.chmod(os.path.join(base, sid), 0o644)
    c.close()
    for d in (os.path.join(www, "api"), os.path.join(www, "api", "v1"), base):
        os.chmod(d, 0o755)
    env = {"BENCH_TOKEN": tok, "BENCH_IDS": idfile}
    g = {"nginx": [], "sessiond": [], "ratio": [], "cpu_nginx": [], "cpu": []}
    for _ in range(runs):
        a = wrk_cpu(ngx.p.pid, ngx.port, "/", dur, script="spread.lua", env=env)
        b = wrk_cpu(srv.p.pid, srv.port, "/", dur, script="spread.lua", env=env)
        g["nginx"].append(a["rps"]), g["sessiond"].append(b["rps"]), g["ratio"].append(b["rps"] / a["rps"])
        g["cpu_nginx"].append(a["cpu_us"]), g["cpu"].append(b["cpu_us"])
        log("  spread run %d: nginx %.0f/s (%.1f us CPU/req), sessiond %.0f/s (%.1f us), %.2fx, load average %.2f"
            % (len(g["ratio"]), a["rps"], a["cpu_us"], b["rps"], b["cpu_us"], g["ratio"][-1], os.getloadavg()[0]))
    m = {key: med(v) for key, v in g.items()}
    m["sessions"] = len(ids)
    log("  GET by id over %d sessions (uncached): nginx %.0f/s, sessiond %.0f/s (%.2fx; CPU %.1f vs %.1f us)"
        % (len(ids), m["nginx"], m["sessiond"], m["ratio"], m["cpu_nginx"], m["cpu"]))
    return m


def revocations(dur, runs, quick):
    """Token check cost with no revoked tokens and with 100,000 (10,000 quick): the same
    authenticated GET against two stores that differ only in their stored logouts."""
    many = 10000 if quick else 100000
    dbs = {}
    for k in (0, many):
        db = os.path.join(CACHE, "revoked-%d.db" % k)
        if not os.path.exists(db) or os.path.getmtime(db) < os.path.getmtime(GEN):
            for ext in ("", "-wal", "-shm"):
                if os.path.exists(db + ext):
                    os.remove(db + ext)
            subprocess.run([GEN, "--db", db, "--sessions", "1000", "--revocations", str(k)], check=True)
        dbs[k] = os.path.join(tmpdir, "revoked-%d.db" % k)
        shutil.copyfile(db, dbs[k])
    servers = {k: Sessiond(db, "warn") for k, db in dbs.items()}
    for s in servers.values():
        s.start()
    rps, cpu = {k: [] for k in dbs}, {k: [] for k in dbs}
    # more, shorter runs, alternated: the median of many steadies a figure that has to hold
    # within 5 % (quick: 5 runs of QUICK_RUN; otherwise 7 runs of 3 s)
    runs, dur = (max(runs, 5), dur) if quick else (max(runs, 7), min(dur, 3))
    for i in range(runs):
        for k, s in servers.items():   # alternate, so drift of the machine hits both alike
            x = wrk_cpu(s.p.pid, s.port, "/api/v1/serverInfo", dur, env={"BENCH_TOKEN": s.token()})
            rps[k].append(x["rps"])
            cpu[k].append(x["cpu_us"])
    for s in servers.values():
        s.stop()
    out = {"revoked": many, "rps_none": med(rps[0]), "rps_many": med(rps[many]),
           "cpu_us_none": med(cpu[0]), "cpu_us_many": med(cpu[many])}
    out["ratio"] = out["rps_many"] / out["rps_none"]
    log("  token check: %.0f req/s with no revocations, %.0f with %d (%.3fx); server CPU per request "
        "%.2f / %.2f us (%.3fx)" % (out["rps_none"], out["rps_many"], many, out["ratio"], out["cpu_us_none"],
                                   out["cpu_us_many"], out["cpu_us_many"] / out["cpu_us_none"]))
    return out


def export(db, n, runs):
    s = Sessiond(db, "warn")
    s.start()
    tok = s.token()
    # The Azure export (POST /api/v8.1/jobSessions/export) when served; else VBR paging.
    mode = "vbr-paging"
    try:
        st, _ = http(s.port, "POST", "/api/v8.1/jobSessions/export", b"{}",
                     {"Authorization": "Bearer " + tok, "Content-Type": "application/json"}, timeout=5)
        if st == 200:
            mode = "azure-export"
    except Exception:
        pass
    rates = []
    for _ in range(runs):
        tok = s.token()
        t0 = time.perf_counter()
        if mode == "azure-export":
            subprocess.run(["curl", "-sf", "-o", "/dev/null", "-X", "POST", "-H", "Authorization: Bearer " + tok,
                            "-H", "Content-Type: application/json", "-d", "{}",
                            "http://127.0.0.1:%d/api/v8.1/jobSessions/export" % s.port], check=True)
        else:
            last = max(0, (n - 1) // 1000 * 1000)
            subprocess.run(["curl", "-sf", "-o", "/dev/null", "-H", "Authorization: Bearer " + tok,
                            "-H", "x-api-version: 1.3-rev2",
                            "http://127.0.0.1:%d/api/v1/sessions?limit=1000&skip=[0-%d:1000]" % (s.port, last)],
                           check=True)
        rates.append(n / (time.perf_counter() - t0))
    st = s.status()
    s.stop()
    out = {"mode": mode, "sessions_per_s": med(rates), "peak_rss_mib": st["VmHWM"], "rss_anon_mib": st["RssAnon"],
           "rss_file_mib": st["RssFile"]}
    log("  export (%s): %.0f sessions/s, peak RSS %.1f MiB (anon %.1f, file-backed %.1f)" %
        (mode, out["sessions_per_s"], out["peak_rss_mib"], out["rss_anon_mib"], out["rss_file_mib"]))
    return out


# ---------- the backup estate ----------

def estate_seed(port, tok, n):
    """n estate objects through the ingest API (PUT, 4 connections): n/100 repositories, n/100
    jobs with one backup each, the rest restore points. Returns PUTs per second."""
    import http.client
    import threading
    import uuid as uuidlib
    nrepo = max(1, n // 100)
    hdr = dict(VBR, Authorization="Bearer " + tok, **{"Content-Type": "application/json"})
    work = []
    for i in range(nrepo):
        work.append(("repository", str(uuidlib.uuid4()), {"name": "repo-%05d" % i, "type": "LinuxLocal",
                                                           "capacityBytes": 1 << 44, "freeBytes": 1 << 43,
                                                           "usedBytes": 1 << 43}))
    backups = []
    for i in range(nrepo):
        jid, bid = str(uuidlib.uuid4()), str(uuidlib.uuid4())
        work.append(("job", jid, {"name": "job-%05d" % i, "type": "BackupJob", "schedule": "0 22 * * *",
                                  "repository": "repo-%05d" % i, "objects": ["vm-%05d" % i]}))
        backups.append((bid, {"name": "job-%05d" % i, "parentId": jid, "repository": "repo-%05d" % i}))
    parents = list(work)
    points = []
    for k in range(n - len(work) - len(backups)):
        bid = backups[k % len(backups)][0]
        points.append(("restorePoint", str(uuidlib.uuid4()), {
            "name": "vm-%05d" % (k % len(backups)), "parentId": bid, "object": "vm-%05d" % (k % len(backups)),
            "time": "2026-01-%02dT22:%02d:00Z" % (1 + k % 28, k % 60), "pointType": "Increment",
            "sizeBytes": 1000000 + k, "job": "job-%05d" % (k % len(backups))}))

    def run(items, conns=4):
        def worker(part):
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            for kind, oid, body in part:
                c.request("PUT", "/api/v1/estate/%s/%s" % (kind, oid), json.dumps(body), hdr)
                r = c.getresponse()
                r.read()
                if r.status != 200:
                    raise RuntimeError("PUT %s: %d" % (kind, r.status))
            c.close()
        th = [threading.Thread(target=worker, args=(items[i::conns],)) for i in range(conns)]
        for t in th:
            t.start()
        for t in th:
            t.join()

    run(parents)
    run([("backup", bid, body) for bid, body in backups])
    t0 = time.perf_counter()
    run(points)
    return len(points) / (time.perf_counter() - t0)


def estate(dur, runs, quick):
    """Lists of the estate's ingest API at 100,000 objects (10,000 quick), against nginx
    serving the same bytes; and `sessionctl estate ls` of every restore point."""
    n = 10000 if quick else 100000
    db = os.path.join(tmpdir, "estate.db")
    s = Sessiond(db, "warn")
    s.start()
    tok = s.token()
    log("== estate: %d objects through PUT /api/v1/estate/..." % n)
    out = {"objects": n, "put_per_s": estate_seed(s.port, tok, n)}
    log("  seeded: %.0f restore-point PUT/s (4 connections)" % out["put_per_s"])
    paths = {"repositories": "/api/v1/estate/repository?limit=100",
             "jobs": "/api/v1/estate/job?limit=100",
             "restorePoints": "/api/v1/estate/restorePoint?limit=100"}
    deep = "/api/v1/estate/restorePoint?limit=100&skip=%d" % (n // 2)
    www = os.path.join(tmpdir, "www-estate")
    files = {}
    for i, (name, path) in enumerate(paths.items()):
        _, body = http(s.port, "GET", path, headers=dict(VBR, Authorization="Bearer " + tok))
        files[name] = "/e%d.json" % i
        os.makedirs(www, exist_ok=True)
        with open(www + files[name], "wb") as f:
            f.write(body)
        os.chmod(www + files[name], 0o644)
    for d in (tmpdir, www):
        os.chmod(d, 0o755)
    ngx = Nginx(www)
    out["lists"] = {}
    for name, path in paths.items():
        out["lists"][name] = list_vs_nginx(ngx, s, files[name], path, dur, runs, {"BENCH_TOKEN": tok})
        log("  " + list_line("GET " + path, out["lists"][name]))
    ngx.p.terminate()
    ngx.p.wait(10)
    procs.remove(ngx.p)
    # a deep page (skip = half the restore points), one connection: latency, not queueing;
    # rendered on every request (a cached page would measure the cache)
    p50, p99 = [], []
    for i in range(runs):
        x = wrk(s.port, deep, dur, threads=1, conns=1, latency=True, script="rendered.lua", env={"BENCH_TOKEN": tok})
        p50.append(x.get("p50", float("nan"))), p99.append(x.get("p99", float("nan")))
    out["deep"] = {"p50_ms": med(p50), "p99_ms": med(p99)}
    log("  GET %s (one connection): p50 %.2f ms, p99 %.2f ms" % (deep, out["deep"]["p50_ms"], out["deep"]["p99_ms"]))
    ctl = os.path.join(BUILD, "sessionctl")
    if os.access(ctl, os.X_OK):
        env = dict(os.environ, SESSIOND_URL="http://127.0.0.1:%d" % s.port, SESSIOND_USER="admin",
                   SESSIOND_PASSWORD=PASSWORD, XDG_CONFIG_HOME=tmpdir, XDG_STATE_HOME=tmpdir)
        rates = []
        for _ in range(runs):
            t0 = time.perf_counter()
            p = subprocess.run([ctl, "--json", "estate", "ls", "restorePoint"], env=env, stdout=subprocess.PIPE,
                               check=True)
            rates.append(p.stdout.count(b'"kind"') / (time.perf_counter() - t0))
        out["sessionctl_ls_per_s"] = med(rates)
        log("  sessionctl estate ls restorePoint: %.0f objects/s" % out["sessionctl_ls_per_s"])
    s.stop()
    return out


# ---------- report ----------

def report(results, main_n):
    m = next(x for x in results if x["sessions"] == main_n)
    g = m["get"]
    line = "%-58s %14s %s"
    print()
    print("sessiond bench: %d sessions, %d cores (%s), wrk -t2 -c64 on the same machine" %
          (main_n, os.cpu_count(), cpu_model()))
    print(line % ("measure (median)", "value", "target"))
    print(line % ("GET by id, sessiond/nginx (log-level warn)", "%.2fx" % g["ratio_warn"], ">= 0.6x (aim 0.9x)"))
    print(line % ("GET by id, sessiond/nginx (log-level info, access log)", "%.2fx" % g["ratio_info"], ""))
    print(line % ("  nginx / sessiond warn / sessiond info, req/s",
                  "%.0f/%.0f/%.0f" % (g["nginx"], g["warn"], g["info"]), ""))
    print(line % ("  server CPU per request, nginx / warn / info",
                  "%.1f/%.1f/%.1f us" % (g["cpu_nginx"], g["cpu_warn"], g["cpu_info"]), ""))
    print(line % ("  CPU-cost ratio nginx/sessiond (warn)", "%.2fx" % (g["cpu_nginx"] / g["cpu_warn"]),
                  "(steadier under load)"))
    if "get_spread" in m:
        x = m["get_spread"]
        print(line % ("GET by id, a different session each request (of %d), sessiond/nginx" % x["sessions"],
                      "%.2fx" % x["ratio"], ">= 0.6x: %s" % ("met" if x["ratio"] >= 0.6 else "NOT met")))
    for name, label in (("em", "Enterprise Manager XML entity"), ("vbaz", "Azure v8.1 JSON")):
        x = m["gets"].get(name)
        if x:
            print(line % ("GET by id, %s, sessiond/nginx (warn / info)" % label,
                          "%.2fx/%.2fx" % (x["ratio_warn"], x["ratio_info"]), ">= 0.6x"))
    print(line % ("list first page (100, filtered+sorted) p50 / p99", "%.2f/%.2f ms" % (m["list"]["p50_ms"], m["list"]["p99_ms"]),
                  "p99 < 5 ms"))
    print(line % ("list deep page (skip=%d) p50 / p99" % (main_n // 2),
                  "%.2f/%.2f ms" % (m["deep"]["p50_ms"], m["deep"]["p99_ms"]), "< 50 ms"))
    print(line % ("ingest PATCH/s, durable (warn / info)", "%.0f/%.0f" % (m["ingest_warn"], m["ingest_info"]),
                  ">= 50000: %s" % ("met" if m["ingest_warn"] >= 50000 else "NOT met")))
    if "export" in m:
        e = m["export"]
        print(line % ("export sessions/s (%s)" % e["mode"], "%.0f" % e["sessions_per_s"], ">= 200000"))
        print(line % ("export peak RSS (VmHWM)", "%.1f MiB" % e["peak_rss_mib"], "< 64 MiB"))
    if "revocations" in m:
        v = m["revocations"]
        print(line % ("token check, %d revoked vs none (GET serverInfo req/s)" % v["revoked"],
                      "%.3fx" % v["ratio"], "within 5 %%: %s" % ("met" if abs(v["ratio"] - 1) <= 0.05 else "NOT met")))
    if "estate" in m:
        e = m["estate"]
        for name, x in e["lists"].items():
            print(list_line("estate %s (100 of %d objects)" % (name, e["objects"]), x))
        print(line % ("estate restore points, deep page (skip=%d) p50 / p99" % (e["objects"] // 2),
                      "%.2f/%.2f ms" % (e["deep"]["p50_ms"], e["deep"]["p99_ms"]), ""))
        print(line % ("estate restore-point PUT/s, durable (4 connections)", "%.0f" % e["put_per_s"], ""))
        if "sessionctl_ls_per_s" in e:
            print(line % ("sessionctl estate ls restorePoint, objects/s", "%.0f" % e["sessionctl_ls_per_s"], ""))
    print(line % ("start-up", "%.1f ms" % m["startup_ms"], "< 100 ms: %s" % ("met" if m["startup_ms"] < 100 else "NOT met")))
    print(line % ("idle RSS", "%.1f MiB" % m["idle_rss_mib"], "< 16 MiB: %s" % ("met" if m["idle_rss_mib"] < 16 else "NOT met")))
    if len(results) > 1:
        print()
        print("growth with store size (medians)")
        print("%10s %9s %9s %9s %9s %9s %9s %10s %10s %9s" % ("sessions", "start ms", "idle MiB", "GET/ngx",
                                                             "spread", "list p50", "list p99", "deep p50",
                                                             "ingest/s", "export/s"))
        for x in results:
            print("%10d %9.1f %9.1f %9.2f %9.2f %9.2f %9.2f %10.2f %10.0f %9.0f" % (
                x["sessions"], x["startup_ms"], x["idle_rss_mib"], x["get"]["ratio_warn"],
                x.get("get_spread", {}).get("ratio", float("nan")), x["list"]["p50_ms"],
                x["list"]["p99_ms"], x["deep"]["p50_ms"], x["ingest_warn"], x.get("export", {}).get("sessions_per_s", 0)))


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "?"


def main():
    global tmpdir
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="10k sessions, each figure once for 0.2 s")
    ap.add_argument("--sizes", help="comma-separated store sizes; the last one is the headline")
    ap.add_argument("--duration", type=int, help="seconds per wrk run")
    ap.add_argument("--runs", type=int)
    ap.add_argument("--only", choices=["ingest", "spread", "revocations"],
                    help="run one step alone (on the last size; revocations: the token check)")
    a = ap.parse_args()
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    sizes = [int(x) for x in a.sizes.split(",")] if a.sizes else ([10000] if a.quick else [10000, 100000, 1000000])
    dur, runs = timing(a)
    tmpdir = tempfile.mkdtemp(prefix="sessiond-bench-")
    try:
        if a.only == "ingest":
            return ingest_only(sizes[-1], dur, runs)
        if a.only == "spread":
            return spread_only(sizes[-1], dur, runs)
        if a.only == "revocations":
            revocations(dur, runs, a.quick)
            return 0
        results = [bench_size(n, dur, runs, True) for n in sizes]
        results[-1]["revocations"] = revocations(dur, runs, a.quick)
        results[-1]["estate"] = estate(dur, runs, a.quick)
        os.makedirs(CACHE, exist_ok=True)
        with open(os.path.join(CACHE, "results-%s.json" % ("quick" if a.quick else "full")), "w") as f:
            json.dump({"cpu": cpu_model(), "cores": os.cpu_count(), "duration_s": dur, "runs": runs,
                       "results": results}, f, indent=1)
        report(results, sizes[-1])
    finally:
        cleanup()


if __name__ == "__main__":
    main()
