"""Enterprise Manager dialect: logon, collections, query service, stop, errors (issue 3)."""
import base64
import uuid

import pytest
import requests

from conftest import PASSWORDS, new_session
from em_client import EM, local, q, same_data, to_plain, validate_xml


@pytest.fixture(scope="module")
def em_data(server_factory):
    srv = server_factory()
    rep = srv.api("reporter")
    tag = uuid.uuid4().hex[:6]
    made = {}

    def sess(key, stype, server="vbr-one", result=None, logs=(), tasks=(), **kw):
        s = new_session(rep, name="em-%s-%s" % (key, tag), sessionType=stype, backupServer=server, **kw)
        for title, status in logs:
            rep.post("/api/v1/sessions/%s/logs" % s["id"], json={"records": [{"status": status, "title": title}]},
                     schema=False, status=201)
        tids = []
        for tname, tres in tasks:
            t = rep.post("/api/v1/sessions/%s/taskSessions" % s["id"], json={"name": tname, "type": "Backup"},
                         schema=False, status=201).body
            tids.append(t["id"])
            if tres:
                rep.post("/api/v1/taskSessions/%s/complete" % t["id"], json={"result": tres}, schema=False,
                         status=200)
        if result:
            rep.post("/api/v1/sessions/%s/complete" % s["id"], json={"result": result, "message": "msg " + key},
                     schema=False, status=200)
        made[key] = {"id": s["id"], "tasks": tids, "name": "em-%s-%s" % (key, tag)}

    sess("ok", "BackupJob", result="Success", tasks=[("vm-ok-1", "Success"), ("vm-ok-2", "Warning")])
    sess("bad", "BackupJob", server="vbr-two", result="Failed", tasks=[("vm-bad-1", "Failed")])
    sess("run", "BackupJob", tasks=[("vm-run-1", None)])
    sess("rep", "ReplicaJob", result="Success", tasks=[("vm-rep-1", "Success")])
    sess("nas", "NasBackup", result="Warning")
    sess("agent", "AgentBackup", result="Success")
    sess("restore", "RestoreVm", result="Success")
    sess("sys", "DatabaseMaintenance", result="Success", logs=[("vacuum", "Succeeded"), ("purge", "Warning")])
    return srv, made


def ids_of(root):
    return {r.get("UID").rsplit(":", 1)[1] for r in root}


# ---------------------------------------------------------------- root and logon

def test_root_needs_no_auth_and_links_logon(em_data):
    srv, _ = em_data
    r = requests.get(srv.base_url + "/api/")
    assert r.status_code == 200
    root = validate_xml(r.text)
    assert local(root.tag) == "EnterpriseManager"
    hrefs = [l.get("Href") for l in root.iter(q("Link"))]
    assert any("sessionMngr/?v=latest" in h for h in hrefs)
    assert {v.get("Name") for v in root.iter(q("SupportedVersion"))} == {"v1_4", "v1_5", "v1_6", "v1_7"}
    j = requests.get(srv.base_url + "/api/", headers={"Accept": "application/json"}).json()
    same_data(to_plain(root), j)


@pytest.mark.parametrize("v", ["latest", "v1_4", "v1_5", "v1_6", "v1_7"])
def test_logon_versions(em_data, v):
    srv, _ = em_data
    em = EM(srv.base_url, logon=False)
    r = em.logon("viewer", PASSWORDS["viewer"], v=v)
    assert r.status_code == 201
    root = validate_xml(r.text)
    sid = root.find(q("SessionId")).text
    assert root.find(q("UserName")).text == "viewer"
    assert base64.b64decode(r.headers["X-RestSvcSessionId"]).decode() == sid
    assert r.headers["X-RestSvcSessionId"] in r.headers["Set-Cookie"]
    assert "Path=/api" in r.headers["Set-Cookie"]


def test_logon_unknown_version_is_400(em_data):
    srv, _ = em_data
    r = EM(srv.base_url, logon=False).logon("admin", PASSWORDS["admin"], v="v0_1")
    assert r.status_code == 400
    assert validate_xml(r.text).get("StatusCode") == "400"


@pytest.mark.parametrize("auth", [None, "Basic " + base64.b64encode(b"admin:nope").decode(), "Basic !!!",
                                  "Bearer x"])
def test_bad_credentials_401(em_data, auth):
    srv, _ = em_data
    h = {"Authorization": auth} if auth else {}
    r = requests.post(srv.base_url + "/api/sessionMngr/?v=latest", headers=h)
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"] == 'Basic realm="RestSvc"'
    err = validate_xml(r.text)
    assert local(err.tag) == "Error" and err.get("Status") == "Unauthorized"


