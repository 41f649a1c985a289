"""The backup estate in the VBR dialect: backupInfrastructure (managed servers, proxies,
repositories and their states, scale-out repositories, WAN accelerators), seeded through the
ingest API of a server of its own. Every answer is validated against the reference of the
version asked; filters and paging are checked against what was seeded."""
import random
import uuid

import pytest

from conftest import new_session

GB = 1024 ** 3
ALL = ("1.0-rev1", "1.0-rev2", "1.1-rev0", "1.2-rev1", "1.3-rev0", "1.3-rev1", "1.3-rev2")


# The objects' ids name tests (STRICT below): drawn from a generator seeded with the module's
# name, they are the same in every process, as pytest-xdist's workers must collect the same tests.
_ids = random.Random(__name__)


def ids(n):
    return [str(uuid.UUID(int=_ids.getrandbits(128), version=4)) for _ in range(n)]


SRV = ids(2)
REPO = ids(4)
SOBR = ids(1)
PROXY = ids(2)
WAN = ids(1)
JOB = ids(3)
OBJ = ids(3)
BACKUP = ids(2)
POINT = ids(4)
REPLICA = ids(1)


def put(c, kind, oid, body):
    c.put(f"/api/v1/estate/{kind}/{oid}", json=body, schema=False, status=200)


@pytest.fixture(scope="module")
def estate(server_factory):
    srv = server_factory()
    rep = srv.api("reporter")
    put(rep, "managedServer", SRV[0], {"name": "host-a", "type": "LinuxHost", "description": "backup host"})
    put(rep, "managedServer", SRV[1], {"name": "host-b", "type": "WindowsHost"})
    put(rep, "scaleOutRepository", SOBR[0], {"name": "Sobr-1", "description": "scale-out"})
    put(rep, "repository", REPO[0], {"name": "Repo-Alpha", "type": "LinuxLocal", "host": "host-a",
                                     "path": "/srv/alpha", "capacityBytes": 100 * GB, "freeBytes": 40 * GB})
    put(rep, "repository", REPO[1], {"name": "Repo-Beta", "type": "WinLocal", "host": "host-b",
                                     "path": "D:\\Backups", "capacityBytes": 50 * GB, "freeBytes": 45 * GB})
    put(rep, "repository", REPO[2], {"name": "Repo-Share", "type": "Nfs", "path": "nas:/export/b",
                                     "description": "nfs share"})
    put(rep, "repository", REPO[3], {"name": "Extent-1", "type": "LinuxLocal", "host": "host-a",
                                     "path": "/srv/ext1", "parentId": SOBR[0], "capacityBytes": 10 * GB,
                                     "freeBytes": 10 * GB})
    put(rep, "proxy", PROXY[0], {"name": "proxy-a", "type": "ViProxy", "parentId": SRV[0], "maxTasks": 4})
    put(rep, "proxy", PROXY[1], {"name": "proxy-b", "type": "HvProxy", "server": "host-b", "disabled": True})
    put(rep, "wanAccelerator", WAN[0], {"name": "wan-1", "server": "host-a"})
    # jobs: declared (with and without runs), and one only seen in sessions
    put(rep, "job", JOB[0], {"name": "Nightly", "type": "BackupJob", "description": "nightly VMs",
                             "schedule": "0 22 * * *", "repository": "Repo-Alpha", "objects": ["vm-1", "vm-2"]})
    put(rep, "job", JOB[1], {"name": "Hyper", "type": "BackupJob", "disabled": True})
    put(rep, "job", JOB[2], {"name": "Agents", "type": "AgentBackup", "repository": "Repo-Beta"})
    for i, (name, platform) in enumerate([("vm-1", "VMware"), ("vm-2", "VMware"), ("files", "UnstructuredData")]):
        put(rep, "protectedObject", OBJ[i], {"name": name, "type": "Vm" if i < 2 else "Share",
                                            "platform": platform, "host": "host-a", "sizeBytes": (i + 1) * GB})
    put(rep, "backup", BACKUP[0], {"name": "Nightly backup", "parentId": JOB[0], "repository": "Repo-Alpha",
                                   "platform": "VMware"})
    put(rep, "backup", BACKUP[1], {"name": "Agents backup", "parentId": JOB[2], "repository": "Repo-Beta",
                                   "platform": "WindowsPhysical"})
    s1 = new_session(rep, name="Nightly", jobName="Nightly", sessionType="BackupJob", platformName="VMware")
    s2 = new_session(rep, name="Adhoc", jobName="Adhoc", sessionType="BackupJob")
    tasks = []
    for i, obj in enumerate(["vm-1", "vm-2"]):
        t = rep.post(f"/api/v1/sessions/{s1['id']}/taskSessions",
                     json={"name": obj, "type": "Backup", "restorePointId": POINT[i], "repositoryId": REPO[0]},
                     schema="TaskSessionModel", status=201).body
        tasks.append(t)
    points = [("vm-1", "2024-03-01T22:00:00Z", "Full", BACKUP[0]), ("vm-2", "2024-03-01T22:05:00Z", "Full", BACKUP[0]),
              ("vm-1", "2024-03-02T22:00:00Z", "Increment", BACKUP[0]),
              ("files", "2024-03-02T23:00:00Z", "Full", BACKUP[1])]
    for i, (obj, t, kind, backup) in enumerate(points):
        put(rep, "restorePoint", POINT[i], {"name": "rp-%d" % i, "object": obj, "time": t, "pointType": kind,
                                            "parentId": backup, "sessionId": s1["id"], "platform": "VMware"})
    put(rep, "replica", REPLICA[0], {"name": "vm-1_replica", "parentId": JOB[0], "object": "vm-1",
                                     "platform": "VMware"})
    for t in tasks:
        rep.post(f"/api/v1/taskSessions/{t['id']}/complete", json={"result": "Success"}, schema=False,
                 status=200)
    rep.post(f"/api/v1/sessions/{s1['id']}/complete", json={"result": "Success"}, schema=False, status=200)
    srv.seen = {"s1": s1, "s2": s2, "tasks": tasks}
    return srv


