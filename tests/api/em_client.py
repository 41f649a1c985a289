"""Enterprise Manager helpers for the API tests: logon, XML/JSON fetch, XSD validation.

The XSD (../shared/reference/em-RestAPI.2017-blsrm.xsd, with a UTF-8 BOM) is loaded once;
`validate_xml` checks a body against it when its root element is one the XSD defines.
"""
import base64
import os

import requests
from lxml import etree

import schema

NS = "http://www.veeam.com/ent/v1.0"
XSD_PATH = os.path.join(schema.REFERENCE_DIR, "em-RestAPI.2017-blsrm.xsd")
# Root elements the 2017 XSD defines and that we answer with.
XSD_ROOTS = {"BackupJobSession", "ReplicaJobSession", "RestoreSession", "BackupTaskSession",
             "ReplicaTaskSession", "EntityReferences", "EntityRef", "QueryResult", "Task",
             "LogonSession", "Error", "EnterpriseManager", "BackupJobSessions",
             "ReplicaJobSessions", "BackupTaskSessions", "ReplicaTaskSessions", "BackupServer",
             "BackupServers", "Job", "Jobs", "LogonSessions", "QuerySvc", "Tasks", "Repository",
             "Repositories", "Backup", "Backups", "RestorePoint", "RestorePoints", "OverviewReportFrame",
             "VmsOverviewReportFrame", "JobStatisticsReportFrame", "RepositoryReportFrame"}
_schema = None


def xsd():
    global _schema
    if _schema is None:
        if not os.path.isfile(XSD_PATH):
            from conftest import missing
            missing("EM XSD %s is missing" % XSD_PATH)
        with open(XSD_PATH, "rb") as f:
            data = f.read()
        if data.startswith(b"\xef\xbb\xbf"):
            data = data[3:]
        # The 2017 XSD escapes ':' as '\:' in its uid patterns, which XSD regexes (and libxml2)
        # reject; ':' needs no escape, so the unescaped pattern means what the authors meant.
        data = data.replace(b"\\:", b":")
        _schema = etree.XMLSchema(etree.fromstring(data))
    return _schema


def q(tag):
    """The qualified name of an EM element, for find/iter."""
    return "{%s}%s" % (NS, tag)


def local(tag):
    return tag.split("}", 1)[1] if "}" in tag else tag


def validate_xml(text):
    """Parses an XML body; validates it against the XSD when the XSD knows its root."""
    root = etree.fromstring(text.encode("utf-8"))
    assert root.tag.startswith("{%s}" % NS), root.tag
    if local(root.tag) in XSD_ROOTS:
        s = xsd()
        if not s.validate(root):
            raise AssertionError("XSD validation failed: %s\n%s" % (s.error_log, text[:2000]))
    return root


class EM:
    """One EM logon session (header auth by default, cookie when cookie=True)."""

    def __init__(self, base_url, user="admin", password=None, cookie=False, logon=True):
        from conftest import PASSWORDS
        self.base = base_url
        self.http = requests.Session()
        self.cookie = cookie
        self.token = None
        self.sid = None
        if logon:
            r = self.logon(user, password or PASSWORDS[user])
            assert r.status_code == 201, r.text

    def logon(self, user, password, v="latest"):
        auth = base64.b64encode(("%s:%s" % (user, password)).encode()).decode()
        r = requests.post(self.base + "/api/sessionMngr/?v=" + v,
                          headers={"Authorization": "Basic " + auth})
        if r.status_code == 201:
            root = validate_xml(r.text)
            self.sid = root.find("{%s}SessionId" % NS).text
            self.token = r.headers["X-RestSvcSessionId"]
            if self.cookie:
                self.http.cookies.set("X-RestSvcSessionId", self.token)
        return r

    def req(self, method, path, json_=False, status=200, headers=None, **kw):
        h = {}
        if self.token and not self.cookie:
            h["X-RestSvcSessionId"] = self.token
        if json_:
            h["Accept"] = "application/json"
        h.update(headers or {})
        r = self.http.request(method, self.base + path, headers=h, timeout=30, **kw)
        if status is not None:
            assert r.status_code == status, "%s %s -> %d %s" % (method, path, r.status_code, r.text[:500])
        if r.content:
            if json_:
                assert r.headers["Content-Type"].startswith("application/json"), r.headers
                r.doc = r.json()
            else:
                assert r.headers["Content-Type"].startswith("application/xml"), r.headers
                r.doc = validate_xml(r.text)
        return r

    def xml(self, path, **kw):
        return self.req("GET", path, **kw).doc

    def json(self, path, **kw):
        kw.pop("json_", None)
        return self.req("GET", path, json_=True, **kw).doc


LIST_ROOTS = {"EntityReferences", "BackupJobSessions", "ReplicaJobSessions", "RestoreSessions",
              "SystemSessions", "BackupTaskSessions", "ReplicaTaskSessions", "BackupServers", "Jobs",
              "LogonSessions", "Tasks", "Repositories", "Backups", "RestorePoints", "NASJobs",
              "DiscoveredComputers"}
LIST_CHILDREN = LIST_ROOTS | {"Refs", "SupportedVersions"}
# Elements that repeat with no wrapper (a choice of maxOccurs unbounded): a JSON array.
SEQUENCES = {"Period"}


def to_plain(root):
    """The JSON form DESIGN §5 prescribes, computed from an XML document root."""
    return list_to_plain(root) if local(root.tag) in LIST_ROOTS else xml_to_plain(root)


def xml_to_plain(el):
    """Attributes as properties, Links (and Events) as arrays, lists under their plural."""
    out = dict(el.attrib)
    for child in el:
        name = local(child.tag)
        if name in ("Links", "Events"):
            out[name] = [xml_to_plain(k) for k in child]
        elif name in SEQUENCES:
            out.setdefault(name, []).append(xml_to_plain(child))
        elif name in LIST_CHILDREN and (len(child) or not (child.text or "").strip()):   # not a count
            out[name] = list_to_plain(child)
        elif len(child) or child.attrib:
            out[name] = xml_to_plain(child)
        else:
            out[name] = child.text or ""
    return out


def list_to_plain(el):
    name = local(el.tag)
    return {"Refs" if name == "EntityReferences" else name: [xml_to_plain(k) for k in el]}


def scalar(v):
    """JSON scalars as XML text."""
    if v is True:
        return "true"
    if v is False:
        return "false"
    return str(v)


def same_data(x, j, path="$"):
    """Asserts the XML-derived plain structure x carries the same data as JSON value j."""
    if isinstance(x, dict):
        assert isinstance(j, dict), "%s: %r vs %r" % (path, x, j)
        assert set(x) == set(j), "%s: keys differ: %s vs %s" % (path, sorted(x), sorted(j))
        for k in x:
            same_data(x[k], j[k], path + "." + k)
    elif isinstance(x, list):
        assert isinstance(j, list) and len(x) == len(j), "%s: %r vs %r" % (path, x, j)
        for i, (a, b) in enumerate(zip(x, j)):
            same_data(a, b, "%s[%d]" % (path, i))
    else:
        assert x == scalar(j), "%s: %r vs %r" % (path, x, j)
