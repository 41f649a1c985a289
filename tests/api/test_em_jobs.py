"""Enterprise Manager jobs (derived from sessions) and links that resolve (issue 3 follow-up)."""
import uuid
from urllib.parse import urlsplit

import pytest
import requests

from conftest import new_session
from em_client import EM, local, q, same_data, to_plain, validate_xml


@pytest.fixture(scope="module")
def jobs_data(server_factory):
    srv = server_factory()
    rep = srv.api("reporter")
    tag = uuid.uuid4().hex[:6]
    made = {}

    def sess(key, stype, job=None, server="vbr-one", result=None, tasks=(), **kw):
        name = "%s-%s" % (key, tag)
        s = new_session(rep, name=name, jobName=job or name, sessionType=stype, backupServer=server, **kw)
        for tname in tasks:
            t = rep.post("/api/v1/sessions/%s/taskSessions" % s["id"],
                         json={"name": tname, "type": "Backup", "restorePointId": str(uuid.uuid4())},
                         schema=False, status=201).body
            rep.post("/api/v1/taskSessions/%s/complete" % t["id"], json={"result": "Success"}, schema=False,
                     status=200)
        if result:
            rep.post("/api/v1/sessions/%s/complete" % s["id"], json={"result": result}, schema=False, status=200)
        made[key] = s
        return s

    # two runs of one backup job: the job shows once, from its newest session
    sess("nightly-1", "BackupJob", job="nightly-" + tag, result="Success", tasks=["vm-a"],
         platformName="VMware")
    sess("nightly-2", "BackupJob", job="nightly-" + tag, server="vbr-two", result="Failed", tasks=["vm-b"],
         platformName="VMware")
    sess("rep", "ReplicaJob", result="Success", tasks=["vm-r"])
    sess("nas", "NasBackup", result="Warning")
    sess("restore", "RestoreVm", result="Success")
    sess("sys", "DatabaseMaintenance", result="Success")
    # an info block of any shape is kept as given; EM shows none of it
    sess("odd", "BackupJob", result="Success",
         backupJobInfo={"policyName": ["<&>", {"x": "\u0001\u0002 ]]>"}], "protectedInstancesCount": "x",
                        "policyId": {"nested": True}, "unknown\u0007": 1e308})
    return srv, made, EM(srv.base_url, "viewer")


def job_uuid(s):
    return s.get("jobId") or s.get("activityId")


def test_jobs_list_references(jobs_data):
    srv, made, em = jobs_data
    root = em.xml("/api/jobs")
    assert local(root.tag) == "EntityReferences"
    refs = {r.get("Name"): r for r in root}
    tag = made["rep"]["name"].split("-", 1)[1]
    assert set(refs) == {"nightly-" + tag, "rep-" + tag, "nas-" + tag, "restore-" + tag, "odd-" + tag}
    nightly = refs["nightly-" + tag]
    assert nightly.get("UID") == "urn:veeam:Job:%s" % job_uuid(made["nightly-1"])
    assert job_uuid(made["nightly-1"]) == job_uuid(made["nightly-2"])
    assert nightly.get("Type") == "JobReference"
    links = {l.get("Rel"): l for l in nightly.iter(q("Link"))}
    # the newest session's server
    assert links["Up"].get("Name") == "vbr-two" and links["Up"].get("Type") == "BackupServerReference"
    assert links["Alternate"].get("Href") == nightly.get("Href") + "?format=Entity"
    j = em.json("/api/jobs")
    same_data(to_plain(root), j)


