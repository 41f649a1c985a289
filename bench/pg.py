#!/usr/bin/python3
"""make bench-pg: sessiond on PostgreSQL. Starts a throwaway cluster (tests/pg/cluster, with
fsync on: every acknowledged write is durable), one or two sessiond instances on one database,
and measures with wrk:
  - ingest: PATCH progress updates on running sessions through one instance (durable updates/s);
  - reads: GET /api/v1/sessions?limit=100 through one instance, then through two at once.
Prints one line per figure; docs/SCALING.md quotes them."""
import argparse
import concurrent.futures
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SESSIOND = os.path.join(ROOT, "build", "sessiond")
CLUSTER = os.path.join(ROOT, "tests", "pg", "cluster")
PASSWORD = "bench-Pa55word!"
VBR = {"x-api-version": "1.3-rev2"}


def req(port, method, path, body=None, headers=None):
    h = dict(VBR, **(headers or {}))
    data = json.dumps(body).encode() if body is not None else None
    if data is not None:
        h["Content-Type"] = "application/json"
    r = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path), data=data, method=method, headers=h)
    with urllib.request.urlopen(r, timeout=60) as resp:
        return json.loads(resp.read() or b"null")


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(uri, procs):
    port = free_port()
    p = subprocess.Popen([SESSIOND, "--listen", "127.0.0.1:%d" % port, "--db", uri, "--log-level", "error"],
                         env=dict(os.environ, SESSIOND_ADMIN_PASSWORD=PASSWORD),
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    procs.append(p)
    for _ in range(600):
        try:
            req(port, "GET", "/api/v1/serverTime")
            return port
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("sessiond did not start")


def token(port):
    body = ("grant_type=password&username=admin&password=%s" % PASSWORD).encode()
    r = urllib.request.Request("http://127.0.0.1:%d/api/oauth2/token" % port, data=body, method="POST",
                               headers=dict(VBR, **{"Content-Type": "application/x-www-form-urlencoded"}))
    with urllib.request.urlopen(r, timeout=60) as resp:
        return json.loads(resp.read())["access_token"]


def wrk(port, path, dur, threads, conns, script, env):
    out = subprocess.run(["wrk", "-t%d" % threads, "-c%d" % conns, "-d%ds" % dur, "-s", script,
                          "http://127.0.0.1:%d%s" % (port, path)], env=dict(os.environ, **env),
                         capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rps, int(bad.group(1)) if bad else 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sessions", type=int, default=2000)
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--sqlite", action="store_true", help="the same on a SQLite file, for comparison")
    a = ap.parse_args()
    d = tempfile.mkdtemp(prefix="sessiond-bench-pg-")
    procs = []
    try:
        if a.sqlite:
            uri = os.path.join(d, "bench.db")
        else:
            uri = subprocess.run([CLUSTER, "start", d], check=True, capture_output=True, text=True,
                                 env=dict(os.environ, PG_FSYNC="on")).stdout.strip()
        a_port = start(uri, procs)
        tok = token(a_port)
        auth = {"Authorization": "Bearer " + tok}
        with concurrent.futures.ThreadPoolExecutor(16) as ex:
            ids = list(ex.map(lambda i: req(a_port, "POST", "/api/v1/sessions", {
                "name": "bench-%d" % i, "sessionType": "BackupJob", "jobName": "job-%d" % (i % 50),
                "progressPercent": 1}, auth)["id"], range(a.sessions)))
        idfile = os.path.join(d, "ids")
        with open(idfile, "w") as f:
            f.write("\n".join(ids) + "\n")
        env = {"BENCH_TOKEN": tok, "BENCH_IDS": idfile}
        auth_lua = os.path.join(ROOT, "bench", "auth.lua")
        patch_lua = os.path.join(ROOT, "bench", "patch.lua")
        rps, bad = wrk(a_port, "/", a.duration, 2, 64, patch_lua, env)
        print("ingest, one instance, durable (fsync on): %.0f updates/s (%d not 2xx)" % (rps, bad))
        path = "/api/v1/sessions?limit=100"
        one, bad1 = wrk(a_port, path, a.duration, 2, 32, auth_lua, env)
        print("reads, one instance: %.0f requests/s (%d not 2xx)" % (one, bad1))
        if a.sqlite:
            return 0   # one process per SQLite file
        b_port = start(uri, procs)
        with concurrent.futures.ThreadPoolExecutor(2) as ex:
            fa = ex.submit(wrk, a_port, path, a.duration, 1, 16, auth_lua, env)
            fb = ex.submit(wrk, b_port, path, a.duration, 1, 16, auth_lua, env)
            (ra, ba), (rb, bb) = fa.result(), fb.result()
        print("reads, two instances on one database: %.0f requests/s (%.0f + %.0f; %d not 2xx): %.2fx one"
              % (ra + rb, ra, rb, ba + bb, (ra + rb) / one))
        print("machine: %d cores (wrk, PostgreSQL and every instance share them)" % os.cpu_count())
    finally:
        for p in procs:
            p.terminate()
            p.wait(30)
        subprocess.run([CLUSTER, "stop", d], capture_output=True)
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
