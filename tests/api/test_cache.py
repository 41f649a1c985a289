"""Rendered bodies are cached per worker and tagged with the store's usn: every read
after a write must show the write, in every dialect, version and format, and a body
rendered for one host or format is never served for another."""
import time

from conftest import LATEST, new_session
from em_client import EM, q
from vbaz_client import Az

OLD = "1.1-rev0"   # before 1.3 running sessions are cached too (no clock-driven fields)


def vbr_get(viewer, sid, version):
    return viewer.get("/api/v1/sessions/" + sid, version=version, schema="SessionModel").body


def test_vbr_reads_see_every_write(server):
    viewer, rep = server.api("viewer"), server.api("reporter")
    s = new_session(rep)
    for version in (OLD, LATEST):
        for _ in range(3):   # warm every worker's cache
            assert vbr_get(viewer, s["id"], version)["progressPercent"] == 0
    rep.patch("/api/v1/sessions/" + s["id"], json={"progressPercent": 37}, schema="SessionModel")
    for version in (OLD, LATEST):
        for _ in range(3):
            assert vbr_get(viewer, s["id"], version)["progressPercent"] == 37
    rep.post("/api/v1/sessions/%s/complete" % s["id"], json={"result": "Warning", "message": "m"},
             schema="SessionModel")
    for version in (OLD, LATEST):
        for _ in range(3):
            got = vbr_get(viewer, s["id"], version)
            assert got["state"] == "Stopped" and got["result"]["result"] == "Warning"


def test_vbr_versions_are_cached_apart(server):
    viewer, rep = server.api("viewer"), server.api("reporter")
    s = new_session(rep)
    rep.post("/api/v1/sessions/%s/complete" % s["id"], json={"result": "Success"}, schema="SessionModel")
    for _ in range(3):
        old = vbr_get(viewer, s["id"], "1.0-rev2")
        new = vbr_get(viewer, s["id"], LATEST)
        assert "activityId" in old and "jobId" not in old
        assert "jobId" in new and "activityId" not in new
        assert old["sessionType"] == "Job" and new["sessionType"] == "BackupJob"


def test_em_reads_see_every_write_in_both_formats(server):
    rep = server.api("reporter")
    em = EM(server.base_url, user="viewer")
    s = new_session(rep)
    path = "/api/backupSessions/%s?format=Entity" % s["id"]
    for _ in range(3):
        assert em.xml(path).find(q("Progress")).text == "0"
        assert em.json(path)["Progress"] == 0
    rep.patch("/api/v1/sessions/" + s["id"], json={"progressPercent": 55}, schema="SessionModel")
    for _ in range(3):
        assert em.xml(path).find(q("Progress")).text == "55"
        assert em.json(path)["Progress"] == 55
        ref = em.xml("/api/backupSessions/" + s["id"])       # the reference form stays a reference
        assert ref.tag == q("EntityRef") or ref.get("Type", "").endswith("Reference")


def test_em_links_follow_the_host_the_client_used(server):
    rep = server.api("reporter")
    s = new_session(rep)
    em = EM(server.base_url, user="viewer")
    path = "/api/backupSessions/%s?format=Entity" % s["id"]
    a = em.req("GET", path, headers={"Host": "alpha.example:9398"}).text
    b = em.req("GET", path, headers={"Host": "beta.example:9398"}).text
    assert "http://alpha.example:9398/api/" in a and "beta.example" not in a
    assert "http://beta.example:9398/api/" in b and "alpha.example" not in b


def test_azure_reads_see_every_write(server):
    rep = server.api("reporter")
    az = Az.login(server, "viewer")
    s = new_session(rep)
    path = "/api/v8.1/jobSessions/" + s["id"]
    for _ in range(3):
        assert az.get(path, model="JobSession").json()["status"] == "Running"
    rep.post("/api/v1/sessions/%s/complete" % s["id"], json={"result": "Failed"}, schema="SessionModel")
    for _ in range(3):
        assert az.get(path, model="JobSession").json()["status"] == "Error"
    time.sleep(0.01)
    # a stopped session's duration is fixed: cached bodies are identical
    assert az.get(path).text == az.get(path).text


