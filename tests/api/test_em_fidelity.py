"""Enterprise Manager field fidelity: links of task sessions in lists, what /api/backupSessions
lists, the Name shown in the query service, the links of references and logon sessions, and
the session endpoints EM documents (logonSessions, jobs/{id}/backupSessions,
replicaSessions/{id}/replicaTaskSessions, querySvc). Every XML body is validated against the
XSD (em_client.validate_xml) and compared with its JSON form."""
import uuid
from urllib.parse import urlencode, urlsplit

import pytest

from conftest import new_session
from em_client import EM, local, q, same_data, to_plain


@pytest.fixture(scope="module")
def fid(server_factory):
    srv = server_factory()
    rep = srv.api("reporter")
    tag = uuid.uuid4().hex[:6]
    made = {}

    def sess(key, stype, job, server="vbr-one", result=None, tasks=(), created=None, **kw):
        body = dict(name="%s run" % job, jobName=job, sessionType=stype, backupServer=server, **kw)
        if created:
            body["creationTime"] = created
        s = new_session(rep, **body)
        tids = []
        for tname in tasks:
            t = rep.post("/api/v1/sessions/%s/taskSessions" % s["id"], json={"name": tname, "type": "Backup"},
                         schema=False, status=201).body
            tids.append(t["id"])
        if result:
            rep.post("/api/v1/sessions/%s/complete" % s["id"], json={"result": result}, schema=False, status=200)
        made[key] = {"id": s["id"], "tasks": tids, "job": job}
        return s

    sess("b1", "BackupJob", "Alpha-" + tag, result="Success", tasks=["vm-1", "vm-2"],
         created="2031-01-02T03:04:05.678Z")
    sess("b2", "BackupJob", "alpha-" + tag, server="vbr-two", result="Failed", tasks=["vm-3"],
         created="2031-01-02T03:04:06Z")
    sess("b3", "BackupJob", "Beta@home-" + tag, tasks=["vm-4"], created="2031-01-01T00:00:00Z")
    sess("r1", "ReplicaJob", "Gamma-" + tag, result="Success", tasks=["vm-r"])
    sess("nas", "NasBackup", "Shares-" + tag, result="Warning", tasks=["share-1"])
    sess("agent", "AgentBackup", "Laptops-" + tag, tasks=["laptop-1"])
    return srv, made, tag


def links(el):
    return [(l.get("Rel"), l.get("Type"), l.get("Name"), l.get("Href")) for l in el.find(q("Links"))]


def path(href):
    u = urlsplit(href)
    return u.path + ("?" + u.query if u.query else "")


# ---------------------------------------------------------------- 9: task sessions in lists

@pytest.mark.parametrize("coll,etype", [("backupTaskSessions", "BackupTaskSession"),
                                        ("replicaTaskSessions", "ReplicaTaskSession")])
def test_task_entities_in_lists_carry_the_entity_links(fid, coll, etype):
    srv, made, tag = fid
    em = EM(srv.base_url, "viewer")
    ents = em.xml("/api/%s?format=Entity" % coll)
    assert local(ents.tag) == etype + "s" and len(ents)
    mine = 0
    for t in ents:
        one = em.xml(path(t.get("Href")))
        assert local(one.tag) == etype
        assert links(t) == links(one)
        ls = links(t)
        assert [(rel, typ) for rel, typ, _, _ in ls] == [
            ("Up", "BackupServerReference"), ("Up", ("Replica" if etype.startswith("Replica") else "Backup") +
                                              "JobSessionReference"), ("Alternate", etype + "Reference")]
        session = em.xml(path(ls[1][3]))
        assert ls[1][2] == session.get("Name") and "@" in ls[1][2]
        server = em.xml(path(ls[0][3]))
        assert ls[0][2] == server.get("Name")
        mine += t.get("UID").rsplit(":", 1)[1] in {tid for m in made.values() for tid in m["tasks"]}
    assert mine == len([tid for k, m in made.items() for tid in m["tasks"]
                        if (k == "r1") == (etype == "ReplicaTaskSession")])
    same_data(to_plain(ents), em.json("/api/%s?format=Entity" % coll))


def test_task_entities_of_one_session_carry_the_same_links(fid):
    srv, made, tag = fid
    em = EM(srv.base_url, "viewer")
    sid = made["b2"]["id"]
    for t in em.xml("/api/backupSessions/%s/taskSessions?format=Entity" % sid):
        ls = links(t)
        assert ls[0][:3] == ("Up", "BackupServerReference", "vbr-two")
        assert ls[1][0] == "Up" and path(ls[1][3]) == "/api/backupSessions/" + sid
        assert ls == links(em.xml(path(t.get("Href"))))


