"""The backup estate in the Enterprise Manager dialect: backup servers, repositories, jobs
(declared and seen, core/jobs.h), file share jobs, backups, restore points, discovered
computers, the summary reports and the query service's estate types. Seeded through the
ingest API and sessions; every XML body is validated against the XSD (em_client), every
JSON body carries the same data, and every link resolves."""
import uuid
from urllib.parse import urlsplit

import pytest
import requests

from conftest import new_session
from em_client import EM, local, q, same_data, to_plain, validate_xml


def put(rep, kind, body, oid=None):
    oid = oid or str(uuid.uuid4())
    rep.put("/api/v1/estate/%s/%s" % (kind, oid), json=body, schema=False, status=200)
    return oid


def path(href):
    u = urlsplit(href)
    return u.path + ("?" + u.query if u.query else "")


def links(el):
    """(Rel, Type, Name, Href) of el's own Links, in order."""
    ls = el.find(q("Links"))
    return [] if ls is None else [(l.get("Rel"), l.get("Type"), l.get("Name"), l.get("Href")) for l in ls]


def both(em, p):
    """The XML document at p, after checking the JSON answer carries the same data."""
    x = em.xml(p)
    same_data(to_plain(x), em.json(p))
    return x


@pytest.fixture(scope="module")
def est(server_factory):
    srv = server_factory()
    rep = srv.api("reporter")
    t = uuid.uuid4().hex[:6]
    d = {"tag": t}
    put(rep, "backupServer", {"name": "vbr-remote-" + t, "version": "12.1.2.172", "port": 9401,
                              "description": "remote site"})
    d["repoA"] = put(rep, "repository", {"name": "RepoA-" + t, "capacityBytes": 1000, "freeBytes": 400,
                                          "type": "LinuxLocal", "path": "/srv/a"})
    d["repoB"] = put(rep, "repository", {"name": "RepoB-" + t, "capacityBytes": 2000, "freeBytes": 1500})
    d["repoC"] = put(rep, "repository", {"name": "RepoC-" + t})
    d["proxy"] = put(rep, "proxy", {"name": "proxy-" + t, "type": "ViProxy"})
    # a declared job that ran (joined to its sessions by name) and one that never ran
    d["nightly"] = put(rep, "job", {"name": "Nightly-" + t, "type": "BackupJob", "schedule": "0 22 * * *",
                                    "repository": "RepoA-" + t, "objects": ["vm1-" + t, "vm2-" + t],
                                    "description": "every night"})
    d["weekly"] = put(rep, "job", {"name": "Weekly-" + t, "type": "ReplicaJob", "schedule": "0 1 * * 0"})
    d["off"] = put(rep, "job", {"name": "Off-" + t, "type": "BackupJob", "schedule": "0 3 * * *", "disabled": True})
    d["backup"] = put(rep, "backup", {"name": "Nightly-%s backup" % t, "parentId": d["nightly"],
                                      "repository": "RepoA-" + t, "platform": "VMware"})
    d["rp1"], d["rp2"] = str(uuid.uuid4()), str(uuid.uuid4())
    s = new_session(rep, name="Nightly-" + t, jobName="Nightly-" + t, sessionType="BackupJob",
                    platformName="VMware")
    d["sess"] = s
    tasks = []
    for vm, rp, res in [("vm1-" + t, d["rp1"], "Success"), ("vm2-" + t, d["rp2"], "Warning")]:
        tk = rep.post("/api/v1/sessions/%s/taskSessions" % s["id"],
                      json={"name": vm, "type": "Backup", "restorePointId": rp}, schema=False, status=201).body
        rep.post("/api/v1/taskSessions/%s/complete" % tk["id"], json={"result": res}, schema=False, status=200)
        tasks.append(tk)
    rep.post("/api/v1/sessions/%s/complete" % s["id"], json={"result": "Warning"}, schema=False, status=200)
    d["tasks"] = tasks
    put(rep, "restorePoint", {"name": "vm1-%s@1" % t, "parentId": d["backup"], "object": "vm1-" + t,
                              "time": "2026-11-30T22:05:00Z", "pointType": "Full", "sizeBytes": 100,
                              "sessionId": s["id"]}, d["rp1"])
    put(rep, "restorePoint", {"name": "vm2-%s@1" % t, "parentId": d["backup"], "object": "vm2-" + t,
                              "time": "2026-11-30T22:07:00Z", "pointType": "Increment", "sizeBytes": 30}, d["rp2"])
    d["rp3"] = put(rep, "restorePoint", {"name": "vm1-%s@0" % t, "object": "vm1-" + t, "job": "Nightly-" + t,
                                         "time": "2026-11-29T22:05:00Z", "pointType": "Increment",
                                         "sizeBytes": 20, "repository": "RepoB-" + t})
    put(rep, "protectedObject", {"name": "vm1-" + t, "type": "Vm", "sizeBytes": 500})
    put(rep, "protectedObject", {"name": "vm2-" + t, "type": "Vm", "sizeBytes": 700})
    d["laptop"] = put(rep, "protectedObject", {"name": "laptop-" + t, "type": "Computer", "platform": "Windows"})
    put(rep, "protectedObject", {"name": "share-" + t, "type": "Share"})
    put(rep, "replica", {"name": "vm1-%s_replica" % t, "object": "vm1-" + t})
    # a file share job seen only in sessions, still running
    d["nas"] = new_session(rep, name="Shares-" + t, sessionType="NasBackup", backupServer="vbr-remote-" + t)
    return srv, d, EM(srv.base_url, "viewer")


