"""Black-box API test infrastructure: start the real sessiond, talk HTTP, validate every body.

Fixtures
    server          session-scoped running server with users admin/viewer/operator/reporter
    fresh_server    a new server with an empty database, for one test (isolation)
    server_factory  start extra servers (module-scoped data sets), all stopped at session end
Every client call can name the schema it expects; see Client.request for the rules.
See tests/api/README.md.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid

import pytest
import requests

import schema

REPO = schema.REPO
SESSIOND_BIN = os.environ.get("SESSIOND_BIN") or os.path.join(REPO, "build", "sessiond")
IN_CI = os.environ.get("CI", "").lower() == "true"

ADMIN_PASSWORD = "admin-Pa55word!"
USERS = {  # name -> (role, password); admin comes from SESSIOND_ADMIN_PASSWORD
    "viewer": ("viewer", "viewer-Pa55word!"),
    "operator": ("operator", "operator-Pa55word!"),
    "reporter": ("reporter", "reporter-Pa55word!"),
}
PASSWORDS = {"admin": ADMIN_PASSWORD, **{n: p for n, (_, p) in USERS.items()}}

VERSIONS = schema.VBR_VERSIONS
LATEST = "1.3-rev2"
# PostgreSQL: the demo seeds slower (one round trip a row), and beside other workers' load one
# --demo start took more than 30 s
START_TIMEOUT = 10.0 if not os.environ.get("SESSIOND_TEST_DB") else 60.0
TOKEN_REUSE_S = 600     # Server.api() logs in again after this (access tokens last 900 s)
STOP_TIMEOUT = 5.0


def missing(msg):
    """Fail under CI=true, skip otherwise (DESIGN §11: the reference folder must be there in CI)."""
    if IN_CI:
        pytest.fail(msg + " (CI=true, so this is a failure, not a skip)", pytrace=False)
    pytest.skip(msg)


@pytest.fixture(autouse=True)
def _reference_folder():
    if not schema.reference_available():
        missing("reference folder %s is missing or incomplete: the API tests validate every "
                "body against the OpenAPI files there" % schema.REFERENCE_DIR)


# SESSIOND_TEST_DB=postgresql://… (a cluster, e.g. started by tests/pg/cluster): every server
# gets a fresh PostgreSQL database there instead of a SQLite file (scripts/check runs the suite
# once this way). Tests that read the SQLite file itself are marked sqlite_only.
PG_CLUSTER = os.environ.get("SESSIOND_TEST_DB", "") if os.environ.get(
    "SESSIOND_TEST_DB", "").startswith(("postgres://", "postgresql://")) else ""
_pg_count = [0]


def pg_uri(cluster, dbname):
    """cluster's URI naming database dbname instead."""
    head, sep, query = cluster.partition("?")
    return head[:head.rindex("/") + 1] + dbname + sep + query


def pg_sql(cluster, sql):
    subprocess.run(["psql", cluster, "-qAtc", sql], check=True, capture_output=True, timeout=60)


def pg_fresh_database(cluster, prefix="api"):
    _pg_count[0] += 1
    name = "%s_%d_%d" % (prefix, os.getpid(), _pg_count[0])
    pg_sql(cluster, "CREATE DATABASE %s" % name)
    return name


def pytest_configure(config):
    config.addinivalue_line("markers", "sqlite_only: reads or writes the SQLite database file itself")
    config.addinivalue_line("markers", "alone: a bound on throughput that load beside it can break "
                            "(scripts/check runs these after the others, in one process)")


# tests that read or write the SQLite file itself
SQLITE_ONLY = {"test_keys_leases.py::test_api_key_create_use_list_revoke",
               "test_shared_state.py::test_release1_database_reads_back_every_type",
               "test_shared_state.py::test_release2_estate_totals_after_migration"}


# The files that take longest (large seeded stores, floods of log lines). In pytest-xdist's
# workers (scripts/check runs the suite so, every file whole in one worker) they come first, so
# that no worker begins one of them when the others are about to finish.
LONGEST_FIRST = ("test_vbaz_export.py", "test_sessionctl_run.py", "test_em_stream.py",
                 "test_vbaz_bounded.py", "test_vbr_fidelity.py", "test_alerts.py")


