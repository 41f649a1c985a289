"""VB for Azure read side (API-DIGEST §3): token, jobSessions list/get/log/stop, filters,
bad input, summary and system endpoints, through the v1, v7 and v8.1 paths (and the rest).
Sessions get in through the VBR-style ingest API; every Azure body is validated against the
v8.1 document (v8.1) or the documented v1 shape (v1)."""
import re
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from conftest import new_session
from vbaz_client import Az, VERSIONS, check_v1_session, validate

POLICY = str(uuid.uuid4())
BIG = "policy, \"quoted\"\nline"


class Data:
    pass


def parse_dt(s):
    return datetime.fromisoformat(s.replace("Z", "+00:00")[:26] + "+00:00"
                                  if "." in s else s.replace("Z", "+00:00"))


@pytest.fixture(scope="module")
def seeded(server_factory):
    srv = server_factory()
    rep = srv.api("reporter")
    d = Data()
    d.srv = srv

    def mk(name, day, **kw):
        return new_session(rep, name=name, creationTime="2024-03-%02dT10:00:00Z" % day, **kw)

    def done(s, res, **kw):
        return rep.post("/api/v1/sessions/%s/complete" % s["id"], json=dict(result=res, **kw),
                        schema="SessionModel", status=200).body

    d.ok = mk("alpha-nightly", 1, jobId=POLICY, jobName="alpha",
              backupJobInfo={"policyId": POLICY, "policyName": BIG, "policyType": "VirtualMachines",
                             "protectedInstancesCount": 3, "policyRemoved": False,
                             "notInSchema": 1})
    d.warn = mk("beta-weekly", 2, jobName="beta")
    d.fail = mk("gamma-daily", 3, jobName="gamma")
    d.run = mk("delta-running", 4, jobName="delta")
    d.auto = mk("epsilon-auto", 5, sessionType="AutoBackup", jobName="epsilon")
    d.restore = mk("zeta-restore", 6, sessionType="RestoreVms", jobName="zeta",
                   restoreJobInfo={"reason": "test restore", "backupPolicyDisplayName": "alpha"},
                   fileLevelRestoreJobInfo={"initiator": "admin", "flrLink": {"url": "https://x/flr"},
                                            "restorePointCreatedDateUtc": "2024-03-05T01:02:03+02:00",
                                            "isFlrSessionReady": True},
                   retentionJobInfo={"deletedRestorePointsCount": 4})
    d.wait = mk("eta-waiting", 7, jobName="eta")
    rep.patch("/api/v1/sessions/%s" % d.wait["id"], json={"state": "WaitingRepository"},
              schema="SessionModel", status=200)
    rep.post("/api/v1/sessions/%s/logs" % d.ok["id"], schema=False, status=201, json={"records": [
        {"status": "Succeeded", "title": "first"}, {"status": "Warning", "title": "second"},
        {"status": "None", "title": "third"}]})
    d.ok = done(d.ok, "Success")
    d.warn = done(d.warn, "Warning", message="w")
    d.fail = done(d.fail, "Failed", message="f")
    d.auto = done(d.auto, "Success")
    d.restore = done(d.restore, "Success")
    d.ids = {s["id"] for s in (d.ok, d.warn, d.fail, d.run, d.auto, d.restore, d.wait)}
    d.az = Az.login(srv, "admin")
    d.viewer = Az.login(srv, "viewer")
    return d


def page(az, version, query="", model=True, **kw):
    r = az.get("/api/%s/jobSessions%s" % (version, query),
               model="PageOfJobSession" if model and version == "v8.1" else None, **kw)
    body = r.json()
    for k in ("offset", "limit", "totalCount", "results", "_links"):
        assert k in body, body
    if version == "v1":
        for s in body["results"]:
            check_v1_session(s)
    return body


def ids(body):
    return {s["id"] for s in body["results"]}


# ---- token ------------------------------------------------------------------------------

def test_token_login_model(seeded):
    b = seeded.az.token_body
    validate("Login", b)
    assert b["token_type"] == "bearer" and b["username"] == "admin"
    assert b["roleName"] == "PortalAdmin" and b["userType"] == "Internal"
    assert b["expires_in"] == 900 and b["shortLived"] is False
    uuid.UUID(b["userId"])