# ---------------------------------------------------------------- backup servers

def test_backup_servers(est):
    srv, d, em = est
    t = d["tag"]
    refs = both(em, "/api/backupServers")
    names = [r.get("Name") for r in refs]
    assert "vbr-remote-" + t in names and len(names) == len(set(names)) >= 2
    ent = both(em, "/api/backupServers?format=Entity")
    by = {s.get("Name"): s for s in ent}
    remote = by["vbr-remote-" + t]
    assert remote.find(q("Version")).text == "12.1.2.172"
    assert remote.find(q("Port")).text == "9401"
    assert remote.find(q("Description")).text == "remote site"
    # the documented links: reference Down jobs, Down repositories, Alternate
    r0 = [r for r in refs if r.get("Name") == "vbr-remote-" + t][0]
    assert [(rel, ty) for rel, ty, _, _ in links(r0)] == [
        ("Down", "JobReferenceList"), ("Down", "RepositoryReferenceList"), ("Alternate", "BackupServer")]
    assert [(rel, ty) for rel, ty, _, _ in links(remote)][:3] == [
        ("Alternate", "BackupServerReference"), ("Down", "JobReferenceList"), ("Down", "RepositoryReferenceList")]
    one = both(em, path(r0.get("Href")) + "?format=Entity")
    assert local(one.tag) == "BackupServer" and one.get("Name") == "vbr-remote-" + t


def test_server_jobs_and_repositories(est):
    srv, d, em = est
    t = d["tag"]
    by = {r.get("Name"): r for r in em.xml("/api/backupServers")}
    remote = by.pop("vbr-remote-" + t)
    # the remote server ran the file share job; it holds no repository
    jobs = both(em, path(remote.get("Href")) + "/jobs")
    assert [j.get("Name") for j in jobs] == ["Shares-" + t]
    assert len(both(em, path(remote.get("Href")) + "/repositories")) == 0
    # sessiond itself holds every reported repository and the declared jobs
    own = [r for n, r in by.items() if em.xml(path(r.get("Href")) + "/repositories").find(q("Ref")) is not None]
    assert len(own) == 1
    repos = both(em, path(own[0].get("Href")) + "/repositories")
    assert {"RepoA-" + t, "RepoB-" + t, "RepoC-" + t} <= {r.get("Name") for r in repos}
    names = {j.get("Name") for j in em.xml(path(own[0].get("Href")) + "/jobs")}
    assert {"Nightly-" + t, "Weekly-" + t, "Off-" + t} <= names and "Shares-" + t not in names