def pytest_collection_modifyitems(config, items):
    if os.environ.get("PYTEST_XDIST_WORKER"):
        first = {name: i for i, name in enumerate(LONGEST_FIRST)}
        items.sort(key=lambda item: first.get(item.nodeid.split("::")[0].split("/")[-1],
                                              len(first)))   # stable: the rest keep their order
    if PG_CLUSTER:
        skip = pytest.mark.skip(reason="reads the SQLite file itself (SESSIOND_TEST_DB is PostgreSQL)")
        for item in items:
            if "sqlite_only" in item.keywords or item.nodeid.split("/")[-1] in SQLITE_ONLY:
                item.add_marker(skip)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------------------------------------
# HTTP client with automatic validation

class Reply:
    """A response with its body parsed once. `.body` is the JSON value or None."""

    def __init__(self, resp):
        self.resp = resp
        self.status = resp.status_code
        self.headers = resp.headers
        self.text = resp.text
        self.body = None
        if resp.content:
            try:
                self.body = resp.json()
            except ValueError:
                self.body = None

    def __repr__(self):
        return "<Reply %s %s %s>" % (self.status, self.resp.request.method, self.resp.url)

    def describe(self):
        r = self.resp.request
        body = r.body
        if isinstance(body, bytes):
            body = body[:300]
        elif isinstance(body, str):
            body = body[:300]
        return "%s %s (x-api-version=%s) body=%r -> %s %s" % (
            r.method, r.url, r.headers.get("x-api-version"), body, self.status, self.text[:600])


class ValidationFailure(AssertionError):
    pass


UNSET = object()


