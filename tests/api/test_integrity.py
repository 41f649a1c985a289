"""Integrity of what is stored (hardening issue, item 7): a stopped session is final for its
task sessions and logs too; log endpoints act only on the collection the path names; sessions
and task sessions share one id space; dates outside years 1-9999 are refused. Each case also
checks that nothing stored changed."""
import uuid

import pytest

from conftest import new_session


@pytest.fixture
def rep(server):
    return server.api("reporter")


@pytest.fixture
def viewer(server):
    return server.api("viewer")


def task(rep, sid, **kw):
    body = {"name": "vm-1", "type": "Backup"}
    body.update(kw)
    return rep.post("/api/v1/sessions/%s/taskSessions" % sid, json=body, schema=False, status=201).body


def complete(rep, sid):
    rep.post("/api/v1/sessions/%s/complete" % sid, json={"result": "Success"}, schema=False, status=200)


def test_stopped_session_is_final_for_its_task_sessions_and_logs(rep, viewer):
    s = new_session(rep)
    t = task(rep, s["id"])
    complete(rep, s["id"])
    before = viewer.get("/api/v1/sessions/" + s["id"], schema="SessionModel").body
    tb = viewer.get("/api/v1/taskSessions/" + t["id"], schema=False).body
    r = rep.patch("/api/v1/taskSessions/" + t["id"], json={"progressPercent": 50}, status=409)
    assert "stopped" in r.body["message"]
    rep.post("/api/v1/taskSessions/%s/complete" % t["id"], json={"result": "Failed"}, status=409)
    rep.post("/api/v1/sessions/%s/taskSessions" % s["id"], json={"name": "late", "type": "Backup"}, status=409)
    rep.post("/api/v1/sessions/%s/logs" % s["id"], json={"records": [{"title": "late"}]}, status=409)
    rep.post("/api/v1/taskSessions/%s/logs" % t["id"], json={"records": [{"title": "late"}]}, status=409)
    after = viewer.get("/api/v1/sessions/" + s["id"], schema="SessionModel").body
    assert after["usn"] == before["usn"], "a refused write moved the session's usn"
    ta = viewer.get("/api/v1/taskSessions/" + t["id"], schema=False).body
    ta.pop("progress"), tb.pop("progress")   # a running task's duration moves with the clock
    assert ta == tb


def test_log_endpoints_act_on_the_collection_in_the_path(rep, viewer):
    s = new_session(rep)
    t = task(rep, s["id"])
    # a session id under /taskSessions, a task id under /sessions: no such owner there
    rep.post("/api/v1/taskSessions/%s/logs" % s["id"], json={"records": [{"title": "x"}]}, status=404)
    rep.post("/api/v1/sessions/%s/logs" % t["id"], json={"records": [{"title": "x"}]}, status=404)
    r = rep.post("/api/v1/taskSessions/%s/logs" % t["id"], json={"records": [{"title": "task line"}]},
                 schema=False, status=201)
    assert r.body["ids"] == [1]
    rep.patch("/api/v1/sessions/%s/logs/1" % t["id"], json={"status": "Failed"}, status=404)
    rep.patch("/api/v1/taskSessions/%s/logs/1" % s["id"], json={"status": "Failed"}, status=404)
    slog = viewer.get("/api/v1/sessions/%s/logs" % s["id"], schema="SessionLogResult").body
    assert slog["totalRecords"] == 0, slog
    tlog = viewer.get("/api/v1/taskSessions/%s/logs" % t["id"], schema=False).body
    assert [x["title"] for x in tlog["records"]] == ["task line"]


def test_one_id_space_for_sessions_and_task_sessions(rep, viewer):
    s = new_session(rep)
    t = task(rep, s["id"])
    r = rep.post("/api/v1/sessions", json={"id": t["id"], "name": "clash", "sessionType": "BackupJob"}, status=409)
    assert "task session" in r.body["message"]
    viewer.get("/api/v1/sessions/" + t["id"], status=404)
    r = rep.post("/api/v1/sessions/%s/taskSessions" % s["id"], json={"id": s["id"], "name": "clash", "type": "Backup"},
                 status=409)
    assert "session" in r.body["message"]


@pytest.mark.parametrize("when", ["0000-06-01T00:00:00Z", "0001-01-01T00:30:00+01:00", "10000-01-01T00:00:00Z"])
def test_dates_outside_years_1_to_9999_refused(rep, viewer, when):
    name = "year-" + uuid.uuid4().hex[:8]
    r = rep.post("/api/v1/sessions", json={"name": name, "sessionType": "BackupJob", "creationTime": when},
                 status=400)
    assert "creationTime" in r.body["message"]
    got = viewer.get("/api/v1/sessions", params={"nameFilter": name}, schema=False).body
    assert got["pagination"]["total"] == 0
    s = new_session(rep)
    rep.post("/api/v1/sessions/%s/complete" % s["id"], json={"result": "Success", "endTime": when}, status=400)
    assert viewer.get("/api/v1/sessions/" + s["id"], schema="SessionModel").body["state"] == "Working"