# ---------------------------------------------------------------- repositories

def test_repositories(est):
    srv, d, em = est
    t = d["tag"]
    refs = both(em, "/api/repositories")
    assert local(refs.tag) == "EntityReferences"
    mine = [r for r in refs if r.get("Name").endswith(t)]
    assert [r.get("Name") for r in mine] == ["RepoA-" + t, "RepoB-" + t, "RepoC-" + t]
    a = mine[0]
    assert a.get("UID") == "urn:veeam:Repository:" + d["repoA"] and a.get("Type") == "RepositoryReference"
    assert [(rel, ty) for rel, ty, _, _ in links(a)] == [
        ("Up", "BackupServerReference"), ("Alternate", "Repository"), ("Down", "BackupReferenceList")]
    ent = both(em, "/api/repositories?format=Entity")
    by = {r.get("Name"): r for r in ent}
    assert by["RepoA-" + t].find(q("Capacity")).text == "1000"
    assert by["RepoA-" + t].find(q("FreeSpace")).text == "400"
    # nobody reported RepoC's capacity: the neutral 0 (docs/ESTATE.md)
    assert by["RepoC-" + t].find(q("Capacity")).text == "0"
    one = both(em, "/api/repositories/%s?format=Entity" % d["repoA"])
    assert local(one.tag) == "Repository" and [local(c.tag) for c in one] == ["Links", "Capacity", "FreeSpace"]
    ref = both(em, "/api/repositories/urn:veeam:Repository:%s" % d["repoA"])
    assert local(ref.tag) == "EntityRef"
    backups = both(em, "/api/repositories/%s/backups" % d["repoA"])
    assert [b.get("UID") for b in backups] == ["urn:veeam:Backup:" + d["backup"]]
    assert len(em.xml("/api/repositories/%s/backups" % d["repoB"])) == 0


# ---------------------------------------------------------------- jobs

def test_jobs_declared_and_seen(est):
    srv, d, em = est
    t = d["tag"]
    ent = both(em, "/api/jobs?format=Entity")
    by = {j.get("Name"): j for j in ent}
    nightly, weekly, off = by["Nightly-" + t], by["Weekly-" + t], by["Off-" + t]
    # declared and seen: the declared id, the session's platform, the declared schedule
    assert nightly.get("UID") == "urn:veeam:Job:" + d["nightly"]
    assert [local(c.tag) for c in nightly] == ["Links", "JobType", "Platform", "Description", "ScheduleConfigured",
                                               "ScheduleEnabled", "NextRun"]
    assert nightly.find(q("JobType")).text == "Backup" and nightly.find(q("Platform")).text == "VMware"
    assert nightly.find(q("Description")).text == "every night"
    assert nightly.find(q("NextRun")).text.endswith("T22:00:00.000Z")
    # declared, never ran: no platform (nobody reported one)
    assert weekly.find(q("JobType")).text == "Replica" and weekly.find(q("Platform")) is None
    assert weekly.find(q("ScheduleEnabled")).text == "true"
    # disabled: scheduled but not enabled, no next run
    assert off.find(q("ScheduleConfigured")).text == "true" and off.find(q("ScheduleEnabled")).text == "false"
    assert off.find(q("NextRun")) is None
    # the Down link lists the job's sessions; the job that never ran has none
    sess = both(em, "/api/jobs/%s/backupSessions" % d["nightly"])
    assert [r.get("UID") for r in sess] == ["urn:veeam:BackupJobSession:" + d["sess"]["id"]]
    down = [h for rel, _, _, h in links(weekly) if rel == "Down"]
    assert path(down[0]) == "/api/jobs/%s/backupSessions" % d["weekly"]
    assert len(both(em, path(down[0]))) == 0
    # a session's job link resolves to the joined job
    s = em.xml("/api/backupSessions/%s?format=Entity" % d["sess"]["id"])
    up = [h for rel, ty, _, h in links(s) if ty == "JobReference"][0]
    assert em.xml(path(up)).get("Name") == "Nightly-" + t