def test_header_and_cookie_auth_and_logoff(em_data):
    srv, _ = em_data
    by_header = EM(srv.base_url, "viewer")
    by_cookie = EM(srv.base_url, "viewer", cookie=True)
    by_header.xml("/api/backupSessions")
    by_cookie.xml("/api/backupSessions")
    # no credentials at all
    r = requests.get(srv.base_url + "/api/backupSessions")
    assert r.status_code == 401 and validate_xml(r.text).get("StatusCode") == "401"
    # the cookie wins over the header when both arrive
    r = requests.get(srv.base_url + "/api/backupSessions",
                     headers={"X-RestSvcSessionId": by_header.token},
                     cookies={"X-RestSvcSessionId": "bogus"})
    assert r.status_code == 401
    r = requests.get(srv.base_url + "/api/backupSessions", headers={"X-RestSvcSessionId": "bogus"},
                     cookies={"X-RestSvcSessionId": by_cookie.token})
    assert r.status_code == 200
    # one can't end someone else's session; ending one's own works once
    by_cookie.req("DELETE", "/api/logonSessions/%s" % by_header.sid, status=403)
    by_header.req("DELETE", "/api/logonSessions/%s" % by_header.sid, status=204)
    by_header.req("GET", "/api/backupSessions", status=401)
    by_cookie.xml("/api/backupSessions")


def test_roles(em_data):
    srv, made = em_data
    rep = EM(srv.base_url, "reporter")
    rep.req("GET", "/api/backupSessions", status=403)
    viewer = EM(srv.base_url, "viewer")
    r = viewer.req("POST", "/api/backupSessions/%s?action=stop" % made["run"]["id"], status=403)
    assert r.doc.get("Status") == "Forbidden"


# ---------------------------------------------------------------- collections

# /api/backupSessions also lists file share and agent backup sessions (DESIGN §5, as EM's
# GET /agents/backupSessions and GET /nas/backupSessions pages say).
COLLECTIONS = [("backupSessions", "BackupJobSession", ["ok", "bad", "run", "nas", "agent"]),
               ("replicaSessions", "ReplicaJobSession", ["rep"]),
               ("nas/backupSessions", "BackupJobSession", ["nas"]),
               ("agents/backupSessions", "BackupJobSession", ["agent"]),
               ("restoreSessions", "RestoreSession", ["restore"]),
               ("systemSessions", "SystemSession", ["sys"])]


@pytest.mark.parametrize("coll,etype,keys", COLLECTIONS)
def test_collection_refs_entities_xml_json(em_data, coll, etype, keys):
    srv, made = em_data
    em = EM(srv.base_url, "viewer")
    refs = em.xml("/api/" + coll)
    assert local(refs.tag) == "EntityReferences"
    want = {made[k]["id"] for k in keys}
    assert ids_of(refs) == want  # exactly this family, nothing else
    for ref in refs:
        assert ref.get("Type") == etype + "Reference"
        assert ref.get("UID").startswith("urn:veeam:%s:" % etype)
    same_data(to_plain(refs), em.json("/api/" + coll))
    ents = em.xml("/api/%s?format=Entity" % coll)
    assert local(ents.tag) == etype + "s" and len(ents) == len(want)
    same_data(to_plain(ents), em.json("/api/%s?format=Entity" % coll))
    for k in keys:
        sid = made[k]["id"]
        ref = em.xml("/api/%s/%s" % (coll, sid))
        assert local(ref.tag) == "EntityRef" and ref.get("UID") == "urn:veeam:%s:%s" % (etype, sid)
        ent = em.xml("/api/%s/%s?format=Entity" % (coll, sid))
        assert local(ent.tag) == etype
        same_data(to_plain(ent), em.json("/api/%s/%s?format=Entity" % (coll, sid)))
        links = ent.find(q("Links"))
        first = links[0]
        assert first.get("Type") == "BackupServerReference"
        assert first.get("Name") == ("vbr-two" if k == "bad" else "vbr-one")


