"""The backup estate's ingest API: PUT/GET/DELETE /api/v1/estate/{kind}/{id}, lists and the
change feed. Reporters upsert objects; bad input is a 400 naming the field and stores nothing."""
import uuid

import pytest


def put(c, kind, oid, body, status=200):
    return c.put(f"/api/v1/estate/{kind}/{oid}", json=body, schema=False, status=status)


@pytest.fixture
def rep(server):
    return server.api("reporter")


@pytest.fixture
def viewer(server):
    return server.api("viewer")


def test_put_get_update_delete(rep, viewer):
    rid = str(uuid.uuid4())
    r = put(rep, "repository", rid, {"name": "Repo-A", "path": "/srv/backup", "capacityBytes": 1000,
                                       "freeBytes": 400, "type": "LinuxLocal"})
    o = r.body
    assert o["kind"] == "repository" and o["id"] == rid and o["name"] == "Repo-A"
    assert o["capacityBytes"] == 1000 and o["freeBytes"] == 400 and o["path"] == "/srv/backup"
    assert o["reporter"] == "reporter"
    created, usn1 = o["createdTime"], o["usn"]
    g = viewer.get(f"/api/v1/estate/repository/{rid}", schema=False, status=200).body
    assert g == o
    # an upsert replaces the properties, keeps the creation time, takes a new usn
    o2 = put(rep, "repository", rid, {"name": "Repo-A", "freeBytes": 300}).body
    assert o2["createdTime"] == created and o2["usn"] > usn1
    assert o2["freeBytes"] == 300 and "capacityBytes" not in o2
    # viewers may not write
    put(viewer, "repository", rid, {"name": "x"}, status=403)
    rep.delete(f"/api/v1/estate/repository/{rid}", schema=None, status=204)
    viewer.get(f"/api/v1/estate/repository/{rid}", schema=False, status=404)
    rep.delete(f"/api/v1/estate/repository/{rid}", schema=False, status=404)


@pytest.mark.parametrize("body,field", [
    ({}, "name"),
    ({"name": ""}, "name"),
    ({"name": "r", "capacityBytes": -1}, "capacityBytes"),
    ({"name": "r", "capacityBytes": "10"}, "capacityBytes"),
    ({"name": "r", "measuredTime": "yesterday"}, "measuredTime"),
    ({"name": "r", "bogus": 1}, "bogus"),
    ({"name": "r", "parentId": "not-a-uuid"}, "parentId"),
])
def test_bad_input_names_the_field_and_stores_nothing(rep, viewer, body, field):
    rid = str(uuid.uuid4())
    r = put(rep, "repository", rid, body, status=400)
    assert field in r.body["message"]
    viewer.get(f"/api/v1/estate/repository/{rid}", schema=False, status=404)


def test_bad_kind_and_id(rep):
    r = put(rep, "spaceship", str(uuid.uuid4()), {"name": "x"}, status=404)
    assert "repository" in r.body["message"]   # names the kinds there are
    put(rep, "repository", "not-a-uuid", {"name": "x"}, status=400)
    rep.put(f"/api/v1/estate/repository/{uuid.uuid4()}", data=b"{nope", schema=False, status=400,
            headers={"Content-Type": "application/json"})


def test_typed_rules(rep):
    put(rep, "job", str(uuid.uuid4()), {"name": "j", "type": "NoSuchType"}, status=400)
    put(rep, "job", str(uuid.uuid4()), {"name": "j", "type": "BackupJob", "objects": ["vm1", 2]}, status=400)
    j = put(rep, "job", str(uuid.uuid4()), {"name": "j", "type": "BackupJob", "objects": ["vm1", "vm2"],
                                            "disabled": False, "schedule": "0 22 * * *"}).body
    assert j["objects"] == ["vm1", "vm2"] and j["disabled"] is False
    # restore points need their object and time; kind is Full or Increment
    put(rep, "restorePoint", str(uuid.uuid4()), {"name": "rp"}, status=400)
    put(rep, "restorePoint", str(uuid.uuid4()), {"name": "rp", "object": "vm1",
                                                 "time": "2026-01-01T00:00:00Z", "pointType": "Weird"}, status=400)


def test_parent_must_exist_and_be_of_the_parent_kind(rep, viewer):
    jid, bid, rpid = (str(uuid.uuid4()) for _ in range(3))
    put(rep, "backup", bid, {"name": "b", "parentId": jid}, status=400)
    put(rep, "job", jid, {"name": "job-p", "type": "BackupJob"})
    put(rep, "backup", bid, {"name": "b", "parentId": jid, "repository": "Repo-A"})
    put(rep, "restorePoint", rpid, {"name": "vm1", "parentId": bid, "object": "vm1",
                                    "time": "2026-01-01T00:00:00Z", "pointType": "Full", "sizeBytes": 123})
    # a job has no parent
    put(rep, "job", str(uuid.uuid4()), {"name": "x", "parentId": jid}, status=400)
    lst = viewer.get(f"/api/v1/estate/restorePoint?parentId={bid}", schema=False, status=200).body
    assert [o["id"] for o in lst["data"]] == [rpid]