@pytest.fixture(scope="module")
def viewer(estate):
    return estate.api("viewer")


def names(body):
    return [o["name"] for o in body["data"]]


INFRA = [
    ("managedServers", "ManagedServersResult", "ManagedServerModel", SRV[0], "1.0"),
    ("proxies", "ProxiesResult", "ProxyModel", PROXY[0], "1.0"),
    ("repositories", "RepositoriesResult", "RepositoryModel", REPO[0], "1.0"),
    ("scaleOutRepositories", "ScaleOutRepositoriesResult", "ScaleOutRepositoryModel", SOBR[0], "1.0"),
    ("wanAccelerators", "WANAcceleratorsResult", "WANAcceleratorModel", WAN[0], "1.2"),
]


def has(version, since):
    return version.split("-")[0] >= since


@pytest.mark.parametrize("path,result,model,oid,since", INFRA)
def test_infrastructure_lists_and_objects(viewer, version, path, result, model, oid, since):
    base = "/api/v1/backupInfrastructure/" + path
    if not has(version, since):
        r = viewer.get(base, version=version, status=404)
        assert r.body["errorCode"] == "NotFound"
        viewer.get(f"{base}/{oid}", version=version, status=404)
        return
    body = viewer.get(base, version=version, schema=result, status=200).body
    assert body["pagination"]["total"] == len(body["data"]) >= 1
    one = viewer.get(f"{base}/{oid}", version=version, schema=model, status=200).body
    assert one["id"] == oid
    assert one in body["data"]
    viewer.get(f"{base}/{uuid.uuid4()}", version=version, status=404)
    viewer.get(f"{base}/not-a-uuid", version=version, status=400)


