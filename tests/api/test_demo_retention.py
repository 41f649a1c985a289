"""Demo mode (deterministic seeded history, live simulator) and retention boundaries."""
import datetime
import time

from conftest import LATEST, new_session

ANCHOR = "2026-01-15T00:00:00Z"


def all_sessions(client, **params):
    out, skip = [], 0
    while True:
        q = "&".join("%s=%s" % kv for kv in dict(params, skip=skip, limit=500).items())
        body = client.get("/api/v1/sessions?" + q, schema="SessionsResult").body
        out += body["data"]
        skip += len(body["data"])
        if skip >= body["pagination"]["total"] or not body["data"]:
            return out


def demo_history(server_factory, seed):
    srv = server_factory(extra_args=["--demo", "--demo-seed", str(seed), "--demo-anchor", ANCHOR,
                                     "--demo-interval", "600000"])
    viewer = srv.api("viewer")
    hist = all_sessions(viewer, createdBeforeFilter=ANCHOR, orderColumn="CreationTime",
                        orderAsc="true")
    return srv, viewer, hist


def fingerprint(sessions):
    return [(s["id"], s["name"], s["sessionType"], s["creationTime"], s.get("endTime"),
             s["state"], s["result"]["result"], s["progressPercent"]) for s in sessions]


def test_demo_history_is_deterministic_and_varied(server_factory):
    srv_a, viewer, a = demo_history(server_factory, 7)
    _, _, b = demo_history(server_factory, 7)
    _, _, c = demo_history(server_factory, 8)
    assert len(a) == 600
    assert fingerprint(a) == fingerprint(b)
    assert fingerprint(a) != fingerprint(c)
    # thirty days before the anchor, all finished, a realistic mix of results
    first = datetime.datetime.fromisoformat(a[0]["creationTime"].replace("Z", "+00:00"))
    anchor = datetime.datetime.fromisoformat(ANCHOR.replace("Z", "+00:00"))
    assert 29 <= (anchor - first).days <= 30
    assert all(s["state"] == "Stopped" and "endTime" in s for s in a)
    results = {r: sum(1 for s in a if s["result"]["result"] == r) for r in ("Success", "Warning", "Failed")}
    assert results["Success"] > 400 and results["Warning"] > 20 and results["Failed"] > 10, results
    # every family the dialects show: VBR jobs, replica, agents, Azure policies, system sessions
    types = {s["sessionType"] for s in a}
    for t in ("BackupJob", "ReplicaJob", "BackupCopyJob", "AgentBackup", "PlatformBackupJob",
              "PlatformSnapshotJob", "SureBackup"):
        assert t in types, (t, types)
    jobs = viewer.get("/api/v1/jobs/states", schema="JobStatesResult").body
    # every job that ran, and the declared one that nothing runs (the demo's missed runs)
    assert jobs["pagination"]["total"] == 21
    assert len({s.get("jobName") or s["name"] for s in a} - {"Legacy File Server Backup"}) >= 20
    # task sessions per protected object, with logs
    s = next(x for x in a if x["name"] == "Daily VM Backup")
    tasks = viewer.get("/api/v1/sessions/%s/taskSessions" % s["id"], schema="TaskSessionsResult").body
    assert sorted(t["name"] for t in tasks["data"]) == ["app01", "db01", "web01", "web02"]
    logs = viewer.get("/api/v1/sessions/%s/logs" % s["id"], schema="SessionLogResult").body
    assert logs["totalRecords"] >= 3 and logs["records"][-1]["title"] == "Job started"


def test_demo_simulator_keeps_sessions_moving(server_factory):
    srv = server_factory(extra_args=["--demo", "--demo-interval", "100"])
    viewer = srv.api("viewer")
    seen = {}
    deadline = time.monotonic() + 15
    moved = False
    while time.monotonic() < deadline and not moved:
        for s in viewer.get("/api/v1/sessions?limit=20", schema="SessionsResult").body["data"]:
            if s["state"] != "Stopped":
                if s["id"] in seen and s["progressPercent"] > seen[s["id"]]:
                    moved = True
                seen.setdefault(s["id"], s["progressPercent"])
        time.sleep(0.3)
    assert moved, seen


