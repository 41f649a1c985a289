"""VBR field fidelity and bounded answers (DESIGN §5): every path under a dialect's prefix
answers in that dialect's shape, an unauthenticated request gets the dialect's 401 before any
404, list sizes are bounded, list long polls wait for a change that matches their filter.
Bodies are validated against the reference definition of the exact version asked for."""
import threading
import time
import uuid

import pytest
import requests

from conftest import LATEST, new_session
from test_vbr_versions import REVS, definition  # exact-version definitions

LIST_MAX = 1000   # README: the most items one VBR list answer holds


def hdr(server, user="viewer", version=LATEST):
    h = {"x-api-version": version}
    if user:
        h["Authorization"] = "Bearer " + server.api(user).bearer
    return h


# ---- dialect of every path -----------------------------------------------------------------

@pytest.mark.parametrize("path", ["/api/v1/nosuchresource", "/api/v1/backupInfrastructure/x/y",
                                  "/api/v1/sessions/x/y/z"])
def test_unknown_vbr_path_answers_vbr_404(server, path):
    viewer = server.api("viewer")
    r = viewer.get(path, status=404, schema=False)
    assert r.headers["Content-Type"].startswith("application/json")
    assert r.body["errorCode"] == "NotFound"


@pytest.mark.parametrize("path", ["/api/v1/nosuchresource", "/api/v1/sessions/x/y/z",
                                  "/api/v1/automation/nosuch/a/b"])
def test_vbr_401_before_404(server, path):
    r = server.anon().get(path, status=401, schema=False)
    assert r.body["errorCode"] == "InvalidToken"
    assert r.headers.get("WWW-Authenticate") == "Bearer"


def test_em_401_before_404(server):
    r = requests.get(server.base_url + "/api/nosuchcollection/a/b", timeout=5)
    assert r.status_code == 401, r.text
    assert r.text.lstrip().startswith("<") and "<Error" in r.text


def test_azure_401_before_404(server):
    r = requests.get(server.base_url + "/api/v8.1/nosuchresource/a", timeout=5)
    assert r.status_code == 401, r.text
    assert r.headers["Content-Type"].startswith("application/problem+json")


def test_azure_versioned_unknown_path_is_azure(server):
    """/api/v<N>/... with N > 1 belongs to VB for Azure, known resource or not."""
    tok = requests.post(server.base_url + "/api/oauth2/token", timeout=10, data={
        "grant_type": "password", "username": "viewer",
        "password": __import__("conftest").PASSWORDS["viewer"]}).json()["access_token"]
    r = requests.get(server.base_url + "/api/v8.1/nosuchresource",
                     headers={"Authorization": "Bearer " + tok}, timeout=5)
    assert r.status_code == 404
    assert r.headers["Content-Type"].startswith("application/problem+json")


# ---- bounded answers and per-version defaults ------------------------------------------------

@pytest.fixture(scope="module")
def many(server_factory):
    """A server with more than LIST_MAX sessions: the demo history, topped up by ingest."""
    srv = server_factory(extra_args=("--demo", "--demo-interval", "600000"))
    viewer = srv.api("viewer")
    total = viewer.get("/api/v1/sessions?limit=1", schema="SessionsResult").body["pagination"]["total"]
    rep = srv.api("reporter")
    h = {"x-api-version": LATEST, "Authorization": "Bearer " + rep.bearer}
    with requests.Session() as http:
        for i in range(LIST_MAX + 5 - total):
            r = http.post(srv.base_url + "/api/v1/sessions", headers=h, timeout=10,
                          json={"name": "bulk-%d" % i, "sessionType": "BackupJob"})
            assert r.status_code == 201, r.text
    total = viewer.get("/api/v1/sessions?limit=1", schema="SessionsResult").body["pagination"]["total"]
    return srv, total


@pytest.mark.parametrize("version", ["1.0-rev2", "1.1-rev0", "1.2-rev1", "1.3-rev2"])
def test_huge_limit_is_clamped(many, version):
    srv, total = many
    assert total > LIST_MAX, "the demo seed should hold more than %d sessions" % LIST_MAX
    v = srv.api("viewer", version=version)
    b = v.get("/api/v1/sessions?limit=2147483647", schema="SessionsResult").body
    assert b["pagination"]["limit"] == LIST_MAX == b["pagination"]["count"] == len(b["data"])
    assert b["pagination"]["total"] >= total
    b = v.get("/api/v1/jobs/states?limit=2147483647", schema="JobStatesResult").body
    assert b["pagination"]["limit"] == LIST_MAX
    if version >= "1.2":
        b = v.get("/api/v1/taskSessions?limit=2147483647", schema="TaskSessionsResult").body
        assert b["pagination"]["limit"] == LIST_MAX and len(b["data"]) <= LIST_MAX