# ---------- pages of lists (routes marked cached: the estate's lists, jobs, reports) ----------

def fresh(get, *a, **kw):
    """Reads on new connections, so that several workers (each with its own cache) answer."""
    return [get(*a, **kw) for _ in range(4)]


def test_estate_lists_see_every_write_in_every_dialect(server):
    import uuid
    rep, viewer = server.api("reporter"), server.api("viewer")
    em = EM(server.base_url, user="viewer")
    az = Az.login(server, "viewer")
    rid = str(uuid.uuid4())
    name = "cache-repo-" + rid[:8]
    close = {"Connection": "close"}

    def vbr_free():
        page = viewer.get("/api/v1/backupInfrastructure/repositories/states", params={"nameFilter": name},
                          headers=close, schema="RepositoryStatesResult").body
        return [r["freeGB"] for r in page["data"]]

    def ingest_free():
        page = viewer.get("/api/v1/estate/repository", params={"nameFilter": name, "limit": 100}, headers=close,
                          schema=False).body
        return [o["freeBytes"] for o in page["data"]]

    def em_free():
        ent = em.xml("/api/repositories?format=Entity", headers=close)
        return [r.find(q("FreeSpace")).text for r in ent if r.get("Name") == name]

    def az_names():
        page = az.get("/api/v8.1/repositories?SearchPattern=" + name, headers=close).json()
        return [r["name"] for r in page["results"]]

    gib = 1 << 30
    rep.put("/api/v1/estate/repository/" + rid, json={"name": name, "type": "LinuxLocal",
                                                      "capacityBytes": 100 * gib, "freeBytes": 40 * gib},
            schema=False, status=200)
    for _ in range(2):   # the second round is answered from the caches
        assert fresh(vbr_free) == [[40]] * 4
        assert fresh(ingest_free) == [[40 * gib]] * 4
        assert fresh(em_free) == [[str(40 * gib)]] * 4
        assert fresh(az_names) == [[name]] * 4
    rep.put("/api/v1/estate/repository/" + rid, json={"name": name, "type": "LinuxLocal",
                                                      "capacityBytes": 100 * gib, "freeBytes": 25 * gib},
            schema=False, status=200)
    assert fresh(vbr_free) == [[25]] * 4
    assert fresh(ingest_free) == [[25 * gib]] * 4
    assert fresh(em_free) == [[str(25 * gib)]] * 4
    rep.delete("/api/v1/estate/repository/" + rid, schema=False, status=(200, 204))
    assert fresh(vbr_free) == [[]] * 4
    assert fresh(ingest_free) == [[]] * 4
    assert fresh(em_free) == [[]] * 4
    assert fresh(az_names) == [[]] * 4


def test_list_pages_are_cached_apart(server):
    """One path, different queries, formats, hosts and versions: each gets its own body."""
    import uuid
    rep, viewer = server.api("reporter"), server.api("viewer")
    tag = uuid.uuid4().hex[:8]
    for i in range(3):
        rep.put("/api/v1/estate/repository/" + str(uuid.uuid4()),
                json={"name": "apart-%s-%d" % (tag, i), "type": "LinuxLocal"}, schema=False, status=200)
    for _ in range(3):
        for limit in (1, 2, 3):
            page = viewer.get("/api/v1/backupInfrastructure/repositories",
                              params={"nameFilter": "apart-%s-*" % tag, "limit": limit},
                              schema="RepositoriesResult").body
            assert [r["name"] for r in page["data"]] == ["apart-%s-%d" % (tag, i) for i in range(limit)]
    for _ in range(3):   # long queries (keys past a few hundred bytes) differing at their end
        for limit in (1, 2):
            page = viewer.get("/api/v1/backupInfrastructure/repositories",
                              params={"pad": "p" * 600, "nameFilter": "apart-%s-*" % tag, "limit": limit},
                              schema="RepositoriesResult").body
            assert len(page["data"]) == limit
    for _ in range(3):   # a value holding '&' and '=' is not two parameters (one connection: one worker)
        odd = viewer.get("/api/v1/backupInfrastructure/repositories",
                         params={"nameFilter": "apart-%s-*&limit=1" % tag}, schema="RepositoriesResult").body
        two = viewer.get("/api/v1/backupInfrastructure/repositories",
                         params={"nameFilter": "apart-%s-*" % tag, "limit": 1}, schema="RepositoriesResult").body
        assert odd["data"] == [] and len(two["data"]) == 1
    em = EM(server.base_url, user="viewer")
    for _ in range(3):
        x = em.req("GET", "/api/repositories", headers={"Host": "alpha.example:9398"})
        j = em.req("GET", "/api/repositories", json_=True, headers={"Host": "beta.example:9398"})
        assert x.headers["Content-Type"].startswith("application/xml") and "alpha.example" in x.text
        assert j.headers["Content-Type"].startswith("application/json") and "beta.example" in j.text
        assert "beta.example" not in x.text and "alpha.example" not in j.text
    for _ in range(3):   # the jobs list in two versions of their own shape
        old = viewer.get("/api/v1/jobs", version="1.1-rev0", schema="JobsResult").body
        new = viewer.get("/api/v1/jobs", schema="JobsResult").body
        assert old["pagination"]["total"] == new["pagination"]["total"]