# ---------------------------------------------------------------- 10: what /api/backupSessions lists

def test_backup_sessions_list_file_share_and_agent_sessions(fid):
    srv, made, tag = fid
    em = EM(srv.base_url, "operator")
    refs = em.xml("/api/backupSessions")
    ids = {r.get("UID").rsplit(":", 1)[1]: r for r in refs}
    for key in ("b1", "b2", "b3", "nas", "agent"):
        assert made[key]["id"] in ids, key
    assert made["r1"]["id"] not in ids
    for key, jt in (("nas", "NasBackup"), ("agent", "AgentBackup")):
        sid = made[key]["id"]
        ref = ids[sid]
        assert ref.get("Type") == "BackupJobSessionReference"
        assert path(ref.get("Href")) == "/api/backupSessions/" + sid
        ent = em.xml("/api/backupSessions/%s?format=Entity" % sid)
        assert local(ent.tag) == "BackupJobSession" and ent.find(q("JobType")).text == jt
        # its own collection still has it, under the same Href
        own = "nas/backupSessions" if key == "nas" else "agents/backupSessions"
        assert sid in {r.get("UID").rsplit(":", 1)[1] for r in em.xml("/api/" + own)}
    ents = em.xml("/api/backupSessions?format=Entity")
    assert {e.find(q("JobType")).text for e in ents} >= {"Backup", "NasBackup", "AgentBackup"}
    same_data(to_plain(ents), em.json("/api/backupSessions?format=Entity"))
    r = em.req("POST", "/api/backupSessions/%s?action=stop" % made["agent"]["id"], status=202)
    assert r.doc.find(q("Result")).get("Success") == "true"
    # a replica session is not a backup session
    em.req("GET", "/api/backupSessions/%s" % made["r1"]["id"], status=404)


# ---------------------------------------------------------------- 11: Name as shown

def query_refs(em, **params):
    res = em.xml("/api/query?" + urlencode(params))
    return [r.get("Name") for r in res.find(q("Refs"))], res


def shown(em, key, made):
    return em.xml("/api/backupSessions/%s" % made[key]["id"]).get("Name")


def test_query_filters_name_on_the_name_shown(fid):
    srv, made, tag = fid
    em = EM(srv.base_url, "viewer")
    b1 = shown(em, "b1", made)
    assert b1 == "Alpha-%s@2031-01-02 03:04:05" % tag
    names, res = query_refs(em, type="BackupJobSession", filter='Name=="%s"' % b1)
    assert names == [b1]
    same_data(to_plain(res), em.json("/api/query?" + urlencode(dict(type="BackupJobSession",
                                                                    filter='Name=="%s"' % b1))))
    # case-insensitive, like every text comparison of the filter
    assert query_refs(em, type="BackupJobSession", filter='Name=="%s"' % b1.upper())[0] == [b1]
    # a job name containing '@' splits at the last one
    b3 = shown(em, "b3", made)
    assert query_refs(em, type="BackupJobSession", filter='Name=="%s"' % b3)[0] == [b3]
    # the stored session name is not the Name shown
    assert query_refs(em, type="BackupJobSession", filter='Name=="Alpha-%s run"' % tag)[0] == []
    assert query_refs(em, type="BackupJobSession", filter='Name=="Alpha-%s"' % tag)[0] == []
    others, _ = query_refs(em, type="BackupJobSession", filter='Name!="%s";JobName=="alpha-%s"' % (b1, tag))
    assert others == [shown(em, "b2", made)]
    # comparisons: (job name, time) pairs; b1 and b2 share the job name up to case, b2 a second later
    b2 = shown(em, "b2", made)
    assert query_refs(em, type="BackupJobSession", filter='Name>"%s";Name<"Alpha-%s@2099-01-01 00:00:00"'
                      % (b1, tag))[0] == [b2]
    assert sorted(query_refs(em, type="BackupJobSession", filter='Name>="%s";Name<="%s"' % (b1, b2))[0]) == \
        sorted([b1, b2])
    assert query_refs(em, type="BackupJobSession", filter='Name<"%s";JobName=="alpha-%s"' % (b2, tag))[0] == [b1]
    # a bare job name sorts before its sessions
    got, _ = query_refs(em, type="BackupJobSession", filter='Name>="alpha-%s";Name<"alpha-%s~"' % (tag, tag))
    assert sorted(got) == sorted([b1, b2])