class Client:
    """Talks to one server. Every call goes through request(), which validates:

    - `status` (int or tuple of ints), when given, must match;
    - a VBR error status (>= 400) must carry a JSON body valid against `Error` of the version;
    - a 2xx JSON body is validated against `schema` (a schema name of the version's document);
      schema=None means the reply must have no body or `{}` (EmptySuccessResponse), and a test that
      gets any other body without naming a schema fails: nothing slips through unvalidated;
      schema=False means "our own shape, not in the reference" (e.g. ingest log ids); the test
      then checks the body itself.
    `doc` picks another reference document for the schema (e.g. 'vbaz-8.1').
    """

    def __init__(self, base_url, version=LATEST, token=None):
        self.base_url = base_url
        self.version = version
        self.bearer = token  # access token sent as `Authorization: Bearer`, or None
        self.http = requests.Session()

    def bound(self, token=UNSET, version=UNSET):
        c = Client(self.base_url,
                   self.version if version is UNSET else version,
                   self.bearer if token is UNSET else token)
        c.http = self.http
        return c

    def request(self, method, path, *, version=UNSET, token=UNSET, schema=None, status=None,
                doc=None, headers=None, vbr=True, **kw):
        version = self.version if version is UNSET else version
        token = self.bearer if token is UNSET else token
        h = {}
        if version is not None:
            h["x-api-version"] = version
        if token is not None:
            h["Authorization"] = "Bearer " + token
        h.update(headers or {})
        # requests would drop an explicit None; let a test remove a header with value None
        h = {k: v for k, v in h.items() if v is not None}
        resp = self.http.request(method, self.base_url + path, headers=h, timeout=30, **kw)
        r = Reply(resp)
        self.check(r, version=version, schema=schema, status=status, doc=doc, vbr=vbr)
        return r

    def check(self, r, *, version, schema, status, doc, vbr):
        if status is not None:
            want = status if isinstance(status, (tuple, list, set)) else (status,)
            if r.status not in want:
                raise ValidationFailure("expected status %s, got: %s" % (
                    "/".join(map(str, want)), r.describe()))
        try:
            sver = schema_mod.schema_version_for(version) if version else LATEST
        except KeyError:  # an unknown version a test sent on purpose: errors use the latest
            sver = LATEST
        if r.status >= 400:
            if not vbr:
                return
            ctype = r.headers.get("Content-Type", "")
            if r.body is None:
                raise ValidationFailure("error reply without a JSON Error body: " + r.describe())
            if "json" not in ctype:
                raise ValidationFailure("error reply Content-Type %r is not JSON: %s"
                                        % (ctype, r.describe()))
            self._validate(doc or sver, "Error", r)
            return
        if schema is False:
            return
        if schema is None:
            if r.resp.content and r.body not in ({},):
                raise ValidationFailure("reply has a body but the test named no schema: "
                                        + r.describe())
            return
        if r.body is None:
            raise ValidationFailure("expected a JSON %s body: %s" % (schema, r.describe()))
        ctype = r.headers.get("Content-Type", "")
        if "application/json" not in ctype:
            raise ValidationFailure("Content-Type %r is not application/json: %s"
                                    % (ctype, r.describe()))
        self._validate(doc or sver, schema, r)

    @staticmethod
    def _validate(doc, name, r):
        try:
            schema_mod.validate_doc(doc, name, r.body)
        except schema_mod.SchemaError as e:
            raise ValidationFailure("%s\nrequest: %s" % (e, r.describe())) from None

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, **kw):
        return self.request("POST", path, **kw)

    def patch(self, path, **kw):
        return self.request("PATCH", path, **kw)

    def put(self, path, **kw):
        return self.request("PUT", path, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    # -- auth ------------------------------------------------------------------------------
    def token(self, username, password, version=UNSET, grant_type="password", status=200):
        """POST /api/oauth2/token (password grant); returns the validated TokenModel body."""
        data = {"grant_type": grant_type, "username": username, "password": password}
        r = self.post("/api/oauth2/token", data=data, version=version, token=None,
                      schema="TokenModel", status=status)
        return r.body

    def login(self, username, version=UNSET):
        """A client bound to a fresh access token of `username`."""
        tok = self.token(username, PASSWORDS[username], version=version)
        return self.bound(token=tok["access_token"],
                          version=self.version if version is UNSET else version)


schema_mod = schema


# ---------------------------------------------------------------------------------------------
# the server process

class Server:
    def __init__(self, binary=SESSIOND_BIN, users=USERS, extra_args=(), env=None, db=None):
        self.binary = binary
        self.dir = tempfile.mkdtemp(prefix="sessiond-api-")
        self.db = db or os.path.join(self.dir, "s.db")
        self.pgdb = None
        if PG_CLUSTER and not db:
            self.pgdb = pg_fresh_database(PG_CLUSTER)
            self.db = pg_uri(PG_CLUSTER, self.pgdb)
        self.port = None
        self.proc = None
        self.stderr_path = os.path.join(self.dir, "stderr.log")
        self.stdout_path = os.path.join(self.dir, "stdout.log")
        self.users = users
        self.extra_args = list(extra_args)
        self.env = dict(os.environ)
        self.env["SESSIOND_ADMIN_PASSWORD"] = ADMIN_PASSWORD
        for k in list(self.env):  # flags also read the environment: keep ours authoritative
            if k.startswith("SESSIOND_") and k not in ("SESSIOND_ADMIN_PASSWORD",
                                                        "SESSIOND_BIN"):
                del self.env[k]
        # the suite logs on wrongly on purpose, often; test_auth_matrix.py tests the limit
        self.env["SESSIOND_LOGIN_FAILURES"] = "0"
        self.env.update(env or {})
        self._tokens = {}
        self.stopped_by_us = False

    # -- lifecycle -------------------------------------------------------------------------
    def add_user(self, name, role, password):
        env = dict(self.env, SESSIOND_PASSWORD=password)
        p = subprocess.run([self.binary, "user", "add", name, "--role", role, "--db", self.db],
                           env=env, capture_output=True, text=True, timeout=30)
        if p.returncode != 0:
            raise RuntimeError("`sessiond user add %s --role %s` exited %d\nstdout: %s\nstderr: %s"
                               % (name, role, p.returncode, p.stdout, p.stderr))

    def start(self):
        if not os.path.isfile(self.binary) or not os.access(self.binary, os.X_OK):
            missing("sessiond binary %s not found: run `make` (or set SESSIOND_BIN)" % self.binary)
        for name, (role, pw) in self.users.items():
            self.add_user(name, role, pw)
        self.port = free_port()
        self.base_url = "http://127.0.0.1:%d" % self.port
        self.stopped_by_us = False
        self._err = open(self.stderr_path, "wb")
        self._out = open(self.stdout_path, "wb")
        self.proc = subprocess.Popen(
            [self.binary, "--listen", "127.0.0.1:%d" % self.port, "--db", self.db]
            + self.extra_args, env=self.env, stdout=self._out, stderr=self._err,
            stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + START_TIMEOUT
        last = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("sessiond exited with %s during start-up\n%s"
                                   % (self.proc.returncode, self.stderr_tail()))
            try:
                r = requests.get(self.base_url + "/api/v1/serverTime",
                                 headers={"x-api-version": LATEST}, timeout=1)
                if r.status_code == 200:
                    self.client = Client(self.base_url)
                    return self
                last = "status %d: %s" % (r.status_code, r.text[:200])
            except requests.RequestException as e:
                last = repr(e)
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("sessiond did not answer GET /api/v1/serverTime within %.0f s (last: %s)"
                           "\n%s" % (START_TIMEOUT, last, self.stderr_tail()))

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self):
        """SIGTERM, wait up to 5 s, then SIGKILL. Returns the exit code (None if never started)."""
        if self.proc is None:
            return None
        self.stopped_by_us = True
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for f in (self._err, self._out):
            if not f.closed:
                f.close()
        return self.proc.returncode

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)
        if self.pgdb:
            pg_sql(PG_CLUSTER, "DROP DATABASE IF EXISTS %s WITH (FORCE)" % self.pgdb)
            self.pgdb = None

    def stderr_tail(self, n=60):
        try:
            with open(self.stderr_path, "rb") as f:
                lines = f.read().decode("utf-8", "replace").splitlines()
        except OSError:
            return "(no stderr)"
        return "---- sessiond stderr (last %d lines) ----\n%s" % (n, "\n".join(lines[-n:]))

    # -- clients ---------------------------------------------------------------------------
    def api(self, user="admin", version=LATEST):
        """A client logged in as `user` (token cached per user for speed)."""
        cached = self._tokens.get(user)
        # access tokens last 15 minutes and a slow run (sanitizers) outlasts that: log in again
        if cached is None or time.monotonic() - cached[1] > TOKEN_REUSE_S:
            tok = self.client.token(user, PASSWORDS[user], version=LATEST)
            self._tokens[user] = cached = (tok["access_token"], time.monotonic())
        return self.client.bound(token=cached[0], version=version)

    def anon(self, version=LATEST):
        return self.client.bound(token=None, version=version)