def test_repositories_in_every_version_shape(viewer, version):
    body = viewer.get("/api/v1/backupInfrastructure/repositories", version=version,
                      schema="RepositoriesResult", status=200).body
    by = {o["name"]: o for o in body["data"]}
    assert names(body) == ["Extent-1", "Repo-Alpha", "Repo-Beta", "Repo-Share"]
    assert by["Repo-Alpha"]["type"] == "LinuxLocal" and by["Repo-Alpha"]["hostId"] == SRV[0]
    assert by["Repo-Alpha"]["repository"]["path"] == "/srv/alpha"
    assert by["Repo-Beta"]["type"] == "WinLocal" and by["Repo-Beta"]["hostId"] == SRV[1]
    assert by["Repo-Share"]["type"] == "Nfs" and by["Repo-Share"]["share"]["sharePath"] == "nas:/export/b"
    assert by["Repo-Share"]["description"] == "nfs share"


def test_repository_states_capacity(viewer, version):
    body = viewer.get("/api/v1/backupInfrastructure/repositories/states", version=version,
                      schema="RepositoryStatesResult", status=200).body
    by = {o["name"]: o for o in body["data"]}
    a = by["Repo-Alpha"]
    assert (a["capacityGB"], a["freeGB"], a["usedSpaceGB"]) == (100, 40, 60)
    assert a["hostName"] == "host-a" and a["path"] == "/srv/alpha" and a["hostId"] == SRV[0]
    # nobody measured the share: zero, as docs/ESTATE.md says
    assert by["Repo-Share"]["capacityGB"] == 0
    if version == "1.3-rev2":
        assert by["Extent-1"]["scaleOutRepositoryDetails"]["scaleOutRepositoryId"] == SOBR[0]
        assert "scaleOutRepositoryDetails" not in a


@pytest.mark.parametrize("query,want", [
    ("nameFilter=repo-*", ["Repo-Alpha", "Repo-Beta", "Repo-Share"]),
    ("nameFilter=REPO-ALPHA", ["Repo-Alpha"]),
    ("nameFilter=*a", ["Repo-Alpha", "Repo-Beta"]),
    ("nameFilter=*e*a*", ["Repo-Alpha", "Repo-Beta", "Repo-Share"]),
    ("typeFilter=LinuxLocal", ["Extent-1", "Repo-Alpha"]),
    ("typeFilter=Nfs", ["Repo-Share"]),
    ("typeFilter=AmazonS3", []),
    ("hostIdFilter=" + SRV[1], ["Repo-Beta"]),
    ("pathFilter=/srv/alpha", ["Repo-Alpha"]),
    ("orderColumn=Name&orderAsc=false", ["Repo-Share", "Repo-Beta", "Repo-Alpha", "Extent-1"]),
    ("orderColumn=Path", ["Repo-Alpha", "Extent-1", "Repo-Beta", "Repo-Share"]),
    ("skip=1&limit=2", ["Repo-Alpha", "Repo-Beta"]),
    ("typeFilter=LinuxLocal&skip=1", ["Repo-Alpha"]),
    ("excludeExtents=true", ["Repo-Alpha", "Repo-Beta", "Repo-Share"]),
    ("excludeExtents=false", ["Extent-1", "Repo-Alpha", "Repo-Beta", "Repo-Share"]),
])
def test_repository_filters_and_paging(viewer, query, want):
    body = viewer.get("/api/v1/backupInfrastructure/repositories?" + query, version="1.3-rev2",
                      schema="RepositoriesResult", status=200).body
    assert names(body) == want
    p = body["pagination"]
    assert p["count"] == len(want)
    if "skip=" in query:
        assert p["skip"] == int(query.split("skip=")[1].split("&")[0])
        assert p["total"] == p["skip"] + len(want) + (1 if "limit=2" in query else 0)


