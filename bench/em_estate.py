"""Enterprise Manager estate lists at 100k estate objects: sessiond and nginx (serving the
same bytes) side by side, same wrk settings, as bench/bench.py does for sessions.

The estate (repositories, declared jobs, backups, restore points) is seeded once through
the ingest API (PUT /api/v1/estate/{kind}/{id}) and cached in build/bench. Run by bench/run
after bench.py (make bench, make bench-quick), or alone:
    /usr/bin/python3 bench/em_estate.py [--quick] [--objects N]
"""
import argparse
import http.client
import json
import os
import shutil
import signal
import sys
import tempfile
import threading
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (the servers, wrk and nginx helpers)

REPOS, JOBS = 100, 1000


def seed(port, token, n):
    """n objects: REPOS repositories, JOBS declared jobs with a backup each, the rest restore
    points spread over the backups. Eight keep-alive connections, each PUT acknowledged
    after its commit."""
    ns = uuid.UUID("5e551011-0000-4000-8000-000000000000")
    oid = lambda kind, i: str(uuid.uuid5(ns, "%s-%d" % (kind, i)))   # noqa: E731
    objs = []
    for i in range(REPOS):
        objs.append(("repository", oid("repo", i), {"name": "repo-%03d" % i, "capacityBytes": 10 ** 13,
                                                    "freeBytes": 4 * 10 ** 12, "path": "/srv/r%d" % i}))
    for i in range(JOBS):
        objs.append(("job", oid("job", i), {"name": "job-%04d" % i, "type": "BackupJob", "schedule": "0 22 * * *",
                                            "repository": "repo-%03d" % (i % REPOS)}))
        objs.append(("backup", oid("backup", i), {"name": "job-%04d backup" % i, "parentId": oid("job", i),
                                                  "repository": "repo-%03d" % (i % REPOS), "platform": "VMware"}))
    for i in range(max(0, n - len(objs))):
        b = i % JOBS
        objs.append(("restorePoint", oid("rp", i), {
            "name": "vm-%05d@%d" % (i // JOBS, b), "parentId": oid("backup", b), "object": "vm-%05d" % (i // JOBS),
            "time": "2026-11-%02dT22:00:00Z" % (1 + i % 28), "pointType": "Full" if i % 7 == 0 else "Increment",
            "sizeBytes": 1000 + i}))
    # the parents first (a parentId must exist): jobs and repositories, backups, points
    order = [[o for o in objs if o[0] in kinds] for kinds in (("repository", "job"), ("backup",), ("restorePoint",))]
    hdr = {"x-api-version": "1.3-rev2", "Authorization": "Bearer " + token, "Content-Type": "application/json"}
    for part in order:
        chunks = [part[k::8] for k in range(8)]
        errors = []

        def put_all(items):
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            for kind, i, body in items:
                c.request("PUT", "/api/v1/estate/%s/%s" % (kind, i), json.dumps(body), hdr)
                r = c.getresponse()
                r.read()
                if r.status != 200:
                    errors.append((kind, i, r.status))
            c.close()
        threads = [threading.Thread(target=put_all, args=(ch,)) for ch in chunks]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise RuntimeError("seeding failed: %r" % errors[:3])
    return oid("backup", 0)


def dataset(n):
    """The seeded database for n objects (cached), copied into the temp dir."""
    os.makedirs(bench.CACHE, exist_ok=True)
    db = os.path.join(bench.CACHE, "em-estate-%d.db" % n)
    inputs = [os.path.abspath(__file__)] + [os.path.join(bench.ROOT, p) for p in
                                            ("src/store/store_sql.c", "src/model/estate.def")]
    if not os.path.exists(db) or any(os.path.getmtime(db) < os.path.getmtime(p) for p in inputs):
        for ext in ("", "-wal", "-shm"):
            if os.path.exists(db + ext):
                os.remove(db + ext)
        s = bench.Sessiond(db, "warn")
        s.start()
        bench.log("seeding %d estate objects through the ingest API ..." % n)
        t0 = bench.time.perf_counter()
        seed(s.port, s.token(), n)
        bench.log("  seeded in %.1f s" % (bench.time.perf_counter() - t0))
        s.stop()
    work = os.path.join(bench.tmpdir, "estate.db")
    shutil.copyfile(db, work)
    return work


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="10k objects, short runs")
    ap.add_argument("--objects", type=int)
    ap.add_argument("--duration", type=int)
    ap.add_argument("--runs", type=int)
    ap.add_argument("--sizes", help=argparse.SUPPRESS)   # bench.py's option, passed on by bench/run
    a = ap.parse_args()
    signal.signal(signal.SIGTERM, bench.on_signal)
    signal.signal(signal.SIGINT, bench.on_signal)
    n = a.objects or (10000 if a.quick else 100000)
    dur, runs = bench.timing(a)
    bench.tmpdir = tempfile.mkdtemp(prefix="sessiond-bench-em-")
    try:
        db = dataset(n)
        s = bench.Sessiond(db, "warn")
        s.start()
        em = s.em_session()
        backup0 = str(uuid.uuid5(uuid.UUID("5e551011-0000-4000-8000-000000000000"), "backup-0"))
        paths = {
            "repositories": "/api/repositories?format=Entity",
            "jobs": "/api/jobs?format=Entity",
            "restore points (query page)": "/api/query?type=RestorePoint&format=Entities&pageSize=100&page=50",
            "restore points of a backup": "/api/backups/%s/restorePoints" % backup0,
        }
        www = os.path.join(bench.tmpdir, "www")
        sizes = {}
        for name, p in paths.items():
            _, body = bench.http(s.port, "GET", p, headers={"X-RestSvcSessionId": em})
            f = os.path.join(www, p.split("?")[0].lstrip("/"))
            os.makedirs(os.path.dirname(f), exist_ok=True)
            with open(f, "wb") as out:
                out.write(body)
            sizes[name] = len(body)
        for dirpath, dirs, files in os.walk(bench.tmpdir):
            os.chmod(dirpath, 0o755)
            for x in files:
                os.chmod(os.path.join(dirpath, x), 0o644)
        ngx = bench.Nginx(www)
        env = {"BENCH_EMSESSION": em}
        bench.log("== EM estate, %d objects (%d repositories, %d jobs, %d backups, %d restore points)"
                  % (n, REPOS, JOBS, JOBS, n - REPOS - 2 * JOBS))
        results = {}
        for name, p in paths.items():
            m = bench.list_vs_nginx(ngx, s, p, p, dur, runs, env, script="em.lua")
            results[name] = dict(m, bytes=sizes[name], path=p)
            print("EM " + bench.list_line("%s (%d B)" % (name, sizes[name]), m), flush=True)
        with open(os.path.join(bench.CACHE, "results-em-estate-%s.json" % ("quick" if a.quick else "full")),
                  "w") as f:
            json.dump({"objects": n, "duration_s": dur, "runs": runs, "results": results}, f, indent=1)
        s.stop()
    finally:
        bench.cleanup()   # stops every process started through bench, removes the temp dir


if __name__ == "__main__":
    main()
