"""Every VBR version answers in its own shape (DESIGN §6): each version that has a published
definition in the reference folder (vbr-rest-<version>.openapi.json) is checked on every session
endpoint against that very file; a version without one against its family's newest file.

The check is strict: a body must validate against the response schema the document gives for
that path, and every key in it must be declared by that schema (VBR's models allow extra keys,
so without this a field that a revision lacks, like 1.3-rev0's session `progress`, would pass).
The versions come from the files and from the server's own list (its 400 answer to an unknown
x-api-version), so a new version needs its row in src/model/version.def and its file here.
"""
import json
import os
import re
import subprocess
import uuid

import jsonschema
import pytest

import schema
from conftest import SESSIOND_BIN, missing, new_session

FILE_RE = re.compile(r"^vbr-rest-(\d+\.\d+-rev\d+)\.openapi\.json$")


def _files():
    try:
        names = os.listdir(schema.REFERENCE_DIR)
    except OSError:
        return {}
    return {m.group(1): os.path.join(schema.REFERENCE_DIR, n)
            for n in names for m in [FILE_RE.match(n)] if m}


FILES = _files()  # version -> full definition
REVS = sorted(FILES)


def family(v):
    return v.split("-")[0]


# ---------------------------------------------------------------------------------------------
# one definition: loaded and converted once per test session

class Definition:
    def __init__(self, version):
        self.version = version
        with open(FILES[version], encoding="utf-8-sig") as f:  # some files start with a BOM
            self.doc = json.load(f)
        self.defs = schema.convert_document(self.doc)
        if version in schema.DOCS:  # schema.py's own fallback to the full document: read once
            schema._loaded.setdefault((version, "full"), self.defs)
        self._validators = {}

    def response_schema(self, method, path, status="200"):
        """The component schema name the document gives for a 2xx reply, or None."""
        op = self.doc["paths"].get(path, {}).get(method.lower())
        if op is None:
            return None
        resp = op["responses"][status]
        if "$ref" in resp:
            resp = self.doc["components"]["responses"][resp["$ref"].split("/")[-1]]
        content = resp.get("content", {}).get("application/json")
        if not content:
            return None
        return content["schema"]["$ref"].split("/")[-1]

    def has_path(self, path, method="get"):
        return method in self.doc["paths"].get(path, {})

    def enum(self, name):
        return self.doc["components"]["schemas"][name]["enum"]

    def check(self, name, body, where):
        """Validates body as schema `name`, then that every key is declared there."""
        if name not in self._validators:
            root = {"$schema": "http://json-schema.org/draft-07/schema#", "definitions": self.defs,
                    "$ref": "#/definitions/" + name}
            self._validators[name] = jsonschema.Draft7Validator(
                root, format_checker=schema.FORMAT_CHECKER)
        errs = ["%s: %s" % ("/".join(map(str, e.absolute_path)) or "(root)", e.message)
                for e in self._validators[name].iter_errors(body)]
        self._undeclared({"$ref": "#/definitions/" + name}, body, "", errs)
        if errs:
            raise AssertionError("%s: %s is not a valid %s %s:\n  %s\nbody: %s" % (
                where, self.version, self.version, name, "\n  ".join(errs[:20]),
                json.dumps(body)[:1500]))

    # -- keys a body may carry under a converted schema ----------------------------------------
    def _collect(self, node, value, out, depth=0):
        """Adds the properties node declares for value to out = {"props": {}, "open": bool,
        "items": [...]}, through $ref, allOf, anyOf/oneOf and the if/then of polymorphic models."""
        if depth > 50 or not isinstance(node, dict):
            return
        if "$ref" in node:
            self._collect(self.defs[node["$ref"].split("/")[-1]], value, out, depth + 1)
        for k in ("allOf", "anyOf", "oneOf"):
            for sub in node.get(k, ()):
                if sub == {"type": "null"}:
                    continue
                cond = sub.get("if") if isinstance(sub, dict) else None
                if cond is not None:
                    prop, want = next(iter(cond["properties"].items()))
                    if not (isinstance(value, dict) and value.get(prop) == want["const"]):
                        continue
                    sub = sub["then"]
                self._collect(sub, value, out, depth + 1)
        for p, s in node.get("properties", {}).items():
            out["props"].setdefault(p, s)
        for p in node.get("required", ()):  # 1.1-rev0 requires vbrInstallationId, never declares it
            out["props"].setdefault(p, {})
        if node.get("additionalProperties") not in (None, False):
            out["open"] = True
        if "items" in node:
            out["items"].append(node["items"])

    def _undeclared(self, node, value, path, errs):
        got = {"props": {}, "open": False, "items": []}
        self._collect(node, value, got)
        if isinstance(value, dict):
            for k, v in value.items():
                if k in got["props"]:
                    self._undeclared(got["props"][k], v, path + "/" + k, errs)
                elif not got["open"]:
                    errs.append("%s/%s: not declared in this version" % (path, k))
        elif isinstance(value, list) and got["items"]:
            for i, v in enumerate(value):
                self._undeclared(got["items"][0], v, "%s/%d" % (path, i), errs)


