"""Auth matrix: every route of every dialect against every kind of credential.

Credentials: none, malformed, expired (minted with the token key read from the database:
the token format is in src/core/auth.c), a bad MAC, a refresh token used as an access token,
a logged-out token, and each role. Expected: exactly the status and error body of the route's
dialect (401 for every bad credential, 403 for a role without the permission, anything but
401/403 for a role with it). Also: failed logons are rate limited per client address (429 +
Retry-After in the dialect's error format), and no password or token reaches the log.
"""
import base64
import hashlib
import hmac
import os
import sqlite3
import struct
import subprocess
import time
import uuid

import pytest
import requests
from lxml import etree

from conftest import ADMIN_PASSWORD, LATEST, PASSWORDS, USERS, Server, new_session

ROLES = ["viewer", "operator", "reporter", "admin"]
PERM_ROLES = {  # src/api/common.c api_allowed
    "auth": set(ROLES),
    "read": {"viewer", "operator", "admin"},
    "stop": {"operator", "admin"},
    "ingest": {"reporter", "admin"},
}
# (dialect, method, path, permission); {id} a running session, {tid} its task, {v} a version.
# VBR and ingest: src/api/vbr/routes.c routes[]; EM: src/api/em/em.c; Azure: src/api/vbaz/routes.c.
ROUTES = [
    ("vbr", "GET", "/api/v1/serverInfo", "auth"),
    ("vbr", "GET", "/api/v1/sessions", "read"),
    ("vbr", "POST", "/api/v1/sessions", "ingest"),
    ("vbr", "GET", "/api/v1/sessions/{id}", "read"),
    ("vbr", "PATCH", "/api/v1/sessions/{id}", "ingest"),
    ("vbr", "GET", "/api/v1/sessions/{id}/logs", "read"),
    ("vbr", "POST", "/api/v1/sessions/{id}/logs", "ingest"),
    ("vbr", "PATCH", "/api/v1/sessions/{id}/logs/1", "ingest"),
    ("vbr", "POST", "/api/v1/sessions/{id}/stop", "stop"),
    ("vbr", "POST", "/api/v1/sessions/{id}/complete", "ingest"),
    ("vbr", "GET", "/api/v1/sessions/{id}/taskSessions", "read"),
    ("vbr", "POST", "/api/v1/sessions/{id}/taskSessions", "ingest"),
    ("vbr", "GET", "/api/v1/taskSessions", "read"),
    ("vbr", "GET", "/api/v1/taskSessions/{tid}", "read"),
    ("vbr", "PATCH", "/api/v1/taskSessions/{tid}", "ingest"),
    ("vbr", "GET", "/api/v1/taskSessions/{tid}/logs", "read"),
    ("vbr", "POST", "/api/v1/taskSessions/{tid}/logs", "ingest"),
    ("vbr", "PATCH", "/api/v1/taskSessions/{tid}/logs/1", "ingest"),
    ("vbr", "POST", "/api/v1/taskSessions/{tid}/complete", "ingest"),
    ("vbr", "GET", "/api/v1/jobs/states", "read"),
    ("vbr", "POST", "/api/oauth2/logout", "auth"),
    ("em", "GET", "/api/logonSessions/{emsid}", "auth"),
    ("em", "DELETE", "/api/logonSessions/{emsid}", "auth"),
    ("em", "GET", "/api/backupSessions", "read"),
    ("em", "GET", "/api/backupSessions/{emid}", "read"),
    ("em", "POST", "/api/backupSessions/{emid}?action=stop", "stop"),
    ("em", "GET", "/api/backupSessions/{emid}/taskSessions", "read"),
    ("em", "GET", "/api/replicaSessions", "read"),
    ("em", "GET", "/api/systemSessions", "read"),
    ("em", "GET", "/api/backupTaskSessions", "read"),
    ("em", "GET", "/api/backupServers", "read"),
    ("em", "GET", "/api/query?type=BackupJobSession", "read"),
    ("em", "GET", "/api/tasks/1", "auth"),
    ("vbaz", "GET", "/api/v8.1/jobSessions", "read"),
    ("vbaz", "POST", "/api/v8.1/jobSessions/export", "read"),
    ("vbaz", "GET", "/api/v8.1/jobSessions/{id}", "read"),
    ("vbaz", "GET", "/api/v8.1/jobSessions/{id}/log", "read"),
    ("vbaz", "POST", "/api/v8.1/jobSessions/{id}/stop", "stop"),
    ("vbaz", "GET", "/api/v8.1/overview/sessionsSummary", "read"),
    ("vbaz", "GET", "/api/v8.1/system/serverInfo", "auth"),
    ("vbaz", "GET", "/api/v8.1/system/about", "auth"),
    ("vbaz", "GET", "/api/v8.1/overview/protectedWorkloads?PeriodFlag=Day", "read"),
    ("vbaz", "GET", "/api/v8.1/overview/storageUsage", "read"),
    ("vbaz", "GET", "/api/v8.1/license", "read"),
    ("vbaz", "GET", "/api/v8.1/virtualMachines", "read"),
    ("vbaz", "GET", "/api/v8.1/virtualMachines/{id}", "read"),
    ("vbaz", "GET", "/api/v8.1/protectedItem/sql", "read"),
    ("vbaz", "GET", "/api/v8.1/protectedItem/virtualMachines/{id}", "read"),
    ("vbaz", "GET", "/api/v8.1/policies/virtualMachines", "read"),
    ("vbaz", "GET", "/api/v8.1/policies/cosmosDb/{id}", "read"),
    ("vbaz", "GET", "/api/v3/policies", "read"),
    ("vbaz", "GET", "/api/v8.1/repositories", "read"),
    ("vbaz", "GET", "/api/v8.1/repositories/{id}", "read"),
    ("vbaz", "GET", "/api/v8.1/restorePoints/virtualMachines", "read"),
    ("vbaz", "GET", "/api/v8.1/restorePoints/sql/{id}", "read"),
    ("vbaz", "GET", "/api/v3/restorePoints", "read"),
    ("vbaz", "DELETE", "/api/oauth2/token", "auth"),
]
# answering these with a role's token uses the token (or logon) up: each gets a fresh one
CONSUMES = {("vbr", "POST", "/api/oauth2/logout"), ("vbaz", "DELETE", "/api/oauth2/token"),
            ("em", "DELETE", "/api/logonSessions/{emsid}")}
