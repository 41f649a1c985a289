"""List totals under every session filter of the VBR dialect (and Azure's jobSessions) are the
number of sessions the filter selects, counted here from the whole list, after creates,
completions, renames and retention's deletes. The store keeps these totals rather than
counting rows (docs/PERFORMANCE.md), so they must follow every write."""
import re
import time
import uuid
from datetime import datetime, timedelta, timezone

from conftest import new_session

V = "1.3-rev2"
JOBS = [str(uuid.uuid4()) for _ in range(3)]
NAMES = ["Backup Job 001", "Backup Job 010", "backup job 100", "Replica 1", "x_y%z", "Job 1"]
TYPES = ["BackupJob", "ReplicaJob", "ConfigurationBackup"]


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def parse(s):
    return datetime.fromisoformat(s.replace("Z", "+00:00")) if s else None


def everything(viewer):
    body = viewer.get("/api/v1/sessions", version=V, params={"limit": 1000}, schema="SessionsResult").body
    assert body["pagination"]["total"] == len(body["data"])
    return body["data"]


def name_match(pattern, name):
    rx = "".join(".*" if c == "*" else re.escape(c) for c in pattern)
    return re.fullmatch(rx, name, re.I | re.S) is not None


def checks(now):
    """(params, predicate over a listed session) for each filter, alone and combined."""
    day = timedelta(days=1)
    after, before = now - 3 * day - timedelta(hours=5), now - day
    out = []
    for p in ("Backup Job 0*", "*1*", "x_y%z", "*_*", "Job 1*", "backup*", "*0", "nothing*"):
        out.append(({"nameFilter": p}, lambda s, p=p: name_match(p, s["name"])))
        out.append(({"nameFilter": p, "resultFilter": "Success"},
                    lambda s, p=p: name_match(p, s["name"]) and s["result"]["result"] == "Success"))
    for t in TYPES:
        out.append(({"typeFilter": t}, lambda s, t=t: s["sessionType"] == t))
    for st in ("Working", "Stopped"):
        out.append(({"stateFilter": st}, lambda s, st=st: s["state"] == st))
    for r in ("Success", "Warning", "Failed", "None"):
        out.append(({"resultFilter": r}, lambda s, r=r: s["result"]["result"] == r))
    for j in JOBS:
        out.append(({"jobIdFilter": j}, lambda s, j=j: s.get("jobId") == j))
        out.append(({"jobIdFilter": j, "stateFilter": "Stopped"},
                    lambda s, j=j: s.get("jobId") == j and s["state"] == "Stopped"))
    out += [
        ({"createdAfterFilter": iso(after)}, lambda s: parse(s["creationTime"]) >= after),
        ({"createdBeforeFilter": iso(before)}, lambda s: parse(s["creationTime"]) <= before),
        ({"createdAfterFilter": iso(after), "createdBeforeFilter": iso(before), "typeFilter": "BackupJob"},
         lambda s: after <= parse(s["creationTime"]) <= before and s["sessionType"] == "BackupJob"),
        ({"endedAfterFilter": iso(after)}, lambda s: s.get("endTime") and parse(s["endTime"]) >= after),
        ({"endedBeforeFilter": iso(before), "resultFilter": "Failed"},
         lambda s: s.get("endTime") and parse(s["endTime"]) <= before and s["result"]["result"] == "Failed"),
        ({"nameFilter": "*Job*", "typeFilter": "BackupJob", "createdAfterFilter": iso(after)},
         lambda s: name_match("*Job*", s["name"]) and s["sessionType"] == "BackupJob"
         and parse(s["creationTime"]) >= after),
    ]
    return out


def stable(listed):
    """What a listing says apart from the running sessions' clock-driven duration."""
    return [(s["id"], s["name"], s["state"], s["result"]["result"], s.get("endTime")) for s in listed]


def verify(viewer, now):
    """Every check's total against the count from the whole list; the store must not have
    changed meanwhile (retention writes maintenance sessions of its own), else again."""
    for _ in range(5):
        listed = everything(viewer)
        wrong, selective = [], 0
        for params, pred in checks(now):
            want = sum(1 for s in listed if pred(s))
            body = viewer.get("/api/v1/sessions", version=V, params=dict(params, limit=2),
                              schema="SessionsResult").body
            if body["pagination"]["total"] != want or len(body["data"]) != min(2, want) or \
                    not all(pred(s) for s in body["data"]):
                wrong.append((params, body["pagination"], want))
            selective += 0 < want < len(listed)
        az = viewer.get("/api/v8.1/jobSessions", params={"Limit": 1}, schema=False, status=200).body
        if az["totalCount"] != len(listed):
            wrong.append(("Azure", az["totalCount"], len(listed)))
        if stable(everything(viewer)) == stable(listed):
            assert not wrong, wrong
            assert selective > 10
            return listed
    raise AssertionError("the store kept changing")


def test_totals_follow_writes(server_factory):
    srv = server_factory()
    rep, viewer = srv.api("reporter"), srv.api("viewer")
    now = datetime.now(timezone.utc)
    made = []
    for i in range(36):
        created = now - timedelta(hours=5 * i + 1)
        kw = {"jobId": JOBS[i % 3]} if i % 4 else {}
        made.append(new_session(rep, name=NAMES[i % len(NAMES)], sessionType=TYPES[i % 3],
                                jobName=NAMES[(i + 1) % len(NAMES)], creationTime=iso(created), **kw))
    verify(viewer, now)
    # completions (the oldest end before retention's cutoff), renames
    for i, s in enumerate(made):
        if i % 3 == 0:
            continue
        ended = parse(s["creationTime"]) + timedelta(minutes=30)
        rep.post("/api/v1/sessions/%s/complete" % s["id"], schema="SessionModel", status=200,
                 json={"result": ("Success", "Warning", "Failed")[i % 3], "endTime": iso(ended)})
    for s in made[0::6]:   # running ones (a stopped session is final)
        rep.patch("/api/v1/sessions/" + s["id"], json={"name": "Job 1 renamed"}, version=V,
                  schema="SessionModel", status=200)
    before = verify(viewer, now)
    # retention deletes the sessions that ended more than 4 days ago (run for a while, then
    # stopped: each of its runs records a maintenance session, which would move the totals)
    old = [s for s in before if s.get("endTime") and parse(s["endTime"]) < now - timedelta(days=4, minutes=-5)]
    assert old
    restart(srv, ["--retention-days", "4", "--retention-interval", "1"])
    viewer = srv.api("viewer")
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if viewer.get("/api/v1/sessions/" + old[-1]["id"], version=V, status=(200, 404),
                      schema="SessionModel").status == 404:
            break
        time.sleep(0.2)
    restart(srv, [])
    viewer = srv.api("viewer")
    left = verify(viewer, now)
    assert not {s["id"] for s in old} & {s["id"] for s in left}
    assert len(left) > len(before) - len(old)   # and the maintenance sessions it recorded


def restart(srv, args):
    assert srv.stop() == 0, srv.stderr_tail()
    srv.users = {}        # users are in the database already
    srv._tokens = {}
    srv.extra_args = list(args)
    srv.start()