def test_backup_session_entity_fields(em_data):
    srv, made = em_data
    em = EM(srv.base_url, "viewer")
    ent = em.xml("/api/backupSessions/%s?format=Entity" % made["bad"]["id"])
    assert ent.find(q("JobName")).text == made["bad"]["name"]
    assert ent.find(q("JobType")).text == "Backup"
    assert ent.find(q("State")).text == "Stopped"
    assert ent.find(q("Result")).text == "Failed"
    assert ent.find(q("FailureMessage")).text == "msg bad"
    assert ent.find(q("EndTimeUTC")) is not None
    assert ent.get("Name").startswith(made["bad"]["name"] + "@")
    assert len(ent.get("Name").split("@")[1]) == len("2025-01-01 00:00:00")
    assert ent.find(q("Links"))[0].get("Name") == "vbr-two"
    rels = [l.get("Rel") for l in ent.find(q("Links"))]
    assert rels.count("Up") == 2 and "Alternate" in rels and "Down" in rels and "Stop" not in rels
    run = em.xml("/api/backupSessions/%s?format=Entity" % made["run"]["id"])
    assert run.find(q("State")).text == "Working" and run.find(q("EndTimeUTC")) is None
    assert "Stop" in [l.get("Rel") for l in run.find(q("Links"))]


def test_wrong_collection_and_bad_ids(em_data):
    srv, made = em_data
    em = EM(srv.base_url, "viewer")
    em.req("GET", "/api/replicaSessions/%s" % made["ok"]["id"], status=404)
    em.req("GET", "/api/backupSessions/%s" % uuid.uuid4(), status=404)
    r = em.req("GET", "/api/backupSessions/not-a-uuid", status=400)
    assert "ID" in r.doc.get("Message")
    r = em.req("GET", "/api/backupSessions/%s" % uuid.uuid4(), json_=True, status=404)
    assert r.doc["StatusCode"] == 404 and r.doc["Status"] == "NotFound" and r.doc["Message"]
    em.req("PUT", "/api/backupSessions", status=405)
    em.req("GET", "/api/noSuchThing", status=404)
    em.req("GET", "/api/backupSessions?format=Weird", status=400)


def test_task_sessions(em_data):
    srv, made = em_data
    em = EM(srv.base_url, "viewer")
    refs = em.xml("/api/backupSessions/%s/taskSessions" % made["ok"]["id"])
    assert ids_of(refs) == set(made["ok"]["tasks"])
    ents = em.xml("/api/backupSessions/%s/taskSessions?format=Entity" % made["ok"]["id"])
    assert local(ents.tag) == "BackupTaskSessions"
    results = sorted(e.find(q("Result")).text for e in ents)
    assert results == ["Success", "Warning"]
    for e in ents:
        assert e.find(q("State")).text == "Completed"
        assert e.find(q("JobSessionUid")).text == "urn:veeam:BackupJobSession:" + made["ok"]["id"]
    same_data(to_plain(ents), em.json("/api/backupSessions/%s/taskSessions?format=Entity" % made["ok"]["id"],
                                      json_=True))
    all_backup = ids_of(em.xml("/api/backupTaskSessions"))
    assert set(made["ok"]["tasks"] + made["bad"]["tasks"] + made["run"]["tasks"]) <= all_backup
    assert not set(made["rep"]["tasks"]) & all_backup
    assert ids_of(em.xml("/api/replicaTaskSessions")) == set(made["rep"]["tasks"])
    tid = made["run"]["tasks"][0]
    one = em.xml("/api/backupTaskSessions/%s?format=Entity" % tid)
    assert local(one.tag) == "BackupTaskSession" and one.find(q("State")).text == "InProgress"
    same_data(to_plain(one), em.json("/api/backupTaskSessions/%s?format=Entity" % tid))
    assert local(em.xml("/api/backupTaskSessions/%s" % tid).tag) == "EntityRef"
    rt = made["rep"]["tasks"][0]
    assert local(em.xml("/api/replicaTaskSessions/%s?format=Entity" % rt).tag) == "ReplicaTaskSession"
    em.req("GET", "/api/backupTaskSessions/%s" % rt, status=404)


def test_system_session_and_events(em_data):
    srv, made = em_data
    em = EM(srv.base_url, "viewer")
    sid = made["sys"]["id"]
    ent = em.xml("/api/systemSessions/%s?format=Entity" % sid)
    assert ent.get("UID") == "urn:veeam:SystemSession:" + sid
    assert ent.find(q("SessionType")).text == "DatabaseMaintenance"
    assert ent.find(q("State")).text == "CompletedSuccessfully"
    res = ent.find(q("Result"))
    assert res.find(q("Result")).text == "Success" and res.find(q("IsCanceled")).text == "false"
    assert res.find(q("Message")).text == "msg sys"
    ev = em.xml("/api/systemSessions/%s/events" % sid)
    assert local(ev.tag) == "SystemSessionEvents"
    titles = sorted(e.find(q("Title")).text for e in ev.find(q("Events")))
    assert titles == ["purge", "vacuum"]
    same_data(to_plain(ev), em.json("/api/systemSessions/%s/events" % sid))
    em.req("GET", "/api/systemSessions/%s/events" % made["ok"]["id"], status=404)