BAD = ["none", "malformed", "expired", "badmac", "refresh", "loggedout"]


# ---- tokens minted with the database's key (layout: src/core/auth.c) -------------------------

def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def pg_row(db, sql):
    """One row of a query on a PostgreSQL database (SESSIOND_TEST_DB), as texts."""
    out = subprocess.run(["psql", db, "-qAt", "-F", "\t", "-c", sql], check=True, capture_output=True,
                         text=True, timeout=30).stdout
    return out.strip().split("\t")


def token_key(db):
    if db.startswith("postgres"):
        return bytes.fromhex(pg_row(db, "SELECT value FROM meta WHERE key='token_key'")[0])
    c = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    try:
        return bytes.fromhex(c.execute("SELECT value FROM meta WHERE key='token_key'").fetchone()[0])
    finally:
        c.close()


def user_ids(db, name):
    """(uid, credential generation) of a stored user."""
    if db.startswith("postgres"):
        return tuple(int(v) for v in pg_row(db, "SELECT uid, gen FROM users WHERE name='%s'" % name))
    c = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    try:
        return c.execute("SELECT uid, gen FROM users WHERE name=?", (name,)).fetchone()
    finally:
        c.close()


def mint(key, kind, role, uid, issued, expires, jti=7, gen=1):
    """A token in the server's own format (version 2: with the user's credential generation)."""
    roles = {"viewer": 1, "operator": 2, "reporter": 3, "admin": 4}
    p = bytes([2, kind, roles[role], 0]) + struct.pack(">I", uid) + os.urandom(16) + \
        struct.pack(">QQQQ", jti, issued, expires, gen)
    mac = hmac.new(key, p, hashlib.sha512).digest()[:32]   # crypto_auth: HMAC-SHA-512-256
    return b64u(p) + "." + b64u(mac)


# ---- the server and its credentials ----------------------------------------------------------