_definitions = {}


def definition(version):
    if version not in _definitions:
        _definitions[version] = Definition(version)
    return _definitions[version]


def definition_for(version):
    """The version's own definition, else its family's newest one."""
    if version in FILES:
        return definition(version)
    same = [v for v in REVS if family(v) == family(version)]
    if not same:
        pytest.fail("x-api-version %s has no definition and neither has its family %s"
                    % (version, family(version)))
    return definition(same[-1])


@pytest.fixture(autouse=True)
def _definitions_present():
    if not REVS:
        missing("no vbr-rest-<version>.openapi.json in %s" % schema.REFERENCE_DIR)


# ---------------------------------------------------------------------------------------------
# a server with sessions that differ between revisions

class Data:
    pass


@pytest.fixture(scope="module")
def seeded(server_factory):
    srv = server_factory()
    rep = srv.api("reporter")
    d = Data()
    d.srv = srv
    # a 1.3-rev2-only type on a 1.3-rev2-only platform, a retry: progress and retryInfo apply
    d.newest = new_session(rep, name="ha-edit", sessionType="HaClusterEdit", platformName="Proxmox",
                           initiatedBy="alice", isRetry=True, jobName="ha")
    d.copy = new_session(rep, name="copy", sessionType="BackupCopyJob", platformName="VMware",
                         jobName="copy")  # 1.3-rev1 on
    d.waiting = new_session(rep, name="needs-you", state="ActionRequired", jobName="needs")
    d.replica = new_session(rep, name="replica", sessionType="ReplicaJob", jobName="replica")
    d.done = new_session(rep, name="done", jobName="done", platformName="HyperV")
    rep.post("/api/v1/sessions/%s/logs" % d.done["id"], schema=False, status=201,
             json={"records": [{"status": "Succeeded", "title": "one"},
                               {"status": "Warning", "title": "two"}]})
    d.tasks = []
    for kind in ("Backup", "Replica", "Restore", "Antivirus"):
        t = rep.post("/api/v1/sessions/%s/taskSessions" % d.done["id"], schema=False, status=201,
                     json={"name": "vm-" + kind.lower(), "type": kind}).body
        d.tasks.append(t)
    rep.post("/api/v1/taskSessions/%s/logs" % d.tasks[0]["id"], schema=False, status=201,
             json={"records": [{"status": "Succeeded", "title": "task line"}]})
    rep.post("/api/v1/taskSessions/%s/complete" % d.tasks[0]["id"], schema=False, status=200,
             json={"result": "Success"})
    rep.post("/api/v1/sessions/%s/complete" % d.done["id"], schema=False, status=200,
             json={"result": "Warning", "message": "one warning"})
    d.sessions = [d.newest, d.copy, d.waiting, d.replica, d.done]
    d.viewer = srv.api("viewer")
    return d


def server_versions(srv):
    """The accepted versions, read from the server's 400 for an unknown x-api-version."""
    r = srv.anon(version="0.0-rev0").get("/api/v1/serverTime", status=400)
    m = re.search(r"supported: (.*)$", r.body["message"])
    assert m, r.body["message"]
    return m.group(1).split(", ")


def get(d, version, path, defn, status=200, params=None, **kw):
    """GET as viewer; a 2xx body is checked against the schema the definition gives `path`."""
    r = d.viewer.get(path.format(**kw), version=version, params=params, schema=False,
                     status=status)
    if 200 <= r.status < 300:
        templ = re.sub(r"\{\w+\}", "{id}", path)
        name = defn.response_schema("get", templ)
        assert name, "%s: the %s definition has no JSON reply for GET %s" % (
            version, defn.version, templ)
        defn.check(name, r.body, "GET " + path)
    return r


