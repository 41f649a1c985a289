"""VBR read side per version (API-DIGEST §1.5-1.9): list shape, filters, order, paging, one
session, logs, task sessions, jobs/states. Runs against its own server seeded with a known set."""
import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from conftest import VERSIONS, new_session

OLD = ("1.0-rev2", "1.1-rev0")
NEW = ("1.2-rev1", "1.3-rev2")
ALPHA_JOB = str(uuid.uuid4())


def parse_dt(s):
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


class Data:
    pass


@pytest.fixture(scope="module")
def seeded(server_factory):
    """alpha-nightly (x2, one job), beta-weekly, gamma-config, delta-nightly, epsilon-running."""
    srv = server_factory()
    rep = srv.api("reporter")
    d = Data()
    d.srv = srv
    mk = lambda name, day, **kw: new_session(
        rep, name=name, creationTime="2024-01-%02dT10:00:00Z" % day, **kw)
    d.a1 = mk("alpha-nightly", 10, jobId=ALPHA_JOB, jobName="alpha")
    d.a2 = mk("alpha-nightly", 14, jobId=ALPHA_JOB, jobName="alpha")
    d.b = mk("beta-weekly", 11, jobName="beta")
    d.c = mk("gamma-config", 12, sessionType="ConfigurationBackup", jobName="gamma")
    d.d = mk("delta-nightly", 13, jobName="delta")
    d.e = mk("epsilon-running", 15, jobName="epsilon", platformName="VMware")
    rep.post("/api/v1/sessions/%s/logs" % d.b["id"], schema=False, status=201, json={"records": [
        {"status": "Succeeded", "title": "one"}, {"status": "Warning", "title": "two"},
        {"status": "Succeeded", "title": "three"}]})
    d.task = rep.post("/api/v1/sessions/%s/taskSessions" % d.b["id"],
                      json={"name": "vm-b", "type": "Backup"}, schema="TaskSessionModel",
                      status=201).body
    rep.post("/api/v1/taskSessions/%s/logs" % d.task["id"], schema=False, status=201,
             json={"records": [{"status": "Succeeded", "title": "task line"}]})
    done = lambda s, res: rep.post("/api/v1/sessions/%s/complete" % s["id"],
                                   json={"result": res, "message": res + " msg"},
                                   schema="SessionModel", status=200).body
    d.before_end = datetime.now(timezone.utc) - timedelta(seconds=1)
    d.a1 = done(d.a1, "Success")
    d.a2 = done(d.a2, "Failed")
    d.b = done(d.b, "Warning")
    d.c = done(d.c, "Success")
    time.sleep(1.2)
    d.mark = datetime.now(timezone.utc)
    time.sleep(1.2)
    d.d = done(d.d, "Failed")
    d.all = [d.a1, d.a2, d.b, d.c, d.d, d.e]
    d.viewer = srv.api("viewer")
    return d


def ids(body):
    return [s["id"] for s in body["data"]]


def lst(d, version, status=200, **params):
    return d.viewer.get("/api/v1/sessions", version=version, params=params,
                        schema="SessionsResult", status=status)


def test_list_shape(seeded, version):
    b = lst(seeded, version).body
    assert b["pagination"]["total"] == 6
    assert b["pagination"]["count"] == 6 == len(b["data"])
    assert set(ids(b)) == {s["id"] for s in seeded.all}
    by = {s["id"]: s for s in b["data"]}
    for s in b["data"]:
        if version in OLD:
            assert "activityId" in s and "jobId" not in s and "platformName" not in s
        else:
            assert "jobId" in s and "activityId" not in s
        assert "stopRequested" not in s
    jid = lambda s: s["activityId" if version in OLD else "jobId"]
    assert jid(by[seeded.a1["id"]]) == ALPHA_JOB == jid(by[seeded.a2["id"]])
    assert by[seeded.b["id"]]["sessionType"] == ("Job" if version in OLD else "BackupJob")
    assert by[seeded.c["id"]]["sessionType"] == "ConfigurationBackup"
    if version in NEW:
        assert by[seeded.e["id"]]["platformName"] == "VMware"
    res = by[seeded.b["id"]]["result"]
    assert res["result"] == "Warning" and res["message"] == "Warning msg"
    assert res.get("isCanceled", False) is False
    assert by[seeded.e["id"]]["state"] == "Working"
    assert not by[seeded.e["id"]].get("endTime")