def test_nas_jobs(est):
    srv, d, em = est
    t = d["tag"]
    refs = both(em, "/api/nas/jobs")
    mine = [r for r in refs if r.get("Name").endswith(t)]
    assert [r.get("Name") for r in mine] == ["Shares-" + t] and mine[0].get("Type") == "NasJobReference"
    ent = both(em, "/api/nas/jobs?format=Entity")
    job = [j for j in ent if j.get("Name") == "Shares-" + t][0]
    assert local(job.tag) == "NASJob" and job.find(q("JobType")) is None
    jid = job.get("UID").rsplit(":", 1)[1]
    sess = both(em, "/api/nas/jobs/%s/backupSessions" % jid)
    assert [r.get("UID").rsplit(":", 1)[1] for r in sess] == [d["nas"]["id"]]
    # a backup job is no file share job
    em.req("GET", "/api/nas/jobs/%s" % d["nightly"], status=404)


# ---------------------------------------------------------------- backups and restore points

def test_backups_and_restore_points(est):
    srv, d, em = est
    t = d["tag"]
    b = both(em, "/api/backups/%s?format=Entity" % d["backup"])
    assert local(b.tag) == "Backup" and b.find(q("Platform")).text == "VMware"
    assert b.find(q("Ref")).get("UID") == "urn:veeam:Job:" + d["nightly"]
    ups = {ty: h for rel, ty, _, h in links(b) if rel == "Up"}
    assert set(ups) == {"RepositoryReference", "BackupServerReference", "JobReference"}
    assert em.xml(path(ups["RepositoryReference"])).get("Name") == "RepoA-" + t
    pts = both(em, "/api/backups/%s/restorePoints" % d["backup"])
    assert {r.get("UID").rsplit(":", 1)[1] for r in pts} == {d["rp1"], d["rp2"]}
    allp = both(em, "/api/restorePoints?format=Entity")
    by = {p.get("Name"): p for p in allp}
    p1 = by["vm1-%s@1" % t]
    assert p1.find(q("BackupDateUTC")).text == "2026-11-30T22:05:00.000Z"
    assert p1.find(q("Ref")).get("Type") == "BackupReference"
    assert [ty for rel, ty, _, _ in links(p1)] == ["BackupReference", "BackupServerReference", "JobReference",
                                                   "RestorePointReference"]
    # no backup: the job named in the point, its Ref the job
    p3 = by["vm1-%s@0" % t]
    assert p3.find(q("Ref")).get("UID") == "urn:veeam:Job:" + d["nightly"]
    for rel, ty, _, h in links(p1) + links(p3):
        em.req("GET", path(h))
    one = both(em, "/api/restorePoints/%s" % d["rp3"])
    assert local(one.tag) == "EntityRef" and one.get("Type") == "RestorePointReference"


def test_task_session_links_its_restore_point(est):
    srv, d, em = est
    tk = em.xml("/api/backupTaskSessions/%s?format=Entity" % d["tasks"][0]["id"])
    rel = [(ty, h) for r, ty, _, h in links(tk) if r == "Related"]
    assert len(rel) == 1 and rel[0][0] == "RestorePoint"
    assert em.xml(path(rel[0][1])).get("UID") == "urn:veeam:RestorePoint:" + d["rp1"]


