"""GET /metrics (docs/OPERATIONS.md "Monitor"): parsed with Debian's python3-prometheus-client and
checked against the API's own numbers for sessions created through the ingest API; request and
commit histograms; feed subscribers; who may read it, and the unauthenticated --metrics-bind
listener."""
import os
import subprocess
import threading
import time
import uuid

import pytest
import requests

from conftest import LATEST, Server, free_port, new_session

parser = pytest.importorskip("prometheus_client.parser",
                             reason="python3-prometheus-client is missing: run scripts/deps")


def scrape(srv, token=None, base=None):
    token = token or srv.api("viewer").bearer
    r = requests.get((base or srv.base_url) + "/metrics", headers={"Authorization": "Bearer " + token}, timeout=10)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4"), r.headers
    return families(r.text)


def families(text):
    """{family name: [(sample name, labels, value)]}, through the reference parser."""
    out = {}
    for fam in parser.text_string_to_metric_families(text):
        out.setdefault(fam.name, []).extend((s.name, s.labels, s.value) for s in fam.samples)
    return out


def value(fams, family, sample=None, **labels):
    vals = [v for n, l, v in fams.get(family, []) if n == (sample or family) and all(l.get(k) == w for k, w in labels.items())]
    assert len(vals) == 1, (family, labels, fams.get(family))
    return vals[0]


def total(viewer, **filters):
    r = viewer.get("/api/v1/sessions", params=dict(filters, limit=1), schema="SessionsResult")
    return r.body["pagination"]["total"]


def complete(rep, s, result, **kw):
    return rep.post("/api/v1/sessions/%s/complete" % s["id"], json=dict({"result": result}, **kw),
                    schema="SessionModel", status=200).body


def test_session_counts_match_the_api(fresh_server):
    rep, viewer = fresh_server.api("reporter"), fresh_server.api("viewer")
    made = []
    for i, (typ, result) in enumerate([("BackupJob", "Success"), ("BackupJob", "Failed"), ("BackupJob", None),
                                       ("ReplicaJob", "Warning"), ("ReplicaJob", None), ("BackupJob", "Success"),
                                       ("BackupCopyJob", "Failed")]):
        s = new_session(rep, name="m-%d" % i, sessionType=typ)
        if result:
            s = complete(rep, s, result)
        made.append(s)
    fams = scrape(fresh_server)
    rows = [(l["type"], l["state"], l["result"], v) for n, l, v in fams["sessiond_sessions"]]
    assert sum(v for *_, v in rows) == total(viewer) == len(made)
    for typ, state, result, v in rows:
        assert v == total(viewer, typeFilter=typ, stateFilter=state, resultFilter=result), (typ, state, result)
    for s in made:   # every combination the API shows is there
        key = (s["sessionType"], s["state"], s["result"]["result"])
        assert key in {(t, st, r) for t, st, r, _ in rows}, key
    running = total(viewer) - total(viewer, stateFilter="Stopped")
    assert value(fams, "sessiond_sessions_running") == running == 2
    # a change shows at the next scrape (the cache follows the usn)
    complete(rep, made[2], "Success")
    fams = scrape(fresh_server)
    assert value(fams, "sessiond_sessions_running") == 1
    assert value(fams, "sessiond_sessions", type="BackupJob", state="Stopped", result="Success") == \
        total(viewer, typeFilter="BackupJob", stateFilter="Stopped", resultFilter="Success") == 3


def test_last_result_and_last_success_per_job(fresh_server):
    rep = fresh_server.api("reporter")
    job = "nightly-" + uuid.uuid4().hex[:6]
    ok = complete(rep, new_session(rep, name=job), "Success")
    time.sleep(0.01)
    bad = complete(rep, new_session(rep, name=job), "Failed")
    assert (bad.get("jobId") or bad.get("activityId")) == (ok.get("jobId") or ok.get("activityId"))
    fams = scrape(fresh_server)
    rows = [(l, v) for n, l, v in fams["sessiond_job_last_result"] if l["job"] == job]
    assert len(rows) == 1, fams["sessiond_job_last_result"]
    labels, v = rows[0]
    assert v == 3 and labels["result"] == "Failed" and labels["type"] == "BackupJob"
    assert labels["job_id"] == (bad.get("jobId") or bad.get("activityId"))
    succ = [v for n, l, v in fams["sessiond_job_last_success_time_seconds"] if l["job"] == job]
    ok_end = fresh_server.api("viewer").get("/api/v1/sessions/" + ok["id"], schema="SessionModel").body["endTime"]
    from datetime import datetime
    want = datetime.fromisoformat(ok_end.replace("Z", "+00:00")).timestamp()
    assert succ and abs(succ[0] - want) < 0.002, (succ, ok_end)
    # a job that never succeeded has a last result and no success time
    other = "never-" + uuid.uuid4().hex[:6]
    complete(rep, new_session(rep, name=other), "Failed")
    fams = scrape(fresh_server)
    assert [v for n, l, v in fams["sessiond_job_last_result"] if l["job"] == other] == [3]
    assert not [v for n, l, v in fams["sessiond_job_last_success_time_seconds"] if l["job"] == other]