@pytest.mark.parametrize("grant", ["password", "Password", "PASSWORD"])
def test_token_grant_case_insensitive(seeded, grant):
    az = Az(seeded.srv.base_url)
    r = az.grant({"grant_type": grant, "username": "viewer", "password": "viewer-Pa55word!"})
    assert r.json()["roleName"] == "ReadOnlyUser"


def test_token_refresh_and_short_lived(seeded):
    az = Az(seeded.srv.base_url)
    b = az.grant({"grant_type": "Password", "username": "viewer", "password": "viewer-Pa55word!",
                  "short_lived_refresh_token": "true"}).json()
    assert b["shortLived"] is True
    b2 = az.grant({"grant_type": "Refresh_token", "refresh_token": b["refresh_token"]}).json()
    assert b2["access_token"] != b["access_token"]
    az.grant({"grant_type": "refresh_token", "refresh_token": b["refresh_token"]}, status=401)


def test_token_errors(seeded):
    az = Az(seeded.srv.base_url)
    body = az.grant({"grant_type": "Mfa"}, status=400).json()
    assert "grant_type" in body["errors"]
    body = az.grant({"grant_type": "Password", "username": "admin"}, status=400).json()
    assert "username" in body["errors"] or "password" in body["errors"]
    az.grant({"grant_type": "Password", "username": "admin", "password": "wrong"}, status=401)


def test_logout_revokes(seeded):
    az = Az.login(seeded.srv, "viewer")
    az.get("/api/v8.1/jobSessions", model="PageOfJobSession")
    r = az.call("DELETE", "/api/oauth2/token", status=204)
    assert r.content == b""
    az.get("/api/v8.1/jobSessions", status=401)


def test_auth_required(seeded):
    anon = Az(seeded.srv.base_url)
    r = anon.get("/api/v8.1/jobSessions", status=401)
    assert r.headers.get("WWW-Authenticate", "").startswith("Bearer")
    anon.get("/api/v1/jobSessions", status=401, token="garbage")


# ---- list ---------------------------------------------------------------------------------

@pytest.mark.parametrize("version", VERSIONS)
def test_list_every_version(seeded, version):
    body = page(seeded.az, version, "?Limit=-1")
    assert ids(body) == seeded.ids
    assert body["totalCount"] == len(seeded.ids) and body["offset"] == 0 and body["limit"] == -1
    starts = [s["executionStartTime"] for s in body["results"]]
    assert starts == sorted(starts, reverse=True)
    for s in body["results"]:
        assert ("usn" in s) == (version == "v1")
        assert s["_links"]["self"]["href"].endswith("/api/%s/jobSessions/%s" % (version, s["id"]))
        assert s["_links"]["log"]["href"].endswith("/jobSessions/%s/log" % s["id"])


def test_list_default_limit_and_paging(seeded):
    body = page(seeded.az, "v8.1")
    assert body["limit"] == 30 and body["offset"] == 0
    all_ = page(seeded.az, "v8.1", "?Limit=-1")["results"]
    got = []
    for off in range(0, 8, 3):
        b = page(seeded.az, "v8.1", "?Offset=%d&Limit=3" % off)
        assert b["offset"] == off and b["limit"] == 3 and b["totalCount"] == len(all_)
        got += b["results"]
    assert [s["id"] for s in got] == [s["id"] for s in all_]
    assert page(seeded.az, "v7", "?Limit=0")["results"] == []


def test_list_streamed_large_limit_matches(seeded):
    a = page(seeded.az, "v8.1", "?Limit=5000")
    b = page(seeded.az, "v8.1", "?Limit=3")
    assert [s["id"] for s in a["results"]][:3] == [s["id"] for s in b["results"]]
    assert len(a["results"]) == len(seeded.ids)


SPAN = re.compile(r"^(\d+\.)?\d\d:\d\d:\d\d\.\d{7}$")
STATUS_OF = {"ok": "Success", "warn": "Warning", "fail": "Error", "run": "Running",
             "auto": "Success", "restore": "Success", "wait": "Pending"}


def test_status_folding(seeded):
    for key, st in STATUS_OF.items():
        s = seeded.az.get("/api/v8.1/jobSessions/%s" % getattr(seeded, key)["id"],
                          model="JobSession").json()
        assert s["status"] == st, (key, s)
        if st in ("Running", "Pending"):
            assert s["executionStopTime"] is None
        else:
            assert parse_dt(s["executionStopTime"]) > parse_dt(s["executionStartTime"])
        assert SPAN.match(s["executionDuration"]), s


