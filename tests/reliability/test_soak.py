"""Load and soak: wrk (Debian's; `scripts/deps --bench`) with soak.lua at 256 connections, a
mix of reads and writes. Zero socket errors, zero 5xx, and a stable RSS (VmRSS and RssAnon
sampled every second from /proc/<pid>/status): the heap (RssAnon) at the end is within 10% +
4 MiB of its highest in the middle third (the first third warms SQLite's page caches, up to
8 MB per connection). VmRSS is reported too; it also counts file-backed pages (the binary,
the libraries, and the database file's pages whenever SQLite maps it).

SOAK=1 runs the 60 s soak; otherwise a 10 s run (make check). SOAK_SECONDS overrides both.
"""
import os
import re
import shutil
import subprocess
import threading
import time

import pytest
import requests

from relsrv import Server

SECONDS = int(os.environ.get("SOAK_SECONDS") or (60 if os.environ.get("SOAK") == "1" else 10))
CONNECTIONS = 256
HERE = os.path.dirname(os.path.abspath(__file__))


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed: scripts/deps --bench")
def test_mixed_load_has_no_errors_and_stable_rss():
    srv = Server(args=["--log-level", "warn"] + os.environ.get("SOAK_ARGS", "").split())
    try:
        srv.start()
        token = srv.token()
        h = srv.headers(token)
        ids = []
        for i in range(200):
            r = requests.post(srv.base + "/api/v1/sessions", headers=h, timeout=10,
                              json={"name": "soak-%d" % i, "sessionType": "BackupJob"})
            assert r.status_code == 201, r.text
            ids.append(r.json()["id"])
        cfg = os.path.join(srv.dir, "soak_ids.lua")
        with open(cfg, "w") as f:
            f.write('return {token = "%s", ids = {%s}}\n' % (token, ",".join('"%s"' % i for i in ids)))
        samples = []
        stop = threading.Event()

        def sample():
            while not stop.is_set():
                samples.append(srv.memory_kib())
                stop.wait(1.0)

        t = threading.Thread(target=sample, daemon=True)
        t.start()
        p = subprocess.run(["wrk", "-t2", "-c%d" % CONNECTIONS, "-d%ds" % SECONDS, "--timeout", "5s",
                            "-s", os.path.join(HERE, "soak.lua"), srv.base],
                           env=dict(os.environ, SOAK_IDS=cfg), capture_output=True, text=True,
                           timeout=SECONDS + 60)
        stop.set()
        t.join(5)
        assert srv.proc.poll() is None, "sessiond died under load\n" + srv.stderr_tail()
        m = re.search(r"^SOAK (.*)$", p.stdout, re.M)
        assert m, p.stdout + p.stderr
        f = {k: float(v) for k, v in (kv.split("=") for kv in m.group(1).split())}
        third = max(1, len(samples) // 3)
        anon = [a for _, a in samples]
        rss = [v for v, _ in samples]
        mid, last = max(anon[third:2 * third] or anon), anon[-1]
        print("\nsoak: %ds x %d connections: %d requests (%.0f/s), 2xx %d, 4xx %d, 5xx %d; socket "
              "errors connect %d read %d write %d timeout %d; latency p50 %.2f ms p99 %.2f ms max "
              "%.1f ms; heap (RssAnon) MiB start %.1f, middle-third max %.1f, end %.1f; VmRSS MiB "
              "start %.1f, end %.1f"
              % (SECONDS, CONNECTIONS, f["requests"], f["rps"], f["2xx"], f["4xx"], f["5xx"],
                 f["connect"], f["read"], f["write"], f["timeout"], f["p50_ms"], f["p99_ms"],
                 f["max_ms"], anon[0] / 1024, mid / 1024, last / 1024, rss[0] / 1024, rss[-1] / 1024))
        assert f["5xx"] == 0 and f["other"] == 0
        assert f["connect"] + f["read"] + f["write"] + f["timeout"] == 0, p.stdout
        assert f["4xx"] == 0, "every request of the mix is valid"
        assert f["requests"] > SECONDS * 1000
        assert last <= mid * 1.10 + 4096, "the heap grew from %d to %d KiB" % (mid, last)
        code, _ = srv.term()
        assert code == 0
    finally:
        srv.cleanup()