def test_discovered_computers(est):
    srv, d, em = est
    t = d["tag"]
    refs = both(em, "/api/agents/discoveredComputers")
    mine = [r for r in refs if r.get("Name").endswith(t)]
    assert [r.get("Name") for r in mine] == ["laptop-" + t]
    assert mine[0].get("Type") == "DiscoveredComputerReference"
    one = both(em, "/api/agents/discoveredComputers/%s?format=Entity" % d["laptop"])
    assert local(one.tag) == "DiscoveredComputer"
    ent = both(em, "/api/agents/discoveredComputers?format=Entity")
    assert "laptop-" + t in {c.get("Name") for c in ent}


# ---------------------------------------------------------------- reports

def num(el, name):
    return int(el.find(q(name)).text)


def test_reports(fresh_server):
    """Exact figures on a server holding only what this test seeds."""
    srv = fresh_server
    rep = srv.api("reporter")
    put(rep, "repository", {"name": "R1", "capacityBytes": 1000, "freeBytes": 250})
    put(rep, "repository", {"name": "R2"})
    put(rep, "proxy", {"name": "p1"})
    put(rep, "proxy", {"name": "p2"})
    put(rep, "job", {"name": "J1", "type": "BackupJob", "schedule": "0 22 * * *"})
    put(rep, "job", {"name": "J2", "type": "ReplicaJob", "schedule": "15m"})
    put(rep, "job", {"name": "J3", "type": "BackupJob", "schedule": "0 1 * * *", "disabled": True})
    put(rep, "protectedObject", {"name": "a", "type": "Vm", "sizeBytes": 10})
    put(rep, "protectedObject", {"name": "b", "type": "Vm", "sizeBytes": 5})
    put(rep, "protectedObject", {"name": "pc", "type": "Computer", "sizeBytes": 99})
    bk = put(rep, "backup", {"name": "J1 backup", "repository": "R1"})
    put(rep, "restorePoint", {"name": "a1", "object": "a", "time": "2026-11-30T22:00:00Z", "pointType": "Full",
                              "sizeBytes": 300, "parentId": bk})
    put(rep, "restorePoint", {"name": "a2", "object": "A", "time": "2026-11-30T23:00:00Z",
                              "pointType": "Increment", "sizeBytes": 40, "parentId": bk})
    put(rep, "restorePoint", {"name": "b1", "object": "b", "time": "2026-11-30T22:00:00Z", "pointType": "Full",
                              "sizeBytes": 7, "repository": "R2"})
    put(rep, "replica", {"name": "a_replica", "object": "a"})
    # J1 ran twice (the newest failed, with one task of each result); J2 is running
    s1 = new_session(rep, name="J1", jobName="J1")
    rep.post("/api/v1/sessions/%s/complete" % s1["id"], json={"result": "Success"}, schema=False, status=200)
    s2 = new_session(rep, name="J1", jobName="J1")
    for res in ("Success", "Warning", "Failed"):
        tk = rep.post("/api/v1/sessions/%s/taskSessions" % s2["id"], json={"name": "vm-" + res, "type": "Backup"},
                      schema=False, status=201).body
        rep.post("/api/v1/taskSessions/%s/complete" % tk["id"], json={"result": res}, schema=False, status=200)
    rep.post("/api/v1/sessions/%s/complete" % s2["id"], json={"result": "Failed"}, schema=False, status=200)
    new_session(rep, name="J2", jobName="J2", sessionType="ReplicaJob")
    em = EM(srv.base_url, "viewer")

    o = both(em, "/api/reports/summary/overview")
    assert local(o.tag) == "OverviewReportFrame"
    assert [num(o, k) for k in ("BackupServers", "ProxyServers", "RepositoryServers", "RunningJobs",
                                "ScheduledJobs", "SuccessfulVmLastestStates", "WarningVmLastestStates",
                                "FailedVmLastestStates")] == [1, 2, 2, 1, 2, 1, 1, 1]

    v = both(em, "/api/reports/summary/vms_overview")
    assert [num(v, k) for k in ("ProtectedVms", "BackedUpVms", "ReplicatedVms", "RestorePoints",
                                "FullBackupPointsSize", "IncrementalBackupPointsSize", "ReplicaRestorePointsSize",
                                "SourceVmsSize", "SuccessBackupPercents")] == [2, 2, 1, 3, 307, 40, 0, 15, 0]

    j = both(em, "/api/reports/summary/job_statistics")
    assert [num(j, k) for k in ("RunningJobs", "ScheduledJobs", "ScheduledBackupJobs", "ScheduledReplicaJobs",
                                "TotalJobRuns", "SuccessfulJobRuns", "WarningsJobRuns", "FailedJobRuns")] == \
        [1, 2, 1, 1, 3, 1, 0, 1]
    assert j.find(q("MaxDurationBackupJobName")).text == "J1"
    assert num(j, "MaxJobDuration") == num(j, "MaxBackupJobDuration") >= 0
    assert (j.find(q("MaxDurationReplicaJobName")).text or "") == ""   # J2 has not finished

    r = both(em, "/api/reports/summary/repository")
    periods = [(p.find(q("Name")).text, num(p, "Capacity"), num(p, "FreeSpace"), num(p, "BackupSize"))
               for p in r.findall(q("Period"))]
    assert periods == [("R1", 1000, 250, 340), ("R2", 0, 0, 7)]
    js = em.json("/api/reports/summary/repository")
    assert [(p["Name"], p["Capacity"], p["FreeSpace"], p["BackupSize"]) for p in js["Period"]] == periods
    assert js["Type"] == "RepositoryReportFrame"