def _finish(srv, failed):
    crashed = (srv.proc is not None and srv.proc.poll() is not None
               and not srv.stopped_by_us)
    code = srv.stop()
    if failed or crashed:
        print("\n" + srv.stderr_tail())
    srv.cleanup()
    if crashed:
        raise RuntimeError("sessiond died while tests were using it (exit code %s)" % code)


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.failed:
        item.session.config._api_failed = True
        setattr(item, "_api_failed", True)


@pytest.fixture(scope="session")
def server(request):
    srv = Server()
    try:
        srv.start()
    except BaseException:
        srv.cleanup()
        raise
    yield srv
    _finish(srv, getattr(request.config, "_api_failed", False))


@pytest.fixture
def fresh_server(request):
    srv = Server()
    try:
        srv.start()
    except BaseException:
        srv.cleanup()
        raise
    yield srv
    _finish(srv, getattr(request.node, "_api_failed", False))


@pytest.fixture(scope="module")
def server_factory(request):
    """Starts servers for one test module; they are stopped when the module ends (kept for the
    whole run, the servers of every module would add up: on PostgreSQL, to more connections
    than a cluster allows)."""
    started = []

    def make(**kw):
        srv = Server(**kw)
        try:
            srv.start()
        except BaseException:
            srv.cleanup()
            raise
        started.append(srv)
        return srv

    yield make
    for srv in started:
        _finish(srv, getattr(request.config, "_api_failed", False))


@pytest.fixture(params=VERSIONS)
def version(request):
    return request.param


# ---------------------------------------------------------------------------------------------
# small helpers shared by the test files

def new_session(reporter, version=LATEST, status=201, **fields):
    """Ingest one session as `reporter`; returns the reply body (validated as SessionModel)."""
    body = {"name": fields.pop("name", "job-" + uuid.uuid4().hex[:8]),
            "sessionType": fields.pop("sessionType", "BackupJob")}
    if "jobName" not in fields:
        fields["jobName"] = body["name"]
    body.update(fields)
    r = reporter.post("/api/v1/sessions", json=body, version=version, schema="SessionModel",
                      status=status)
    return r.body


def job_id_of(s):
    return s.get("jobId") or s.get("activityId")