def test_request_and_commit_histograms(fresh_server):
    viewer, rep = fresh_server.api("viewer"), fresh_server.api("reporter")
    time.sleep(0.3)   # a request is counted when it ends, just after its answer went out
    before = scrape(fresh_server)
    for _ in range(5):
        viewer.get("/api/v1/sessions?limit=1", schema="SessionsResult")
    viewer.get("/api/v1/sessions/not-a-uuid", status=400)
    for _ in range(3):
        new_session(rep)
    requests.get(fresh_server.base_url + "/api/backupSessions", timeout=5)   # EM, 401
    for _ in range(2):
        assert requests.get(fresh_server.base_url + "/api/v8.1/jobSessions", timeout=5).status_code == 401   # Azure
    time.sleep(0.3)
    after = scrape(fresh_server)

    def delta(dialect, code):
        return (value(after, "sessiond_http_requests", "sessiond_http_requests_total", dialect=dialect, code=code)
                - value(before, "sessiond_http_requests", "sessiond_http_requests_total", dialect=dialect, code=code))
    assert delta("vbr", "2xx") == 5
    assert delta("vbr", "4xx") == 1
    assert delta("ingest", "2xx") == 3
    assert delta("em", "4xx") == 1
    assert delta("vbaz", "4xx") == 2
    # a histogram's +Inf bucket is its count, and buckets never decrease
    h = "sessiond_http_request_duration_seconds"
    for code in ("2xx", "4xx"):
        buckets = [(float(l["le"]), v) for n, l, v in after[h]
                   if n == h + "_bucket" and l["dialect"] == "vbr" and l["code"] == code]
        assert buckets[-1][0] == float("inf")
        assert [v for _, v in buckets] == sorted(v for _, v in buckets)
        assert buckets[-1][1] == value(after, h, h + "_count", dialect="vbr", code=code) == \
            value(after, "sessiond_http_requests", "sessiond_http_requests_total", dialect="vbr", code=code)
    c = "sessiond_store_commit_duration_seconds"
    assert value(after, c, c + "_count") >= value(before, c, c + "_count") + 3
    assert value(after, c, c + "_sum") > 0
    assert value(after, "sessiond_build_info", version=subprocess.run(
        [fresh_server.binary, "--version"], capture_output=True, text=True).stdout.split()[1]) == 1
    start = value(after, "sessiond_process_start_time_seconds")
    assert time.time() - 120 < start <= time.time()


def test_feed_subscribers_counts_waiting_long_polls(fresh_server):
    viewer, rep = fresh_server.api("viewer"), fresh_server.api("reporter")
    s = new_session(rep)
    usn = viewer.get("/api/v1/sessions/" + s["id"], schema="SessionModel").body.get("usn")
    if usn is None:
        usn = value(scrape(fresh_server), "sessiond_usn")
    assert value(scrape(fresh_server), "sessiond_feed_subscribers") == 0
    done = []
    t = threading.Thread(target=lambda: done.append(requests.get(
        fresh_server.base_url + "/api/v1/sessions?usnGreaterThan=%d&wait=20" % usn,
        headers={"x-api-version": LATEST, "Authorization": "Bearer " + viewer.bearer}, timeout=30)))
    t.start()
    try:
        deadline = time.monotonic() + 5
        while value(scrape(fresh_server), "sessiond_feed_subscribers") != 1:
            assert time.monotonic() < deadline, "the long poll never showed"
            time.sleep(0.05)
    finally:
        new_session(rep)
        t.join(10)
    assert done and done[0].status_code == 200
    assert value(scrape(fresh_server), "sessiond_feed_subscribers") == 0


