"""VB for Azure test helpers: a client that validates every JSON body against the v8.1
document (doc key 'vbaz-8.1' of schema.py, which converts the Azure OpenAPI file the same
way as the VBR ones), ProblemDetails checks for errors, and the documented v1 shape."""
import requests

import schema
from conftest import PASSWORDS

DOC = "vbaz-8.1"
VERSIONS = ("v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v8.1")

# error status -> the ProblemDetails model the v8.1 document gives for it
PROBLEM = {400: "ProblemDetails400", 401: "ProblemDetails401", 403: "ProblemDetails403",
           404: "ProblemDetails404"}

# The v1 JobSession (archive/vbazure/10 exporting_session_list): these keys and no others.
V1_KEYS = {"id", "type", "localizedType", "executionStartTime", "executionStopTime",
           "executionDuration", "status", "usn", "backupJobInfo", "restoreJobInfo",
           "fileLevelRestoreJobInfo", "repositoryJobInfo", "_links"}


class AzError(AssertionError):
    pass


def validate(name, body):
    try:
        schema.validate_doc(DOC, name, body)
    except schema.SchemaError as e:
        raise AzError(str(e)) from None


def check_v1_session(s):
    extra = set(s) - V1_KEYS
    if extra:
        raise AzError("v1 JobSession has keys the v1 docs do not: %s in %r" % (extra, s))
    for k in ("id", "type", "localizedType", "executionStartTime", "executionDuration", "status",
              "usn", "_links"):
        if k not in s:
            raise AzError("v1 JobSession lacks %s: %r" % (k, s))
    if not isinstance(s["usn"], int):
        raise AzError("usn is not an integer: %r" % s)


class Az:
    """Talks the Azure dialect to one server as one user."""

    def __init__(self, base_url, token=None):
        self.base_url = base_url
        self.token = token
        self.http = requests.Session()

    @classmethod
    def login(cls, server, user="admin"):
        c = cls(server.base_url)
        body = c.grant({"grant_type": "Password", "username": user,
                        "password": PASSWORDS[user]}).json()
        c.token_body = body
        c.token = body["access_token"]
        return c

    def grant(self, form, status=200):
        r = self.http.post(self.base_url + "/api/oauth2/token", data=form, timeout=30)
        self._check(r, status, "Login", token_endpoint=True)
        return r

    def call(self, method, path, *, status=200, model=None, token="__default__", headers=None,
             **kw):
        h = dict(headers or {})
        tok = self.token if token == "__default__" else token
        if tok:
            h["Authorization"] = "Bearer " + tok
        r = self.http.request(method, self.base_url + path, headers=h, timeout=120, **kw)
        self._check(r, status, model)
        return r

    def get(self, path, **kw):
        return self.call("GET", path, **kw)

    def post(self, path, **kw):
        return self.call("POST", path, **kw)

    def _check(self, r, status, model, token_endpoint=False):
        want = status if isinstance(status, (tuple, list)) else (status,)
        if r.status_code not in want:
            raise AzError("expected %s, got %d: %s %s -> %s" % (
                want, r.status_code, r.request.method, r.url, r.text[:500]))
        if r.status_code >= 400:
            ctype = r.headers.get("Content-Type", "")
            if not ctype.startswith("application/problem+json"):
                raise AzError("error Content-Type %r is not problem+json: %s" % (ctype, r.text))
            body = r.json()
            name = PROBLEM.get(r.status_code, "ProblemDetailsTraceId")
            if token_endpoint and r.status_code == 401:
                name = "ProblemDetailsTraceId"
            validate(name, body)
            if body.get("status") != r.status_code:
                raise AzError("problem status %r != %d" % (body.get("status"), r.status_code))
            return
        if model:
            ctype = r.headers.get("Content-Type", "")
            if "application/json" not in ctype:
                raise AzError("Content-Type %r is not JSON: %s" % (ctype, r.text[:300]))
            validate(model, r.json())
