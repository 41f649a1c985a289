"""Ingest API (DESIGN §5): create, progress, logs, complete, task sessions, stop, roles.

Ingest replies are a VBR SessionModel of the request's version plus `stopRequested`; SessionModel
has no additionalProperties:false, so they are validated as SessionModel directly."""
import re
import uuid

import pytest

from conftest import new_session

OLD = ("1.0-rev2", "1.1-rev0")


@pytest.fixture
def rep(server):
    return server.api("reporter")


@pytest.fixture
def viewer(server):
    return server.api("viewer")


@pytest.fixture
def op(server):
    return server.api("operator")


def record_ids(body):
    """Ids from the POST logs reply (our own shape): a list of ints, {"ids": [...]},
    or {"records": [{"id": n}, ...]}."""
    if isinstance(body, dict) and "ids" in body:
        body = body["ids"]
    elif isinstance(body, dict) and "records" in body:
        body = [r["id"] for r in body["records"]]
    assert isinstance(body, list) and all(isinstance(i, int) for i in body), body
    return body


def assert_ingest_reply(body):
    assert isinstance(body.get("stopRequested"), bool), body


def test_create_201_with_location(server, rep, viewer, version):
    s = new_session(rep, version=version, name="create-" + version)
    assert_ingest_reply(s)
    assert s["stopRequested"] is False
    assert s["name"] == "create-" + version
    assert s["state"] == "Working"  # default state
    assert s["sessionType"] == ("Job" if version in OLD else "BackupJob")
    assert "endTime" not in s or s["endTime"] is None
    if version in OLD:
        assert "activityId" in s and "jobId" not in s
    else:
        assert "jobId" in s and "activityId" not in s
    # Location points at the new session, readable by a viewer
    r = rep.post("/api/v1/sessions", json={"name": "loc", "sessionType": "BackupJob"},
                 version=version, schema="SessionModel", status=201)
    loc = r.headers.get("Location")
    assert loc, "201 without Location"
    path = re.sub(r"^https?://[^/]+", "", loc)
    assert path == "/api/v1/sessions/" + r.body["id"]
    g = viewer.get(path, version=version, schema="SessionModel", status=200)
    assert g.body["id"] == r.body["id"]
    assert "stopRequested" not in g.body  # read side is pure VBR


def test_create_with_fields(rep, viewer):
    jid = str(uuid.uuid4())
    parent = new_session(rep)
    s = new_session(rep, version="1.3-rev2", name="full", jobId=jid, jobName="full-job",
                    parentSessionId=parent["id"], resourceId=str(uuid.uuid4()),
                    resourceReference="/api/v1/backups/x", platformName="VMware",
                    initiatedBy="cron", progressPercent=5,
                    creationTime="2024-03-01T10:00:00.5+02:00")
    assert s["jobId"] == jid
    assert s["parentSessionId"] == parent["id"]
    assert s["platformName"] == "VMware"
    assert s["initiatedBy"] == "cron"
    assert s["progressPercent"] == 5
    assert s["creationTime"].startswith("2024-03-01T08:00:00.5")  # normalised to UTC
    assert s["creationTime"].endswith("Z")


def test_patch_progress_and_state(rep, viewer, version):
    s = new_session(rep, version=version)
    r = rep.patch("/api/v1/sessions/" + s["id"], json={"progressPercent": 40}, version=version,
                  schema="SessionModel", status=200)
    assert_ingest_reply(r.body)
    assert r.body["progressPercent"] == 40
    assert r.body["usn"] > s["usn"]
    r2 = rep.patch("/api/v1/sessions/" + s["id"], json={"state": "Postprocessing"},
                   version=version, schema="SessionModel", status=200)
    assert r2.body["state"] == "Postprocessing"
    assert r2.body["progressPercent"] == 40
    assert r2.body["usn"] > r.body["usn"]
    g = viewer.get("/api/v1/sessions/" + s["id"], version=version, schema="SessionModel",
                   status=200)
    assert g.body["state"] == "Postprocessing" and g.body["usn"] == r2.body["usn"]


def test_illegal_transition_409(rep, viewer):
    s = new_session(rep)
    r = rep.patch("/api/v1/sessions/" + s["id"], json={"state": "Starting"}, status=409)
    assert r.body["message"]
    g = viewer.get("/api/v1/sessions/" + s["id"], schema="SessionModel", status=200)
    assert g.body["state"] == "Working" and g.body["usn"] == s["usn"]