class Creds:
    def __init__(self, srv):
        self.srv = srv
        self.base = srv.base_url
        self.tokens = {}
        self.refresh = {}
        for role in ROLES:
            t = self.login(role)
            self.tokens[role], self.refresh[role] = t["access_token"], t["refresh_token"]
        self.em = {role: self.em_logon(role) for role in ROLES}
        key = token_key(srv.db)
        uid, gen = user_ids(srv.db, "admin")
        now = int(time.time())
        self.expired = mint(key, 1, "admin", uid, now - 3600, now - 60, gen=gen)
        good = mint(key, 1, "admin", uid, now, now + 600, gen=gen)
        assert requests.get(self.base + "/api/v1/sessions?limit=1", timeout=10, headers={
            "x-api-version": LATEST, "Authorization": "Bearer " + good}).status_code == 200, \
            "a token minted with the key must verify, or the expired one proves nothing"
        mac = bytearray(base64.urlsafe_b64decode(good.split(".")[1] + "=="))
        mac[0] ^= 1
        self.badmac = good.split(".")[0] + "." + b64u(bytes(mac))
        out = self.login("admin")
        r = requests.post(self.base + "/api/oauth2/logout", timeout=10, headers={
            "x-api-version": LATEST, "Authorization": "Bearer " + out["access_token"]})
        assert r.status_code == 200, r.text
        self.loggedout = out["access_token"]
        em_out = self.em_logon("admin")
        r = requests.delete(self.base + "/api/logonSessions/" + em_out[1], timeout=10,
                            headers={"X-RestSvcSessionId": em_out[0]})
        assert r.status_code in (200, 204), r.text
        self.em_loggedout = em_out[0]

    def login(self, role):
        r = requests.post(self.base + "/api/oauth2/token", headers={"x-api-version": LATEST},
                          data={"grant_type": "password", "username": role,
                                "password": PASSWORDS[role]}, timeout=30)
        assert r.status_code == 200, r.text
        return r.json()

    def em_logon(self, role):
        r = requests.post(self.base + "/api/sessionMngr/?v=latest", auth=(role, PASSWORDS[role]),
                          timeout=30)
        assert r.status_code == 201, r.text
        sid = etree.fromstring(r.content).findtext("{*}SessionId")
        return r.headers["X-RestSvcSessionId"], sid

    def headers(self, dialect, cred, role_tokens=None):
        """Headers for a credential kind or a role."""
        h = {"x-api-version": LATEST} if dialect == "vbr" else {}
        if dialect == "em":
            val = {"none": None, "malformed": "not-a-session", "expired": self.expired,
                   "badmac": self.badmac, "refresh": self.refresh["admin"],
                   "loggedout": self.em_loggedout}.get(cred)
            if cred in ROLES:
                val = (role_tokens or self.em)[cred][0]
            if val is not None:
                h["X-RestSvcSessionId"] = val
            return h
        val = {"none": None, "malformed": "x.y", "expired": self.expired, "badmac": self.badmac,
               "refresh": self.refresh["admin"], "loggedout": self.loggedout}.get(cred)
        if cred in ROLES:
            val = (role_tokens or self.tokens)[cred]
        if val is not None:
            h["Authorization"] = "Bearer " + val
        return h


@pytest.fixture(scope="module")
def matrix(server_factory):
    srv = server_factory()
    creds = Creds(srv)
    rep = srv.api("reporter")
    s = new_session(rep)
    t = rep.post("/api/v1/sessions/%s/taskSessions" % s["id"], json={"name": "vm", "type": "Backup"},
                 schema=False, status=201).body
    rep.post("/api/v1/sessions/%s/logs" % s["id"], json={"records": [{"title": "x"}]}, schema=False,
             status=201)
    return srv, creds, {"id": s["id"], "tid": t["id"], "emid": "urn:veeam:BackupJobSession:" + s["id"]}


def call(srv, dialect, method, path, headers):
    body = {} if method in ("POST", "PATCH") and dialect != "em" else None
    return requests.request(method, srv.base_url + path, headers=headers, json=body, timeout=30)


