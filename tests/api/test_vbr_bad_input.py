"""Bad input (DESIGN §5, §9): a 4xx with the dialect's Error body, a message naming the field,
and stored data unchanged afterwards (the session is re-read and compared)."""
import uuid

import pytest
import requests

from conftest import new_session


@pytest.fixture
def rep(server):
    return server.api("reporter")


@pytest.fixture
def viewer(server):
    return server.api("viewer")


@pytest.fixture
def victim(rep, viewer):
    """A session with a log record, and a function returning its full current state."""
    s = new_session(rep, progressPercent=10)
    rep.post("/api/v1/sessions/%s/logs" % s["id"], schema=False, status=201,
             json={"records": [{"status": "Succeeded", "title": "first"}]})

    def snapshot():
        one = viewer.get("/api/v1/sessions/" + s["id"], schema="SessionModel", status=200).body
        one.get("progress", {}).pop("duration", None)  # a running session's clock moves on
        logs = viewer.get("/api/v1/sessions/%s/logs" % s["id"], schema="SessionLogResult",
                          status=200).body
        total = viewer.get("/api/v1/sessions", schema="SessionsResult",
                           params={"limit": 1}).body["pagination"]["total"]
        return one, logs, total

    s["snapshot"] = snapshot
    s["before"] = snapshot()
    return s


def unchanged(victim):
    assert victim["snapshot"]() == victim["before"]


@pytest.mark.parametrize("bad", ["not-a-uuid", "1234", "3f2a7c1e-5b6d-4e8f-9a0b-1c2d3e4f5a6",
                                 "3f2a7c1e-5b6d-4e8f-9a0b-1c2d3e4f5a6bz", "%00", "..%2f..%2fetc"])
def test_malformed_uuid_in_path(viewer, rep, victim, version, bad):
    viewer.get("/api/v1/sessions/" + bad, version=version, status=(400, 404))
    viewer.get("/api/v1/sessions/%s/logs" % bad, version=version, status=(400, 404))
    rep.patch("/api/v1/sessions/" + bad, json={"progressPercent": 99}, status=(400, 404))
    rep.post("/api/v1/sessions/%s/complete" % bad, json={"result": "Success"}, status=(400, 404))
    unchanged(victim)


@pytest.mark.parametrize("field", ["createdAfterFilter", "createdBeforeFilter",
                                   "endedAfterFilter", "endedBeforeFilter"])
@pytest.mark.parametrize("value", ["yesterday", "2024-13-01T00:00:00Z", "2024-01-01",
                                   "2024-01-01T25:00:00Z", "2024-01-01T00:00:00+25:00",
                                   "0000-06-01T00:00:00Z", "0001-01-01T00:30:00+01:00"])
def test_bad_date_filter_400(viewer, version, field, value):
    r = viewer.get("/api/v1/sessions", version=version, params={field: value}, status=400)
    assert field in r.body["message"]


@pytest.mark.parametrize("field,value", [
    ("typeFilter", "Bogus"), ("resultFilter", "Bogus"), ("stateFilter", "Bogus"),
    ("orderColumn", "Bogus"), ("orderAsc", "maybe"), ("skip", "-1"), ("skip", "x"),
    ("limit", "x"), ("limit", "-5"), ("jobIdFilter", "not-a-uuid"),
])
def test_bad_filter_value_400(viewer, version, field, value):
    r = viewer.get("/api/v1/sessions", version=version, params={field: value}, status=400)
    assert field in r.body["message"]


def test_type_name_of_other_version_400(viewer):
    # 'Job' is the 1.0/1.1 spelling; 1.3-rev2 has no such ESessionType value
    viewer.get("/api/v1/sessions", version="1.3-rev2", params={"typeFilter": "Job"}, status=400)


def test_invalid_json_body_400(rep, victim):
    h = {"Content-Type": "application/json"}
    for body in (b"{", b"not json", b'{"progressPercent": 5,}', b"\xff\xfe", b"[]", b"null"):
        rep.patch("/api/v1/sessions/" + victim["id"], data=body, headers=h, status=400)
        rep.post("/api/v1/sessions", data=body, headers=h, status=400)
        rep.post("/api/v1/sessions/%s/logs" % victim["id"], data=body, headers=h, status=400)
    unchanged(victim)