def test_logs_post_patch_get(rep, viewer, version):
    s = new_session(rep, version=version)
    r = rep.post("/api/v1/sessions/%s/logs" % s["id"], version=version, schema=False, status=201,
                 json={"records": [{"status": "Succeeded", "title": "Preparing"},
                                   {"status": "None", "title": "Copying data",
                                    "description": "42 files"}]})
    ids = record_ids(r.body)
    assert ids == [1, 2]  # numbered from 1 per session
    r = rep.post("/api/v1/sessions/%s/logs" % s["id"], version=version, schema=False, status=201,
                 json={"records": [{"status": "Warning", "title": "Skipped a.txt"}]})
    assert record_ids(r.body) == [3]
    rep.patch("/api/v1/sessions/%s/logs/2" % s["id"], json={"status": "Succeeded"},
              version=version, schema=False, status=200)
    g = viewer.get("/api/v1/sessions/%s/logs" % s["id"], version=version,
                   schema="SessionLogResult", status=200)
    recs = g.body["records"]
    assert g.body["totalRecords"] == 3
    assert [x["id"] for x in recs] == [3, 2, 1]  # newest first
    by_id = {x["id"]: x for x in recs}
    assert by_id[2]["status"] == "Succeeded"
    assert by_id[2]["title"] == "Copying data" and by_id[2]["description"] == "42 files"
    assert by_id[3]["status"] == "Warning"
    # the session's usn moved with every log change
    g2 = viewer.get("/api/v1/sessions/" + s["id"], version=version, schema="SessionModel")
    assert g2.body["usn"] > s["usn"]


def test_patch_unknown_log_record_404(rep):
    s = new_session(rep)
    rep.patch("/api/v1/sessions/%s/logs/99" % s["id"], json={"status": "Failed"}, status=404)


def test_complete_then_final(rep, viewer, version):
    s = new_session(rep, version=version)
    r = rep.post("/api/v1/sessions/%s/complete" % s["id"], version=version,
                 json={"result": "Warning", "message": "1 file skipped"},
                 schema="SessionModel", status=200)
    b = r.body
    assert_ingest_reply(b)
    assert b["state"] == "Stopped"
    assert b["endTime"]
    assert b["result"]["result"] == "Warning"
    assert b["result"]["message"] == "1 file skipped"
    snap = viewer.get("/api/v1/sessions/" + s["id"], version=version, schema="SessionModel",
                      status=200).body
    # Stopped is final
    rep.patch("/api/v1/sessions/" + s["id"], json={"progressPercent": 10}, version=version,
              status=409)
    rep.post("/api/v1/sessions/%s/complete" % s["id"], json={"result": "Success"},
             version=version, status=409)
    rep.post("/api/v1/sessions/%s/logs" % s["id"], json={"records": [
        {"status": "Succeeded", "title": "late"}]}, version=version, status=409)
    after = viewer.get("/api/v1/sessions/" + s["id"], version=version, schema="SessionModel",
                       status=200).body
    assert after == snap


def test_complete_success_sets_progress_100(rep):
    s = new_session(rep, progressPercent=30)
    b = rep.post("/api/v1/sessions/%s/complete" % s["id"], json={"result": "Success"},
                 schema="SessionModel", status=200).body
    assert b["progressPercent"] == 100
    assert b["result"]["result"] == "Success"


def test_if_match(rep, viewer):
    s = new_session(rep)
    r = rep.patch("/api/v1/sessions/" + s["id"], json={"progressPercent": 10},
                  headers={"If-Match": '"%d"' % s["usn"]}, schema="SessionModel", status=200)
    stale = '"%d"' % s["usn"]
    rep.patch("/api/v1/sessions/" + s["id"], json={"progressPercent": 20},
              headers={"If-Match": stale}, status=412)
    g = viewer.get("/api/v1/sessions/" + s["id"], schema="SessionModel").body
    assert g["progressPercent"] == 10 and g["usn"] == r.body["usn"]