@pytest.mark.parametrize("query,want", [
    ("orderColumn=FreeGB", None),
    ("orderColumn=CapacityGB&orderAsc=false", ["Repo-Alpha", "Repo-Beta", "Extent-1", "Repo-Share"]),
    ("capacityFilter=100", ["Repo-Alpha"]),
    ("idFilter=" + REPO[1], ["Repo-Beta"]),
    ("isOnlineFilter=false", []),
    ("sobrIdFilter=" + SOBR[0], ["Extent-1"]),
    ("sobrExtentTypeFilter=Performance", ["Extent-1"]),
    ("sobrExtentTypeFilter=Capacity,Archive", []),
    ("excludeExtents=true&orderColumn=Name", ["Repo-Alpha", "Repo-Beta", "Repo-Share"]),
])
def test_repository_state_filters(viewer, query, want):
    body = viewer.get("/api/v1/backupInfrastructure/repositories/states?" + query, version="1.3-rev2",
                      schema="RepositoryStatesResult", status=200).body
    if query == "orderColumn=FreeGB":
        free = [o["freeGB"] for o in body["data"]]
        assert free == sorted(free)
        return
    assert names(body) == want


def test_proxies_and_states(viewer, version):
    body = viewer.get("/api/v1/backupInfrastructure/proxies", version=version, schema="ProxiesResult",
                      status=200).body
    by = {o["name"]: o for o in body["data"]}
    assert by["proxy-a"]["server"]["hostId"] == SRV[0] and by["proxy-a"]["server"]["maxTaskCount"] == 4
    assert by["proxy-b"]["server"]["hostId"] == SRV[1]
    # HvProxy is a type from 1.3 on: older versions show the neutral ViProxy
    assert by["proxy-b"]["type"] == ("HvProxy" if version.startswith("1.3") else "ViProxy")
    if not version.startswith("1.3"):
        viewer.get("/api/v1/backupInfrastructure/proxies/states", version=version, status=404)
        return
    st = viewer.get("/api/v1/backupInfrastructure/proxies/states?isDisabledFilter=true", version=version,
                    schema="ProxiesStatesResult", status=200).body
    assert names(st) == ["proxy-b"] and st["data"][0]["hostName"] == "host-b"
    st = viewer.get("/api/v1/backupInfrastructure/proxies/states?hostIdFilter=" + SRV[0], version=version,
                    schema="ProxiesStatesResult", status=200).body
    assert names(st) == ["proxy-a"] and st["data"][0]["isDisabled"] is False


def test_managed_servers_filters(viewer):
    body = viewer.get("/api/v1/backupInfrastructure/managedServers?typeFilter=WindowsHost", version="1.3-rev2",
                      schema="ManagedServersResult", status=200).body
    assert names(body) == ["host-b"]
    body = viewer.get("/api/v1/backupInfrastructure/managedServers?typeFilter=WindowsHost&typeFilter=LinuxHost",
                      version="1.3-rev2", schema="ManagedServersResult", status=200).body
    assert names(body) == ["host-a", "host-b"]
    body = viewer.get("/api/v1/backupInfrastructure/managedServers?typeFilter=WindowsHost,LinuxHost",
                      version="1.3-rev2", schema="ManagedServersResult", status=200).body
    assert names(body) == ["host-a", "host-b"]
    # one value only before 1.3
    viewer.get("/api/v1/backupInfrastructure/managedServers?typeFilter=WindowsHost&typeFilter=LinuxHost",
               version="1.2-rev1", status=400)


def test_scale_out_extents(viewer, version):
    one = viewer.get(f"/api/v1/backupInfrastructure/scaleOutRepositories/{SOBR[0]}", version=version,
                     schema="ScaleOutRepositoryModel", status=200).body
    ext = one["performanceTier"]["performanceExtents"]
    assert [(x["id"], x["name"]) for x in ext] == [(REPO[3], "Extent-1")]


