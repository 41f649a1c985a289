"""The demo's backup estate agrees with its sessions: every successful task session of a job that
makes backups has its restore point (session id, object, size), and every restore point comes from
such a task; a repository's used space is the sum of the restore points it holds, grows as
simulated sessions succeed, and never goes above its capacity; every job's repository, objects and
backups exist; Azure policies and protected items are there. Read through the ingest API and the
VBR sessions API of a real server started with --demo."""
import time

import pytest

from test_demo_retention import ANCHOR, all_sessions


def estate_all(client, kind, **params):
    out, skip = [], 0
    while True:
        body = client.get(f"/api/v1/estate/{kind}", params=dict(params, skip=skip, limit=1000), schema=False,
                          status=200).body
        out += body["data"]
        skip += len(body["data"])
        if not body["data"] or skip >= body["pagination"]["total"]:
            return out


@pytest.fixture(scope="module")
def demo(server_factory):
    """A demo whose simulator stays idle: the history and its estate only."""
    srv = server_factory(extra_args=["--demo", "--demo-seed", "7", "--demo-anchor", ANCHOR,
                                     "--demo-interval", "600000"])
    return srv, srv.api("viewer")


def test_every_successful_backup_task_has_its_restore_point(demo):
    _, viewer = demo
    jobs = {j["name"]: j for j in estate_all(viewer, "job")}
    backups = estate_all(viewer, "backup")
    backup_of = {b["parentId"]: b for b in backups}
    points = estate_all(viewer, "restorePoint")
    by_task = {}
    for p in points:
        by_task.setdefault((p["sessionId"], p["object"]), []).append(p)
    sessions = all_sessions(viewer, createdBeforeFilter=ANCHOR)
    assert len(sessions) == 600
    checked, seen = 0, set()
    for s in sessions:
        j = jobs.get(s["name"])
        if not j or j["id"] not in backup_of:
            continue                      # replicas, restores, system jobs make no restore points
        assert s["jobId"] == j["id"]      # the declared job is its sessions' job
        b = backup_of[j["id"]]
        tasks = viewer.get("/api/v1/sessions/%s/taskSessions" % s["id"], schema="TaskSessionsResult").body["data"]
        for t in tasks:
            key = (s["id"], t["name"])
            if t["result"]["result"] == "Failed":
                assert key not in by_task, key
                continue
            got = by_task.get(key)
            assert got and len(got) == 1, (s["name"], s["creationTime"], t["name"])
            p = got[0]
            seen.add(p["id"])
            assert p["parentId"] == b["id"] and p["job"] == s["name"]
            assert p.get("repository") == j.get("repository") == b.get("repository")
            assert p["pointType"] in ("Full", "Increment") and p["sizeBytes"] > 0
            assert s["creationTime"] <= p["time"] <= s["endTime"]
            checked += 1
    assert checked > 300
    assert seen == {p["id"] for p in points}     # and no restore point without its task session
    # a Full first for every object of every backup
    first = {}
    for p in sorted(points, key=lambda p: p["time"]):
        first.setdefault((p["parentId"], p["object"]), p["pointType"])
    assert set(first.values()) == {"Full"}


def used_by_points(viewer):
    used = {}
    for p in estate_all(viewer, "restorePoint"):
        if p.get("repository"):
            used[p["repository"]] = used.get(p["repository"], 0) + p["sizeBytes"]
    return used


def check_repositories(viewer):
    repos = {r["name"]: r for r in estate_all(viewer, "repository")}
    used = used_by_points(viewer)
    for name, r in repos.items():
        assert r["usedBytes"] == used.get(name, 0), name
        assert r["freeBytes"] == r["capacityBytes"] - r["usedBytes"]
        assert 0 <= r["usedBytes"] <= r["capacityBytes"]
    return repos


def test_repositories_hold_their_restore_points_within_capacity(demo):
    _, viewer = demo
    repos = check_repositories(viewer)
    assert len(repos) == 4 and all(r["usedBytes"] > 0 for r in repos.values())
    assert all(r["measuredTime"] <= ANCHOR for r in repos.values())


def test_repositories_fill_as_simulated_sessions_succeed(server_factory):
    srv = server_factory(extra_args=["--demo", "--demo-seed", "7", "--demo-anchor", ANCHOR,
                                     "--demo-interval", "60"])
    viewer = srv.api("viewer")
    before = {r["name"]: r["usedBytes"] for r in estate_all(viewer, "repository")}
    n0 = len(estate_all(viewer, "restorePoint"))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        time.sleep(1)
        after = {r["name"]: r["usedBytes"] for r in estate_all(viewer, "repository")}
        if any(after[k] > before[k] for k in before):
            break
    else:
        pytest.fail("no simulated session made a restore point in 60 s")
    assert len(estate_all(viewer, "restorePoint")) > n0
    # the simulator writes a point, then its repository: read again until both agree
    for _ in range(50):
        try:
            check_repositories(viewer)
            break
        except AssertionError:
            time.sleep(0.1)
    else:
        check_repositories(viewer)
    # the new points are from sessions that succeeded
    live = {p["sessionId"] for p in estate_all(viewer, "restorePoint") if p["time"] > ANCHOR}
    assert live
    for sid in list(live)[:5]:
        s = viewer.get("/api/v1/sessions/" + sid, schema="SessionModel").body
        assert s["result"]["result"] in ("Success", "Warning")