def test_who_may_read_the_metrics(fresh_server):
    url = fresh_server.base_url + "/metrics"
    r = requests.get(url, timeout=5)
    assert r.status_code == 401 and r.headers.get("WWW-Authenticate") == "Bearer" and "message" in r.json()
    r = requests.get(url, headers={"Authorization": "Bearer sk_nope.nope"}, timeout=5)
    assert r.status_code == 401
    r = requests.get(url, headers={"Authorization": "Bearer " + fresh_server.api("reporter").bearer}, timeout=5)
    assert r.status_code == 403
    for user in ("viewer", "operator", "admin"):
        scrape(fresh_server, token=fresh_server.api(user).bearer)
    # an API key of the viewer role: what a Prometheus scrape config uses
    p = subprocess.run([fresh_server.binary, "key", "add", "prometheus", "--role", "viewer", "--db", fresh_server.db],
                       env=fresh_server.env, capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    fams = scrape(fresh_server, token=p.stdout.strip())
    assert "sessiond_sessions_running" in fams
    r = requests.post(url, headers={"Authorization": "Bearer " + fresh_server.api("admin").bearer}, timeout=5)
    assert r.status_code == 405


def test_metrics_bind_serves_metrics_without_authentication(tmp_path):
    port = free_port()
    srv = Server(extra_args=["--metrics-bind", "127.0.0.1:%d" % port])
    try:
        srv.start()
        new_session(srv.api("reporter"))
        base = "http://127.0.0.1:%d" % port
        r = requests.get(base + "/metrics", timeout=5)
        assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        assert sum(v for n, l, v in families(r.text)["sessiond_sessions"]) == 1
        assert requests.get(base + "/healthz", timeout=5).status_code == 200
        assert requests.get(base + "/readyz", timeout=5).status_code == 200
        for path in ("/api/v1/sessions", "/openapi.json", "/api/backupSessions"):
            r = requests.get(base + path, headers={"x-api-version": LATEST}, timeout=5)
            assert r.status_code == 404, (path, r.status_code)
        # the main listener still asks for a token
        assert requests.get(srv.base_url + "/metrics", timeout=5).status_code == 401
    finally:
        srv.stop()
        srv.cleanup()
    p = subprocess.run([Server().binary, "--listen", "127.0.0.1:0", "--metrics-bind", "nonsense",
                        "--db", str(tmp_path / "x.db")],
                       capture_output=True, text=True, timeout=10)
    assert p.returncode != 0 and "bad listen address 'nonsense'" in p.stderr, p.stderr
    assert not (tmp_path / "x.db").exists(), "the database is opened only once the ports are bound"


def test_health_and_readiness(fresh_server):
    r = requests.get(fresh_server.base_url + "/healthz", timeout=5)
    assert r.status_code == 200 and r.json() == {"status": "ok"}
    r = requests.get(fresh_server.base_url + "/readyz", timeout=5)
    assert r.status_code == 200 and r.json() == {"status": "ok"}


def test_missed_runs_and_repository_space_from_the_estate():
    srv = Server(extra_args=["--schedule-check", "200"])
    try:
        srv.start()
        rep, viewer = srv.api("reporter"), srv.api("viewer")
        jid, rid = str(uuid.uuid4()), str(uuid.uuid4())
        rep.put("/api/v1/estate/job/" + jid, json={"name": "silent", "type": "BackupJob", "schedule": "1s",
                                                  "graceSeconds": 0}, schema=False, status=200)
        rep.put("/api/v1/estate/repository/" + rid, json={"name": "repo \"A\"", "capacityBytes": 1000,
                                                         "freeBytes": 250}, schema=False, status=200)

        def api_missed():
            r = viewer.get("/api/v1/estate/missedRun?parentId=%s&limit=1000" % jid, schema=False, status=200)
            return r.body["pagination"]["total"]
        deadline = time.monotonic() + 15
        while api_missed() < 2:
            assert time.monotonic() < deadline, "no missed runs recorded"
            time.sleep(0.2)
        # the sweep keeps recording: compare one scrape with the API right after it, twice
        for _ in range(2):
            fams = scrape(srv)
            got = value(fams, "sessiond_job_missed_runs", job="silent", job_id=jid)
            assert got <= api_missed() and got >= 2
        rep.delete("/api/v1/estate/job/" + jid, schema=False, status=(200, 204))
        fams = scrape(srv)
        assert value(fams, "sessiond_repository_capacity_bytes", repository='repo "A"', id=rid) == 1000
        assert value(fams, "sessiond_repository_free_bytes", repository='repo "A"', id=rid) == 250
        assert not [v for n, l, v in fams.get("sessiond_repository_used_bytes", [])]
        assert not [v for n, l, v in fams.get("sessiond_job_missed_runs", []) if l["job_id"] == jid]
    finally:
        srv.stop()
        srv.cleanup()