def test_session_lists_see_every_write_and_keep_their_headers(server):
    """The session lists of VBR (sessions, task sessions) and Azure (jobSessions) are cached
    pages too: each read on a new connection shows every write, and a page answered from a
    cache carries the X-Usn its first answer had (a long poll continues from it)."""
    import uuid
    rep, viewer = server.api("reporter"), server.api("viewer")
    az = Az.login(server, "viewer")
    name = "cached-list-" + uuid.uuid4().hex[:8]
    close = {"Connection": "close"}

    def vbr():
        r = viewer.get("/api/v1/sessions", params={"nameFilter": name + "*"}, headers=close,
                       schema="SessionsResult")
        return r.body["pagination"]["total"], tuple(x["progressPercent"] for x in r.body["data"]), r.headers["X-Usn"]

    def tasks():
        r = viewer.get("/api/v1/taskSessions", params={"nameFilter": name + "*"}, headers=close,
                       schema="TaskSessionsResult")
        return tuple(t["state"] for t in r.body["data"]), r.headers["X-Usn"]

    def azure():
        page = az.get("/api/v8.1/jobSessions?Filter=" + name, headers=close).json()
        return [x["status"] for x in page["results"]]

    s = new_session(rep, name=name + "-a")
    for _ in range(2):   # the second round is answered from the caches
        got = fresh(vbr)
        assert {g[:2] for g in got} == {(1, (0,))} and len({g[2] for g in got}) == 1
        assert fresh(azure) == [["Running"]] * 4
    usn = int(got[0][2])
    rep.patch("/api/v1/sessions/" + s["id"], json={"progressPercent": 64}, schema="SessionModel")
    got = fresh(vbr)
    assert {g[:2] for g in got} == {(1, (64,))} and all(int(g[2]) > usn for g in got)
    t = rep.post("/api/v1/sessions/%s/taskSessions" % s["id"], json={"name": name + "-vm", "type": "Backup"},
                 schema=False, status=201).body
    assert {x[0] for x in fresh(tasks)} == {("Working",)}
    rep.post("/api/v1/taskSessions/%s/complete" % t["id"], json={"result": "Success"}, schema=False, status=200)
    assert {x[0] for x in fresh(tasks)} == {("Stopped",)}
    new_session(rep, name=name + "-b")
    assert {g[0] for g in fresh(vbr)} == {2}
    rep.post("/api/v1/sessions/%s/complete" % s["id"], json={"result": "Failed"}, schema="SessionModel")
    assert sorted(fresh(azure)[0]) == ["Error", "Running"]
    # a long poll from the X-Usn of a cached page waits for the next change, then answers it
    mark = fresh(vbr)[-1][2]
    t0 = time.time()
    r = viewer.get("/api/v1/sessions", params={"nameFilter": name + "*", "usnGreaterThan": mark, "wait": 1},
                   schema="SessionsResult")
    assert r.body["data"] == [] and time.time() - t0 >= 0.9