@pytest.mark.parametrize("version,default", [("1.0-rev2", LIST_MAX), ("1.1-rev0", LIST_MAX),
                                             ("1.2-rev1", LIST_MAX), ("1.3-rev2", 200)])
def test_limit_default_per_version(many, version, default):
    """1.3 defines limit's default as 200; 1.0-1.2 define none: all matches, up to the cap."""
    srv, _ = many
    v = srv.api("viewer", version=version)
    b = v.get("/api/v1/sessions", schema="SessionsResult").body
    assert b["pagination"]["limit"] == default == len(b["data"])


LISTS = ["/api/v1/sessions", "/api/v1/jobs/states", "/api/v1/automation/sessions", "/api/v1/taskSessions",
         "/api/v1/sessions/{id}/taskSessions"]


def limit_default(defn, path):
    """The default of `limit` the definition gives a list, else LIST_MAX (none: all, up to the cap)."""
    op = defn.doc["paths"][path]["get"]
    for p in op.get("parameters", []):
        if "$ref" in p:
            p = defn.doc["components"]["parameters"][p["$ref"].split("/")[-1]]
        if p["name"] == "limit":
            return p["schema"].get("default", LIST_MAX)
    return LIST_MAX


@pytest.mark.parametrize("version", REVS)
def test_limit_default_of_every_list_per_version(many, version):
    """Each list's limit default is its own definition's (read from the file of that very version):
    200 for sessions, task sessions, job states and automation sessions in 1.3, for a session's
    task sessions only from 1.3-rev1; none elsewhere (all, up to the cap)."""
    srv, _ = many
    defn = definition(version)
    v = srv.api("viewer", version=version)
    with_tasks = v.get("/api/v1/taskSessions", schema=False, params={"limit": 1}).body["data"] \
        if defn.has_path("/api/v1/taskSessions") else []
    checked = 0
    for p in LISTS:
        if not defn.has_path(p):
            continue
        b = v.get(p.format(id=with_tasks[0]["sessionId"] if with_tasks else ""), schema=False).body
        defn.check(defn.response_schema("get", p), b, "GET " + p)
        assert b["pagination"]["limit"] == limit_default(defn, p), (p, b["pagination"])
        assert len(b["data"]) == min(limit_default(defn, p), b["pagination"]["total"]), p
        checked += 1
    assert checked == (5 if version >= "1.2" else 3)
    # the demo history holds hundreds of task sessions: in 1.3 the default cuts the page
    if version >= "1.3":
        b = v.get("/api/v1/taskSessions", schema=False).body
        assert b["pagination"]["total"] > 200 and len(b["data"]) == 200


