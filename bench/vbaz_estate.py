"""VB for Azure estate benchmark: listing repositories, VM policies and VM restore points
at 100,000 estate objects (10,000 with --quick), against nginx serving the same bytes.

Run by bench/run after bench/bench.py (make bench / make bench-quick); uses its servers and
wrk helpers. The estate is seeded once through the ingest API (PUT /api/v1/estate/…, eight
connections) and cached in build/bench; each run works on a copy. Prints medians of >= 3
runs and writes them to build/bench/vbaz-estate-{full,quick}.json. docs/PERFORMANCE.md and
docs/ESTATE.md say what the figures mean.
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
import bench  # noqa: E402  (the shared harness: servers, wrk, cleanup)
from bench import CACHE, ROOT, Nginx, Sessiond, cleanup, log, on_signal  # noqa: E402

AZ = {"Authorization": None}
LISTS = {   # name: path (the first page a client asks for)
    "repositories": "/api/v8.1/repositories?Limit=30",
    "policies": "/api/v8.1/policies/virtualMachines?Limit=30",
    "restorePoints": "/api/v8.1/restorePoints/virtualMachines?Limit=30",
}


def mix(n):
    """How n objects divide: repositories, jobs, Azure VMs, SQL databases, restore points."""
    repos, jobs = max(10, n // 1000), max(20, n // 200)
    vms, dbs = max(100, n // 25), max(10, n // 500)
    return repos, jobs, vms, dbs, n - repos - jobs - vms - dbs


def objects(n):
    """Every object to PUT, as (kind, id, body), parents and names before what names them."""
    repos, jobs, vms, dbs, points = mix(n)
    rnd = uuid.UUID(int=n)    # deterministic ids: the cache stays valid across runs
    ids = (str(uuid.uuid5(rnd, str(i))) for i in range(n))
    for i in range(repos):
        yield "repository", next(ids), {"name": "blob-%04d" % i, "capacityBytes": 1 << 40}
    for i in range(jobs):
        yield "job", next(ids), {"name": "policy-%04d" % i, "type": "PolicyBackup" if i % 4 else "SqlPolicyBackup",
                                 "repository": "blob-%04d" % (i % repos), "schedule": "0 2 * * *",
                                 "objects": ["az-vm-%05d" % (i * 7 + k) for k in range(5)]}
    for i in range(vms):
        yield "protectedObject", next(ids), {"name": "az-vm-%05d" % i, "platform": "Azure", "type": "Vm",
                                             "sizeBytes": (i % 500 + 8) << 30}
    for i in range(dbs):
        yield "protectedObject", next(ids), {"name": "sqldb-%04d" % i, "platform": "Azure", "type": "Database"}
    for i in range(points):
        obj = "az-vm-%05d" % (i % vms) if i % 20 else "sqldb-%04d" % (i % dbs)
        day, minute = divmod(i // vms, 1440)
        yield "restorePoint", next(ids), {
            "name": "%s@%d" % (obj, i), "object": obj, "time": "2024-%02d-%02dT%02d:%02d:00Z" % (
                1 + day // 28 % 12, 1 + day % 28, minute // 60, minute % 60),
            "pointType": "Full" if i % 7 == 0 else "Increment", "sizeBytes": (i % 1000 + 1) << 20,
            "repository": "blob-%04d" % (i % repos)}


def seed(port, token, n, conns=8):
    items = list(objects(n))
    # every kind in its order: jobs name repositories, restore points name objects
    order = ["repository", "job", "protectedObject", "restorePoint"]
    errors = []

    def put_all(part):
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        h = {"Authorization": "Bearer " + token, "x-api-version": "1.3-rev2", "Content-Type": "application/json"}
        for kind, oid, body in part:
            c.request("PUT", "/api/v1/estate/%s/%s" % (kind, oid), json.dumps(body), h)
            r = c.getresponse()
            r.read()
            if r.status != 200:
                errors.append((kind, oid, r.status))
        c.close()

    for kind in order:
        rows = [x for x in items if x[0] == kind]
        ts = [threading.Thread(target=put_all, args=(rows[i::conns],)) for i in range(conns)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        if errors:
            raise RuntimeError("seeding failed: %r" % errors[:5])
        log("  seeded %d %s objects" % (len(rows), kind))


def estate_db(n, tmpdir):
    os.makedirs(CACHE, exist_ok=True)
    db = os.path.join(CACHE, "vbaz-estate-%d.db" % n)
    inputs = [os.path.join(ROOT, p) for p in ("bench/vbaz_estate.py", "src/store/store_sql.c", "src/model/estate.def")]
    if not os.path.exists(db) or any(os.path.getmtime(db) < os.path.getmtime(p) for p in inputs):
        for ext in ("", "-wal", "-shm"):
            if os.path.exists(db + ext):
                os.remove(db + ext)
        log("seeding %d estate objects through the ingest API ..." % n)
        s = Sessiond(db, "warn")
        s.start()
        try:
            seed(s.port, s.token(), n)
        finally:
            s.stop()
    work = os.path.join(tmpdir, "estate.db")
    shutil.copyfile(db, work)
    return work


def run(n, dur, runs, tmpdir):
    db = estate_db(n, tmpdir)
    s = Sessiond(db, "warn")
    s.start()
    tok = s.token()
    www = os.path.join(tmpdir, "www")
    files = {}
    for name, path in LISTS.items():
        _, body = bench.http(s.port, "GET", path, headers={"Authorization": "Bearer " + tok})
        page = json.loads(body)
        assert page["results"], (name, page)
        file = os.path.join(www, "%s.json" % name)
        os.makedirs(www, exist_ok=True)
        with open(file, "wb") as f:
            f.write(body)
        files[name] = ("/%s.json" % name, len(body), page["totalCount"])
    for dirpath, dirs, fs in os.walk(tmpdir):
        os.chmod(dirpath, 0o755)
        for x in fs:
            os.chmod(os.path.join(dirpath, x), 0o644)
    ngx = Nginx(www)
    out = {"objects": n, "mix": dict(zip(("repositories", "jobs", "vms", "sqlDatabases", "restorePoints"), mix(n))),
           "lists": {}}
    for name, path in LISTS.items():
        m = bench.list_vs_nginx(ngx, s, files[name][0], path, dur, runs, {"BENCH_TOKEN": tok})
        log("  " + bench.list_line(name, m))
        out["lists"][name] = dict(m, bytes=files[name][1], total=files[name][2])
    s.stop()
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="10,000 objects, short runs")
    ap.add_argument("--objects", type=int)
    ap.add_argument("--duration", type=int)
    ap.add_argument("--runs", type=int)
    a, _ = ap.parse_known_args()   # bench/run passes bench.py's arguments too
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    n = a.objects or (10000 if a.quick else 100000)
    dur, runs = bench.timing(a)
    bench.tmpdir = tempfile.mkdtemp(prefix="sessiond-bench-az-")
    try:
        r = run(n, dur, runs, bench.tmpdir)
        with open(os.path.join(CACHE, "vbaz-estate-%s.json" % ("quick" if a.quick else "full")), "w") as f:
            json.dump(r, f, indent=1)
        print("VB for Azure estate lists, %d objects (%s)" % (n, ", ".join("%s %d" % kv for kv in r["mix"].items())))
        for name, x in r["lists"].items():
            print("  " + bench.list_line("%s (30 of %d, %d B)" % (LISTS[name].split("?")[0], x["total"], x["bytes"]), x))
    finally:
        cleanup()


if __name__ == "__main__":
    main()