def test_jobs_list_entities_and_one_job(jobs_data):
    srv, made, em = jobs_data
    root = em.xml("/api/jobs?format=Entity")
    assert local(root.tag) == "Jobs"
    by_name = {j.get("Name"): j for j in root}
    tag = made["rep"]["name"].split("-", 1)[1]
    nightly = by_name["nightly-" + tag]
    assert nightly.find(q("JobType")).text == "Backup"
    assert nightly.find(q("Platform")).text == "VMware"
    assert by_name["rep-" + tag].find(q("JobType")).text == "Replica"
    assert by_name["rep-" + tag].find(q("Platform")) is None
    same_data(to_plain(root), em.json("/api/jobs?format=Entity"))

    jid = job_uuid(made["nightly-1"])
    one = em.xml("/api/jobs/%s?format=Entity" % jid)
    assert local(one.tag) == "Job" and one.get("UID") == "urn:veeam:Job:" + jid
    # the XSD order: JobType before Platform
    assert [local(c.tag) for c in one] == ["Links", "JobType", "Platform"]
    same_data(to_plain(one), em.json("/api/jobs/%s?format=Entity" % jid))
    ref = em.xml("/api/jobs/urn:veeam:Job:%s" % jid)
    assert local(ref.tag) == "EntityRef" and ref.get("Type") == "JobReference"
    # Down: the job's sessions, /api/jobs/{id}/backupSessions as documented
    down = [l.get("Href") for l in one.iter(q("Link")) if l.get("Rel") == "Down"]
    assert len(down) == 1 and down[0].endswith("/api/jobs/%s/backupSessions" % jid)
    got = em.xml(urlsplit(down[0])._replace(scheme="", netloc="").geturl())
    assert local(got.tag) == "EntityReferences"
    assert {r.get("UID").rsplit(":", 1)[1] for r in got} == \
        {made["nightly-1"]["id"], made["nightly-2"]["id"]}


def test_session_up_link_is_its_job(jobs_data):
    srv, made, em = jobs_data
    for key, coll in [("nightly-1", "backupSessions"), ("rep", "replicaSessions"), ("restore", "restoreSessions"),
                      ("nas", "nas/backupSessions")]:
        s = em.xml("/api/%s/%s?format=Entity" % (coll, made[key]["id"]))
        up = [l for l in s.iter(q("Link")) if l.get("Type") == "JobReference"]
        assert len(up) == 1, key
        job = em.xml(urlsplit(up[0].get("Href")).path)
        assert job.get("Name") == s.find(q("JobName")).text
        assert job.get("UID") == s.find(q("JobUid")).text


def test_system_sessions_are_no_jobs(jobs_data):
    srv, made, em = jobs_data
    em.req("GET", "/api/jobs/%s" % job_uuid(made["sys"]), status=404)


@pytest.mark.parametrize("path,status", [
    ("/api/jobs/{unknown}", 404), ("/api/jobs/not-a-uuid", 400), ("/api/jobs?format=Everything", 400),
    ("/api/jobs/{unknown}?format=Nope", 400)])
def test_job_errors(jobs_data, path, status):
    srv, made, em = jobs_data
    r = em.req("GET", path.format(unknown=uuid.uuid4()), status=status)
    assert r.doc.get("StatusCode") == str(status)


def test_jobs_need_read(jobs_data):
    srv, made, em = jobs_data
    EM(srv.base_url, "reporter").req("GET", "/api/jobs", status=403)
    assert requests.get(srv.base_url + "/api/jobs").status_code == 401


def test_info_blocks_never_reach_em(jobs_data):
    srv, made, em = jobs_data
    sid = made["odd"]["id"]
    for path in ["/api/backupSessions/%s?format=Entity" % sid, "/api/backupSessions?format=Entity",
                 "/api/query?type=BackupJobSession&format=Entities", "/api/jobs?format=Entity"]:
        x = em.req("GET", path)       # validated against the XSD
        assert "policyName" not in x.text and "<&>" not in x.text
        j = em.req("GET", path, json_=True)
        assert "policyName" not in j.text
        same_data(to_plain(x.doc), j.doc)


# ---------------------------------------------------------------- query service

def query_names(em, qs):
    root = em.xml("/api/query?type=Job&" + qs)
    return [r.get("Name") for r in root.find(q("Refs"))], root