def test_paging(seeded, version):
    b = lst(seeded, version, skip=1, limit=2, orderColumn="CreationTime", orderAsc="true").body
    assert b["pagination"] == {"total": 6, "count": 2, "skip": 1, "limit": 2}
    assert ids(b) == [seeded.b["id"], seeded.c["id"]]
    b = lst(seeded, version, skip=5, limit=10, orderColumn="CreationTime", orderAsc="true").body
    assert b["pagination"]["count"] == 1 and b["pagination"]["total"] == 6
    b = lst(seeded, version, skip=100).body
    assert b["data"] == [] and b["pagination"]["count"] == 0 and b["pagination"]["total"] == 6


@pytest.mark.parametrize("asc", ["true", "false"])
def test_order_creation_time(seeded, version, asc):
    b = lst(seeded, version, orderColumn="CreationTime", orderAsc=asc).body
    times = [parse_dt(s["creationTime"]) for s in b["data"]]
    assert times == sorted(times, reverse=(asc == "false"))


def test_order_name(seeded, version):
    b = lst(seeded, version, orderColumn="Name", orderAsc="true").body
    names = [s["name"] for s in b["data"]]
    assert names == sorted(names)
    b = lst(seeded, version, orderColumn="Name", orderAsc="false").body
    assert [s["name"] for s in b["data"]] == sorted(names, reverse=True)


@pytest.mark.parametrize("pattern,expect", [
    ("alpha*", ["a1", "a2"]), ("*weekly", ["b"]), ("*nightly*", ["a1", "a2", "d"]),
    ("gamma-config", ["c"]), ("*", ["a1", "a2", "b", "c", "d", "e"]), ("zzz*", []),
])
def test_name_filter(seeded, version, pattern, expect):
    b = lst(seeded, version, nameFilter=pattern).body
    assert set(ids(b)) == {getattr(seeded, k)["id"] for k in expect}
    assert b["pagination"]["total"] == len(expect)


@pytest.mark.parametrize("params,expect", [
    ({"createdAfterFilter": "2024-01-12T00:00:00Z"}, ["c", "d", "a2", "e"]),
    ({"createdBeforeFilter": "2024-01-12T00:00:00Z"}, ["a1", "b"]),
    ({"createdAfterFilter": "2024-01-11T11:00:00+02:00",  # 09:00Z: b at 10:00Z is after
      "createdBeforeFilter": "2024-01-13T11:00:00.000+02:00"}, ["b", "c"]),
    ({"createdAfterFilter": "2024-01-13T06:00:00-05:00"}, ["a2", "e"]),  # 11:00Z, after d
    ({"createdAfterFilter": "2024-01-11T10:00:00.5Z"}, ["c", "d", "a2", "e"]),
])
def test_created_filters(seeded, version, params, expect):
    # requests URL-encodes '+' as %2B
    b = lst(seeded, version, **params).body
    assert set(ids(b)) == {getattr(seeded, k)["id"] for k in expect}


def test_created_filter_plus_decoded_to_space(seeded, version):
    # a sloppy client sends '+' raw, which form decoding turns into a space (DESIGN §5)
    r = seeded.viewer.get("/api/v1/sessions?createdAfterFilter=2024-01-11T11:00:00+02:00"
                          "&createdBeforeFilter=2024-01-13T11:00:00+02:00", version=version,
                          schema="SessionsResult", status=200)
    assert set(ids(r.body)) == {seeded.b["id"], seeded.c["id"]}


def test_ended_filters(seeded, version):
    iso = lambda t: t.isoformat().replace("+00:00", "Z")
    b = lst(seeded, version, endedAfterFilter=iso(seeded.mark)).body
    assert ids(b) == [seeded.d["id"]]
    b = lst(seeded, version, endedBeforeFilter=iso(seeded.mark)).body
    assert set(ids(b)) == {seeded.a1["id"], seeded.a2["id"], seeded.b["id"], seeded.c["id"]}
    b = lst(seeded, version, endedAfterFilter=iso(seeded.before_end)).body
    assert set(ids(b)) == {s["id"] for s in seeded.all if s is not seeded.e}
    b = lst(seeded, version, endedBeforeFilter=iso(seeded.before_end)).body
    assert ids(b) == []
    # with an offset, sent URL-encoded
    local = seeded.mark.astimezone(timezone(timedelta(hours=2))).isoformat()
    assert "+02:00" in local
    b = lst(seeded, version, endedAfterFilter=local).body
    assert ids(b) == [seeded.d["id"]]


