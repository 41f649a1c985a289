"""Failure: PostgreSQL restarted under load. While it is down, requests get 503 with
Retry-After in their dialect's shape (never a hang, never a crash); sessiond reconnects
by itself; every write it acknowledged is in the database afterwards."""
import subprocess
import threading
import time
import uuid

import requests

from conftest import CLUSTER, api, start_cluster, stop_cluster

LATEST = api.LATEST


def test_restart_under_load_loses_nothing_acknowledged():
    d, cluster_uri = start_cluster()
    srv = None
    name = api.pg_fresh_database(cluster_uri, "fail")
    try:
        srv = api.Server(db=api.pg_uri(cluster_uri, name))
        srv.start()
        token = srv.api("reporter").bearer
        h = {"x-api-version": LATEST, "Authorization": "Bearer " + token}
        hv = dict(h, Authorization="Bearer " + srv.api("viewer").bearer)
        acked, statuses, bad = [], [], []
        stop = threading.Event()
        lock = threading.Lock()

        def writer():
            while not stop.is_set():
                body = {"name": "load-" + uuid.uuid4().hex[:8], "sessionType": "BackupJob"}
                try:
                    r = requests.post(srv.base_url + "/api/v1/sessions", json=body, headers=h, timeout=15)
                except requests.RequestException as e:
                    with lock:
                        bad.append(repr(e))
                    continue
                with lock:
                    statuses.append(r.status_code)
                    if r.status_code == 201:
                        acked.append(r.json()["id"])
                    elif r.status_code == 503:
                        if "Retry-After" not in r.headers or "errorCode" not in r.json():
                            bad.append((r.status_code, dict(r.headers), r.text))
                    else:
                        bad.append((r.status_code, r.text))
                if r.status_code == 503:
                    time.sleep(0.05)

        threads = [threading.Thread(target=writer) for _ in range(4)]
        for t in threads:
            t.start()
        time.sleep(1.0)
        before = len(acked)
        subprocess.run([CLUSTER, "restart", d], check=True, timeout=120)
        time.sleep(0.5)
        # reads during and after the outage are answered, 200 or 503, quickly
        t0 = time.monotonic()
        r = requests.get(srv.base_url + "/api/v1/sessions?limit=1", headers=hv, timeout=15)
        assert r.status_code in (200, 503) and time.monotonic() - t0 < 10
        time.sleep(2.5)   # sessiond reconnects and writes go on
        stop.set()
        for t in threads:
            t.join(30)
        assert srv.alive(), srv.stderr_tail()
        assert not bad, bad[:5]
        assert before > 0 and len(acked) > before, (before, len(acked))
        assert 503 in statuses, "the outage was never seen: the test proves nothing"
        # writes succeed again after the restart
        assert statuses[-1] == 201, statuses[-20:]
        viewer = srv.api("viewer")
        stored, skip = set(), 0
        while True:   # every page: a list answers at most its maximum page per request
            body = viewer.get("/api/v1/sessions?skip=%d&limit=1000" % skip, schema="SessionsResult").body
            stored |= {s["id"] for s in body["data"]}
            skip += len(body["data"])
            if not body["data"] or skip >= body["pagination"]["total"]:
                break
        missing = [i for i in acked if i not in stored]
        assert not missing, "%d acknowledged writes lost of %d" % (len(missing), len(acked))
    finally:
        if srv:
            api._finish(srv, False)
        stop_cluster(d)
