"""docs/openapi.json: served as is at GET /openapi.json, and true of the real ingest replies."""
import json
import os
import uuid

import jsonschema
import pytest

import schema

DOC_PATH = os.path.join(schema.REPO, "docs", "openapi.json")


@pytest.fixture(scope="module")
def doc():
    with open(DOC_PATH, encoding="utf-8") as f:
        return json.load(f)


@pytest.fixture(scope="module")
def check(doc):
    """check(name, body): validates body against components.schemas[name] of our document."""
    defs = schema.convert_document(doc)

    def run(name, body):
        v = jsonschema.Draft7Validator({"definitions": defs, "$ref": "#/definitions/" + name},
                                       format_checker=schema.FORMAT_CHECKER)
        errs = ["%s: %s" % ("/".join(map(str, e.absolute_path)) or "(root)", e.message)
                for e in v.iter_errors(body)]
        assert not errs, "not a valid %s: %s\nbody: %s" % (name, errs, json.dumps(body)[:1500])
    return run


def test_served_document_is_the_file(server, doc):
    r = server.anon().get("/openapi.json", schema=False, status=200)
    assert "json" in r.headers.get("Content-Type", "")
    assert r.body == doc
    with open(DOC_PATH, "rb") as f:
        assert r.resp.content == f.read()