def test_huge_limit_keeps_memory_bounded(many):
    srv, _ = many

    def rss_kb():
        with open("/proc/%d/status" % srv.proc.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    v = srv.api("viewer")
    v.get("/api/v1/sessions?limit=1000", schema="SessionsResult")
    before = rss_kb()
    for _ in range(5):
        v.get("/api/v1/sessions?limit=2147483647", schema="SessionsResult")
    assert rss_kb() - before < 32 * 1024, (before, rss_kb())


# ---- list long polls with a filter -----------------------------------------------------------

def test_filtered_long_poll_waits_for_a_matching_change(fresh_server):
    srv = fresh_server
    rep, viewer = srv.api("reporter"), srv.api("viewer")
    s = new_session(rep)
    other = new_session(rep)
    got = {}

    def waiter():
        t0 = time.monotonic()
        r = requests.get(srv.base_url + "/api/v1/sessions", timeout=15, headers=hdr(srv), params={
            "usnGreaterThan": other["usn"], "wait": 8, "stateFilter": "Stopped"})
        got["r"], got["t"] = r, time.monotonic() - t0

    th = threading.Thread(target=waiter)
    th.start()
    time.sleep(0.4)
    # changes that do not match the filter must not answer the poll
    rep.patch("/api/v1/sessions/" + other["id"], json={"progressPercent": 5}, schema="SessionModel")
    rep.patch("/api/v1/sessions/" + s["id"], json={"progressPercent": 6}, schema="SessionModel")
    time.sleep(0.5)
    assert "r" not in got, got["r"].text
    done = rep.post("/api/v1/sessions/%s/complete" % s["id"], json={"result": "Success"},
                    schema="SessionModel", status=200).body
    th.join(10)
    r = got["r"]
    assert r.status_code == 200
    assert [x["id"] for x in r.json()["data"]] == [s["id"]]
    assert 0.8 < got["t"] < 3.0
    # the answer tells where to continue from: no change up to it is skipped
    assert int(r.headers["X-Usn"]) >= done["usn"]
    nxt = viewer.get("/api/v1/sessions", params={"usnGreaterThan": r.headers["X-Usn"],
                                                  "stateFilter": "Stopped"},
                     schema="SessionsResult").body
    assert nxt["data"] == []


def test_filtered_long_poll_times_out_empty(fresh_server):
    srv = fresh_server
    rep, viewer = srv.api("reporter"), srv.api("viewer")
    s = new_session(rep)
    t0 = time.monotonic()

    def poke():
        time.sleep(0.3)
        rep.patch("/api/v1/sessions/" + s["id"], json={"progressPercent": 9}, schema="SessionModel")

    th = threading.Thread(target=poke)
    th.start()
    r = viewer.get("/api/v1/sessions", params={"usnGreaterThan": s["usn"], "wait": 1,
                                               "resultFilter": "Failed"}, schema="SessionsResult")
    took = time.monotonic() - t0
    th.join()
    assert r.body["data"] == [] and 0.9 <= took < 2.5, took
    assert int(r.headers["X-Usn"]) > s["usn"]


def test_task_list_long_poll_waits_for_matching_task(fresh_server):
    srv = fresh_server
    rep = srv.api("reporter")
    s = new_session(rep)
    t = rep.post("/api/v1/sessions/%s/taskSessions" % s["id"], json={"name": "vm-x"},
                 schema="TaskSessionModel", status=201).body
    got = {}

    def waiter():
        r = requests.get(srv.base_url + "/api/v1/taskSessions", timeout=15, headers=hdr(srv),
                         params={"usnGreaterThan": t["usn"], "wait": 8, "resultFilter": "Failed"})
        got["r"] = r

    th = threading.Thread(target=waiter)
    th.start()
    time.sleep(0.3)
    rep.patch("/api/v1/taskSessions/" + t["id"], json={"progressPercent": 50}, schema=False)
    time.sleep(0.4)
    assert "r" not in got
    rep.post("/api/v1/taskSessions/%s/complete" % t["id"], json={"result": "Failed"},
             schema=False, status=200)
    th.join(10)
    assert [x["id"] for x in got["r"].json()["data"]] == [t["id"]]


# ---- jobs/states: each job's type and workload from its sessions -----------------------------


# (sessionType, platformName) -> {family-or-version prefix: (EJobType, EJobWorkload)}
JOB_CASES = [
    ("ReplicaJob", "VMware", {"1.0": ("Backup", "vm"), "1.1": ("Backup", "vm"),
                              "1.2": ("VSphereReplica", "vm"), "1.3-rev0": ("VSphereReplica", "vm"),
                              "1.3": ("VSphereReplica", "Vm")}),
    ("BackupJob", "HyperV", {"1.0": ("Backup", "vm"), "1.1": ("Backup", "vm"), "1.2": ("Backup", "vm"),
                             "1.3-rev0": ("HyperVBackup", "vm"), "1.3": ("HyperVBackup", "Vm")}),
    ("PlatformBackupJob", "AWSEC2", {"1.0": ("Backup", "cloudVm"), "1.1": ("Backup", "cloudVm"),
                                     "1.2": ("Backup", "cloudVm"), "1.3-rev0": ("Unknown", "cloudVm"),
                                     "1.3": ("CloudBackupAWS", "CloudVm")}),
    ("AgentBackup", "LinuxPhysical", {"1.0": ("Backup", "server"), "1.1": ("Backup", "server"),
                                      "1.2": ("Backup", "server"),
                                      "1.3-rev0": ("LinuxAgentBackup", "server"),
                                      "1.3": ("LinuxAgentBackup", "Server")}),
    ("UnstructuredDataBackupCopy", None, {"1.0": ("Backup", "file"), "1.1": ("Backup", "file"),
                                          "1.2": ("FileBackupCopy", "file"),
                                          "1.3-rev0": ("FileBackupCopy", "file"),
                                          "1.3": ("FileBackupCopy", "File")}),
    ("BackupJob", "VMware", {"1.0": ("Backup", "vm"), "1.1": ("Backup", "vm"), "1.2": ("Backup", "vm"),
                             "1.3-rev0": ("VSphereBackup", "vm"), "1.3": ("VSphereBackup", "Vm")}),
    # types VBR's ESessionType lacks: an Enterprise Manager file share backup, VB for Azure policies
    ("NasBackup", None, {"1.0": ("Backup", "file"), "1.1": ("Backup", "file"), "1.2": ("Backup", "file"),
                         "1.3-rev0": ("Unknown", "file"), "1.3": ("FileBackup", "File")}),
    ("PolicyBackup", "AzureCompute", {"1.0": ("Backup", "cloudVm"), "1.1": ("Backup", "cloudVm"),
                                      "1.2": ("Backup", "cloudVm"), "1.3-rev0": ("Unknown", "cloudVm"),
                                      "1.3": ("CloudBackupAzure", "CloudVm")}),
    ("PolicySnapshot", None, {"1.0": ("Backup", "cloudVm"), "1.1": ("Backup", "cloudVm"),
                              "1.2": ("Backup", "cloudVm"), "1.3-rev0": ("Unknown", "cloudVm"),
                              "1.3": ("CloudBackupAzure", "CloudVm")}),
    ("SqlPolicyBackup", None, {"1.0": ("Backup", "application"), "1.1": ("Backup", "application"),
                               "1.2": ("Backup", "application"), "1.3-rev0": ("Unknown", "application"),
                               "1.3": ("CloudBackupAzure", "Application")}),
    ("FileSharePolicySnapshot", None, {"1.0": ("Backup", "file"), "1.1": ("Backup", "file"),
                                       "1.2": ("Backup", "file"), "1.3-rev0": ("Unknown", "file"),
                                       "1.3": ("CloudBackupAzure", "File")}),
]


def expected(table, version):
    key = max((k for k in table if version.startswith(k)), key=len)
    return table[key]


@pytest.fixture(scope="module")
def jobs(server_factory):
    srv = server_factory()
    rep = srv.api("reporter")
    made = []
    for i, (st, platform, _) in enumerate(JOB_CASES):
        kw = {"sessionType": st, "jobName": "job-kind-%d" % i}
        if platform:
            kw["platformName"] = platform
        made.append(new_session(rep, name="job-kind-%d" % i, **kw))
    return srv, made


@pytest.mark.parametrize("version", REVS)
def test_job_states_type_and_workload_from_sessions(jobs, version):
    srv, made = jobs
    defn = definition(version)
    r = srv.api("viewer", version=version).get("/api/v1/jobs/states", schema=False, status=200)
    defn.check("JobStatesResult", r.body, "GET /api/v1/jobs/states")
    by = {j["sessionId"]: j for j in r.body["data"]}
    got = [(by[s["id"]]["type"], by[s["id"]]["workload"]) for s in made]
    want = [expected(table, version) for _, _, table in JOB_CASES]
    assert got == want


@pytest.mark.parametrize("version", REVS)
def test_job_definitions_of_every_kind(jobs, version):
    """GET /api/v1/jobs and /jobs/{id} of jobs of every kind (a Hyper-V backup among them, whose
    proxyType is onHost in 1.3-rev0, OnHost from 1.3-rev1), each against the version's own file."""
    srv, made = jobs
    defn = definition(version)
    v = srv.api("viewer", version=version)
    states = {j["sessionId"]: j for j in v.get("/api/v1/jobs/states", schema=False).body["data"]}
    lst = v.get("/api/v1/jobs", schema=False, params={"limit": 100}).body
    defn.check(defn.response_schema("get", "/api/v1/jobs"), lst, "GET /api/v1/jobs")
    listed = {j["id"]: j for j in lst["data"]}
    for s in made:
        jid = states[s["id"]]["id"]
        one = v.get("/api/v1/jobs/" + jid, schema=False).body
        defn.check(defn.response_schema("get", "/api/v1/jobs/{id}"), one, "GET /api/v1/jobs/{id}")
        assert one == listed[jid]


def test_system_sessions_make_no_job(server_factory):
    """A maintenance run names a job but is no job's run: jobs/states and jobs leave it out,
    unless a job of that name is declared."""
    srv = server_factory()
    rep, v = srv.api("reporter"), srv.api("viewer")
    tag = uuid.uuid4().hex[:6]
    sys_s = new_session(rep, name="maint-" + tag, jobName="maint-" + tag, sessionType="DatabaseMaintenance")
    backup = new_session(rep, name="nightly-" + tag, jobName="nightly-" + tag, sessionType="BackupJob")
    names = {j["name"] for j in v.get("/api/v1/jobs/states", schema=False, status=200).body["data"]}
    assert "nightly-" + tag in names and "maint-" + tag not in names
    assert "maint-" + tag not in {j["name"] for j in v.get("/api/v1/jobs", schema=False).body["data"]}
    rep.put("/api/v1/estate/job/%s" % uuid.uuid4(), json={"name": "maint-" + tag, "type": "BackupJob"},
            schema=False, status=200)
    got = [j for j in v.get("/api/v1/jobs/states", schema=False).body["data"] if j["name"] == "maint-" + tag]
    assert len(got) == 1 and got[0]["sessionId"] == sys_s["id"], got
    assert backup["id"] in {j["sessionId"] for j in v.get("/api/v1/jobs/states", schema=False).body["data"]}


# ---- orderColumn=SessionType: by the spelling shown ------------------------------------------

SORT_TYPES = ["BackupJob", "RestoreVm", "ReplicaJob", "ConfigurationBackup", "Infrastructure",
              "BackupCopyJob", "SureBackup", "AgentBackup", "ConfigurationResynchronize", "BackupJob"]


@pytest.fixture(scope="module")
def sorted_srv(server_factory):
    srv = server_factory()
    rep = srv.api("reporter")
    made = []
    for i, st in enumerate(SORT_TYPES):
        s = new_session(rep, name="sort-%02d" % i, sessionType=st,
                        creationTime="2024-02-%02dT10:00:00Z" % (i + 1))
        rep.post("/api/v1/sessions/%s/taskSessions" % s["id"], json={"name": "t-%02d" % i},
                 schema="TaskSessionModel", status=201)
        made.append(s)
    return srv, made


def adjacent_and_sorted(values, asc):
    assert values == sorted(values, reverse=not asc), values
    seen, last = set(), None
    for v in values:
        assert v == last or v not in seen, values
        seen.add(v)
        last = v


@pytest.mark.parametrize("version", REVS)
def test_order_by_session_type_follows_the_spelling(sorted_srv, version):
    srv, made = sorted_srv
    defn = definition(version)
    v = srv.api("viewer", version=version)
    for asc in ("true", "false"):
        r = v.get("/api/v1/sessions", schema=False,
                  params={"orderColumn": "SessionType", "orderAsc": asc, "limit": 100})
        defn.check("SessionsResult", r.body, "GET /api/v1/sessions")
        types = [s["sessionType"] for s in r.body["data"]]
        assert len(types) == len(SORT_TYPES)
        adjacent_and_sorted(types, asc == "true")
        # pages put together give the same list
        pages = []
        for skip in range(0, len(SORT_TYPES), 3):
            p = v.get("/api/v1/sessions", schema=False, params={
                "orderColumn": "SessionType", "orderAsc": asc, "limit": 3, "skip": skip}).body
            assert p["pagination"]["total"] == len(SORT_TYPES)
            pages += [s["id"] for s in p["data"]]
        assert pages == [s["id"] for s in r.body["data"]]
        if version >= "1.2":
            t = v.get("/api/v1/taskSessions", schema=False,
                      params={"orderColumn": "SessionType", "orderAsc": asc}).body
            defn.check("TaskSessionsResult", t, "GET /api/v1/taskSessions")
            adjacent_and_sorted([x["sessionType"] for x in t["data"]], asc == "true")


# ---- antivirus scan filters on task sessions -------------------------------------------------

@pytest.fixture(scope="module")
def scans(server_factory):
    srv = server_factory()
    rep = srv.api("reporter")
    s = new_session(rep, name="scan-parent")
    mk = lambda name, typ="Antivirus": rep.post(
        "/api/v1/sessions/%s/taskSessions" % s["id"], json={"name": name, "type": typ},
        schema=False, status=201).body
    t = {"running": mk("running"), "clean": mk("clean"), "infected": mk("infected"),
         "canceled": mk("canceled"), "backup": mk("backup", "Backup")}
    fin = lambda k, body: rep.post("/api/v1/taskSessions/%s/complete" % t[k]["id"], json=body,
                                   schema=False, status=200)
    fin("clean", {"result": "Success"})
    fin("infected", {"result": "Failed"})
    fin("canceled", {"result": "Warning", "isCanceled": True})
    fin("backup", {"result": "Success"})
    return srv, {k: x["id"] for k, x in t.items()}


@pytest.mark.parametrize("version", [v for v in REVS if v >= "1.2"])
@pytest.mark.parametrize("param,value,want", [
    ("scanTypeFilter", "Antivirus", {"running", "clean", "infected", "canceled"}),
    ("scanTypeFilter", "Yara", set()),
    ("scanResultFilter", "Clean", {"clean"}),
    ("scanResultFilter", "Infected", {"infected"}),
    ("scanResultFilter", "Canceled", {"canceled"}),
    ("scanResultFilter", "None", {"running"}),
    ("scanStateFilter", "Finished", {"clean", "infected", "canceled"}),
    ("scanStateFilter", "InProgress", {"running"}),
    ("scanStateFilter", "NotStarted", set()),
])
def test_scan_filters(scans, version, param, value, want):
    srv, ids = scans
    r = srv.api("viewer", version=version).get("/api/v1/taskSessions", schema=False,
                                                params={param: value})
    definition(version).check("TaskSessionsResult", r.body, "GET /api/v1/taskSessions")
    names = {k for k, i in ids.items() if i in {x["id"] for x in r.body["data"]}}
    assert names == want
    for x in r.body["data"]:
        shown = {"scanTypeFilter": "scanType", "scanResultFilter": "scanResult",
                 "scanStateFilter": "scanState"}[param]
        assert x[shown] == value


def test_scan_filter_bad_value(scans):
    srv, _ = scans
    r = srv.api("viewer").get("/api/v1/taskSessions", params={"scanResultFilter": "Dirty"},
                              status=400, schema=False)
    assert "scanResultFilter" in r.body["message"]


@pytest.mark.parametrize("col", ["ScanState", "ScanResult"])
def test_scan_order_columns_accepted_in_1_2(scans, col):
    srv, _ = scans
    r = srv.api("viewer", version="1.2-rev1").get("/api/v1/taskSessions", schema=False,
                                                   params={"orderColumn": col})
    definition("1.2-rev1").check("TaskSessionsResult", r.body, "GET /api/v1/taskSessions")


# ---- automation sessions ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def automation(server_factory):
    srv = server_factory()
    rep = srv.api("reporter")
    auto = new_session(rep, name="import-export", sessionType="Automation")
    rep.post("/api/v1/sessions/%s/logs" % auto["id"], schema=False, status=201,
             json={"records": [{"status": "Succeeded", "title": "imported 3 objects"}]})
    other = new_session(rep, name="nightly", sessionType="BackupJob")
    return srv, auto, other


@pytest.mark.parametrize("version", REVS)
def test_automation_sessions(automation, version):
    srv, auto, other = automation
    defn = definition(version)
    v = srv.api("viewer", version=version)
    lst = v.get("/api/v1/automation/sessions", schema=False, status=200).body
    defn.check(defn.response_schema("get", "/api/v1/automation/sessions"), lst,
               "GET /api/v1/automation/sessions")
    assert [s["id"] for s in lst["data"]] == [auto["id"]]
    assert lst["data"][0]["sessionType"] == "Automation"
    one = v.get("/api/v1/automation/sessions/" + auto["id"], schema=False, status=200).body
    defn.check("SessionModel", one, "GET /api/v1/automation/sessions/{id}")
    assert one["id"] == auto["id"]
    logs = v.get("/api/v1/automation/sessions/%s/logs" % auto["id"], schema=False, status=200).body
    defn.check("SessionLogResult", logs, "GET /api/v1/automation/sessions/{id}/logs")
    assert [x["title"] for x in logs["records"]] == ["imported 3 objects"]
    # a session of another family is not an automation session
    r = v.get("/api/v1/automation/sessions/" + other["id"], schema=False, status=404)
    assert r.body["errorCode"] == "NotFound"
    v.get("/api/v1/automation/sessions/%s/logs" % other["id"], schema=False, status=404)


def test_automation_session_stop(automation):
    srv, auto, other = automation
    op = srv.api("operator")
    srv.api("viewer").post("/api/v1/automation/sessions/%s/stop" % auto["id"], status=403,
                           schema=False)
    op.post("/api/v1/automation/sessions/%s/stop" % other["id"], status=404, schema=False)
    op.post("/api/v1/automation/sessions/%s/stop" % auto["id"], status=200)
    s = op.get("/api/v1/automation/sessions/" + auto["id"], schema="SessionModel").body
    assert s["state"] == "Stopping"


# ---- OAuth2 authorization codes (1.0-rev2 ... 1.2-rev1) --------------------------------------

# the versions whose definition has the endpoint (1.0-rev1 ... 1.2-rev1)
CODE_VERSIONS = [v for v in REVS if definition(v).has_path("/api/oauth2/authorization_code", "post")]


def get_code(srv, version, user="viewer"):
    c = srv.client.login(user, version=version)
    r = c.post("/api/oauth2/authorization_code", schema=False, status=200)
    definition(version).check("AuthorizationCodeModel", r.body, "POST /api/oauth2/authorization_code")
    assert r.headers.get("Cache-Control") == "no-store"
    return r.body["code"]


def exchange(srv, version, code, status=200, grant="authorization_code"):
    r = srv.client.post("/api/oauth2/token", version=version, token=None, schema=False,
                        status=status, data={"grant_type": grant, "code": code})
    if status == 200:
        definition(version).check("TokenModel", r.body, "POST /api/oauth2/token")
    return r


@pytest.mark.parametrize("version", CODE_VERSIONS)
def test_authorization_code_is_single_use(fresh_server, version):
    srv = fresh_server
    code = get_code(srv, version)
    tok = exchange(srv, version, code).body
    # the tokens it gives work, as the user the code was issued to
    me = srv.client.bound(token=tok["access_token"], version=version)
    me.get("/api/v1/sessions", schema="SessionsResult")
    me.post("/api/v1/sessions/%s/stop" % "00000000-0000-0000-0000-000000000001", status=403,
            schema=False)   # a viewer stays a viewer
    r = exchange(srv, version, code, status=401)
    assert "already used" in r.body["message"]
    # a refresh token from the exchange is a refresh token like any other
    srv.client.post("/api/oauth2/token", version=version, token=None, schema="TokenModel",
                    status=200, data={"grant_type": "refresh_token",
                                      "refresh_token": tok["refresh_token"]})
    # a code is not an access token, nor is an access token a code
    srv.client.get("/api/v1/sessions", version=version, token=code, status=401, schema=False)
    exchange(srv, version, tok["access_token"], status=401)
    exchange(srv, version, "", status=400)


def test_authorization_code_single_use_across_a_restart(fresh_server):
    srv = fresh_server
    version = CODE_VERSIONS[-1]
    used, unused = get_code(srv, version), get_code(srv, version)
    exchange(srv, version, used)
    srv.stop()
    srv.users = {}   # the database keeps them
    srv._tokens = {}
    srv.start()
    exchange(srv, version, used, status=401)
    exchange(srv, version, unused)
    exchange(srv, version, unused, status=401)


def test_authorization_code_needs_credentials_and_an_old_version(server):
    assert CODE_VERSIONS and CODE_VERSIONS[-1] == "1.2-rev1"
    server.anon(version="1.2-rev1").post("/api/oauth2/authorization_code", status=401,
                                         schema=False)
    for version in REVS:
        if version in CODE_VERSIONS:
            continue
        r = server.api("viewer", version=version).post("/api/oauth2/authorization_code",
                                                       status=404, schema=False)
        assert r.body["errorCode"] == "NotFound"


def test_authorization_code_grant_spelling_of_1_3(fresh_server):
    """1.3-rev2 spells the grant Authorization_code; a code from 1.2 is exchanged there too."""
    code = get_code(fresh_server, "1.2-rev1")
    exchange(fresh_server, "1.3-rev2", code, grant="Authorization_code")