def test_task_sessions(rep, viewer, version):
    s = new_session(rep)
    r = rep.post("/api/v1/sessions/%s/taskSessions" % s["id"], json={"name": "vm-01",
                                                                      "type": "Backup"},
                 schema="TaskSessionModel", status=201)
    t = r.body
    assert t["sessionId"] == s["id"] and t["name"] == "vm-01" and t["type"] == "Backup"
    r = rep.patch("/api/v1/taskSessions/" + t["id"], json={"progressPercent": 60},
                  schema="TaskSessionModel", status=200)
    assert r.body["progressPercent"] == 60 and r.body["state"] == "Working"
    # A task stops through /complete, like a session; a state change to Stopped is refused.
    rep.patch("/api/v1/taskSessions/" + t["id"], json={"state": "Stopped"}, status=409)
    r = rep.post("/api/v1/taskSessions/%s/complete" % t["id"], json={"result": "Success"},
                 schema="TaskSessionModel", status=200)
    assert r.body["state"] == "Stopped" and r.body["result"]["result"] == "Success"
    assert r.body["progressPercent"] == 100 and "endTime" in r.body
    assert r.body["usn"] > t["usn"]
    rep.post("/api/v1/taskSessions/%s/complete" % t["id"], json={"result": "Failed"}, status=409)
    lr = rep.post("/api/v1/taskSessions/%s/logs" % t["id"], schema=False, status=201,
                  json={"records": [{"status": "Succeeded", "title": "disk 1"}]})
    assert record_ids(lr.body) == [1]
    if version in OLD:
        return  # task sessions are not in the 1.0/1.1 read API (see test_vbr_sessions)
    g = viewer.get("/api/v1/taskSessions/" + t["id"], version=version,
                   schema="TaskSessionModel", status=200).body
    assert g["state"] == "Stopped" and g["sessionType"] == "BackupJob"
    logs = viewer.get("/api/v1/taskSessions/%s/logs" % t["id"], version=version,
                      schema="SessionLogResult", status=200).body
    assert [x["title"] for x in logs["records"]] == ["disk 1"]
    lst = viewer.get("/api/v1/sessions/%s/taskSessions" % s["id"], version=version,
                     schema="TaskSessionsResult", status=200).body
    assert [x["id"] for x in lst["data"]] == [t["id"]]


def test_task_session_unknown_session_404(rep):
    rep.post("/api/v1/sessions/%s/taskSessions" % uuid.uuid4(),
             json={"name": "x", "type": "Backup"}, status=404)


def test_task_session_bad_type_400(rep):
    s = new_session(rep)
    rep.post("/api/v1/sessions/%s/taskSessions" % s["id"], json={"name": "x", "type": "Bogus"},
             status=400)


def test_stop_flow(rep, op, viewer, version):
    s = new_session(rep, version=version)
    r = op.post("/api/v1/sessions/%s/stop" % s["id"], version=version, schema=None, status=200)
    assert r.body == {}
    r = rep.patch("/api/v1/sessions/" + s["id"], json={"progressPercent": 50}, version=version,
                  schema="SessionModel", status=200)
    assert r.body["stopRequested"] is True
    assert r.body["state"] == "Stopping"
    g = viewer.get("/api/v1/sessions/" + s["id"], version=version, schema="SessionModel").body
    assert g["state"] == "Stopping"
    b = rep.post("/api/v1/sessions/%s/complete" % s["id"], version=version,
                 json={"result": "Failed", "message": "stopped by user", "isCanceled": True},
                 schema="SessionModel", status=200).body
    assert b["state"] == "Stopped" and b["result"]["isCanceled"] is True


def test_stop_unknown_404(op, version):
    op.post("/api/v1/sessions/%s/stop" % uuid.uuid4(), version=version, status=404)


@pytest.mark.parametrize("user", ["viewer", "operator"])
def test_non_reporters_cannot_ingest(server, rep, user):
    c = server.api(user)
    s = new_session(rep)
    r = c.post("/api/v1/sessions", json={"name": "x", "sessionType": "BackupJob"}, status=403)
    assert r.body["errorCode"] == "AccessDenied"
    c.patch("/api/v1/sessions/" + s["id"], json={"progressPercent": 1}, status=403)
    c.post("/api/v1/sessions/%s/logs" % s["id"], json={"records": [
        {"status": "None", "title": "x"}]}, status=403)
    c.post("/api/v1/sessions/%s/complete" % s["id"], json={"result": "Success"}, status=403)


def test_admin_can_ingest(server):
    new_session(server.api("admin"))


def test_reporter_cannot_read(server, rep, version):
    s = new_session(rep)
    r = rep.get("/api/v1/sessions", version=version, status=403)
    assert r.body["errorCode"] == "AccessDenied"
    rep.get("/api/v1/sessions/" + s["id"], version=version, status=403)
    rep.get("/api/v1/sessions/%s/logs" % s["id"], version=version, status=403)


