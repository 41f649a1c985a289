"""The VBR dialect's estate lists at scale: repositories, jobs and restore points of a store
holding 100,000 estate objects (10,000 with --quick), seeded through the ingest API, each list
against nginx serving the same bytes (the pattern of bench.py, whose servers and wrk runner it
uses). Run by make bench (bench/run, last) or alone: /usr/bin/python3 bench/vbr_estate.py.
Prints medians and writes build/bench/vbr-estate-{full,quick}.json. Every process it starts is
stopped on exit."""
import argparse
import http.client as httpclient
import json
import os
import signal
import sys
import tempfile
import threading
import time
import uuid

import bench
from bench import Nginx, Sessiond, http, log

# The mix: mostly restore points, as a real estate is.
MIX = (("managedServer", 0.005), ("repository", 0.01), ("job", 0.01), ("protectedObject", 0.03),
       ("backup", 0.01), ("replica", 0.005))


def seed(port, token, n, threads=8):
    """n estate objects through PUT /api/v1/estate/{kind}/{id}; returns (seconds, ids by kind)."""
    counts = {k: max(1, int(n * f)) for k, f in MIX}
    counts["restorePoint"] = n - sum(counts.values())
    ids = {k: [str(uuid.UUID(int=(i + 1) << 64 | (c + 1))) for c in range(counts[k])]
           for i, k in enumerate(list(counts))}
    work = []
    for i, oid in enumerate(ids["managedServer"]):
        work.append(("managedServer", oid, {"name": "host-%05d" % i, "type": "LinuxHost"}))
    for i, oid in enumerate(ids["repository"]):
        work.append(("repository", oid, {"name": "repo-%05d" % i, "type": "LinuxLocal",
                                         "host": "host-%05d" % (i % counts["managedServer"]), "path": "/b/%d" % i,
                                         "capacityBytes": (i + 1) << 40, "freeBytes": (i + 1) << 39}))
    for i, oid in enumerate(ids["job"]):
        work.append(("job", oid, {"name": "job-%05d" % i, "type": "BackupJob", "schedule": "0 22 * * *",
                                  "repository": "repo-%05d" % (i % counts["repository"])}))
    for i, oid in enumerate(ids["protectedObject"]):
        work.append(("protectedObject", oid, {"name": "vm-%06d" % i, "type": "Vm", "platform": "VMware"}))
    for i, oid in enumerate(ids["backup"]):
        work.append(("backup", oid, {"name": "backup-%05d" % i, "parentId": ids["job"][i % counts["job"]],
                                     "repository": "repo-%05d" % (i % counts["repository"])}))
    for i, oid in enumerate(ids["replica"]):
        work.append(("replica", oid, {"name": "replica-%05d" % i, "parentId": ids["job"][i % counts["job"]]}))
    for i, oid in enumerate(ids["restorePoint"]):
        work.append(("restorePoint", oid, {
            "name": "rp-%07d" % i, "object": "vm-%06d" % (i % counts["protectedObject"]),
            "parentId": ids["backup"][i % counts["backup"]], "pointType": "Full" if i % 7 == 0 else "Increment",
            "time": "2024-%02d-%02dT22:00:00Z" % (1 + i // 28 % 12, 1 + i % 28)}))
    lock, errors = threading.Lock(), []

    def worker(chunk):
        try:
            c = httpclient.HTTPConnection("127.0.0.1", port, timeout=60)
            hdr = dict(bench.VBR, Authorization="Bearer " + token, **{"Content-Type": "application/json"})
            for kind, oid, body in chunk:
                c.request("PUT", "/api/v1/estate/%s/%s" % (kind, oid), json.dumps(body), hdr)
                r = c.getresponse()
                r.read()
                if r.status != 200:
                    with lock:
                        errors.append((kind, r.status))
            c.close()
        except Exception as e:   # noqa: BLE001 -- reported below, with the others
            with lock:
                errors.append(("exception", repr(e)))

    t0 = time.perf_counter()
    # kinds in order (parents before children), each kind spread over the threads
    for kind in ("managedServer", "repository", "job", "protectedObject", "backup", "replica", "restorePoint"):
        mine = [w for w in work if w[0] == kind]
        ts = [threading.Thread(target=worker, args=(mine[i::threads],)) for i in range(threads)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
    if errors:
        raise RuntimeError("seeding failed: %d errors, first %s" % (len(errors), errors[0]))
    return time.perf_counter() - t0, ids


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="10,000 objects, short runs")
    ap.add_argument("--objects", type=int)
    ap.add_argument("--duration", type=int)
    ap.add_argument("--runs", type=int)
    a, _ = ap.parse_known_args()   # bench/run hands every script its arguments
    signal.signal(signal.SIGTERM, bench.on_signal)
    signal.signal(signal.SIGINT, bench.on_signal)
    n = a.objects or (10000 if a.quick else 100000)
    dur, runs = bench.timing(a, 5)
    bench.tmpdir = tempfile.mkdtemp(prefix="sessiond-bench-estate-")
    try:
        s = Sessiond(os.path.join(bench.tmpdir, "estate.db"), "warn")
        s.start()
        tok = s.token()
        secs, ids = seed(s.port, tok, n)
        log("seeded %d estate objects in %.1f s (%.0f PUT/s)" % (n, secs, n / secs))
        backup = ids["backup"][0]
        lists = {   # name: path
            "repositories/states": "/api/v1/backupInfrastructure/repositories/states?limit=100",
            "repositories?typeFilter": "/api/v1/backupInfrastructure/repositories?limit=100&typeFilter=LinuxLocal",
            "jobs/states": "/api/v1/jobs/states?limit=100",
            "restorePoints": "/api/v1/restorePoints?limit=100",
            "restorePoints?backupIdFilter": "/api/v1/restorePoints?limit=100&backupIdFilter=" + backup,
        }
        www = os.path.join(bench.tmpdir, "www")
        files = {}
        for i, (name, path) in enumerate(lists.items()):
            _, body = http(s.port, "GET", path, headers=dict(bench.VBR, Authorization="Bearer " + tok))
            assert json.loads(body)["data"], name
            rel = "l%d.json" % i
            os.makedirs(www, exist_ok=True)
            with open(os.path.join(www, rel), "wb") as f:
                f.write(body)
            files[name] = ("/" + rel, len(body))
        for d in (bench.tmpdir, www):
            os.chmod(d, 0o755)
        for f in os.listdir(www):
            os.chmod(os.path.join(www, f), 0o644)
        ngx = Nginx(www)
        res = {"objects": n, "seed_put_per_s": n / secs, "lists": {}}
        for name, path in lists.items():
            m = bench.list_vs_nginx(ngx, s, files[name][0], path, dur, runs, {"BENCH_TOKEN": tok})
            m["bytes"] = files[name][1]
            res["lists"][name] = m
            log("  " + bench.list_line(name, m))
        s.stop()
        os.makedirs(bench.CACHE, exist_ok=True)
        with open(os.path.join(bench.CACHE, "vbr-estate-%s.json" % ("quick" if a.quick else "full")), "w") as f:
            json.dump(res, f, indent=1)
        print()
        print("VBR estate lists, %d estate objects (limit=100), wrk -t2 -c64: sessiond vs nginx serving the same bytes"
              % n)
        for name, m in res["lists"].items():
            print("  " + bench.list_line(name, m))
    finally:
        bench.cleanup()   # stops every process started and removes bench.tmpdir


if __name__ == "__main__":
    sys.exit(main())