@pytest.mark.parametrize("version", ["v1", "v7", "v8.1"])
def test_filter_status(seeded, version):
    b = page(seeded.az, version, "?Limit=-1&Status=Success&Status=Warning")
    assert ids(b) == {seeded.ok["id"], seeded.warn["id"], seeded.auto["id"], seeded.restore["id"]}
    assert b["totalCount"] == 4
    assert ids(page(seeded.az, version, "?Status=Error")) == {seeded.fail["id"]}
    assert ids(page(seeded.az, version, "?Status=Pending")) == {seeded.wait["id"]}
    assert ids(page(seeded.az, version, "?Status=Running")) == {seeded.run["id"]}
    assert ids(page(seeded.az, version, "?Status=NeverExecuted")) == set()


def test_filter_types_and_autobackup(seeded):
    v81 = page(seeded.az, "v8.1", "?Limit=-1&Types=PolicyBackup")
    assert seeded.auto["id"] in ids(v81) and seeded.ok["id"] in ids(v81)
    assert seeded.restore["id"] not in ids(v81)
    auto = seeded.az.get("/api/v8.1/jobSessions/" + seeded.auto["id"], model="JobSession").json()
    assert auto["type"] == "PolicyBackup"
    v1 = seeded.az.get("/api/v1/jobSessions/" + seeded.auto["id"]).json()
    assert v1["type"] == "AutoBackup"
    assert ids(page(seeded.az, "v1", "?Types=AutoBackup")) == {seeded.auto["id"]}
    body = seeded.az.get("/api/v8.1/jobSessions?Types=AutoBackup", status=400).json()
    assert "Types" in body["errors"]
    assert ids(page(seeded.az, "v7", "?Types=RestoreVms&Types=PolicySnapshot")) == {seeded.restore["id"]}


def test_filter_text_policy_dates_resource(seeded):
    assert ids(page(seeded.az, "v8.1", "?Filter=ALPHA")) == {seeded.ok["id"]}
    assert ids(page(seeded.az, "v8.1", "?Filter=nightl")) == {seeded.ok["id"]}
    assert ids(page(seeded.az, "v8.1", "?PolicyId=" + POLICY)) == {seeded.ok["id"]}
    b = page(seeded.az, "v8.1", "?Limit=-1&FromUtc=2024-03-03T00:00:00Z&ToUtc=2024-03-05T23:00:00Z")
    assert ids(b) == {seeded.fail["id"], seeded.run["id"], seeded.auto["id"]}
    b = page(seeded.az, "v8.1", "?FromUtc=2024-03-07T09:00:00%2B00:00")
    assert ids(b) == {seeded.wait["id"]}
    assert ids(page(seeded.az, "v8.1", "?ResourceId=" + str(uuid.uuid4()))) == set()


@pytest.mark.parametrize("query,param", [
    ("Offset=-1", "Offset"), ("Limit=-2", "Limit"), ("Limit=abc", "Limit"),
    ("Status=Bogus", "Status"), ("Status=Success&Status=Nope", "Status"),
    ("Types=NoSuchType", "Types"), ("FromUtc=yesterday", "FromUtc"),
    ("ToUtc=2024-13-01T00:00:00Z", "ToUtc"), ("PolicyId=not-a-uuid", "PolicyId"),
])
@pytest.mark.parametrize("version", ["v1", "v8.1"])
def test_bad_parameters(seeded, version, query, param):
    body = seeded.az.get("/api/%s/jobSessions?%s" % (version, query), status=400).json()
    assert param in body["errors"], body
    assert param in body["detail"]


def test_unknown_version_and_session(seeded):
    for v in ("v0", "v9", "v8.2", "v1.0", "v81"):
        body = seeded.az.get("/api/%s/jobSessions" % v, status=404).json()
        assert body["status"] == 404
    seeded.az.get("/api/v8.1/jobSessions/" + str(uuid.uuid4()), status=404)
    seeded.az.get("/api/v8.1/jobSessions/38", status=404)
    seeded.az.get("/api/v8.1/jobSessions/%s/log" % uuid.uuid4(), status=404)