@pytest.mark.parametrize("patch,field", [
    ({"progressPercent": "x"}, "progressPercent"),
    ({"progressPercent": 101}, "progressPercent"),
    ({"progressPercent": -1}, "progressPercent"),
    ({"progressPercent": 1.5}, "progressPercent"),
    ({"state": "Bogus"}, "state"),
    ({"state": 3}, "state"),
    ({"name": 5}, "name"),
])
def test_wrong_types_in_patch_400(rep, victim, patch, field):
    r = rep.patch("/api/v1/sessions/" + victim["id"], json=patch, status=400)
    assert field in r.body["message"]
    unchanged(victim)


@pytest.mark.parametrize("body,field", [
    ({"sessionType": "BackupJob"}, "name"),
    ({"name": "x"}, "sessionType"),
    ({"name": 5, "sessionType": "BackupJob"}, "name"),
    ({"name": "x", "sessionType": "Bogus"}, "sessionType"),
    ({"name": "x", "sessionType": "BackupJob", "jobId": "nope"}, "jobId"),
    ({"name": "x", "sessionType": "BackupJob", "creationTime": "soon"}, "creationTime"),
    ({"name": "x", "sessionType": "BackupJob", "progressPercent": "x"}, "progressPercent"),
    ({"name": "x", "sessionType": "BackupJob", "state": "Bogus"}, "state"),
])
def test_bad_create_400(rep, victim, body, field):
    r = rep.post("/api/v1/sessions", json=body, status=400)
    assert field in r.body["message"]
    unchanged(victim)


@pytest.mark.parametrize("body", [
    {"records": [{"status": "Bogus", "title": "x"}]},
    {"records": [{"status": "Succeeded"}]},
    {"records": "x"},
    {},
])
def test_bad_log_records_400(rep, victim, body):
    rep.post("/api/v1/sessions/%s/logs" % victim["id"], json=body, status=400)
    unchanged(victim)


@pytest.mark.parametrize("body", [{"result": "Bogus"}, {}, {"result": "Success",
                                                           "isCanceled": "yes"}])
def test_bad_complete_400(rep, victim, body):
    rep.post("/api/v1/sessions/%s/complete" % victim["id"], json=body, status=400)
    unchanged(victim)


def test_body_over_limit_413(rep, victim):
    big = b'{"progressPercent": 50, "name": "' + b"a" * (2 * 1024 * 1024 + 10) + b'"}'
    try:
        rep.patch("/api/v1/sessions/" + victim["id"], data=big,
                  headers={"Content-Type": "application/json"}, status=413)
        rep.post("/api/v1/sessions", data=big, headers={"Content-Type": "application/json"},
                 status=413)
    except requests.ConnectionError as e:
        pytest.fail("server dropped the connection instead of answering 413: %r" % e)
    unchanged(victim)


def test_unknown_route_404(viewer, victim, version):
    # under the VBR prefix (anything else under /api/ is Enterprise Manager, DESIGN §5)
    viewer.get("/api/v1/sessions/%s/nothing" % victim["id"], version=version, status=404)


def test_method_not_allowed(viewer, version):
    r = viewer.delete("/api/v1/sessions", version=version, status=(403, 405))
    if r.status == 405:
        assert r.body["errorCode"] == "MethodNotAllowed"


def test_still_alive_after_garbage(server, viewer):
    # a few raw malformed requests must not hurt the server
    import socket
    for raw in (b"GARBAGE\r\n\r\n", b"GET /api/v1/sessions HTTP/1.1\r\nHost: x\r\n"
                b"x-api-version: 1.3-rev2\r\nAuthorization: Bearer \x00\x01\r\n\r\n",
                b"GET /" + b"a" * 20000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"):
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as s:
            s.sendall(raw)
            try:
                s.recv(4096)
            except OSError:
                pass
    assert server.alive()
    viewer.get("/api/v1/sessions", schema="SessionsResult", status=200)
    viewer.get("/api/v1/sessions/%s" % uuid.uuid4(), status=404)