def test_jobs_name_what_exists(demo):
    _, viewer = demo
    jobs = [j for j in estate_all(viewer, "job") if j["name"] != SILENT]
    assert len(jobs) == 19
    repos = {r["name"] for r in estate_all(viewer, "repository")}
    objects = {o["name"] for o in estate_all(viewer, "protectedObject")}
    job_ids = {j["id"] for j in jobs}
    for j in jobs:
        assert j["schedule"].startswith("0 ") and j["type"]
        if "repository" in j:
            assert j["repository"] in repos, j
        assert set(j.get("objects", [])) <= objects, j
    for b in estate_all(viewer, "backup"):
        assert b["parentId"] in job_ids
        assert b.get("repository") is None or b["repository"] in repos
    for r in estate_all(viewer, "replica"):
        assert r["parentId"] in job_ids and r["object"] in objects
    servers = {m["id"]: m for m in estate_all(viewer, "managedServer")}
    for p in estate_all(viewer, "proxy"):
        assert p["parentId"] in servers and p["type"] == "ViProxy"
    assert {s["name"] for s in estate_all(viewer, "backupServer")} >= {"vbr01.corp.local", "vbazure.corp.local"}


SILENT = "Legacy File Server Backup"


def test_a_declared_job_that_nothing_runs(demo):
    """The demo's job that misses runs: declared with a schedule, never run by the simulator; the
    VBR job view shows when it is next expected, and it has no session."""
    _, viewer = demo
    silent = [j for j in estate_all(viewer, "job") if j["name"] == SILENT]
    assert len(silent) == 1 and silent[0]["schedule"] == "*/10 * * * *"
    states = viewer.get("/api/v1/jobs/states", params={"nameFilter": SILENT}, schema="JobStatesResult",
                        status=200).body["data"]
    assert len(states) == 1 and states[0]["nextRun"] and "sessionId" not in states[0]
    assert not [s for s in all_sessions(viewer) if s.get("jobName") == SILENT or s["name"] == SILENT]


def test_azure_policies_and_protected_items(demo):
    _, viewer = demo
    types = {j["type"] for j in estate_all(viewer, "job")}
    assert {"PolicyBackup", "PolicySnapshot", "SqlPolicyBackup", "FileSharePolicySnapshot"} <= types
    items = {o["name"]: o for o in estate_all(viewer, "protectedObject")}
    assert items["az-web01"]["platform"] == "Azure" and items["az-web01"]["type"] == "Vm"
    assert items["sqldb-orders"]["type"] == "Database" and items["share-finance"]["type"] == "Share"
    assert {items[n]["platform"] for n in ("az-api01", "sqldb-orders", "share-finance")} == {"Azure"}
    # snapshots are restore points too, kept without a repository
    snaps = [p for p in estate_all(viewer, "restorePoint") if p["job"] == "Azure VM Snapshots"]
    assert snaps and all("repository" not in p for p in snaps)


def test_the_demo_estate_in_every_dialect(demo):
    """Each dialect that serves the estate shows the demo's: the repositories' space as reported,
    every restore point, and the Azure workloads; bodies valid against the references."""
    srv, viewer = demo
    repos = {r["name"]: r for r in estate_all(viewer, "repository")}
    points = estate_all(viewer, "restorePoint")
    shown = 0
    # Enterprise Manager (XML validated against the XSD by em_client)
    from em_client import EM, q
    em = EM(srv.base_url, user="viewer")
    r = em.req("GET", "/api/repositories?format=Entity", status=None)
    if r.status_code == 200:
        shown += 1
        got = {x.get("Name"): (int(x.find(q("Capacity")).text), int(x.find(q("FreeSpace")).text)) for x in r.doc}
        assert got == {n: (x["capacityBytes"], x["freeBytes"]) for n, x in repos.items()}
        assert len(list(em.xml("/api/restorePoints"))) == len(points)
    # VBR
    st = viewer.get("/api/v1/backupInfrastructure/repositories/states", schema="RepositoryStatesResult",
                    status=(200, 404))
    if st.status == 200:
        shown += 1
        got = {x["name"]: x["freeGB"] for x in st.body["data"]}
        assert got == {n: round(x["freeBytes"] / 2 ** 30, 2) for n, x in repos.items()}
        rp = viewer.get("/api/v1/restorePoints", params={"limit": 1}, schema="ObjectRestorePointsResult",
                        status=200).body
        assert rp["pagination"]["total"] == len(points)
    # VB for Azure: the Azure workloads and their points
    from vbaz_client import Az
    az = Az.login(srv, "viewer")
    vms = az.get("/api/v8.1/virtualMachines", status=(200, 404), model=None)
    if vms.status_code == 200:
        shown += 1
        page = az.get("/api/v8.1/virtualMachines", model="PageOfVirtualMachine").json()
        assert sorted(x["name"] for x in page["results"]) == ["az-api01", "az-web01"]
        for vm in page["results"]:
            pts = az.get("/api/v8.1/restorePoints/virtualMachines", params={"VirtualMachineId": vm["id"], "Limit": 999},
                         model="PageOfVirtualMachineRestorePoint").json()
            assert pts["totalCount"] == len([p for p in points if p["object"] == vm["name"]])
    assert shown == 3                      # VBR, Enterprise Manager and VB for Azure
