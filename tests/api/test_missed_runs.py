"""Schedules and missed runs: a declared job with a schedule that no session follows gets
missed runs recorded (as missedRun objects under the job) at the times the schedule gives;
a job that runs on time, a disabled job and a job without a schedule get none."""
import datetime
import time
import uuid

import pytest

from conftest import Server


def parse(t):
    return datetime.datetime.fromisoformat(t.replace("Z", "+00:00"))


@pytest.fixture(scope="module")
def srv():
    s = Server(extra_args=["--schedule-check", "200"])
    s.start()
    yield s
    s.stop()
    s.cleanup()


def declare(rep, name, **props):
    jid = str(uuid.uuid4())
    body = {"name": name, "type": "BackupJob", **props}
    return rep.put(f"/api/v1/estate/job/{jid}", json=body, schema=False, status=200).body


def missed(c, jid):
    return c.get(f"/api/v1/estate/missedRun?parentId={jid}&limit=1000", schema=False, status=200).body


def test_bad_schedule_is_refused(srv):
    rep = srv.api("reporter")
    for bad in ("every day", "61 * * * *", "0m", "* * * *"):
        r = rep.put(f"/api/v1/estate/job/{uuid.uuid4()}", json={"name": "j", "schedule": bad},
                    schema=False, status=400)
        assert "schedule" in r.body["message"]


def test_missed_runs_recorded_at_the_scheduled_times(srv):
    rep, viewer = srv.api("reporter"), srv.api("viewer")
    job = declare(rep, "silent-" + uuid.uuid4().hex[:6], schedule="2s", graceSeconds=1)
    created = parse(job["createdTime"])
    deadline = time.time() + 15
    while time.time() < deadline and missed(viewer, job["id"])["pagination"]["total"] < 2:
        time.sleep(0.2)
    m = missed(viewer, job["id"])
    assert m["pagination"]["total"] >= 2
    times = sorted(parse(o["expectedTime"]) for o in m["data"])
    assert times[0] == created + datetime.timedelta(seconds=2)
    assert times[1] == created + datetime.timedelta(seconds=4)
    assert all(o["reporter"] == "sessiond" and o["parentId"] == job["id"] for o in m["data"])
    assert all(o["schedule"] == "2s" and o["name"] == o["expectedTime"] for o in m["data"]), m["data"]
    # each keeps the schedule it was expected by, when the job's changes
    rep.put(f"/api/v1/estate/job/{job['id']}", json={"name": job["name"], "type": "BackupJob", "schedule": "1h"},
            schema=False, status=200)
    assert {o["schedule"] for o in missed(viewer, job["id"])["data"]} == {"2s"}
    # sessiond's own records: not writable through the ingest path
    rep.put(f"/api/v1/estate/missedRun/{uuid.uuid4()}", json={"name": "x"}, schema=False, status=404)


def test_jobs_that_run_disabled_or_unscheduled_miss_nothing(srv):
    rep, viewer = srv.api("reporter"), srv.api("viewer")
    name = "busy-" + uuid.uuid4().hex[:6]
    busy = declare(rep, name, schedule="2s", graceSeconds=1)
    off = declare(rep, "off-" + uuid.uuid4().hex[:6], schedule="1s", graceSeconds=0, disabled=True)
    free = declare(rep, "free-" + uuid.uuid4().hex[:6])
    end = time.time() + 6
    while time.time() < end:   # a run every second, by the job's name
        rep.post("/api/v1/sessions", json={"name": name, "jobName": name, "sessionType": "BackupJob"},
                 schema="SessionModel", status=201)
        time.sleep(1)
    for j in (busy, off, free):
        assert missed(viewer, j["id"])["pagination"]["total"] == 0, j["name"]