def test_backup_servers(em_data):
    srv, made = em_data
    em = EM(srv.base_url, "viewer")
    refs = em.xml("/api/backupServers")
    names = {r.get("Name"): r for r in refs}
    assert {"vbr-one", "vbr-two"} <= set(names)
    one = names["vbr-one"]
    ent = em.xml(one.get("Href")[one.get("Href").index("/api/"):] + "?format=Entity")
    assert local(ent.tag) == "BackupServer" and ent.get("Name") == "vbr-one"
    same_data(to_plain(em.xml("/api/backupServers?format=Entity")),
              em.json("/api/backupServers?format=Entity"))
    # the session's first link points at its server
    s = em.xml("/api/backupSessions/%s?format=Entity" % made["bad"]["id"])
    assert s.find(q("Links"))[0].get("Href") == names["vbr-two"].get("Href")
    em.req("GET", "/api/backupServers/%s" % uuid.uuid4(), status=404)


# ---------------------------------------------------------------- query service

def query(em, **params):
    from urllib.parse import urlencode
    return em.xml("/api/query?" + urlencode(params))


def test_query_filter_result_and_time(em_data):
    srv, made = em_data
    em = EM(srv.base_url, "viewer")
    res = query(em, type="BackupJobSession", filter="Result==Failed")
    assert ids_of(res.find(q("Refs"))) == {made["bad"]["id"]}
    pi = res.find(q("PagingInfo"))
    assert pi.get("PageNum") == "1" and pi.get("PagesCount") == "1"
    # enum order: None < Success < Warning < Failed
    res = query(em, type="backupjobsession", filter="result>=Success;result<Failed;JobType==Backup")
    assert ids_of(res.find(q("Refs"))) == {made["ok"]["id"]}
    # BackupJobSession covers file share and agent backup sessions too
    res = query(em, type="backupjobsession", filter="result>=Success;result<Failed")
    assert ids_of(res.find(q("Refs"))) == {made["ok"]["id"], made["nas"]["id"], made["agent"]["id"]}
    res = query(em, type="BackupJobSession", filter='CreationTime>="2000-01-01T00:00:00Z";state!=Stopped')
    assert ids_of(res.find(q("Refs"))) == {made["run"]["id"]}
    res = query(em, type="BackupJobSession", filter='CreationTime<"2000-01-01T00:00:00Z"')
    assert len(res.find(q("Refs"))) == 0
    res = query(em, type="BackupJobSession", format="Entities",
                filter='(Name=="%s",JobName=="%s");Result!=Success' % (made["ok"]["name"], made["bad"]["name"]))
    ents = res.find(q("Entities")).find(q("BackupJobSessions"))
    assert [e.find(q("JobName")).text for e in ents] == [made["bad"]["name"]]
    from urllib.parse import urlencode
    j = em.json("/api/query?" + urlencode(dict(type="BackupJobSession", format="Entities",
                filter='(Name=="%s",JobName=="%s");Result!=Success' % (made["ok"]["name"], made["bad"]["name"]))),
                json_=True)
    same_data(to_plain(res), j)
    assert j["Entities"]["BackupJobSessions"]["BackupJobSessions"][0]["JobName"] == made["bad"]["name"]


def test_query_server_uid_and_types(em_data):
    srv, made = em_data
    em = EM(srv.base_url, "viewer")
    two = [r for r in em.xml("/api/backupServers") if r.get("Name") == "vbr-two"][0]
    res = query(em, type="BackupJobSession", filter="BackupServerUid==%s" % two.get("UID"))
    assert ids_of(res.find(q("Refs"))) == {made["bad"]["id"]}
    res = query(em, type="BackupJobSession", filter='BackupServerName=="vbr-two"')
    assert ids_of(res.find(q("Refs"))) == {made["bad"]["id"]}
    res = query(em, type="ReplicaJobSession")
    assert ids_of(res.find(q("Refs"))) == {made["rep"]["id"]}
    res = query(em, type="BackupTaskSession", format="Entities", filter="JobSessionUid==urn:veeam:BackupJobSession:%s"
                % made["ok"]["id"])
    assert ids_of(res.find(q("Entities")).find(q("BackupTaskSessions"))) == set(made["ok"]["tasks"])
    res = query(em, type="BackupJobSession", filter="UID==%s" % made["ok"]["id"])
    assert ids_of(res.find(q("Refs"))) == {made["ok"]["id"]}