# ---- one session ------------------------------------------------------------------------

def test_session_v81_shape_and_info_blocks(seeded):
    s = seeded.az.get("/api/v8.1/jobSessions/" + seeded.ok["id"], model="JobSession").json()
    assert s["id"] == seeded.ok["id"] and s["status"] == "Success"
    assert s["type"] == "PolicyBackup" and s["localizedType"]
    bj = s["backupJobInfo"]
    assert bj == {"policyId": POLICY, "policyName": BIG, "policyType": "VirtualMachines",
                  "protectedInstancesCount": 3, "policyRemoved": False}
    assert list(s)[:7] == ["id", "type", "localizedType", "executionStartTime",
                           "executionStopTime", "executionDuration", "status"]
    start, stop = parse_dt(s["executionStartTime"]), parse_dt(s["executionStopTime"])
    assert start == datetime(2024, 3, 1, 10, tzinfo=timezone.utc)
    assert stop > start and SPAN.match(s["executionDuration"])
    days = int(s["executionDuration"].split(".")[0])
    assert abs(days - (stop - start).days) <= 1
    r = seeded.az.get("/api/v8.1/jobSessions/" + seeded.restore["id"], model="JobSession").json()
    assert r["type"] == "RestoreVms"
    assert r["restoreJobInfo"] == {"reason": "test restore", "backupPolicyDisplayName": "alpha"}
    flr = r["fileLevelRestoreJobInfo"]
    assert flr["flrLink"] == {"url": "https://x/flr"} and flr["isFlrSessionReady"] is True
    assert flr["restorePointCreatedDateUtc"].startswith("2024-03-04T23:02:03")
    assert r["retentionJobInfo"] == {"deletedRestorePointsCount": 4}
    assert "backupJobInfo" not in r


def test_session_v1_shape(seeded):
    vbr = seeded.srv.api("viewer").get("/api/v1/sessions/" + seeded.restore["id"],
                                       schema="SessionModel", status=200).body
    s = seeded.az.get("/api/v1/jobSessions/" + seeded.restore["id"]).json()
    check_v1_session(s)
    assert s["usn"] == vbr["usn"]
    assert "retentionJobInfo" not in s  # not a v1 block
    assert s["restoreJobInfo"]["reason"] == "test restore"
    s7 = seeded.az.get("/api/v7/jobSessions/" + seeded.restore["id"]).json()
    assert "usn" not in s7 and s7["retentionJobInfo"] == {"deletedRestorePointsCount": 4}
    validate("JobSession", s7)


@pytest.mark.parametrize("version", ["v1", "v7", "v8.1"])
def test_session_log(seeded, version):
    method = seeded.az.get
    r = method("/api/%s/jobSessions/%s/log" % (version, seeded.ok["id"]),
               model="JobSessionLog" if version == "v8.1" else None).json()
    assert r["jobSessionId"] == seeded.ok["id"]
    msgs = {i["message"]: i["status"] for i in r["log"]}
    assert msgs == {"first": "Success", "second": "Warning", "third": "Running"}
    for item in r["log"]:
        assert "resourceHashId" not in item
        assert SPAN.match(item["executionDuration"]), item
    empty = seeded.az.get("/api/%s/jobSessions/%s/log" % (version, seeded.warn["id"])).json()
    assert empty["log"] == []
    # v3 documents POST for the log
    assert seeded.az.post("/api/v3/jobSessions/%s/log" % seeded.ok["id"]).json() == \
        seeded.az.get("/api/v3/jobSessions/%s/log" % seeded.ok["id"]).json()


# ---- stop -------------------------------------------------------------------------------