@pytest.mark.parametrize("path", [
    "/api/v1/backupInfrastructure/repositories?typeFilter=Floppy",
    "/api/v1/backupInfrastructure/repositories?orderColumn=Colour",
    "/api/v1/backupInfrastructure/repositories?orderAsc=maybe",
    "/api/v1/backupInfrastructure/repositories?limit=0",
    "/api/v1/backupInfrastructure/repositories?skip=-1",
    "/api/v1/backupInfrastructure/repositories?hostIdFilter=nope",
    "/api/v1/backupInfrastructure/repositories/states?capacityFilter=lots",
    "/api/v1/backupInfrastructure/repositories/states?isOnlineFilter=yes",
    "/api/v1/backupInfrastructure/managedServers?typeFilter=Mainframe",
    "/api/v1/backupInfrastructure/proxies/states?isDisabledFilter=1",
    "/api/v1/backupInfrastructure/repositories?excludeExtents=maybe",
    "/api/v1/backupInfrastructure/repositories/states?sobrExtentTypeFilter=Cold",
])
def test_bad_query_is_400_in_vbr_shape(viewer, path):
    r = viewer.get(path, version="1.3-rev2", status=400)
    assert r.body["errorCode"] == "UnexpectedContent" and r.body["message"]


@pytest.mark.parametrize("path", [p for p, *_ in INFRA] + ["repositories/states"])
def test_auth_required(estate, path):
    url = "/api/v1/backupInfrastructure/" + path
    r = estate.anon().get(url, version="1.3-rev2", status=401)
    assert r.body["errorCode"] == "InvalidToken"
    # a reporter writes, it does not read
    estate.api("reporter").get(url, version="1.3-rev2", status=403)


def test_no_version_no_answer(estate):
    estate.api("viewer").get("/api/v1/backupInfrastructure/repositories", version=None, status=400)


@pytest.mark.parametrize("v", ALL)
def test_every_known_version_answers(viewer, v):
    r = viewer.get("/api/v1/backupInfrastructure/repositories/states", version=v, schema=False, status=200)
    assert len(r.body["data"]) == 4


# ---- jobs -----------------------------------------------------------------------------------

def test_job_states_from_the_job_view(estate, viewer, version):
    body = viewer.get("/api/v1/jobs/states", version=version, schema="JobStatesResult", status=200).body
    by = {j["name"]: j for j in body["data"]}
    assert names(body) == ["Adhoc", "Agents", "Hyper", "Nightly"]
    n = by["Nightly"]
    assert n["id"] == JOB[0] and n["description"] == "nightly VMs" and n["objectsCount"] == 2
    assert n["repositoryId"] == REPO[0] and n["repositoryName"] == "Repo-Alpha"
    assert n["lastResult"] == "Success" and n["sessionId"] == estate.seen["s1"]["id"]
    assert n["type"] == ("VSphereBackup" if version.startswith("1.3") else "Backup")
    # the declared schedule (22:00 every day) gives the next run; a job without one has none
    assert "T22:00:00" in n["nextRun"] and "nextRun" not in by["Adhoc"]
    cap = version == "1.3-rev2"
    assert by["Hyper"]["status"] == ("Disabled" if cap else "disabled")
    assert by["Hyper"]["lastResult"] == "None" and "lastRun" not in by["Hyper"]
    assert by["Adhoc"]["status"] == ("Running" if cap else "running")
    assert by["Agents"]["workload"] == ("Server" if cap else "server")


@pytest.mark.parametrize("query,want", [
    ("nameFilter=ly", ["Nightly"]),
    ("nameFilter=A*", ["Adhoc", "Agents"]),
    ("statusFilter=Running", ["Adhoc"]),
    ("lastResultFilter=Success", ["Nightly"]),
    ("repositoryIdFilter=" + REPO[1], ["Agents"]),
    ("objectsCountFilter=2", ["Nightly"]),
    ("idFilter=" + JOB[1], ["Hyper"]),
    ("workloadFilter=Server", ["Agents"]),
    # ties in the order column follow the name, in the same direction
    ("orderColumn=ObjectsCount&orderAsc=false", ["Nightly", "Hyper", "Agents", "Adhoc"]),
    ("orderColumn=Name&orderAsc=false&skip=1&limit=2", ["Hyper", "Agents"]),
    ("lastRunAfterFilter=2000-01-01T00:00:00Z", ["Adhoc", "Nightly"]),
    ("isHighPriorityJobFilter=true", []),
])
def test_job_state_filters(viewer, query, want):
    body = viewer.get("/api/v1/jobs/states?" + query, version="1.3-rev2", schema="JobStatesResult",
                      status=200).body
    assert names(body) == want
    assert body["pagination"]["count"] == len(want)