def test_list_filters_paging_and_feed(server, rep, viewer):
    tag = uuid.uuid4().hex[:6]
    ids = []
    for i in range(5):
        oid = str(uuid.uuid4())
        ids.append(oid)
        put(rep, "proxy", oid, {"name": f"px-{tag}-{i}", "maxTasks": i})
    put(rep, "proxy", str(uuid.uuid4()), {"name": f"other-{tag}"})
    lst = viewer.get(f"/api/v1/estate/proxy?nameFilter=px-{tag}-*&limit=2&skip=1", schema=False, status=200).body
    assert lst["pagination"]["total"] == 5 and lst["pagination"]["count"] == 2
    assert [o["name"] for o in lst["data"]] == [f"px-{tag}-1", f"px-{tag}-2"]
    exact = viewer.get(f"/api/v1/estate/proxy?nameFilter=PX-{tag}-3", schema=False, status=200).body
    assert [o["id"] for o in exact["data"]] == [ids[3]]
    # the change feed: everything after a usn, by usn, tombstones included
    first = viewer.get(f"/api/v1/estate/proxy/{ids[0]}", schema=False, status=200).body["usn"]
    rep.delete(f"/api/v1/estate/proxy/{ids[0]}", schema=None, status=204)
    feed = viewer.get(f"/api/v1/estate?sinceUsn={first - 1}&kind=proxy", schema=False, status=200).body
    usns = [o["usn"] for o in feed["data"]]
    assert usns == sorted(usns) and feed["lastUsn"] == usns[-1]
    gone = [o for o in feed["data"] if o["id"] == ids[0]]
    assert len(gone) == 1 and gone[0]["deleted"] is True
    viewer.get("/api/v1/estate?sinceUsn=-1", schema=False, status=400)
    viewer.get("/api/v1/estate?kind=nope", schema=False, status=400)


def test_unauthenticated(server):
    server.anon().get(f"/api/v1/estate/repository/{uuid.uuid4()}", schema=False, status=401)


def test_estate_survives_restart(fresh_server):
    srv = fresh_server
    rid = str(uuid.uuid4())
    put(srv.api("reporter"), "managedServer", rid, {"name": "esx-01", "type": "ViHost"})
    srv.stop()
    srv.users = {}   # kept in the database
    srv.start()
    o = srv.api("viewer").get(f"/api/v1/estate/managedServer/{rid}", schema=False, status=200).body
    assert o["name"] == "esx-01" and o["type"] == "ViHost"


def test_pages_at_any_skip_agree_with_the_whole_list(rep, viewer):
    """A page far into a list is read otherwise than the first (the skipped objects are
    stepped over in an index): every page, at every skip, is the slice of the whole list, in
    its order (names without case first, then the name, then the id), deleted objects left
    out, under a name filter and a parent too."""
    tag = uuid.uuid4().hex[:6]
    job = str(uuid.uuid4())
    put(rep, "job", job, {"name": f"pj-{tag}", "type": "BackupJob"})
    names = [f"pg-{tag}-{c}" for c in ("b", "B", "a", "A", "c", "b", "D", "d", "e", "a")] * 3
    ids = []
    for i, n in enumerate(names):
        oid = str(uuid.uuid4())
        ids.append(oid)
        put(rep, "backup", oid, {"name": n, "parentId": job if i % 3 else None, "repository": "R"})
    for oid in ids[::7]:
        rep.delete(f"/api/v1/estate/backup/{oid}", schema=None, status=204)
    for query in (f"nameFilter=pg-{tag}-*", f"parentId={job}"):
        whole = viewer.get(f"/api/v1/estate/backup?{query}&limit=1000", schema=False, status=200).body
        every = [o["id"] for o in whole["data"]]
        keys = [(o["name"].lower(), o["name"]) for o in whole["data"]]
        assert keys == sorted(keys) and len(every) == whole["pagination"]["total"] > 10
        assert not set(every) & set(ids[::7])
        for limit in (1, 4, 7):
            for skip in range(0, len(every) + 2):
                page = viewer.get(f"/api/v1/estate/backup?{query}&limit={limit}&skip={skip}", schema=False,
                                  status=200).body
                assert [o["id"] for o in page["data"]] == every[skip:skip + limit], (query, limit, skip)
                assert page["pagination"]["total"] == len(every)