def error_of(dialect, r):
    """(status in the body, code or message) of a dialect's error answer; fails if malformed."""
    if dialect == "vbr":
        assert "json" in r.headers.get("Content-Type", ""), r.text
        b = r.json()
        assert set(b) >= {"errorCode", "message"}, b
        return r.status_code, b["errorCode"]
    if dialect == "vbaz":
        assert r.headers.get("Content-Type", "").startswith("application/problem+json"), r.headers
        b = r.json()
        assert b.get("status") == r.status_code and b.get("title"), b
        return b["status"], b.get("detail")
    x = etree.fromstring(r.content)
    assert etree.QName(x).localname == "Error", r.text
    assert int(x.get("StatusCode")) == r.status_code and x.get("Message"), r.text
    return int(x.get("StatusCode")), x.get("Status")


EXPECT_401 = {  # dialect -> credential kind -> the error code / status text expected
    "vbr": {"none": "InvalidToken", "malformed": "InvalidToken", "expired": "ExpiredToken",
            "badmac": "InvalidToken", "refresh": "InvalidToken", "loggedout": "InvalidToken"},
}


def route_id(r):
    return "%s %s %s" % r[:3]


@pytest.mark.parametrize("route", ROUTES, ids=route_id)
@pytest.mark.parametrize("cred", BAD)
def test_bad_credentials_get_401_in_the_dialects_format(matrix, route, cred):
    srv, creds, ids = matrix
    dialect, method, path, perm = route
    r = call(srv, dialect, method, path.format(emsid=str(uuid.uuid4()), **ids),
             creds.headers(dialect, cred))
    assert r.status_code == 401, (cred, r.status_code, r.text[:300])
    status, code = error_of(dialect, r)
    if dialect == "vbr":
        assert code == EXPECT_401["vbr"][cred], (cred, r.text)
    if dialect == "em":
        assert code == "Unauthorized", r.text
        assert "Basic" in r.headers.get("WWW-Authenticate", ""), r.headers
    if dialect == "vbaz":
        assert r.json()["detail"], r.text
    if cred == "expired" and dialect != "em":
        assert "expired" in r.text, r.text


@pytest.mark.parametrize("route", ROUTES, ids=route_id)
@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_exactly_its_permissions(matrix, route, role):
    srv, creds, ids = matrix
    dialect, method, path, perm = route
    role_tokens = None
    emsid = str(uuid.uuid4())
    if (dialect, method, path) in CONSUMES:
        fresh = creds.login(role)
        role_tokens = {role: fresh["access_token"]}
        if dialect == "em":
            tok, emsid = creds.em_logon(role)
            role_tokens = {role: (tok, emsid)}
    elif dialect == "em" and "{emsid}" in path:
        emsid = creds.em[role][1]   # the caller's own logon session
    r = call(srv, dialect, method, path.format(emsid=emsid, **ids),
             creds.headers(dialect, role, role_tokens))
    if role in PERM_ROLES[perm]:
        assert r.status_code not in (401, 403) and r.status_code < 500, (role, r.status_code, r.text[:300])
    else:
        assert r.status_code == 403, (role, r.status_code, r.text[:300])
        status, code = error_of(dialect, r)
        if dialect == "vbr":
            assert code == "AccessDenied", r.text
        if dialect == "em":
            assert code == "Forbidden", r.text


PUBLIC = [("vbr", "GET", "/api/v1/serverTime"), ("em", "GET", "/api/"), ("misc", "GET", "/healthz"),
          ("misc", "GET", "/openapi.json")]


@pytest.mark.parametrize("route", PUBLIC, ids=lambda r: "%s %s" % r[1:])
def test_public_routes_answer_without_credentials(matrix, route):
    srv = matrix[0]
    dialect, method, path = route
    h = {"x-api-version": LATEST} if dialect == "vbr" else {}
    r = requests.request(method, srv.base_url + path, headers=h, timeout=10)
    assert r.status_code == 200, r.text[:300]


# ---- failed logons are rate limited per client address --------------------------------------

LIMIT = 10


@pytest.fixture
def limited_server(server_factory):
    # the shared test servers switch the limit off (conftest.py); this one has the default
    srv = server_factory(env={"SESSIOND_LOGIN_FAILURES": str(LIMIT)}, extra_args=["--log-level", "info"])
    return srv