def test_viewer_cannot_stop(server, rep):
    s = new_session(rep)
    server.api("viewer").post("/api/v1/sessions/%s/stop" % s["id"], status=403)
    assert server.api("viewer").get("/api/v1/sessions/" + s["id"],
                                    schema="SessionModel").body["state"] == "Working"


def test_usn_strictly_increasing_across_sessions(rep):
    a = new_session(rep)
    b = new_session(rep)
    c = rep.patch("/api/v1/sessions/" + a["id"], json={"progressPercent": 3},
                  schema="SessionModel").body
    assert a["usn"] < b["usn"] < c["usn"]


# Bodies of a progress PATCH as sent on the wire, and what the server answers: the
# common {"progressPercent":k} is read without a JSON tree, everything else by the
# full parser, and both must agree on what is valid and what it means.
PROGRESS_BODIES = [
    ('{"progressPercent":7}', 200, 7),
    (' \r\n\t{ "progressPercent" :\n100 }\n ', 200, 100),
    ('{"progressPercent":0}', 200, 0),
    ('{"progressPercent":-0}', 200, 0),
    ('{"progress\\u0050ercent":9}', 200, 9),
    ('{"progressPercent":null}', 200, None),
    ('{"progressPercent":"5"}', 400, None),
    ('{"progressPercent":101}', 400, None),
    ('{"progressPercent":1000}', 400, None),
    ('{"progressPercent":-1}', 400, None),
    ('{"progressPercent":07}', 400, None),
    ('{"progressPercent":00}', 400, None),
    ('{"progressPercent":5.0}', 400, None),
    ('{"progressPercent":5e0}', 400, None),
    ('{"progressPercent":5}}', 400, None),
    ('{"progressPercent":5,}', 400, None),
    ('{"progressPercent":5} x', 400, None),
    ('{"progressPercent":5', 400, None),
    ('{"progressPercent" 5}', 400, None),
    ('{"progressPercent":5,"progressPercent":6}', 400, None),
    ('{"progresspercent":5}', 400, None),
    ('["progressPercent",5]', 400, None),
]


@pytest.mark.parametrize("body,status,progress", PROGRESS_BODIES)
def test_patch_progress_bodies(rep, viewer, body, status, progress):
    s = new_session(rep, progressPercent=33)
    r = rep.patch("/api/v1/sessions/" + s["id"], data=body.encode(),
                  headers={"Content-Type": "application/json"},
                  schema="SessionModel" if status == 200 else None, status=status)
    g = viewer.get("/api/v1/sessions/" + s["id"], schema="SessionModel", status=200).body
    if status == 200:
        want = 33 if progress is None else progress
        assert r.body["progressPercent"] == want and g["progressPercent"] == want
        assert g["usn"] == r.body["usn"] > s["usn"]
    else:
        assert r.body["message"]
        assert g["progressPercent"] == 33 and g["usn"] == s["usn"]


def test_patch_progress_messages_as_full_parser(rep):
    """A refused progress value is named as the full parser names it, with or without
    another field beside it."""
    s = new_session(rep)
    path = "/api/v1/sessions/" + s["id"]
    hdr = {"Content-Type": "application/json"}
    alone = rep.patch(path, data=b'{"progressPercent":101}', headers=hdr, status=400).body
    beside = rep.patch(path, data=b'{"progressPercent":101,"message":"m"}', headers=hdr, status=400).body
    assert "progressPercent" in alone["message"] and alone["message"] == beside["message"]
    bad = rep.patch(path, data=b'{"progressPercent":5}', headers=dict(hdr, **{"If-Match": "x5"}),
                    status=400).body
    assert "If-Match" in bad["message"]
    t = rep.post("/api/v1/sessions/%s/taskSessions" % s["id"], json={"name": "t", "type": "Backup"},
                 schema="TaskSessionModel", status=201).body
    r = rep.patch("/api/v1/taskSessions/" + t["id"], data=b'{"progressPercent":61}', headers=hdr,
                  schema="TaskSessionModel", status=200).body
    assert r["progressPercent"] == 61 and r["usn"] > t["usn"]
    rep.patch("/api/v1/taskSessions/" + t["id"], data=b'{"progressPercent":101}', headers=hdr, status=400)
