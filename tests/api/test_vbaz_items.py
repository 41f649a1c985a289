"""VB for Azure item pages under a session (v8.1 `GET /jobSessions/{id}/protectedItems`,
`restoredItems`, `deletedItems`, `checkedItems`, `fileLevelRestoredItems`,
`fileLevelRestoredFileShareItems`, `vnetRestoredItems`, `restoredDatabases`,
`restoredCosmosDbAccounts`): filled from the session's task sessions, each page validated
against its PageOf<Item> schema in the v8.1 document; NameSearchPattern, Offset and Limit
where the document has them; an empty page where the session's type has no such items; the
Azure problem+json for bad input."""
import uuid

import pytest

from conftest import new_session
from vbaz_client import Az

# path -> (page schema, a session type that has these items, does the operation page)
KINDS = {
    "protectedItems": ("PageOfProtectedItem", "PolicyBackup", True),
    "deletedItems": ("PageOfJobDeletedRestorePoint", "BackupRetention", True),
    "checkedItems": ("PageOfCheckedItem", "HealthCheck", True),
    "restoredItems": ("PageOfRestoredItem", "RestoreVms", True),
    "fileLevelRestoredItems": ("PageOfFileLevelRestoredItem", "FileLevelRestore", True),
    "fileLevelRestoredFileShareItems": ("PageOfFileLevelRestoredFileShare", "FileShareFileRestore", True),
    "vnetRestoredItems": ("PageOfVnetRestoredItem", "VnetFullRestore", True),
    "restoredDatabases": ("PageOfRestoredDatabase", "SqlRestore", False),
    "restoredCosmosDbAccounts": ("PageOfRestoredCosmosDbAccount", "CosmosDbRestore", False),
}
NAMES = ["vm-alpha", "vm-beta", "db-gamma"]
RESULTS = ["Success", "Failed", None]        # None: still running


class Data:
    pass


@pytest.fixture(scope="module")
def d(server_factory):
    srv = server_factory()
    rep = srv.api("reporter")
    d = Data()
    d.srv = srv
    d.sess = {}
    for n, (path, (_, stype, _)) in enumerate(sorted(KINDS.items())):
        s = new_session(rep, name="items-" + path, sessionType=stype,
                        creationTime="2024-07-%02dT10:00:00Z" % (n + 1))
        for k, (name, res) in enumerate(zip(NAMES, RESULTS)):
            t = rep.post("/api/v1/sessions/%s/taskSessions" % s["id"], schema=False, status=201,
                         json={"name": name, "type": "Restore" if "estore" in stype else "Backup",
                               "totalSize": 1000 * (k + 1),
                               "creationTime": "2024-07-%02dT10:%02d:00Z" % (n + 1, k + 1)}).body
            if res:
                rep.post("/api/v1/taskSessions/%s/complete" % t["id"], schema=False, status=200,
                         json={"result": res, "message": "broke" if res == "Failed" else ""})
        d.sess[path] = s
    d.empty = new_session(rep, name="items-none", sessionType="PolicyBackup")
    d.az = Az.login(srv)
    d.viewer = Az.login(srv, "viewer")
    return d


def items(az, sid, path, query="", version="v8.1", **kw):
    model = KINDS[path][0] if version == "v8.1" else None
    return az.get("/api/%s/jobSessions/%s/%s%s" % (version, sid, path, query), model=model, **kw).json()


@pytest.mark.parametrize("path", sorted(KINDS))
def test_items_of_a_session(d, path):
    b = items(d.viewer, d.sess[path]["id"], path)
    assert b["totalCount"] == 3 and len(b["results"]) == 3
    assert b["offset"] == 0 and b["limit"] == (30 if KINDS[path][2] else -1)
    assert b["_links"]["self"]["href"].endswith("/jobSessions/%s/%s" % (d.sess[path]["id"], path))
    text = repr(b["results"])
    for name in NAMES:
        assert name in text


@pytest.mark.parametrize("path", sorted(KINDS))
def test_other_session_types_get_an_empty_page(d, path):
    other = "restoredItems" if path == "protectedItems" else "protectedItems"
    b = items(d.az, d.sess[other]["id"], path)
    assert b["results"] == [] and b["totalCount"] == 0
    b = items(d.az, d.empty["id"], path)
    assert b["results"] == [] and b["totalCount"] == 0