def vbr_login(srv, password, user="viewer"):
    return requests.post(srv.base_url + "/api/oauth2/token", headers={"x-api-version": LATEST},
                         data={"grant_type": "password", "username": user, "password": password},
                         timeout=30)


def test_default_limit_is_documented():
    out = os.popen(Server().binary + " --help").read()
    assert "--login-failures" in out and "[%d]" % LIMIT in out.split("--login-failures")[1].splitlines()[0]


def test_failed_logons_are_rate_limited_per_address(limited_server):
    srv = limited_server
    viewer = srv.api("viewer")   # logged on before the address gets blocked
    for i in range(LIMIT):
        assert vbr_login(srv, "wrong-%d" % i).status_code == 401
    r = vbr_login(srv, "wrong-again")
    assert r.status_code == 429, r.text
    assert 0 < int(r.headers["Retry-After"]) <= 60
    assert r.json()["errorCode"] == "ServiceUnavailable" and "too many" in r.json()["message"]
    # the right password is refused too while the address is blocked: no oracle for guesses
    assert vbr_login(srv, PASSWORDS["viewer"]).status_code == 429
    # every logon endpoint of every dialect, each in its own error format
    r = requests.post(srv.base_url + "/api/oauth2/token", timeout=30,
                      data={"grant_type": "password", "username": "viewer", "password": "x"})
    assert r.status_code == 429 and r.headers["Content-Type"].startswith("application/problem+json")
    assert r.json()["status"] == 429 and "Retry-After" in r.headers
    r = requests.post(srv.base_url + "/api/sessionMngr/?v=latest", auth=("viewer", "x"), timeout=30)
    assert r.status_code == 429 and "Retry-After" in r.headers
    assert etree.fromstring(r.content).get("StatusCode") == "429"
    # tokens already issued keep working: only logons are limited
    assert viewer.get("/api/v1/sessions?limit=1", schema="SessionsResult").status == 200


def test_successful_logons_do_not_count(limited_server):
    srv = limited_server
    for _ in range(LIMIT + 2):
        assert vbr_login(srv, PASSWORDS["viewer"]).status_code == 200


# ---- secrets never reach the log -------------------------------------------------------------

def test_passwords_and_tokens_never_appear_in_the_log(server_factory):
    srv = server_factory(extra_args=["--log-level", "debug"])
    secret_pw = "Secret-" + uuid.uuid4().hex
    good = vbr_login(srv, PASSWORDS["viewer"]).json()
    vbr_login(srv, secret_pw)                              # a wrong password
    vbr_login(srv, secret_pw, user="nobody-" + uuid.uuid4().hex[:6])
    requests.post(srv.base_url + "/api/sessionMngr/?v=latest", auth=("viewer", secret_pw), timeout=30)
    em_tok = requests.post(srv.base_url + "/api/sessionMngr/?v=latest",
                           auth=("viewer", PASSWORDS["viewer"]), timeout=30).headers["X-RestSvcSessionId"]
    h = {"x-api-version": LATEST, "Authorization": "Bearer " + good["access_token"]}
    requests.get(srv.base_url + "/api/v1/sessions?limit=1", headers=h, timeout=10)
    # tokens and passwords sent in query strings, where clients sometimes put them
    requests.get(srv.base_url + "/api/v1/sessions?access_token=%s&password=%s"
                 % (good["access_token"], secret_pw), headers=h, timeout=10)
    requests.get(srv.base_url + "/api/backupSessions?X-RestSvcSessionId=" + em_tok,
                 headers={"X-RestSvcSessionId": em_tok}, timeout=10)
    requests.post(srv.base_url + "/api/oauth2/token?refresh_token=" + good["refresh_token"],
                  headers={"x-api-version": LATEST}, timeout=10,
                  data={"grant_type": "refresh_token", "refresh_token": good["refresh_token"]})
    srv.stop()
    with open(srv.stderr_path, "rb") as f:
        log = f.read().decode("utf-8", "replace")
    assert "/api/v1/sessions" in log, "the access log is on: the test must see requests"
    for secret in (secret_pw, PASSWORDS["viewer"], ADMIN_PASSWORD, good["access_token"],
                   good["refresh_token"], em_tok, good["access_token"].split(".")[1]):
        assert secret not in log, "a secret reached the log"