def test_jobs_and_job(estate, viewer, version):
    body = viewer.get("/api/v1/jobs", version=version, schema="JobsResult", status=200).body
    by = {j["name"]: j for j in body["data"]}
    assert set(by) == {"Adhoc", "Agents", "Hyper", "Nightly"}
    n = viewer.get(f"/api/v1/jobs/{JOB[0]}", version=version, schema="JobModel", status=200).body
    assert n == by["Nightly"]
    assert n["storage"]["backupRepositoryId"] == REPO[0] and n["schedule"]["runAutomatically"] is True
    assert by["Hyper"]["isDisabled"] is True
    # a job only seen in sessions answers under its sessions' job id
    s2 = estate.seen["s2"]
    jid = s2.get("jobId") or s2.get("activityId")
    assert viewer.get(f"/api/v1/jobs/{jid}", version=version, schema="JobModel", status=200).body["name"] == "Adhoc"
    viewer.get(f"/api/v1/jobs/{uuid.uuid4()}", version=version, status=404)
    viewer.get("/api/v1/jobs?typeFilter=Nope", version=version, status=400)


# ---- backups, objects, restore points, replicas --------------------------------------------

def object_schema(version, model):
    # 1.0-rev2 contradicts itself: BackupObjectModel's platformName is an EPlatformType, which
    # spells VMware, while its discriminator admits only VmWare; sessiond sends the enum's
    # spelling (docs/ESTATE.md), so that one version's lists are checked field by field.
    return False if version == "1.0-rev2" else model


def test_backups(viewer, version):
    body = viewer.get("/api/v1/backups", version=version, schema="BackupsResult", status=200).body
    by = {b["name"]: b for b in body["data"]}
    n = by["Nightly backup"]
    assert n["jobId"] == JOB[0] and n["repositoryId"] == REPO[0]
    assert n["platformName"] == "VMware"
    assert viewer.get(f"/api/v1/backups/{BACKUP[0]}", version=version, schema="BackupModel", status=200).body == n
    objs = viewer.get(f"/api/v1/backups/{BACKUP[0]}/objects", version=version,
                      schema=object_schema(version, "BackupObjectsResult"), status=200).body
    assert sorted(o["name"] for o in objs["data"]) == ["vm-1", "vm-2"]
    one = viewer.get("/api/v1/backups?jobIdFilter=" + JOB[2], version=version, schema="BackupsResult",
                     status=200).body
    assert names(one) == ["Agents backup"]
    viewer.get(f"/api/v1/backups/{uuid.uuid4()}/objects", version=version, status=404)


def test_backup_objects_and_their_points(viewer, version):
    body = viewer.get("/api/v1/backupObjects", version=version, schema=object_schema(version, "BackupObjectsResult"),
                      status=200).body
    assert names(body) == ["files", "vm-1", "vm-2"]
    assert all(o["platformName"] == "VMware" and o["platformId"] for o in body["data"][1:])
    # UnstructuredData is a platform of the model from 1.3-rev2 on; before, the neutral VMware
    assert body["data"][0]["platformName"] == ("UnstructuredData" if version == "1.3-rev2" else "VMware")
    one = viewer.get(f"/api/v1/backupObjects/{OBJ[0]}", version=version,
                     schema=object_schema(version, "BackupObjectModel"), status=200).body
    assert one["name"] == "vm-1" and one["id"] == OBJ[0]
    pts = viewer.get(f"/api/v1/backupObjects/{OBJ[0]}/restorePoints", version=version,
                     schema="ObjectRestorePointsResult", status=200).body
    assert sorted(p["id"] for p in pts["data"]) == sorted([POINT[0], POINT[2]])
    assert all(p["backupId"] == BACKUP[0] for p in pts["data"])
    typed = viewer.get("/api/v1/backupObjects?typeFilter=Share", version=version,
                       schema=object_schema(version, "BackupObjectsResult"), status=200).body
    assert names(typed) == ["files"]