def check_version(d, version, defn):
    """Every session endpoint of `version`, checked against defn."""
    ids = {s["id"] for s in d.sessions}
    # sessions: list, each one, logs
    lst = get(d, version, "/api/v1/sessions", defn, params={"limit": 200}).body
    assert {s["id"] for s in lst["data"]} >= ids
    states = defn.enum("ESessionState")
    types = defn.enum("ESessionType")
    for s in lst["data"]:
        if s["id"] not in ids:
            continue
        one = get(d, version, "/api/v1/sessions/{id}", defn, id=s["id"]).body
        one.get("progress", {}).pop("duration", None)
        s.get("progress", {}).pop("duration", None)
        assert one == s
        assert one["state"] in states and one["sessionType"] in types
        get(d, version, "/api/v1/sessions/{id}/logs", defn, id=s["id"])
    by = {s["id"]: s for s in lst["data"]}
    # what a revision lacks falls back to a value it has
    expect_state = "ActionRequired" if "ActionRequired" in states else "Working"
    assert by[d.waiting["id"]]["state"] == expect_state
    newest = by[d.newest["id"]]
    assert newest["sessionType"] == ("HaClusterEdit" if "HaClusterEdit" in types
                                     else "Infrastructure")
    assert (by[d.copy["id"]]["sessionType"] == "BackupCopyJob") == ("BackupCopyJob" in types)
    # every optional field the revision declares and the session has is sent
    declared = defn.doc["components"]["schemas"]["SessionModel"]["properties"]
    for key in ("activityId", "jobId", "initiatedBy", "progress", "retryInfo"):
        assert (key in newest) == (key in declared), key
    assert ("platformName" in by[d.done["id"]]) == ("platformName" in declared)
    platforms = (defn.enum("EPlatformType")
                 if "EPlatformType" in defn.doc["components"]["schemas"] else [])
    assert ("platformName" in newest) == ("Proxmox" in platforms)
    logs = get(d, version, "/api/v1/sessions/{id}/logs", defn, id=d.done["id"]).body
    assert [x["title"] for x in logs["records"]] == ["two", "one"]
    # filters on the revision's own values; every order column it lists
    for col in defn.enum("ESessionsFiltersOrderColumn"):
        get(d, version, "/api/v1/sessions", defn, params={"orderColumn": col})
    st = d.viewer.get("/api/v1/sessions", version=version, params={"stateFilter": "ActionRequired"},
                      schema=False, status=(200, 400))
    assert st.status == (200 if "ActionRequired" in states else 400)
    tf = d.viewer.get("/api/v1/sessions", version=version, params={"typeFilter": "HaClusterEdit"},
                      schema=False, status=(200, 400))
    assert tf.status == (200 if "HaClusterEdit" in types else 400)
    # task sessions where the revision has them
    if defn.has_path("/api/v1/taskSessions"):
        b = get(d, version, "/api/v1/sessions/{id}/taskSessions", defn, id=d.done["id"]).body
        assert {t["id"] for t in b["data"]} == {t["id"] for t in d.tasks}
        get(d, version, "/api/v1/taskSessions", defn)
        for col in defn.enum("ETaskSessionsFiltersOrderColumn"):
            get(d, version, "/api/v1/taskSessions", defn, params={"orderColumn": col})
        for t in d.tasks:
            get(d, version, "/api/v1/taskSessions/{id}", defn, id=t["id"])
            get(d, version, "/api/v1/taskSessions/{id}/logs", defn, id=t["id"])
    else:
        for p in ("/api/v1/taskSessions", "/api/v1/taskSessions/" + d.tasks[0]["id"],
                  "/api/v1/sessions/%s/taskSessions" % d.done["id"]):
            d.viewer.get(p, version=version, status=404)
    # handshake
    r = d.srv.anon(version=version).get("/api/v1/serverTime", schema=False, status=200)
    defn.check(defn.response_schema("get", "/api/v1/serverTime"), r.body, "GET /api/v1/serverTime")
    if defn.has_path("/api/v1/serverInfo"):
        get(d, version, "/api/v1/serverInfo", defn)
    else:
        d.viewer.get("/api/v1/serverInfo", version=version, status=404)
    # jobs
    jobs = get(d, version, "/api/v1/jobs/states", defn).body
    assert {j["sessionId"] for j in jobs["data"]} >= ids
    # token
    r = d.srv.client.post("/api/oauth2/token", version=version, token=None, schema=False,
                          status=200, data={"grant_type": "password", "username": "viewer",
                                            "password": "viewer-Pa55word!"})
    defn.check(defn.response_schema("post", "/api/oauth2/token"), r.body, "POST /api/oauth2/token")


@pytest.mark.parametrize("version", REVS)
def test_revision_shape(seeded, version):
    check_version(seeded, version, definition(version))


def test_revisions_without_definition_take_family_shape(seeded):
    without = [v for v in server_versions(seeded.srv) if v not in FILES]
    for v in without:
        check_version(seeded, v, definition_for(v))


def test_every_definition_is_an_accepted_version(seeded):
    accepted = server_versions(seeded.srv)
    assert accepted == sorted(accepted, key=lambda v: [int(x) for x in re.findall(r"\d+", v)])
    assert set(REVS) <= set(accepted), "definitions for versions the server refuses: %s" % (
        sorted(set(REVS) - set(accepted)))
    for v in accepted:
        seeded.viewer.get("/api/v1/sessions", version=v, schema=False, status=200)


def test_catalog_says_which_versions_have_a_definition(seeded):
    """`sessiond catalog` (docs/TYPES.md) marks exactly the versions whose file is here."""
    out = subprocess.run([SESSIOND_BIN, "catalog"], capture_output=True, text=True, timeout=30,
                         check=True).stdout
    rows = re.findall(r"^\| `(\d+\.\d+-rev\d+)` \| [\d.]+ \| (own definition|family's) \|", out,
                      re.M)
    assert [v for v, _ in rows] == server_versions(seeded.srv)
    for v, shape in rows:
        assert (shape == "own definition") == (v in FILES), v


def test_stop_answers_empty_success(seeded):
    op = seeded.srv.api("operator")
    for v in server_versions(seeded.srv):
        s = new_session(seeded.srv.api("reporter"), name="stop-" + v)
        r = op.post("/api/v1/sessions/%s/stop" % s["id"], version=v, schema=None, status=200)
        assert r.body in (None, {})
        op.post("/api/v1/sessions/%s/stop" % uuid.uuid4(), version=v, status=404)