@pytest.mark.parametrize("version", ["v1", "v7", "v8.1"])
def test_stop(seeded, version):
    rep = seeded.srv.api("reporter")
    s = new_session(rep, name="stop-me-" + version)
    seeded.viewer.post("/api/%s/jobSessions/%s/stop" % (version, s["id"]), status=403)
    r = seeded.az.post("/api/%s/jobSessions/%s/stop" % (version, s["id"]), status=204)
    assert r.content == b""
    got = seeded.az.get("/api/v8.1/jobSessions/" + s["id"], model="JobSession").json()
    assert got["status"] == "Canceling"
    assert s["id"] in ids(page(seeded.az, "v8.1", "?Status=Canceling&Limit=-1"))
    seeded.az.post("/api/%s/jobSessions/%s/stop" % (version, s["id"]), status=(204, 409))
    after = rep.post("/api/v1/sessions/%s/complete" % s["id"], json={"result": "Warning"},
                     schema="SessionModel", status=200).body
    assert after["result"]["isCanceled"] is True
    got = seeded.az.get("/api/%s/jobSessions/%s" % (version, s["id"])).json()
    assert got["status"] == "Canceled"
    assert s["id"] in ids(page(seeded.az, version, "?Status=Canceled&Limit=-1"))
    seeded.az.post("/api/%s/jobSessions/%s/stop" % (version, s["id"]), status=409)
    seeded.az.post("/api/%s/jobSessions/%s/stop" % (version, uuid.uuid4()), status=404)


# ---- overview, system -----------------------------------------------------------------

def test_sessions_summary(fresh_server):
    rep = fresh_server.api("reporter")
    az = Az.login(fresh_server)
    now = datetime.now(timezone.utc)
    for res in ("Success", "Success", "Failed"):
        s = new_session(rep, creationTime=(now - timedelta(hours=1)).isoformat())
        rep.post("/api/v1/sessions/%s/complete" % s["id"], json={"result": res},
                 schema="SessionModel", status=200)
    new_session(rep)
    b = az.get("/api/v8.1/overview/sessionsSummary", model="SessionsSummaryReport").json()
    assert b["latestSessionsSuccessCount"] == 2 and b["latestSessionsErrorCount"] == 1
    assert b["latestSessionsWarningCount"] == 0 and b["latestSessionsRunningCount"] == 1
    assert b["latestSessionsSuccessCountDifference"] == "Increased"
    assert b["latestSessionsWarningCountDifference"] == "NotChanged"


@pytest.mark.parametrize("version", ["v1", "v7", "v8.1"])
def test_system(seeded, version):
    seeded.viewer.get("/api/%s/system/serverInfo" % version, model="ServerInfo")
    a = seeded.viewer.get("/api/%s/system/about" % version, model="SystemInfo").json()
    assert a["serverVersion"].startswith(version[1:].split(".")[0])
    Az(seeded.srv.base_url).get("/api/%s/system/about" % version, status=401)


# ---- Status filters against the status shown --------------------------------------------

def test_every_status_filter_selects_the_status_shown(server_factory):
    """Sessions in every mix of state, result, stop request and cancellation: ?Status=X lists
    exactly those shown with status X, alone and two at once, with totals to match."""
    srv = server_factory()
    rep, adm = srv.api("reporter"), srv.api("admin")
    az = Az.login(srv, "admin")
    made = []
    for state in ("Working", "WaitingTape", "Idle"):
        for stop in (False, True):
            s = new_session(rep, name="st-%s-%d" % (state, stop))
            rep.patch("/api/v1/sessions/" + s["id"], json={"state": state}, schema=False, status=200)
            if stop:
                adm.post("/api/v1/sessions/%s/stop" % s["id"], schema=False, status=(200, 202, 204))
            made.append(s["id"])
    for res in ("Success", "Warning", "Failed"):
        for stop in (False, True):
            s = new_session(rep, name="done-%s-%d" % (res, stop))
            if stop:
                adm.post("/api/v1/sessions/%s/stop" % s["id"], schema=False, status=(200, 202, 204))
            rep.post("/api/v1/sessions/%s/complete" % s["id"], json={"result": res}, schema=False, status=200)
            made.append(s["id"])
    shown = {}
    for sid in made:
        shown.setdefault(az.get("/api/v8.1/jobSessions/" + sid).json()["status"], set()).add(sid)
    assert {"Running", "Pending", "Canceling", "Success", "Warning", "Error", "Canceled"} <= set(shown), shown.keys()
    for status, want in shown.items():
        got = page(az, "v8.1", "?Status=%s&Limit=-1" % status)
        assert ids(got) & set(made) == want, status
        assert got["totalCount"] == len(want), status
    a, b = "Error", "Running"
    got = page(az, "v8.1", "?Status=%s&Status=%s&Limit=-1" % (a, b))
    assert ids(got) & set(made) == shown[a] | shown[b] and got["totalCount"] == len(shown[a] | shown[b])