def test_type_filter(seeded, version):
    backup = "Job" if version in OLD else "BackupJob"
    b = lst(seeded, version, typeFilter=backup).body
    assert set(ids(b)) == {seeded.a1["id"], seeded.a2["id"], seeded.b["id"], seeded.d["id"],
                           seeded.e["id"]}
    b = lst(seeded, version, typeFilter="ConfigurationBackup").body
    assert ids(b) == [seeded.c["id"]]


def test_type_filter_array_13(seeded):
    r = seeded.viewer.get("/api/v1/sessions", version="1.3-rev2", schema="SessionsResult",
                          params=[("typeFilter", "ConfigurationBackup"),
                                  ("typeFilter", "BackupJob")], status=200)
    assert r.body["pagination"]["total"] == 6


@pytest.mark.parametrize("version", OLD + ("1.2-rev1",))
def test_type_filter_single_value_before_13(seeded, version):
    # before 1.3-rev2 typeFilter is one ESessionType: a repeated parameter is not an array
    r = seeded.viewer.get("/api/v1/sessions", version=version, schema="SessionsResult",
                          params=[("typeFilter", "ConfigurationBackup"),
                                  ("typeFilter", "Infrastructure")], status=(200, 400))
    if r.status == 200:  # then one of the two values wins, never the union
        assert len(r.body["data"]) in (0, 1)


def test_result_filter(seeded, version):
    b = lst(seeded, version, resultFilter="Success").body
    assert set(ids(b)) == {seeded.a1["id"], seeded.c["id"]}


def test_result_filter_array_13(seeded):
    r = seeded.viewer.get("/api/v1/sessions", version="1.3-rev2", schema="SessionsResult",
                          params=[("resultFilter", "Warning"), ("resultFilter", "Failed")],
                          status=200)
    assert set(ids(r.body)) == {seeded.a2["id"], seeded.b["id"], seeded.d["id"]}


def test_state_filter(seeded, version):
    assert ids(lst(seeded, version, stateFilter="Working").body) == [seeded.e["id"]]
    assert len(lst(seeded, version, stateFilter="Stopped").body["data"]) == 5


def test_job_id_filter(seeded, version):
    b = lst(seeded, version, jobIdFilter=ALPHA_JOB).body
    assert set(ids(b)) == {seeded.a1["id"], seeded.a2["id"]}
    assert lst(seeded, version, jobIdFilter=str(uuid.uuid4())).body["data"] == []


def test_combined_filters(seeded, version):
    b = lst(seeded, version, nameFilter="*nightly", resultFilter="Failed",
            createdBeforeFilter="2024-01-14T00:00:00Z").body
    assert ids(b) == [seeded.d["id"]]


def test_get_one_equals_list_item(seeded, version):
    listed = {s["id"]: s for s in lst(seeded, version).body["data"]}
    for s in seeded.all:
        g = seeded.viewer.get("/api/v1/sessions/" + s["id"], version=version,
                              schema="SessionModel", status=200).body
        for x in (g, listed[s["id"]]):  # a running session's duration moves with the clock
            x.get("progress", {}).pop("duration", None)
        assert g == listed[s["id"]]


def test_get_unknown_404(seeded, version):
    r = seeded.viewer.get("/api/v1/sessions/%s" % uuid.uuid4(), version=version, status=404)
    assert r.body["errorCode"] == "NotFound"
    seeded.viewer.get("/api/v1/sessions/%s/logs" % uuid.uuid4(), version=version, status=404)


def test_logs(seeded, version):
    b = seeded.viewer.get("/api/v1/sessions/%s/logs" % seeded.b["id"], version=version,
                          schema="SessionLogResult", status=200).body
    assert b["totalRecords"] == 3
    assert [r["title"] for r in b["records"]] == ["three", "two", "one"]
    assert [r["id"] for r in b["records"]] == [3, 2, 1]