def test_restore_points(viewer, version):
    if not has(version, "1.2"):
        viewer.get("/api/v1/restorePoints", version=version, status=404)
        viewer.get(f"/api/v1/restorePoints/{POINT[0]}", version=version, status=404)
        return
    body = viewer.get("/api/v1/restorePoints?orderColumn=CreationTime", version=version,
                      schema="ObjectRestorePointsResult", status=200).body
    assert [p["id"] for p in body["data"]] == POINT
    one = viewer.get(f"/api/v1/restorePoints/{POINT[2]}", version=version, schema="ObjectRestorePointModel",
                     status=200).body
    assert one["name"] == "vm-1" and one["type"] == "Increment" and one["backupId"] == BACKUP[0]
    assert one["creationTime"].startswith("2024-03-02T22:00:00")


@pytest.mark.parametrize("query,want", [
    ("backupIdFilter=" + BACKUP[1], [3]),
    ("backupObjectIdFilter=" + OBJ[1], [1]),
    ("backupObjectIdFilter=" + str(uuid.UUID(int=7)), []),
    ("createdAfterFilter=2024-03-02T00:00:00Z", [2, 3]),
    ("createdBeforeFilter=2024-03-01T23:00:00Z", [0, 1]),
    ("nameFilter=VM-1", [0, 2]),
    ("nameFilter=vm-*", [0, 1, 2]),
    ("nameFilter=vm-", []),
    ("typeFilter=Increment", [2]),
    ("orderColumn=CreationTime&orderAsc=false&limit=2", [3, 2]),
    ("orderColumn=CreationTime&skip=3", [3]),
])
def test_restore_point_filters(viewer, query, want):
    body = viewer.get("/api/v1/restorePoints?" + query, version="1.3-rev2", schema="ObjectRestorePointsResult",
                      status=200).body
    got = [p["id"] for p in body["data"]]
    if "orderColumn" in query:
        assert got == [POINT[i] for i in want]
    else:
        assert sorted(got) == sorted(POINT[i] for i in want)


def test_replicas(viewer, version):
    if not has(version, "1.2"):
        viewer.get("/api/v1/replicas", version=version, status=404)
        return
    body = viewer.get("/api/v1/replicas", version=version, schema="ReplicasResult", status=200).body
    assert names(body) == ["vm-1_replica"] and body["data"][0]["jobId"] == JOB[0]
    one = viewer.get(f"/api/v1/replicas/{REPLICA[0]}", version=version, schema="ReplicaModel", status=200).body
    assert one == body["data"][0]
    assert names(viewer.get("/api/v1/replicas?jobIdFilter=" + JOB[1], version=version, schema="ReplicasResult",
                            status=200).body) == []


@pytest.mark.parametrize("path", [
    "/api/v1/restorePoints?backupObjectIdFilter=x",
    "/api/v1/restorePoints?createdAfterFilter=yesterday",
    "/api/v1/restorePoints?typeFilter=Partial",
    "/api/v1/restorePoints?orderColumn=Name",
    "/api/v1/backups?jobTypeFilter=Nope",
    "/api/v1/backupObjects?platformNameFilter=Amiga",
    "/api/v1/jobs/states?statusFilter=Sleeping",
    "/api/v1/jobs/states?objectsCountFilter=many",
    "/api/v1/jobs/states?lastRunBeforeFilter=soon",
    "/api/v1/backups/not-a-uuid",
])
def test_bad_input_in_vbr_shape(viewer, path):
    r = viewer.get(path, version="1.3-rev2", status=400)
    assert r.body["errorCode"] == "UnexpectedContent"


@pytest.mark.parametrize("path", ["/api/v1/jobs", "/api/v1/backups", "/api/v1/backupObjects",
                                  "/api/v1/restorePoints", "/api/v1/replicas", f"/api/v1/jobs/{JOB[0]}"])
