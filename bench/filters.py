"""Filtered first pages of the session lists, every filter each dialect offers, alone and
combined: VBR /api/v1/sessions and /api/v1/taskSessions, Enterprise Manager
/api/query?type=BackupJobSession (and its task and replica types), Azure /api/v8.1/jobSessions.
Each first page of 100 (with its total) against nginx serving the same bytes, with the pattern
and servers of bench.py (bench.list_vs_nginx: wrk -t2 -c64, polled and rendered), and once on one
connection for its latency. Target (DESIGN §8): >= 0.25x nginx's requests per second.

Run by make bench (bench/run) or alone: /usr/bin/python3 bench/filters.py [--quick] [--sizes N,M]
(--quick: 10,000 sessions, runs of 0.2 s; default: 1,000,000 sessions; stores come from bench.dataset,
cached in build/bench). Prints one line per list and writes build/bench/filters-{full,quick}.json.
Every process it starts is stopped on exit."""
import argparse
import datetime
import json
import os
import signal
import sys
import tempfile
import time
import urllib.error
import urllib.parse

import bench
from bench import Nginx, Sessiond, http, log

DAY = 86400


def iso(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def lists(newest, job_id, job_name, shown, session_id):
    """(dialect, label, path) of every list measured; newest: the newest session's creation
    (epoch seconds), job_id/job_name: one backup job of the store."""
    recent, old_from, old_to = iso(newest - 30 * DAY), iso(newest - 200 * DAY), iso(newest - 170 * DAY)
    q = urllib.parse.quote
    vbr = "/api/v1/sessions?limit=100&orderColumn=CreationTime&orderAsc=false&"
    tasks = "/api/v1/taskSessions?limit=100&orderColumn=CreationTime&orderAsc=false&"
    out = [
        ("vbr", "sessions nameFilter=Job 1* (no match)", vbr + "nameFilter=" + q("Job 1*")),
        ("vbr", "sessions nameFilter=Backup Job 1*", vbr + "nameFilter=" + q("Backup Job 1*")),
        ("vbr", "sessions nameFilter=*1*", vbr + "nameFilter=" + q("*1*")),
        ("vbr", "sessions nameFilter=*Job 01* (rare infix)", vbr + "nameFilter=" + q("*Job 01*")),
        ("vbr", "sessions typeFilter=BackupJob", vbr + "typeFilter=BackupJob"),
        ("vbr", "sessions typeFilter=Infrastructure", vbr + "typeFilter=Infrastructure"),
        ("vbr", "sessions stateFilter=Working", vbr + "stateFilter=Working"),
        ("vbr", "sessions resultFilter=Failed", vbr + "resultFilter=Failed"),
        ("vbr", "sessions createdAfterFilter (30 days)", vbr + "createdAfterFilter=" + recent),
        ("vbr", "sessions created in a 30-day window", vbr + "createdAfterFilter=%s&createdBeforeFilter=%s"
         % (old_from, old_to)),
        ("vbr", "sessions endedAfterFilter (30 days)", vbr + "endedAfterFilter=" + recent),
        ("vbr", "sessions endedBeforeFilter (170 days ago)", vbr + "endedBeforeFilter=" + old_to),
        ("vbr", "sessions jobIdFilter", vbr + "jobIdFilter=" + job_id),
        ("vbr", "sessions type+result+name", vbr + "typeFilter=BackupJob&resultFilter=Success&nameFilter="
         + q("Backup Job 1*")),
        ("vbr", "sessions type+name Job 1*+created", vbr + "typeFilter=BackupJob&nameFilter=" + q("Job 1*")
         + "&createdAfterFilter=" + recent),
        ("vbr", "sessions name+state+result+window", vbr + "nameFilter=" + q("*1*")
         + "&stateFilter=Stopped&resultFilter=Warning&createdAfterFilter=%s&createdBeforeFilter=%s"
         % (old_from, old_to)),
        ("vbr", "sessions jobId+result+ended", vbr + "jobIdFilter=%s&resultFilter=Success&endedAfterFilter=%s"
         % (job_id, recent)),
        ("vbr", "taskSessions (no filter)", tasks.rstrip("&")),
        ("vbr", "taskSessions nameFilter=vm-1*", tasks + "nameFilter=" + q("vm-1*")),
        ("vbr", "taskSessions nameFilter=*1*", tasks + "nameFilter=" + q("*1*")),
        ("vbr", "taskSessions typeFilter=Backup", tasks + "typeFilter=Backup"),
        ("vbr", "taskSessions stateFilter=Working", tasks + "stateFilter=Working"),
        ("vbr", "taskSessions resultFilter=Success", tasks + "resultFilter=Success"),
        ("vbr", "taskSessions createdAfterFilter (30 days)", tasks + "createdAfterFilter=" + recent),
        ("vbr", "taskSessions sessionIdFilter", tasks + "sessionIdFilter=" + session_id),
        ("vbr", "taskSessions name+state+created", tasks + "nameFilter=" + q("*1*") + "&stateFilter=Stopped"
         + "&createdAfterFilter=" + recent),
    ]
    em0 = "/api/query?type=BackupJobSession&format=Entities&pageSize=100"
    em = em0 + "&filter="
    out += [
        ("em", "EM BackupJobSession (no filter)", em0),
        ("em", "EM Name==<job>@<time>", em + q('Name=="%s@%s"' % (job_name, shown))),
        ("em", "EM Name>=<job>@<time>", em + q('Name>="%s@%s"' % (job_name, shown))),
        ("em", "EM JobName==<job>", em + q('JobName=="%s"' % job_name)),
        ("em", "EM State==Working", em + q("State==Working")),
        ("em", "EM Result==Failed", em + q("Result==Failed")),
        ("em", "EM CreationTime range (30 days)", em + q('CreationTime>="%s";CreationTime<"%s"' % (old_from, old_to))),
        ("em", "EM JobName+Result+CreationTime", em + q('JobName=="%s";Result==Success;CreationTime>="%s"'
                                                         % (job_name, recent))),
        ("em", "EM ReplicaJobSession", "/api/query?type=ReplicaJobSession&format=Entities&pageSize=100"),
        ("em", "EM BackupTaskSession Result==Success", "/api/query?type=BackupTaskSession&format=Entities"
         "&pageSize=100&filter=" + q("Result==Success")),
    ]
    az = "/api/v8.1/jobSessions?Limit=100&"
    out += [
        ("az", "Azure jobSessions (no filter)", az.rstrip("&")),
        ("az", "Azure Status=Error", az + "Status=Error"),
        ("az", "Azure Status=Running", az + "Status=Running"),
        ("az", "Azure Types=PolicyBackup", az + "Types=PolicyBackup"),
        ("az", "Azure FromUtc/ToUtc (30 days)", az + "FromUtc=%s&ToUtc=%s" % (old_from, old_to)),
        ("az", "Azure PolicyId", az + "PolicyId=" + job_id),
        ("az", "Azure Filter=Job 01 (name or job name)", az + "Filter=" + q("Job 01")),
        ("az", "Azure Status+Types+FromUtc+Filter", az + "Status=Success&Types=PolicyBackup&FromUtc=%s&Filter=%s"
         % (recent, q("Job 1"))),
    ]
    return out


def run_size(n, dur, runs, only, quick):
    db, sample, _ = bench.dataset(n)
    log("== filters: %d sessions (%s)" % (n, db))
    s = Sessiond(db, "warn")
    s.start()
    tok, em = s.token(), s.em_session()
    hdr = dict(bench.VBR, Authorization="Bearer " + tok)
    _, body = http(s.port, "GET", "/api/v1/sessions?limit=1&orderColumn=CreationTime&orderAsc=false", headers=hdr)
    newest = datetime.datetime.fromisoformat(json.loads(body)["data"][0]["creationTime"].replace("Z", "+00:00"))
    _, body = http(s.port, "GET", "/api/v1/sessions?limit=1&typeFilter=BackupJob&stateFilter=Stopped", headers=hdr)
    one = json.loads(body)["data"][0]
    _, body = http(s.port, "GET", "/api/v1/taskSessions?limit=1", headers=hdr)
    sid = json.loads(body)["data"][0]["sessionId"]
    shown = one["creationTime"][:19].replace("T", " ")
    todo = [x for x in lists(newest.timestamp(), one["jobId"], one["name"], shown, sid) if not only or only in x[1]]
    www = os.path.join(bench.tmpdir, "www-filters")
    os.makedirs(www, exist_ok=True)
    files = {}
    for i, (dialect, label, path) in enumerate(todo):
        h = {"X-RestSvcSessionId": em} if dialect == "em" else hdr
        try:
            st, body = http(s.port, "GET", path, headers=h)
        except urllib.error.HTTPError as e:
            raise RuntimeError("%s: %d %s" % (path, e.code, e.read()[:300])) from None
        files[label] = ("/f%d" % i, len(body), total_of(dialect, body))
        with open(os.path.join(www, "f%d" % i), "wb") as f:
            f.write(body)
        os.chmod(os.path.join(www, "f%d" % i), 0o644)
    for d in (bench.tmpdir, www):
        os.chmod(d, 0o755)
    ngx = Nginx(www)
    res = {"sessions": n, "lists": {}}
    creds = {}   # dialect: (credential, when): renewed each minute, as a run at 1M outlasts a token
    for dialect, label, path in todo:
        if dialect not in creds or time.monotonic() - creds[dialect][1] > 60:
            creds[dialect] = (s.em_session() if dialect == "em" else s.token(), time.monotonic())
        env = {"BENCH_EMSESSION" if dialect == "em" else "BENCH_TOKEN": creds[dialect][0]}
        script = "em.lua" if dialect == "em" else "auth.lua"
        x = {}
        if not quick:   # one connection, every request rendered: the latency a client sees
            x = bench.wrk(s.port, path, dur, threads=1, conns=1, latency=True, script="rendered.lua", env=env)
            settle(s)
        m = measure(ngx, s, files[label][0], path, dur, runs, env, script)
        settle(s)
        m.update(path=path, bytes=files[label][1], total=files[label][2], p50_ms=x.get("p50", float("nan")),
                 p99_ms=x.get("p99", float("nan")))
        res["lists"][label] = m
        log("  " + line(label, m))
    ngx.p.terminate()
    ngx.p.wait(10)
    bench.procs.remove(ngx.p)
    s.stop()
    return res


def measure(ngx, srv, nginx_path, path, dur, runs, env, script):
    """A list against nginx serving its bytes (medians of runs): every list here is a cached
    route (src/api/cache.h), so it is measured polled and rendered (bench.list_vs_nginx)."""
    return bench.list_vs_nginx(ngx, srv, nginx_path, path, dur, runs, env, script=script)


def settle(srv, limit=300):
    """Waits until the server has worked off requests still queued when wrk stopped (a slow
    list under 64 connections leaves a backlog, often waiting on the disk rather than the CPU),
    so that the next line starts even: until a cheap request is answered at once, twice."""
    t_end, quick = time.time() + limit, 0
    while time.time() < t_end and quick < 2:
        t0 = time.perf_counter()
        try:
            http(srv.port, "GET", "/api/v1/serverTime", headers=bench.VBR, timeout=limit)
        except OSError:
            pass
        quick = quick + 1 if time.perf_counter() - t0 < 0.02 else 0
        time.sleep(0.02)


def total_of(dialect, body):
    try:
        if dialect == "vbr":
            return json.loads(body)["pagination"]["total"]
        if dialect == "az":
            return json.loads(body).get("totalCount", -1)
        i = body.find(b'PagesCount="')
        return -1 if i < 0 else int(body[i + 12:body.index(b'"', i + 12)]) * -1   # pages, not rows
    except (ValueError, KeyError):
        return -1


def line(label, m):
    extra = "" if m["p50_ms"] != m["p50_ms"] else ", 1 conn p50 %.2f ms p99 %.2f ms" % (m["p50_ms"], m["p99_ms"])
    cpu = ", CPU/req %.0f us polled, %.0f us rendered" % (m["cpu_us"], m["rendered_cpu_us"])
    return "%s  total %s, %d B%s%s" % (bench.list_line(label, m), m["total"] if m["total"] >= 0 else
                                      "%d pages" % -m["total"], m["bytes"], cpu, extra)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="10,000 sessions, short runs")
    ap.add_argument("--sizes", help="comma-separated store sizes")
    ap.add_argument("--duration", type=int)
    ap.add_argument("--runs", type=int)
    ap.add_argument("--only", help="only the lists whose label contains this")
    a, _ = ap.parse_known_args()   # bench/run hands every script its arguments
    signal.signal(signal.SIGTERM, bench.on_signal)
    signal.signal(signal.SIGINT, bench.on_signal)
    sizes = [int(x) for x in a.sizes.split(",")] if a.sizes else ([10000] if a.quick else [1000000])
    dur = a.duration or (1 if a.quick else 3)
    runs = a.runs or 1
    if a.quick:
        bench.quick_runs()
    bench.tmpdir = tempfile.mkdtemp(prefix="sessiond-bench-filters-")
    try:
        out = [run_size(n, dur, runs, a.only, a.quick) for n in sizes]
        os.makedirs(bench.CACHE, exist_ok=True)
        with open(os.path.join(bench.CACHE, "filters-%s.json" % ("quick" if a.quick else "full")), "w") as f:
            json.dump(out, f, indent=1)
        for r in out:
            print()
            print("filtered first pages of 100, %d sessions: sessiond vs nginx serving the same bytes "
                  "(wrk -t2 -c64, %d s, median of %d)" % (r["sessions"], dur, runs))
            for label, m in r["lists"].items():
                print("  " + line(label, m))
    finally:
        bench.cleanup()   # stops every process started and removes bench.tmpdir


if __name__ == "__main__":
    sys.exit(main())
