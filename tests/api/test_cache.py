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