def test_query_jobs(jobs_data):
    srv, made, em = jobs_data
    tag = made["rep"]["name"].split("-", 1)[1]
    listed = [r.get("Name") for r in em.xml("/api/jobs")]
    names, root = query_names(em, "")
    assert names == listed and len(names) == 5
    assert root.find(q("PagingInfo")).get("PagesCount") == "1"
    # a filter keeps the jobs with a matching session; each shows as /api/jobs shows it
    names, _ = query_names(em, "filter=JobType==Replica")
    assert names == ["rep-" + tag]
    names, _ = query_names(em, "filter=BackupServerName==vbr-one;JobType==Backup")
    assert names == ["nightly-" + tag, "odd-" + tag]      # nightly ran on vbr-one before vbr-two
    jid = job_uuid(made["nightly-1"])
    names, _ = query_names(em, "filter=UID==urn:veeam:Job:%s" % jid)
    assert names == ["nightly-" + tag]
    names, _ = query_names(em, "filter=Name==nothing-like-this")
    assert names == []
    # sorting and paging
    names, _ = query_names(em, "sortDesc=Name")
    assert names == sorted(listed, key=str.lower, reverse=True)
    names, _ = query_names(em, "sortAsc=JobType")
    types = [em.xml("/api/query?type=Job&format=Entities&filter=Name==%s" % n).find(q("Entities"))
             .find(q("Jobs"))[0].find(q("JobType")).text for n in names]
    assert types == sorted(types)
    pages = []
    for page in (1, 2, 3):
        names, root = query_names(em, "sortAsc=Name&pageSize=2&page=%d" % page)
        assert root.find(q("PagingInfo")).get("PagesCount") == "3"
        pages += names
    assert pages == sorted(listed, key=str.lower)
    ent = em.xml("/api/query?type=Job&format=Entities&filter=JobType==Backup")
    assert {j.get("Name") for j in ent.find(q("Entities")).find(q("Jobs"))} == {"nightly-" + tag, "odd-" + tag}
    same_data(to_plain(ent), em.json("/api/query?type=Job&format=Entities&filter=JobType==Backup"))


@pytest.mark.parametrize("qs", ["sortAsc=CreationTime", "filter=State==Working", "filter=Name=~x"])
def test_query_jobs_bad_input(jobs_data, qs):
    srv, made, em = jobs_data
    r = em.req("GET", "/api/query?type=Job&" + qs, status=400)
    assert r.doc.get("StatusCode") == "400"


# ---------------------------------------------------------------- every link resolves

POST_ONLY = {"Stop", "Create"}


def test_every_link_resolves(jobs_data):
    """Crawls from the root and the logon session through collections, entities and
    references (both as XML and JSON), following every Href with GET: none is a 404."""
    srv, made, em = jobs_data
    base = srv.base_url
    start = ["/api/", "/api/logonSessions/%s" % em.sid, "/api/jobs?format=Entity", "/api/backupServers?format=Entity",
             "/api/backupTaskSessions?format=Entity", "/api/replicaTaskSessions?format=Entity",
             "/api/systemSessions?format=Entity", "/api/query?type=BackupJobSession&pageSize=1",
             "/api/query?type=BackupTaskSession&format=Entities", "/api/query?type=Job&format=Entities&pageSize=2"]
    for coll in ["backupSessions", "replicaSessions", "nas/backupSessions", "agents/backupSessions",
                 "restoreSessions"]:
        start += ["/api/%s" % coll, "/api/%s?format=Entity" % coll]
    seen, todo, followed, rels = set(), list(start), 0, set()
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        r = em.req("GET", path, status=None)
        assert r.status_code != 404, "%s -> 404 %s" % (path, r.text[:300])
        assert r.status_code < 500, "%s -> %d" % (path, r.status_code)
        if r.status_code != 200:
            continue
        followed += 1
        for link in validate_xml(r.text).iter(q("Link")):
            href, rel = link.get("Href"), link.get("Rel")
            rels.add(rel)
            assert href.startswith(base + "/api/"), href
            if rel in POST_ONLY:
                continue
            u = urlsplit(href)
            todo.append(u.path + ("?" + u.query if u.query else ""))
        if len(seen) > 400:
            break
    assert followed > 40
    assert {"Up", "Down", "Alternate"} <= rels


def test_no_restore_point_links(jobs_data):
    """/api/vmRestorePoints does not exist here, so task sessions link no restore point."""
    srv, made, em = jobs_data
    for t in em.xml("/api/backupTaskSessions?format=Entity"):
        assert all(l.get("Rel") != "Related" for l in t.iter(q("Link")))