def test_document_shape(doc):
    assert doc["openapi"].startswith("3.")
    assert doc["info"]["title"] and doc["info"]["version"]
    want = {
        ("post", "/api/oauth2/token"), ("post", "/api/v1/sessions"), ("patch", "/api/v1/sessions/{id}"),
        ("post", "/api/v1/sessions/{id}/logs"), ("patch", "/api/v1/sessions/{id}/logs/{recordId}"),
        ("post", "/api/v1/sessions/{id}/complete"), ("post", "/api/v1/sessions/{id}/stop"),
        ("post", "/api/v1/sessions/{id}/taskSessions"), ("patch", "/api/v1/taskSessions/{id}"),
        ("post", "/api/v1/taskSessions/{id}/complete"), ("post", "/api/v1/taskSessions/{id}/logs"),
        ("patch", "/api/v1/taskSessions/{id}/logs/{recordId}"),
    }
    have = {(m, p) for p, ops in doc["paths"].items() for m in ops}
    assert want <= have, want - have
    # every $ref resolves
    text = json.dumps(doc)
    for ref in set(part.split('"')[0] for part in text.split('"$ref": "')[1:]):
        node = doc
        for key in ref.lstrip("#/").split("/"):
            node = node[key]
    assert doc["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    # every operation but the token endpoint needs x-api-version
    for p, ops in doc["paths"].items():
        for m, o in ops.items():
            refs = [x.get("$ref") for x in o["parameters"]]
            assert "#/components/parameters/ApiVersion" in refs, (m, p)


def test_request_examples_validate(check):
    """The request schemas accept what the server accepts and refuse what it refuses."""
    check("SessionCreate", {"name": "n", "sessionType": "BackupJob", "backupJobInfo": {"a": 1}})
    with pytest.raises(AssertionError):
        check("SessionCreate", {"name": "n"})
    with pytest.raises(AssertionError):
        check("SessionCreate", {"name": "n", "sessionType": "BackupJob", "bogus": 1})
    check("Complete", {"result": "Success"})
    with pytest.raises(AssertionError):
        check("Complete", {"result": "Great"})


@pytest.mark.parametrize("version", ["1.0-rev1", "1.1-rev0", "1.2-rev1", "1.3-rev2"])
def test_ingest_replies_validate(server, check, version):
    rep = server.api("reporter", version=version)
    op = server.api("operator", version=version)
    body = {"name": "openapi-" + uuid.uuid4().hex[:8], "sessionType": "BackupJob", "jobName": "openapi-job",
            "initiatedBy": "ci", "platformName": "VMware", "resourceReference": "/vm/1", "isRetry": True,
            "parentSessionId": str(uuid.uuid4()), "resourceId": str(uuid.uuid4()),
            "backupJobInfo": {"policyName": "p"}}
    r = rep.post("/api/v1/sessions", json=body, schema=False, status=201)
    check("IngestSession", r.body)
    assert r.headers["Location"].endswith(r.body["id"])
    sid = r.body["id"]
    etag = r.headers["ETag"]
    assert etag == '"%d"' % r.body["usn"]

    r = rep.patch("/api/v1/sessions/" + sid, json={"state": "Idle", "progressPercent": 40},
                  headers={"If-Match": etag}, schema=False, status=200)
    check("IngestSession", r.body)
    r = rep.patch("/api/v1/sessions/" + sid, json={"progressPercent": 41},
                  headers={"If-Match": etag}, schema=False, status=412)
    check("Error", r.body)
    r = rep.patch("/api/v1/sessions/" + sid, json={"state": "Starting"}, schema=False, status=409)
    check("Error", r.body)
    r = rep.patch("/api/v1/sessions/" + sid, json={"progressPercent": "x"}, schema=False, status=400)
    check("Error", r.body)

    r = rep.post("/api/v1/sessions/%s/logs" % sid,
                 json={"records": [{"title": "a"}, {"title": "b", "status": "Warning"}]}, schema=False, status=201)
    check("LogReply", r.body)
    assert r.body["ids"] == [1, 2]
    r = rep.patch("/api/v1/sessions/%s/logs/2" % sid, json={"status": "Succeeded"}, schema=False, status=200)
    check("LogReply", r.body)
    r = rep.patch("/api/v1/sessions/%s/logs/9" % sid, json={"status": "Succeeded"}, schema=False, status=404)
    check("Error", r.body)

    for ttype in ("Backup", "Replica", "Restore", "Antivirus"):
        r = rep.post("/api/v1/sessions/%s/taskSessions" % sid,
                     json={"name": "vm-" + ttype, "type": ttype, "totalSize": 10, "reason": "r",
                           "restorePointId": str(uuid.uuid4()), "repositoryId": str(uuid.uuid4())},
                     schema=False, status=201)
        check("IngestTaskSession", r.body)
        tid = r.body["id"]
        r = rep.patch("/api/v1/taskSessions/" + tid, json={"progressPercent": 50, "state": "Idle"},
                      schema=False, status=200)
        check("IngestTaskSession", r.body)
        r = rep.post("/api/v1/taskSessions/%s/logs" % tid, json={"records": [{"title": "t"}]}, schema=False,
                     status=201)
        check("LogReply", r.body)
        r = rep.patch("/api/v1/taskSessions/%s/logs/1" % tid, json={"status": "Failed"}, schema=False, status=200)
        check("LogReply", r.body)
        r = rep.post("/api/v1/taskSessions/%s/complete" % tid, json={"result": "Success"}, schema=False, status=200)
        check("IngestTaskSession", r.body)
        assert r.body["state"] == "Stopped"

    r = op.post("/api/v1/sessions/%s/stop" % sid, schema=False, status=200)
    check("Empty", r.body or {})
    r = rep.post("/api/v1/sessions/%s/taskSessions" % sid, json={"name": "late"}, schema=False, status=201)
    check("IngestTaskSession", r.body)
    assert r.body["stopRequested"] is True
    r = rep.post("/api/v1/sessions/%s/complete" % sid, json={"result": "Warning", "message": "m"},
                 schema=False, status=200)
    check("IngestSession", r.body)
    assert r.body["state"] == "Stopped" and r.body["result"]["isCanceled"] is True
    r = rep.post("/api/v1/sessions/%s/complete" % sid, json={"result": "Success"}, schema=False, status=409)
    check("Error", r.body)

    # no token, wrong role, no version
    r = server.anon(version=version).post("/api/v1/sessions", json=body, schema=False, status=401)
    check("Error", r.body)
    r = server.api("viewer", version=version).post("/api/v1/sessions", json=body, schema=False, status=403)
    check("Error", r.body)
    r = rep.post("/api/v1/sessions", json=body, version=None, schema=False, status=400, vbr=False)
    check("Error", r.body)


def test_token_reply_validates(server, check):
    from conftest import PASSWORDS
    r = server.anon().post("/api/oauth2/token", data={"grant_type": "password", "username": "reporter",
                                                      "password": PASSWORDS["reporter"]},
                           token=None, schema=False, status=200)
    check("Token", r.body)
    r = server.anon().post("/api/oauth2/token", data={"grant_type": "refresh_token",
                                                      "refresh_token": r.body["refresh_token"]},
                           token=None, schema=False, status=200)
    check("Token", r.body)
    r = server.anon().post("/api/oauth2/token", data={"grant_type": "password", "username": "reporter",
                                                      "password": "wrong"}, token=None, schema=False, status=401)
    check("Error", r.body)