def test_query_sorts_name_by_job_then_time(fid):
    srv, made, tag = fid
    em = EM(srv.base_url, "viewer")
    flt = ",".join('JobName=="%s"' % made[k]["job"] for k in ("b1", "b2", "b3", "nas", "agent"))
    asc, _ = query_refs(em, type="BackupJobSession", filter=flt, sortAsc="Name")
    want = sorted(asc, key=lambda n: (n.rsplit("@", 1)[0].lower(), n.rsplit("@", 1)[1]))
    assert asc == want and len(asc) == 5
    assert asc[0].startswith("Alpha-") and asc[1].startswith("alpha-")  # same job name: by time
    desc, _ = query_refs(em, type="BackupJobSession", filter=flt, sortDesc="Name")
    assert desc == list(reversed(asc))
    paged = []
    for page in (1, 2, 3):
        paged += query_refs(em, type="BackupJobSession", filter=flt, sortAsc="Name", pageSize=2, page=page)[0]
    assert paged == asc


# ---------------------------------------------------------------- 12: links of references and logons

def test_backup_session_reference_links(fid):
    srv, made, tag = fid
    em = EM(srv.base_url, "viewer")
    sid = made["b1"]["id"]
    ref = em.xml("/api/backupSessions/%s" % sid)
    assert local(ref.tag) == "EntityRef"
    ls = links(ref)
    assert [(rel, typ) for rel, typ, _, _ in ls] == [
        ("Up", "BackupServerReference"), ("Up", "JobReference"), ("Alternate", "BackupJobSession"),
        ("Down", "BackupTaskSessionReferenceList")]
    assert ls[1][2] == made["b1"]["job"]
    assert path(ls[3][3]) == "/api/backupSessions/%s/taskSessions" % sid
    for rel, typ, name, href in ls:
        em.req("GET", path(href))
    # the same Ref in the list
    listed = [r for r in em.xml("/api/backupSessions") if r.get("UID").endswith(sid)][0]
    assert links(listed) == ls
    same_data(to_plain(ref), em.json("/api/backupSessions/%s" % sid))
    rref = em.xml("/api/replicaSessions/%s" % made["r1"]["id"])
    down = [l for l in links(rref) if l[0] == "Down"]
    assert down and down[0][1] == "ReplicaTaskSessionReferenceList"
    assert path(down[0][3]).endswith("/replicaTaskSessions")
    assert len(em.xml(path(down[0][3]))) == 1


LOGON_DOWN = {"/api/backupServers": "BackupServerReferenceList", "/api/jobs": "JobReferenceList",
              "/api/backupSessions": "BackupJobSessionReferenceList",
              "/api/replicaSessions": "ReplicaJobSessionReferenceList",
              "/api/restoreSessions": "RestoreSessionReferenceList",
              "/api/backupTaskSessions": "BackupTaskSessionReferenceList",
              "/api/replicaTaskSessions": "ReplicaTaskSessionReferenceList",
              "/api/tasks": "TaskList", "/api/querySvc": "QueryService", "/api/jobs?format=Entity": "JobList",
              "/api/backupSessions?format=Entity": "BackupJobSessionList"}


def test_logon_session_links(fid):
    srv, made, tag = fid
    em = EM(srv.base_url, "viewer")
    ls = links(em.xml("/api/logonSessions/%s" % em.sid))
    assert ls[0][:2] == ("Up", "EnterpriseManager")
    assert ls[-1][:2] == ("Delete", "LogonSession")
    assert path(ls[-1][3]) == "/api/logonSessions/%s" % em.sid
    down = {path(h): t for rel, t, _, h in ls if rel == "Down"}
    for p, t in LOGON_DOWN.items():
        assert down.get(p) == t, p
    assert all(t != "EntityReferenceListType" for t in down.values())
    # the documented order: the caller's tasks right before the query service
    order = [path(h) for rel, _, _, h in ls if rel == "Down"]
    assert order.index("/api/tasks") + 1 == order.index("/api/querySvc")
    for p in down:
        r = em.req("GET", p, status=None)
        assert r.status_code == 200, (p, r.status_code, r.text[:200])
    svc = em.xml("/api/querySvc")
    assert local(svc.tag) == "QuerySvc" and svc.get("Type") == "QueryService"
    for rel, t, name, h in links(svc):
        if rel == "Down":
            em.req("GET", path(h))
    same_data(to_plain(svc), em.json("/api/querySvc"))