def test_protected_items_in_detail(d):
    s = d.sess["protectedItems"]
    got = {i["resource"]["name"]: i for i in items(d.az, s["id"], "protectedItems")["results"]}
    assert list(got) == NAMES  # oldest task first
    for name, res in zip(NAMES, RESULTS):
        i = got[name]
        assert i["resource"]["resourceType"] == "VirtualMachine"
        (run,) = i["runs"]
        assert run["jobSessionId"] == s["id"]
        assert run["status"] == {"Success": "Success", "Failed": "Error", None: "Running"}[res]
        assert (run["endTime"] is None) == (res is None)
        assert i["successCount"] == (res == "Success") and i["failureCount"] == (res == "Failed")


def test_checked_and_deleted_items_in_detail(d):
    chk = {i["resource"]["name"]: i for i in items(d.az, d.sess["checkedItems"]["id"], "checkedItems")["results"]}
    assert chk["vm-beta"]["status"] == "Error" and chk["vm-beta"]["error"] == "broke"
    assert "error" not in chk["vm-alpha"] and chk["vm-alpha"]["status"] == "Success"
    dele = items(d.az, d.sess["deletedItems"]["id"], "deletedItems")["results"]
    assert [i["backupSizeBytes"] for i in dele] == [1000, 2000, 3000]
    vnet = items(d.az, d.sess["vnetRestoredItems"]["id"], "vnetRestoredItems")["results"]
    assert [i["status"] for i in vnet] == ["Success", "Error", "Running"]


@pytest.mark.parametrize("path", [p for p in sorted(KINDS) if KINDS[p][2]])
def test_paging_and_name_search(d, path):
    sid = d.sess[path]["id"]
    b = items(d.az, sid, path, "?NameSearchPattern=vm-")
    assert b["totalCount"] == 2 and len(b["results"]) == 2 and "db-gamma" not in repr(b["results"])
    b = items(d.az, sid, path, "?Offset=1&Limit=1")
    assert b["offset"] == 1 and b["limit"] == 1 and b["totalCount"] == 3
    assert len(b["results"]) == 1 and "vm-beta" in repr(b["results"])
    b = items(d.az, sid, path, "?Limit=-1&NameSearchPattern=GAMMA")
    assert b["totalCount"] == 1 and "db-gamma" in repr(b["results"])
    assert items(d.az, sid, path, "?Limit=0")["results"] == []


@pytest.mark.parametrize("path", ["restoredDatabases", "restoredCosmosDbAccounts"])
def test_unpaged_operations_answer_every_item(d, path):
    b = items(d.az, d.sess[path]["id"], path, "?Limit=1&Offset=2")
    assert b["limit"] == -1 and b["offset"] == 0 and len(b["results"]) == 3


@pytest.mark.parametrize("version", ["v1", "v3", "v7", "v8"])
def test_other_versions(d, version):
    b = items(d.az, d.sess["protectedItems"]["id"], "protectedItems", version=version)
    assert b["totalCount"] == 3
    assert "/api/%s/jobSessions/" % version in b["_links"]["self"]["href"]
    for i in b["results"]:
        if version == "v1":  # archive/vbazure/10 getting_protected_items_by_backup_sessions_id
            assert set(i) == {"item", "successCount", "failureCount"} and i["item"]["name"] in NAMES
        else:
            assert i["resource"]["name"] in NAMES and i["runs"]


@pytest.mark.parametrize("query,param", [("Offset=-1", "Offset"), ("Limit=-2", "Limit"),
                                         ("Limit=abc", "Limit"), ("Offset=1e3", "Offset")])
def test_bad_parameters(d, query, param):
    body = d.az.get("/api/v8.1/jobSessions/%s/protectedItems?%s" % (d.sess["protectedItems"]["id"], query),
                    status=400).json()
    assert param in body["errors"] and param in body["detail"]


@pytest.mark.parametrize("path", sorted(KINDS))
def test_unknown_session_and_auth(d, path):
    for sid in (str(uuid.uuid4()), "38", "not-a-uuid"):
        body = d.az.get("/api/v8.1/jobSessions/%s/%s" % (sid, path), status=404).json()
        assert body["status"] == 404
    Az(d.srv.base_url).get("/api/v8.1/jobSessions/%s/%s" % (d.sess[path]["id"], path), status=401)
    rep = Az.login(d.srv, "reporter")
    rep.get("/api/v8.1/jobSessions/%s/%s" % (d.sess[path]["id"], path), status=403)
    d.az.call("POST", "/api/v8.1/jobSessions/%s/%s" % (d.sess[path]["id"], path), status=(404, 405))