def test_estate_reads_need_auth(estate, path):
    assert estate.anon().get(path, version="1.3-rev2", status=401).body["errorCode"] == "InvalidToken"
    estate.api("reporter").get(path, version="1.3-rev2", status=403)


# ---- every revision's own definition, strictly (every key declared) --------------------------

from test_vbr_versions import REVS, definition  # noqa: E402  (exact-version definitions)

STRICT = [
    ("/api/v1/backupInfrastructure/managedServers", "ManagedServersResult", "1.0"),
    ("/api/v1/backupInfrastructure/managedServers/" + SRV[1], "ManagedServerModel", "1.0"),
    ("/api/v1/backupInfrastructure/proxies", "ProxiesResult", "1.0"),
    ("/api/v1/backupInfrastructure/proxies/states", "ProxiesStatesResult", "1.3"),
    ("/api/v1/backupInfrastructure/repositories", "RepositoriesResult", "1.0"),
    ("/api/v1/backupInfrastructure/repositories/states", "RepositoryStatesResult", "1.0"),
    ("/api/v1/backupInfrastructure/scaleOutRepositories", "ScaleOutRepositoriesResult", "1.0"),
    ("/api/v1/backupInfrastructure/wanAccelerators", "WANAcceleratorsResult", "1.2"),
    ("/api/v1/jobs", "JobsResult", "1.0"),
    ("/api/v1/jobs/states", "JobStatesResult", "1.0"),
    ("/api/v1/backups", "BackupsResult", "1.0"),
    ("/api/v1/backups/%s/objects" % BACKUP[0], "BackupObjectsResult", "1.0"),
    ("/api/v1/backupObjects", "BackupObjectsResult", "1.0"),
    ("/api/v1/backupObjects/%s/restorePoints" % OBJ[0], "ObjectRestorePointsResult", "1.0"),
    ("/api/v1/restorePoints", "ObjectRestorePointsResult", "1.2"),
    ("/api/v1/replicas", "ReplicasResult", "1.2"),
    ("/api/v1/license", "InstalledLicenseModel", "1.2"),
    ("/api/v1/license/instances", "InstanceLicenseWorkloadResult", "1.2"),
    ("/api/v1/configBackup", "ConfigBackupModel", "1.0"),
    ("/api/v1/securityAnalyzer/bestPractices", "BestPracticesComplianceResult", "1.2"),
    ("/api/v1/backupInfrastructure/proxies/" + PROXY[1], "ProxyModel", "1.0"),
    ("/api/v1/backupInfrastructure/repositories/" + REPO[2], "RepositoryModel", "1.0"),
    ("/api/v1/backupInfrastructure/scaleOutRepositories/" + SOBR[0], "ScaleOutRepositoryModel", "1.0"),
    ("/api/v1/backupInfrastructure/wanAccelerators/" + WAN[0], "WANAcceleratorModel", "1.2"),
    ("/api/v1/jobs/" + JOB[2], "JobModel", "1.0"),
    ("/api/v1/backups/" + BACKUP[1], "BackupModel", "1.0"),
    ("/api/v1/backupObjects/" + OBJ[2], "BackupObjectModel", "1.0"),
    ("/api/v1/restorePoints/" + POINT[3], "ObjectRestorePointModel", "1.2"),
    ("/api/v1/replicas/" + REPLICA[0], "ReplicaModel", "1.2"),
]


@pytest.mark.parametrize("rev", REVS)
@pytest.mark.parametrize("path,model,since", STRICT)
def test_every_revision_strictly(viewer, rev, path, model, since):
    if rev.split("-")[0] < since:
        viewer.get(path, version=rev, schema=False, status=404)
        return
    body = viewer.get(path, version=rev, schema=False, status=200).body
    if rev == "1.0-rev2" and "BackupObject" in model:
        return   # the reference contradicts itself there (object_schema above)
    definition(rev).check(model, body, "GET " + path)