# ---------------------------------------------------------------- 13: the session endpoints

def test_logon_sessions_list(fid):
    srv, made, tag = fid
    v1 = EM(srv.base_url, "viewer")
    v2 = EM(srv.base_url, "viewer")
    adm = EM(srv.base_url, "admin")
    mine = v2.xml("/api/logonSessions")
    assert local(mine.tag) == "LogonSessions"
    sids = [s.find(q("SessionId")).text for s in mine]
    assert sids[0] == v2.sid and v1.sid in sids and adm.sid not in sids
    assert {s.find(q("UserName")).text for s in mine} == {"viewer"}
    same_data(to_plain(mine), v2.json("/api/logonSessions"))
    every = adm.xml("/api/logonSessions")
    sids = [s.find(q("SessionId")).text for s in every]
    assert sids[0] == adm.sid and {v1.sid, v2.sid} <= set(sids) and len(sids) == len(set(sids))
    v1.req("DELETE", "/api/logonSessions/%s" % v1.sid, status=204)
    assert v1.sid not in [s.find(q("SessionId")).text for s in adm.xml("/api/logonSessions")]


def test_job_backup_sessions(fid):
    srv, made, tag = fid
    em = EM(srv.base_url, "viewer")
    ent = em.xml("/api/backupSessions/%s?format=Entity" % made["b1"]["id"])
    job_href = [l for l in links(ent) if l[1] == "JobReference"][0][3]
    refs = em.xml(path(job_href) + "/backupSessions")
    assert local(refs.tag) == "EntityReferences"
    assert [r.get("UID").rsplit(":", 1)[1] for r in refs] == [made["b1"]["id"]]
    ents = em.xml(path(job_href) + "/backupSessions?format=Entity")
    assert local(ents.tag) == "BackupJobSessions" and len(ents) == 1
    same_data(to_plain(ents), em.json(path(job_href) + "/backupSessions?format=Entity"))
    jid = job_href.rsplit("/", 1)[1]
    em.req("GET", "/api/jobs/urn:veeam:Job:%s/backupSessions" % jid)


def test_replica_task_sessions_of_a_replica_session(fid):
    srv, made, tag = fid
    em = EM(srv.base_url, "viewer")
    rid = made["r1"]["id"]
    ents = em.xml("/api/replicaSessions/%s/replicaTaskSessions?format=Entity" % rid)
    assert local(ents.tag) == "ReplicaTaskSessions"
    assert [t.get("UID").rsplit(":", 1)[1] for t in ents] == made["r1"]["tasks"]
    same_data(to_plain(ents), em.json("/api/replicaSessions/%s/replicaTaskSessions?format=Entity" % rid))


@pytest.mark.parametrize("method,p,status", [
    ("GET", "/api/jobs/not-a-uuid/backupSessions", 400),
    ("GET", "/api/jobs/{unknown}/backupSessions", 404),
    ("GET", "/api/jobs/{job}/backupSessions?format=Everything", 400),
    ("GET", "/api/replicaSessions/{b1}/replicaTaskSessions", 404),
    ("GET", "/api/replicaSessions/nope/replicaTaskSessions", 400),
    ("GET", "/api/replicaSessions/{r1}/replicaTaskSessions?format=x", 400),
    ("POST", "/api/logonSessions", 405),
    ("GET", "/api/query?type=BackupJobSession&filter=Name<", 400),
    ("GET", "/api/query?type=BackupJobSession&sortAsc=Name&pageSize=x", 400),
])
def test_bad_input_on_the_new_endpoints(fid, method, p, status):
    srv, made, tag = fid
    em = EM(srv.base_url, "viewer")
    ent = em.xml("/api/backupSessions/%s?format=Entity" % made["b1"]["id"])
    job = [l for l in links(ent) if l[1] == "JobReference"][0][3].rsplit("/", 1)[1]
    p = p.format(job=job, b1=made["b1"]["id"], r1=made["r1"]["id"], unknown=uuid.uuid4())
    before = em.xml("/api/backupSessions?format=Entity")
    r = em.req(method, p, status=status)
    assert local(r.doc.tag) == "Error" and r.doc.get("StatusCode") == str(status) and r.doc.get("Message")
    j = em.req(method, p, status=status, json_=True).doc
    assert j["StatusCode"] == status and j["Message"] == r.doc.get("Message")
    after = em.xml("/api/backupSessions?format=Entity")
    assert same_data(to_plain(before), to_plain(after)) is None
