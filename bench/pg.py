#!/usr/bin/python3
"""make bench-pg: sessiond on PostgreSQL. Starts a throwaway cluster (tests/pg/cluster, with
fsync on: every acknowledged write is durable), one or two sessiond instances on one database,
and measures with wrk:
  - ingest: PATCH progress updates on running sessions through one instance (durable updates/s);
  - reads: GET /api/v1/sessions?limit=100 through one instance, then through two at once
    (--replica: the read instances read through a streaming replica, --db-read, and the
    database's CPU is the primary's and the replica's).
Each figure is the median of --runs measurements, with the CPU time per request that sessiond
and the database spent (the machine may be shared: CPU per request moves less than requests/s).
With --profile, the cluster loads pg_stat_statements and the ingest is followed by what each
statement cost per update (its calls, rows and execution time; on a shared machine the time
includes waits for a core). Prints one line per figure; docs/SCALING.md quotes them."""
import argparse
import concurrent.futures
import glob
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
SESSIOND = os.environ.get("SESSIOND_BIN") or os.path.join(ROOT, "build", "sessiond")
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


def start(uri, procs, threads=0, read_uri=None):
    port = free_port()
    p = subprocess.Popen([SESSIOND, "--listen", "127.0.0.1:%d" % port, "--db", uri, "--log-level", "error",
                          "--threads", str(threads)] + (["--db-read", read_uri] if read_uri else []),
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


TICK = os.sysconf("SC_CLK_TCK")


def cpu_s(pids):
    """User + system CPU seconds of the processes pids (every thread), so far."""
    t = 0
    for pid in pids:
        try:
            with open("/proc/%d/stat" % pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            t += int(fields[11]) + int(fields[12])
        except (OSError, IndexError):
            pass   # a process that ended meanwhile
    return t / TICK


def db_pids(d):
    """The cluster's postmaster and its children (one backend per connection)."""
    try:
        with open(os.path.join(d, "data", "postmaster.pid")) as f:
            master = int(f.readline())
    except (OSError, ValueError):
        return []   # SQLite: the database is inside sessiond
    kids = []
    for e in os.listdir("/proc"):
        if e.isdigit():
            try:
                with open("/proc/%s/stat" % e) as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == master:
                        kids.append(int(e))
            except (OSError, ValueError, IndexError):
                pass
    return [master] + kids


def measure(runs, fn):
    """Runs fn() (requests, non-2xx) runs times with the CPU that sessiond and the database spent
    meanwhile; returns the median run as (requests/s, non-2xx, sessiond µs/request, database
    µs/request, the busiest database process's µs/request, every run's requests/s). The busiest
    process of an ingest is the writer's backend, which runs every batch one after another."""
    results = []
    for _ in range(runs):
        srv, db = measure.servers(), sum((db_pids(d) for d in measure.dirs), [])
        s0, d0 = cpu_s(srv), cpu_s(db)
        each0 = {p: cpu_s([p]) for p in db}
        (rps, bad), n = fn()
        each1 = {p: cpu_s([p]) for p in db}
        s1, d1 = cpu_s(srv), cpu_s(sum((db_pids(d) for d in measure.dirs), []))
        reqs = max(1.0, rps * n)
        busiest = max([each1[p] - each0[p] for p in db] or [0.0])
        results.append((rps, bad, (s1 - s0) / reqs * 1e6, max(0.0, d1 - d0) / reqs * 1e6, busiest / reqs * 1e6))
    results.sort()
    med = results[len(results) // 2]
    return med + ([r[0] for r in results],)


def show(what, m):
    rps, bad, srv_us, db_us, busiest_us, every = m
    runs = " (runs: %s)" % ", ".join("%.0f" % r for r in every) if len(every) > 1 else ""
    print("%s: %.0f %s (%d not 2xx); CPU per request: sessiond %.0f us, database %.0f us (its busiest process"
          " %.0f us)%s" % (what, rps, "updates/s" if "ingest" in what else "requests/s", bad, srv_us, db_us,
                          busiest_us, runs))


def wrk(port, path, dur, threads, conns, script, env):
    out = subprocess.run(["wrk", "-t%d" % threads, "-c%d" % conns, "-d%ds" % dur, "-s", script,
                          "http://127.0.0.1:%d%s" % (port, path)], env=dict(os.environ, **env),
                         capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rps, int(bad.group(1)) if bad else 0


def hot_updates(uri):
    """How many updates of sessions were HOT (a row version on the same page, no index entry)."""
    time.sleep(11)   # a backend idle since its last transaction reports its statistics within 10 s
    out = subprocess.run(psql_cmd() + [uri, "-Atc", "SELECT sum(n_tup_upd), sum(n_tup_hot_upd) FROM pg_stat_user_tables"
                                 " WHERE relname LIKE 'sessions\\_%'"], capture_output=True, text=True).stdout.split("|")
    if len(out) == 2 and out[0].strip():
        upd, hot = int(out[0]), int(out[1])
        print("updates of sessions: %d, of them HOT: %d (%.0f%%)" % (upd, hot, 100.0 * hot / max(1, upd)))


def psql_cmd():
    return sorted(glob.glob("/usr/lib/postgresql/*/bin/psql"))[-1:] or ["psql"]


def profile_on(d, uri):
    """Loads pg_stat_statements into the cluster in d (restarted)."""
    with open(os.path.join(d, "data", "postgresql.conf"), "a") as f:
        f.write("shared_preload_libraries = 'pg_stat_statements'\npg_stat_statements.track = all\n"
                "pg_stat_statements.track_planning = on\n")
    subprocess.run([CLUSTER, "restart", d], check=True, capture_output=True)
    subprocess.run(psql_cmd() + [uri, "-qAtc", "CREATE EXTENSION pg_stat_statements"], check=True, capture_output=True)


def profile_show(uri, updates):
    """The statements that took the most time since the last reset, per update."""
    out = subprocess.run(psql_cmd() + [uri, "-AtF", "\t", "-c",
                                       "SELECT calls, rows, total_exec_time, total_plan_time, "
                                       "left(regexp_replace(query, '\\s+', ' ', 'g'), 70) FROM pg_stat_statements "
                                       "ORDER BY total_exec_time + total_plan_time DESC LIMIT 10"],
                         capture_output=True, text=True).stdout
    print("statements (of %d updates): calls, rows, execution + planning us per update, text" % updates)
    for line in out.splitlines():
        calls, rows, ex, pl, text = line.split("\t", 4)
        print("  %7s %8s %6.1f + %4.1f  %s" % (calls, rows, float(ex) * 1000 / max(1, updates),
                                               float(pl) * 1000 / max(1, updates), text))


def profile_reset(uri):
    subprocess.run(psql_cmd() + [uri, "-qAtc", "SELECT pg_stat_statements_reset()"], capture_output=True)


INGEST_TARGET = 20000   # DESIGN §8: durable updates/s through one instance
READS_TARGET = 1.6      # reads through two instances on one database, against one


def target(what, value, met, goal):
    """A report line in the shape of bench/bench.py's: measure, value, target and whether it is met."""
    print("%-58s %14s %s: %s" % (what, value, goal, "met" if met else "NOT met"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sessions", type=int, default=2000)
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--sqlite", action="store_true", help="the same on a SQLite file, for comparison")
    ap.add_argument("--runs", type=int, default=3, help="measurements of each figure (the median is shown)")
    ap.add_argument("--only", choices=["ingest", "reads"], help="measure one of the two")
    ap.add_argument("--threads", type=int, default=0, help="HTTP worker threads of each instance (0: one per core)")
    ap.add_argument("--replica", action="store_true", help="reads through a streaming replica (--db-read)")
    ap.add_argument("--connections", type=int, default=64, help="wrk's connections of the ingest (more: larger batches)")
    ap.add_argument("--profile", action="store_true", help="what each statement of the ingest cost (pg_stat_statements)")
    ap.add_argument("--quick", action="store_true", help="500 sessions, each figure once for 1 s (make bench-quick)")
    a = ap.parse_args()
    if a.quick:
        a.sessions, a.duration, a.runs = min(a.sessions, 500), 1, 1
    d = tempfile.mkdtemp(prefix="sessiond-bench-pg-")
    rd = None
    procs = []
    measure.dirs = [d]
    measure.servers = lambda: [p.pid for p in procs]
    try:
        if a.sqlite:
            uri = os.path.join(d, "bench.db")
        else:
            uri = subprocess.run([CLUSTER, "start", d], check=True, capture_output=True, text=True,
                                 env=dict(os.environ, PG_FSYNC="on")).stdout.strip()
            if a.profile:
                profile_on(d, uri)
        a_port = start(uri, procs, a.threads)
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
        dur = a.duration
        if a.only != "reads":
            if a.profile and not a.sqlite:
                profile_reset(uri)
            m = measure(a.runs, lambda: (wrk(a_port, "/", dur, 2, a.connections, patch_lua, env), dur))
            show("ingest, one instance, durable (fsync on)%s"
                 % (", %d connections" % a.connections if a.connections != 64 else ""), m)
            if not a.sqlite:
                target("PostgreSQL ingest, durable updates/s", "%.0f" % m[0], m[0] >= INGEST_TARGET,
                       ">= %d" % INGEST_TARGET)
                # what the CPU allows: sessiond's and the database's time per update, over every core
                # (wrk's own share left out, so a real run stays below it)
                print("  CPU ceiling on this machine: %.0f updates/s (%d cores / (%.0f + %.0f us per update))"
                      % (os.cpu_count() * 1e6 / max(1.0, m[2] + m[3]), os.cpu_count(), m[2], m[3]))
            print("load average %.1f %.1f %.1f (1, 5, 15 min)" % os.getloadavg())
            if a.profile and not a.sqlite:
                profile_show(uri, int(sum(m[5]) * dur))
        if not a.sqlite and a.only != "reads":
            hot_updates(uri)
        if a.only == "ingest":
            return 0
        path = "/api/v1/sessions?limit=100"
        read_uri = None
        if a.replica and not a.sqlite:
            rd = tempfile.mkdtemp(prefix="sessiond-bench-pg-replica-")
            read_uri = subprocess.run([CLUSTER, "start", rd, "replica", d], check=True, capture_output=True,
                                      text=True).stdout.strip()
            measure.dirs.append(rd)
            # the read instances: new ones, reading through the replica
            for p in procs:
                p.terminate()
                p.wait(30)
            procs.clear()
            a_port = start(uri, procs, a.threads, read_uri)
        one = measure(a.runs, lambda: (wrk(a_port, path, dur, 2, 32, auth_lua, env), dur))
        show("reads, one instance", one)
        if a.sqlite:
            print("machine: %d cores; load average %.1f" % (os.cpu_count(), os.getloadavg()[0]))
            return 0   # one process per SQLite file
        b_port = start(uri, procs, a.threads, read_uri)

        def both():
            with concurrent.futures.ThreadPoolExecutor(2) as ex:
                fa = ex.submit(wrk, a_port, path, dur, 1, 16, auth_lua, env)
                fb = ex.submit(wrk, b_port, path, dur, 1, 16, auth_lua, env)
                (ra, ba), (rb, bb) = fa.result(), fb.result()
            return (ra + rb, ba + bb), dur
        two = measure(a.runs, both)
        show("reads, two instances on one database", two)
        print("two instances: %.2fx one" % (two[0] / one[0]))
        target("PostgreSQL reads through 2 instances / 1", "%.2fx" % (two[0] / one[0]),
               two[0] / one[0] >= READS_TARGET, ">= %.1fx" % READS_TARGET)
        print("  cores busy with one instance: %.2f of %d (sessiond and the database, wrk not counted): "
              "what is left is all a second instance can add" % (one[0] * (one[2] + one[3]) / 1e6, os.cpu_count()))
        print("machine: %d cores (wrk, PostgreSQL and every instance share them); load average %.1f"
              % (os.cpu_count(), os.getloadavg()[0]))
    finally:
        for p in procs:
            p.terminate()
            p.wait(30)
        if rd:
            subprocess.run([CLUSTER, "stop", rd], capture_output=True)
        subprocess.run([CLUSTER, "stop", d], capture_output=True)
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