def test_logs_status_filter_13(seeded):
    b = seeded.viewer.get("/api/v1/sessions/%s/logs" % seeded.b["id"], version="1.3-rev2",
                          params={"statusFilter": "Warning"}, schema="SessionLogResult",
                          status=200).body
    assert [r["title"] for r in b["records"]] == ["two"]


def test_logs_empty(seeded, version):
    b = seeded.viewer.get("/api/v1/sessions/%s/logs" % seeded.e["id"], version=version,
                          schema="SessionLogResult", status=200).body
    assert b["records"] == [] and b["totalRecords"] == 0


@pytest.mark.parametrize("version", NEW)
def test_task_sessions_read(seeded, version):
    v = seeded.viewer
    t = seeded.task
    b = v.get("/api/v1/sessions/%s/taskSessions" % seeded.b["id"], version=version,
              schema="TaskSessionsResult", status=200).body
    assert [x["id"] for x in b["data"]] == [t["id"]]
    assert b["pagination"]["total"] == 1
    b = v.get("/api/v1/taskSessions", version=version, schema="TaskSessionsResult",
              status=200).body
    assert t["id"] in [x["id"] for x in b["data"]]
    b = v.get("/api/v1/taskSessions", version=version, params={"sessionIdFilter": seeded.b["id"]},
              schema="TaskSessionsResult", status=200).body
    assert [x["id"] for x in b["data"]] == [t["id"]]
    one = v.get("/api/v1/taskSessions/" + t["id"], version=version, schema="TaskSessionModel",
                status=200).body
    assert one["sessionId"] == seeded.b["id"] and one["type"] == "Backup"
    assert one["name"] == "vm-b" and one["sessionType"] == "BackupJob"
    logs = v.get("/api/v1/taskSessions/%s/logs" % t["id"], version=version,
                 schema="SessionLogResult", status=200).body
    assert [r["title"] for r in logs["records"]] == ["task line"]
    v.get("/api/v1/taskSessions/%s" % uuid.uuid4(), version=version, status=404)
    assert v.get("/api/v1/sessions/%s/taskSessions" % seeded.e["id"], version=version,
                 schema="TaskSessionsResult", status=200).body["data"] == []


@pytest.mark.parametrize("version", OLD)
@pytest.mark.parametrize("path", ["/api/v1/taskSessions", "/api/v1/taskSessions/{t}",
                                  "/api/v1/taskSessions/{t}/logs",
                                  "/api/v1/sessions/{s}/taskSessions"])
def test_task_sessions_absent_before_12(seeded, version, path):
    p = path.format(t=seeded.task["id"], s=seeded.b["id"])
    r = seeded.viewer.get(p, version=version, status=(400, 404))
    assert r.body["errorCode"] in ("NotFound", "InvalidURI", "UnexpectedContent")


def test_jobs_states(seeded, version):
    """JobStatesResult of the version's full document. Assertions we rely on: one entry per
    jobId with the job name, lastResult = result of the newest finished session, lastRun =
    creationTime of the newest session, status running/inactive (capitalised in 1.3-rev2),
    sessionId = newest session."""
    b = seeded.viewer.get("/api/v1/jobs/states", version=version, schema="JobStatesResult",
                          status=200).body
    by_id = {j["id"]: j for j in b["data"]}
    assert b["pagination"]["total"] == len(b["data"]) == 5  # alpha, beta, gamma, delta, epsilon
    alpha = by_id[ALPHA_JOB]
    assert alpha["name"] == "alpha"
    assert alpha["lastResult"] == "Failed"  # a2 (newest) failed
    assert parse_dt(alpha["lastRun"]) == parse_dt(seeded.a2["creationTime"])
    assert alpha.get("sessionId") in (None, seeded.a2["id"])
    names = {j["name"]: j for j in b["data"]}
    running = "Running" if version == "1.3-rev2" else "running"
    inactive = "Inactive" if version == "1.3-rev2" else "inactive"
    assert names["epsilon"]["status"] == running
    assert names["beta"]["status"] == inactive
    assert names["beta"]["lastResult"] == "Warning"


def test_jobs_states_needs_auth(seeded, version):
    seeded.srv.anon(version=version).get("/api/v1/jobs/states", status=401)
