"""The backup estate in the VBR dialect: backupInfrastructure (managed servers, proxies,
repositories and their states, scale-out repositories, WAN accelerators), seeded through the
ingest API of a server of its own. Every answer is validated against the reference of the
version asked; filters and paging are checked against what was seeded."""
import uuid

import pytest

from conftest import VERSIONS

GB = 1024 ** 3
ALL = ("1.0-rev1", "1.0-rev2", "1.1-rev0", "1.2-rev1", "1.3-rev0", "1.3-rev1", "1.3-rev2")


def ids(n):
    return [str(uuid.uuid4()) for _ in range(n)]


SRV = ids(2)
REPO = ids(4)
SOBR = ids(1)
PROXY = ids(2)
WAN = ids(1)


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
    ("typeFilter=LinuxLocal", ["Extent-1", "Repo-Alpha"]),
    ("typeFilter=Nfs", ["Repo-Share"]),
    ("typeFilter=AmazonS3", []),
    ("hostIdFilter=" + SRV[1], ["Repo-Beta"]),
    ("pathFilter=/srv/alpha", ["Repo-Alpha"]),
    ("orderColumn=Name&orderAsc=false", ["Repo-Share", "Repo-Beta", "Repo-Alpha", "Extent-1"]),
    ("orderColumn=Path", ["Repo-Alpha", "Extent-1", "Repo-Beta", "Repo-Share"]),
    ("skip=1&limit=2", ["Repo-Alpha", "Repo-Beta"]),
    ("typeFilter=LinuxLocal&skip=1", ["Repo-Alpha"]),
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