def test_demo_stop_ends_the_session_as_canceled(server_factory):
    """A stop asked of a running demo session is honoured by the simulator: the session ends
    Stopped and canceled within seconds (it does not sit in Stopping, its next update refused)."""
    srv = server_factory(extra_args=["--demo", "--demo-interval", "200"])
    viewer, op = srv.api("viewer"), srv.api("operator")
    deadline = time.monotonic() + 15
    running = []
    while time.monotonic() < deadline and not running:
        running = [s for s in viewer.get("/api/v1/sessions?stateFilter=Working&limit=5",
                                         schema="SessionsResult").body["data"]]
        time.sleep(0.2)
    assert running, "the simulator started no session"
    sid = running[0]["id"]
    op.post("/api/v1/sessions/%s/stop" % sid, schema=None, status=200)
    deadline = time.monotonic() + 10
    s = None
    while time.monotonic() < deadline:
        s = viewer.get("/api/v1/sessions/" + sid, schema="SessionModel").body
        if s["state"] == "Stopped":
            break
        assert s["state"] == "Stopping", s["state"]   # never back to Working
        time.sleep(0.2)
    assert s["state"] == "Stopped", s
    assert s["result"]["isCanceled"] is True and s["result"]["result"] == "Failed", s["result"]
    logs = viewer.get("/api/v1/sessions/%s/logs" % sid, schema="SessionLogResult").body
    assert "Job stopped by user" in [x["title"] for x in logs["records"]]


def iso(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def test_retention_purges_old_stopped_sessions_only(server_factory):
    srv = server_factory(extra_args=["--retention-days", "2", "--retention-interval", "1"])
    rep, viewer = srv.api("reporter"), srv.api("viewer")
    now = datetime.datetime.now(datetime.timezone.utc)
    day = datetime.timedelta(days=1)
    minute = datetime.timedelta(minutes=1)

    def finished(name, ended):
        s = new_session(rep, name=name, creationTime=iso(ended - minute))
        t = rep.post("/api/v1/sessions/%s/taskSessions" % s["id"], json={"name": "vm"},
                     schema="TaskSessionModel", status=201).body
        rep.post("/api/v1/sessions/%s/logs" % s["id"], schema=False, status=201,
                 json={"records": [{"title": "hello"}]})
        rep.post("/api/v1/sessions/%s/complete" % s["id"], schema="SessionModel",
                 json={"result": "Success", "endTime": iso(ended)})
        return s, t

    old, old_task = finished("old", now - 2 * day - 10 * minute)      # past the cutoff
    young, _ = finished("young", now - 2 * day + 10 * minute)         # inside the window
    running = new_session(rep, name="running", creationTime=iso(now - 30 * day))
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if viewer.get("/api/v1/sessions/" + old["id"], status=(200, 404), schema="SessionModel").status == 404:
            break
        time.sleep(0.2)
    viewer.get("/api/v1/sessions/" + old["id"], status=404)
    viewer.get("/api/v1/taskSessions/" + old_task["id"], status=404)
    viewer.get("/api/v1/sessions/%s/logs" % old["id"], status=404)
    viewer.get("/api/v1/sessions/" + young["id"], schema="SessionModel", status=200)
    viewer.get("/api/v1/sessions/" + running["id"], schema="SessionModel", status=200)
    # the purge ran as a maintenance session with its own log
    runs = all_sessions(viewer, nameFilter="Database*maintenance")
    done = [s for s in runs if s["state"] == "Stopped"]
    assert done and all(s["result"]["result"] == "Success" for s in done)
    titles = []
    for s in done:
        titles += [r["title"] for r in viewer.get("/api/v1/sessions/%s/logs" % s["id"],
                                                  schema="SessionLogResult").body["records"]]
    assert any(t.startswith("Purged 1 sessions") for t in titles), titles