def test_query_paging_and_sort(em_data):
    srv, made = em_data
    em = EM(srv.base_url, "viewer")
    names = []
    for page in (1, 2):
        res = query(em, type="BackupJobSession", filter="JobType==Backup", sortAsc="Name", pageSize=2, page=page)
        pi = res.find(q("PagingInfo"))
        assert pi.get("PagesCount") == "2" and pi.get("PageNum") == str(page) and pi.get("PageSize") == "2"
        rels = [l.get("Rel") for l in pi.find(q("Links"))]
        assert ("Next" in rels) == (page == 1) and ("Previous" in rels) == (page == 2)
        names += [r.get("Name") for r in res.find(q("Refs"))]
    assert len(names) == 3 and names == sorted(names, key=str.lower)
    res = query(em, type="BackupJobSession", filter="JobType==Backup", sortDesc="Name")
    assert [r.get("Name") for r in res.find(q("Refs"))] == sorted(names, key=str.lower, reverse=True)


@pytest.mark.parametrize("flt,pos,token", [
    ("Result=Failed", 7, "="),
    ("Result==Failed;", 16, ""),
    ("Nope==1", 1, "Nope"),
    ("(Result==Failed", 16, ""),
    ("Result==Failed)", 15, ")"),
    ('Name=="abc', 7, '"'),
    ("Result==Bogus", 9, "Bogus"),
    ("CreationTime>yesterday", 14, "yesterday"),
    ("IsRetry<true", 8, "<"),
])
def test_query_malformed_filter_points_at_token(em_data, flt, pos, token):
    srv, _ = em_data
    em = EM(srv.base_url, "viewer")
    from urllib.parse import urlencode
    r = em.req("GET", "/api/query?" + urlencode({"type": "BackupJobSession", "filter": flt}), status=400)
    msg = r.doc.get("Message")
    assert "position %d" % pos in msg, msg
    if token:
        assert "'%s'" % token in msg, msg
    else:
        assert "end of filter" in msg, msg
    j = em.req("GET", "/api/query?" + urlencode({"type": "BackupJobSession", "filter": flt}), json_=True,
               status=400).doc
    assert j["Message"] == msg and j["StatusCode"] == 400


def test_query_bad_params(em_data):
    srv, _ = em_data
    em = EM(srv.base_url, "viewer")
    em.req("GET", "/api/query", status=400)
    em.req("GET", "/api/query?type=Nope", status=400)
    em.req("GET", "/api/query?type=BackupJobSession&pageSize=-1", status=400)
    em.req("GET", "/api/query?type=BackupJobSession&sortAsc=Nope", status=400)
    em.req("GET", "/api/query?type=BackupJobSession&format=Entity", status=400)


def test_query_quoted_string_with_doubled_quotes(em_data):
    srv, _ = em_data
    rep = srv.api("reporter")
    s = new_session(rep, name='say "hi" now', sessionType="BackupJob")
    em = EM(srv.base_url, "viewer")
    res = query(em, type="BackupJobSession", filter='JobName=="say ""hi"" now"')
    assert ids_of(res.find(q("Refs"))) == {s["id"]}


# ---------------------------------------------------------------- stop

def test_stop_gives_task_and_vbr_shows_stopping(em_data):
    srv, made = em_data
    em = EM(srv.base_url, "operator")
    sid = made["run"]["id"]
    r = em.req("POST", "/api/backupSessions/%s?action=stop" % sid, status=202)
    task = r.doc
    assert local(task.tag) == "Task"
    assert task.find(q("Operation")).text == "StopJobSession"
    assert task.find(q("Result")).get("Success") == "true"
    tid = task.find(q("TaskId")).text
    assert [(l.get("Rel"), l.get("Type")) for l in task.find(q("Links"))] == [("Delete", "Task")]
    again = em.xml("/api/tasks/%s" % tid)
    assert again.find(q("TaskId")).text == tid
    same_data(to_plain(again), em.json("/api/tasks/%s" % tid))
    vbr = srv.api("viewer").get("/api/v1/sessions/%s" % sid, schema="SessionModel", status=200).body
    assert vbr["state"] == "Stopping"
    ent = em.xml("/api/backupSessions/%s?format=Entity" % sid)
    assert ent.find(q("State")).text == "Stopping"
    em.req("POST", "/api/backupSessions/%s?action=start" % sid, status=400)
    em.req("POST", "/api/backupSessions/%s?action=stop" % uuid.uuid4(), status=404)
    em.req("GET", "/api/tasks/task-999999", status=404)
    # a stopped session: the task reports the failure
    r = em.req("POST", "/api/backupSessions/%s?action=stop" % made["ok"]["id"], status=202)
    assert r.doc.find(q("Result")).get("Success") == "false"