# ---------------------------------------------------------------- query service

def qnames(em, qs):
    root = em.xml("/api/query?" + qs)
    return [r.get("Name") for r in root.find(q("Refs"))], root


def test_query_estate_types(est):
    srv, d, em = est
    t = d["tag"]
    names, root = qnames(em, "type=Repository&filter=Name==RepoB-" + t)
    assert names == ["RepoB-" + t]
    names, _ = qnames(em, "type=Repository&filter=UID==urn:veeam:Repository:%s,Name==RepoC-%s" % (d["repoA"], t))
    assert names == ["RepoA-" + t, "RepoC-" + t]
    listed = [r.get("Name") for r in em.xml("/api/repositories")]
    assert listed == ["RepoA-" + t, "RepoB-" + t, "RepoC-" + t]     # this module's server holds these only
    names, _ = qnames(em, "type=Repository&sortDesc=Name")
    assert names == listed[::-1]
    # pages: unfiltered (read from the store page by page) and filtered, in both orders
    for qs, want in [("", listed), ("&sortDesc=Name", listed[::-1]), ("&sortAsc=name", listed),
                     ("&filter=Name!=RepoB-" + t, [listed[0], listed[2]]),
                     ("&filter=Name!=RepoB-%s&sortDesc=Name" % t, [listed[2], listed[0]])]:
        pages = []
        for page in (1, 2, 3):
            names, root = qnames(em, "type=Repository&pageSize=2&page=%d%s" % (page, qs))
            info = root.find(q("PagingInfo"))
            assert info.get("PagesCount") == str((len(want) + 1) // 2) and info.get("PageNum") == str(page)
            pages.append(names)
        assert pages == [want[:2], want[2:], []], qs
    ent = em.xml("/api/query?type=RestorePoint&format=Entities&filter=Name>=vm1-%s@0;Name<=vm1-%s@9" % (t, t))
    got = [p.get("Name") for p in ent.find(q("Entities")).find(q("RestorePoints"))]
    assert got == ["vm1-%s@0" % t, "vm1-%s@1" % t]
    same_data(to_plain(ent), em.json("/api/query?type=RestorePoint&format=Entities&filter=Name>=vm1-%s@0;"
                                     "Name<=vm1-%s@9" % (t, t)))
    names, _ = qnames(em, "type=Backup&filter=Name==Nightly-%s backup" % t)
    assert names == ["Nightly-%s backup" % t]


def test_query_jobs_declared_and_seen(est):
    """type=Job lists what /api/jobs lists; a declared job that never ran matches a filter
    on what is known of it (id, name, type, sessiond's server), never one on its platform."""
    srv, d, em = est
    t = d["tag"]
    names, _ = qnames(em, "type=Job")
    assert names == [j.get("Name") for j in em.xml("/api/jobs")]
    names, _ = qnames(em, "type=Job&filter=Name==Weekly-" + t)
    assert names == ["Weekly-" + t]
    names, _ = qnames(em, "type=Job&filter=UID==urn:veeam:Job:" + d["weekly"])
    assert names == ["Weekly-" + t]
    names, _ = qnames(em, "type=Job&filter=JobType==Replica")
    assert names == ["Weekly-" + t]
    names, _ = qnames(em, "type=Job&filter=JobType==Backup")
    assert names == ["Nightly-" + t, "Off-" + t]
    names, _ = qnames(em, "type=Job&filter=Platform==VMware")
    assert names == ["Nightly-" + t]
    names, _ = qnames(em, "type=Job&filter=BackupServerName==vbr-remote-" + t)
    assert names == ["Shares-" + t]
    names, _ = qnames(em, "type=Job&filter=JobType!=Replica;Name<Sh")
    assert names == ["Nightly-" + t, "Off-" + t]


# ---------------------------------------------------------------- errors

NEW = ["/api/repositories", "/api/repositories/%s", "/api/repositories/%s/backups", "/api/backups",
       "/api/backups/%s", "/api/backups/%s/restorePoints", "/api/restorePoints", "/api/restorePoints/%s",
       "/api/agents/discoveredComputers", "/api/agents/discoveredComputers/%s", "/api/nas/jobs",
       "/api/nas/jobs/%s", "/api/nas/jobs/%s/backupSessions", "/api/backupServers/%s/jobs",
       "/api/backupServers/%s/repositories", "/api/reports/summary/overview", "/api/reports/summary/vms_overview",
       "/api/reports/summary/job_statistics", "/api/reports/summary/repository"]


@pytest.mark.parametrize("p", NEW)
def test_auth_and_bad_input(est, p):
    srv, d, em = est
    full = p.replace("%s", str(uuid.uuid4()))
    r = requests.get(srv.base_url + full)
    assert r.status_code == 401
    err = validate_xml(r.text)
    assert local(err.tag) == "Error" and err.get("StatusCode") == "401"
    rj = requests.get(srv.base_url + full, headers={"Accept": "application/json"})
    assert rj.status_code == 401 and rj.json()["StatusCode"] == 401 and rj.json()["Status"] == "Unauthorized"
    assert EM(srv.base_url, "reporter").req("GET", full, status=403).doc.get("StatusCode") == "403"
    if "%s" in p:
        bad = em.req("GET", p.replace("%s", "not-a-uuid", 1).replace("%s", str(uuid.uuid4())), status=400)
        assert bad.doc.get("StatusCode") == "400"
        missing = em.req("GET", full, status=404, json_=True)
        assert missing.doc["StatusCode"] == 404 and missing.doc["Status"] == "NotFound"
    if "%s" not in p and "reports" not in p:
        assert em.req("GET", p + "?format=Everything", status=400).doc.get("StatusCode") == "400"


def test_bad_query_input(est):
    srv, d, em = est
    for qs in ["type=Repository&sortAsc=Capacity", "type=RestorePoint&filter=Capacity==1",
               "type=Backup&filter=Name==", "type=Repository&page=0", "type=Repository&sortAsc=Name&sortDesc=Name",
               "type=RestorePoint&filter=UID>urn:veeam:RestorePoint:%s" % d["rp1"]]:
        r = em.req("GET", "/api/query?" + qs, status=None)
        assert r.status_code == 400, (qs, r.status_code, r.text[:200])
        assert validate_xml(r.text).get("StatusCode") == "400"


# ---------------------------------------------------------------- the walk, and every link

def follow(em, el, rel, ty):
    hs = [h for r, t, _, h in links(el) if r == rel and t == ty]
    assert hs, (rel, ty, links(el))
    return em.xml(path(hs[0]))


def test_walk_from_the_root(est):
    """/api → logon session → backup servers → repositories → … → restore points, only
    through links the answers give."""
    srv, d, em = est
    t = d["tag"]
    root = em.xml("/api/")
    logon = [h for r, ty, _, h in links(root) if r == "Create"][0]
    assert path(logon).startswith("/api/sessionMngr/")
    ls = em.xml("/api/logonSessions/%s" % em.sid)
    servers = follow(em, ls, "Down", "BackupServerReferenceList")
    own = None
    for s in servers:
        repos = follow(em, s, "Down", "RepositoryReferenceList")
        if any(r.get("Name") == "RepoA-" + t for r in repos):
            own = s
    assert own is not None
    repos = follow(em, own, "Down", "RepositoryReferenceList")
    repo = [r for r in repos if r.get("Name") == "RepoA-" + t][0]
    backups = follow(em, repo, "Down", "BackupReferenceList")
    backup = follow(em, backups[0], "Alternate", "Backup")
    job = follow(em, backup, "Up", "JobReference")
    assert job.get("Name") == "Nightly-" + t
    job = follow(em, job, "Alternate", "Job")
    sessions = follow(em, job, "Down", "BackupJobSessionReferenceList")
    sess = follow(em, sessions[0], "Alternate", "BackupJobSession")
    tasks = follow(em, sess, "Down", "BackupTaskSessionReferenceList")
    names = {}
    for tk in tasks:
        ent = follow(em, tk, "Alternate", "BackupTaskSession")
        names[ent.get("Name")] = follow(em, ent, "Related", "RestorePoint")
    assert {p.get("UID") for p in names.values()} == {"urn:veeam:RestorePoint:" + d["rp1"],
                                                      "urn:veeam:RestorePoint:" + d["rp2"]}
    # and back up: the restore point's backup is the one we came down through
    assert follow(em, names["vm1-" + t], "Up", "BackupReference").get("UID") == backup.get("UID")
    # the job's server is one of the servers listed
    assert follow(em, job, "Up", "BackupServerReference").get("Name") in {s.get("Name") for s in servers}


POST_ONLY = {"Stop", "Create", "Delete"}


def test_every_estate_link_resolves(est):
    srv, d, em = est
    start = ["/api/logonSessions/%s" % em.sid, "/api/reports/summary/overview", "/api/querySvc",
             "/api/agents/discoveredComputers?format=Entity", "/api/nas/jobs?format=Entity",
             "/api/query?type=RestorePoint&format=Entities&pageSize=2",
             "/api/query?type=Repository&pageSize=1", "/api/query?type=Backup&format=Entities"]
    seen, todo, rels = set(), list(start), set()
    while todo and len(seen) < 500:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        r = em.req("GET", p, status=None)
        assert r.status_code == 200, "%s -> %d %s" % (p, r.status_code, r.text[:300])
        for link in validate_xml(r.text).iter(q("Link")):
            href, rel = link.get("Href"), link.get("Rel")
            assert href.startswith(srv.base_url + "/api/"), href
            rels.add(rel)
            if rel not in POST_ONLY:
                todo.append(path(href))
    assert len(seen) > 60
    assert {"Up", "Down", "Alternate", "Related"} <= rels
    for must in ["/api/repositories/%s/backups" % d["repoA"], "/api/backups/%s/restorePoints" % d["backup"],
                 "/api/restorePoints/%s" % d["rp1"], "/api/agents/discoveredComputers/%s" % d["laptop"]]:
        assert any(s.startswith(must) for s in seen), must
