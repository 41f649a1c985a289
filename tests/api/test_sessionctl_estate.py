"""sessionctl and the backup estate: estate put/ls/get/rm round trips (typed fields, names that
resolve to stable ids), repo report against a real folder's file system, run --repository
--object --size-from registering the job, its backup and a restore point, a failed run that
registers nothing, and estate changes that wait in the spool while the server is down.

Everything is checked through the ingest API of a real server (GET /api/v1/estate/...)."""
import json
import os
import subprocess
import uuid

import pytest

from conftest import job_id_of, new_session
from test_sessionctl import SESSIONCTL_BIN, ctl, job, only_session, restart_on_same_port
from test_sessionctl_run import parse_time


@pytest.fixture(autouse=True)
def _binary():
    if not os.access(SESSIONCTL_BIN, os.X_OK):
        pytest.skip("sessionctl binary %s not found: run `make` (or set SESSIONCTL_BIN)" % SESSIONCTL_BIN)


def estate(server, kind, oid, status=200):
    return server.api("viewer").get(f"/api/v1/estate/{kind}/{oid}", schema=False, status=status).body


def estate_list(server, kind, **params):
    params.setdefault("limit", 1000)
    return server.api("viewer").get(f"/api/v1/estate/{kind}", params=params, schema=False, status=200).body["data"]


def by_name(server, kind, name):
    found = [o for o in estate_list(server, kind, nameFilter=name) if o["name"] == name]
    assert len(found) <= 1, found
    return found[0] if found else None


def spool_names(home):
    d = os.path.join(str(home), "state", "sessionctl")
    return sorted(os.listdir(d)) if os.path.isdir(d) else []


def tree_size(path):
    """What the restore point's size must be: the sum of the regular files, links not followed."""
    total = 0
    for root, _dirs, files in os.walk(path):
        for f in files:
            p = os.path.join(root, f)
            if not os.path.islink(p) and os.path.isfile(p):
                total += os.path.getsize(p)
    return total


# ---------------------------------------------------------------------------------------------
# estate put / ls / get / rm

def test_put_get_ls_rm_round_trip(server, tmp_path):
    name = "repo-" + uuid.uuid4().hex[:8]
    p = ctl(server, tmp_path, "estate", "put", "repository", name, "--field", "capacityBytes=1000",
            "--field", "type=LinuxLocal", "--field", "path=/srv/b", user="admin")
    assert p.returncode == 0, p.stderr
    o = json.loads(p.stdout)
    assert o["name"] == name and o["capacityBytes"] == 1000 and o["type"] == "LinuxLocal"
    rid = o["id"]
    assert estate(server, "repository", rid)["capacityBytes"] == 1000      # stored, typed as an integer
    # a second put of the name replaces the same object; --merge keeps what it had
    p = ctl(server, tmp_path, "estate", "put", "repository", name, "--field", "freeBytes=400", "--merge",
            user="admin")
    assert p.returncode == 0, p.stderr
    got = estate(server, "repository", rid)
    assert (got["freeBytes"], got["capacityBytes"], got["path"]) == (400, 1000, "/srv/b")
    p = ctl(server, tmp_path, "estate", "put", "repository", name.upper(), "--field", "freeBytes=300", user="admin")
    assert p.returncode == 0, p.stderr
    got = estate(server, "repository", rid)            # the name matched without regard to case
    assert got["freeBytes"] == 300 and "capacityBytes" not in got
    assert len([o for o in estate_list(server, "repository") if o["name"].lower() == name]) == 1
    # get by name, in words and as JSON
    g = ctl(server, tmp_path, "estate", "get", "repository", name, user="viewer")
    assert g.returncode == 0, g.stderr
    assert rid in g.stdout and "freeBytes" in g.stdout and "300" in g.stdout
    g = ctl(server, tmp_path, "--json", "estate", "get", "repository", rid, user="viewer")
    assert json.loads(g.stdout) == estate(server, "repository", rid)
    # rm by name, then it is gone
    r = ctl(server, tmp_path, "estate", "rm", "repository", name, user="admin")
    assert r.returncode == 0, r.stderr
    estate(server, "repository", rid, status=404)
    g = ctl(server, tmp_path, "estate", "get", "repository", rid, user="viewer")
    assert g.returncode == 1 and ("not found" in g.stderr.lower() or "no such" in g.stderr.lower()), g.stderr


def test_fields_are_typed_by_the_kind(server, tmp_path):
    name = job()
    p = ctl(server, tmp_path, "estate", "put", "job", name, "--field", "type=BackupJob", "--field", "objects=vm1,vm2,vm3",
            "--field", "disabled=true", "--field", "graceSeconds=600", "--field", "schedule=0 22 * * *")
    assert p.returncode == 0, p.stderr
    o = by_name(server, "job", name)
    assert o["objects"] == ["vm1", "vm2", "vm3"] and o["disabled"] is True and o["graceSeconds"] == 600
    assert o["schedule"] == "0 22 * * *" and o["type"] == "BackupJob"
    assert o["reporter"] == "reporter"


@pytest.mark.parametrize("args,words", [
    (["--field", "capacityBytes=lots"], "not a non-negative integer"),
    (["--field", "capacityBytes=-1"], "not a non-negative integer"),
    (["--field", "bogus=1"], "has no property bogus"),
    (["--field", "noequals"], "K=V"),
    (["--field", "disabled=maybe"], "has no property disabled"),
])
def test_bad_fields_are_usage_errors_and_store_nothing(server, tmp_path, args, words):
    name = "repo-" + uuid.uuid4().hex[:8]
    p = ctl(server, tmp_path, "estate", "put", "repository", name, *args)
    assert p.returncode == 2 and words in p.stderr, p.stderr
    assert by_name(server, "repository", name) is None


def test_server_refusal_is_exit_1(server, tmp_path):
    p = ctl(server, tmp_path, "estate", "put", "job", job(), "--field", "type=NoSuchType")
    assert p.returncode == 1 and "session type" in p.stderr
    p = ctl(server, tmp_path, "estate", "put", "job", job(), "--parent", "x")
    assert p.returncode == 2 and "a job has no parent" in p.stderr
    p = ctl(server, tmp_path, "estate", "put", "repository", "r", "--parent", "no-such-sobr")
    assert p.returncode == 1 and "parentId names no scaleOutRepository" in p.stderr
    p = ctl(server, tmp_path, "estate", "put", "missedRun", "x")
    assert p.returncode == 2 and "sessiond's own" in p.stderr
    p = ctl(server, tmp_path, "estate", "put", "bogusKind", "x")
    assert p.returncode == 2 and "kinds:" in p.stderr
    p = ctl(server, tmp_path, "estate", "put", "repository", "r", user="viewer")
    assert p.returncode == 1 and "permission denied" in p.stderr


def test_json_input_parent_and_ls_filters(server, tmp_path):
    jname = job()
    src = tmp_path / "job.json"
    src.write_text(json.dumps({"type": "BackupJob", "description": "from a file", "repository": "r1"}))
    p = ctl(server, tmp_path, "estate", "put", "job", jname, "--json", str(src), "--field", "description=over")
    assert p.returncode == 0, p.stderr
    j = by_name(server, "job", jname)
    assert j["description"] == "over" and j["repository"] == "r1"
    # backups under the job, named by the job's name; restore points from stdin
    for i in range(3):
        p = ctl(server, tmp_path, "estate", "put", "backup", "%s-b%d" % (jname, i), "--parent", jname,
                "--field", "repository=r1")
        assert p.returncode == 0, p.stderr
    other = job()
    assert ctl(server, tmp_path, "estate", "put", "job", other).returncode == 0
    assert ctl(server, tmp_path, "estate", "put", "backup", other + "-b", "--parent", other).returncode == 0
    body = json.dumps({"object": "vm1", "time": "2026-01-02T03:04:05Z", "pointType": "Full", "sizeBytes": 42})
    p = ctl(server, tmp_path, "estate", "put", "restorePoint", "vm1-p", "--parent", jname + "-b1", "--json", "-",
            input=body)
    assert p.returncode == 0, p.stderr
    rp = json.loads(p.stdout)
    assert rp["parentId"] == by_name(server, "backup", jname + "-b1")["id"] and rp["sizeBytes"] == 42
    # ls: by parent, by name pattern, paged through with --limit, as JSON
    ls = ctl(server, tmp_path, "--json", "estate", "ls", "backup", "--parent", jname, user="viewer")
    assert ls.returncode == 0, ls.stderr
    got = json.loads(ls.stdout)
    assert sorted(o["name"] for o in got) == ["%s-b%d" % (jname, i) for i in range(3)]
    assert got == estate_list(server, "backup", parentId=j["id"])
    ls = ctl(server, tmp_path, "estate", "ls", "backup", "--name", jname + "-B*", "--limit", "2", user="viewer")
    assert ls.returncode == 0, ls.stderr
    lines = ls.stdout.splitlines()
    assert [ln.split()[1] for ln in lines] == ["%s-b0" % jname, "%s-b1" % jname]
    assert all("repository=r1" in ln for ln in lines)


def test_name_ids_are_stable_and_a_jobs_is_its_sessions(server, tmp_path):
    name = job()
    p = ctl(server, tmp_path, "estate", "put", "job", name, "--field", "type=BackupJob")
    assert p.returncode == 0, p.stderr
    jid = json.loads(p.stdout)["id"]
    assert uuid.UUID(jid).version == 8                 # name-derived
    s = new_session(server.api("reporter"), name=name, jobName=name)
    assert job_id_of(s) == jid                         # the declared job and its sessions share one id
    # a reporter cannot read the estate: it writes the derived id, the same every time
    p = ctl(server, tmp_path, "estate", "put", "job", name, "--field", "type=BackupJob", "--field", "graceSeconds=5")
    assert json.loads(p.stdout)["id"] == jid
    assert estate(server, "job", jid)["graceSeconds"] == 5
    # --merge needs to read: a reporter is told that the object gets only what it gives
    p = ctl(server, tmp_path, "estate", "put", "job", name, "--field", "description=d", "--merge")
    assert p.returncode == 0 and "cannot read the estate" in p.stderr
    assert "graceSeconds" not in estate(server, "job", jid)


# ---------------------------------------------------------------------------------------------
# repo report

def test_repo_report_measures_the_file_system(server, tmp_path):
    name = "repo-" + uuid.uuid4().hex[:8]
    folder = tmp_path / "backups"
    folder.mkdir()
    assert ctl(server, tmp_path, "estate", "put", "repository", name, "--field", "type=LinuxLocal",
               user="admin").returncode == 0
    p = ctl(server, tmp_path, "repo", "report", name, str(folder), user="admin")
    assert p.returncode == 0, p.stderr
    st = os.statvfs(folder)
    o = by_name(server, "repository", name)
    assert o["capacityBytes"] == st.f_blocks * st.f_frsize
    assert abs(o["freeBytes"] - st.f_bavail * st.f_frsize) < 256 << 20      # the disk is shared and busy
    assert abs(o["usedBytes"] - (st.f_blocks - st.f_bfree) * st.f_frsize) < 256 << 20
    assert o["usedBytes"] <= o["capacityBytes"] and o["freeBytes"] <= o["capacityBytes"]
    assert o["path"] == str(folder.resolve()) and o["host"] == os.uname().nodename
    assert o["type"] == "LinuxLocal"                   # an admin reads: other properties are kept
    assert o["measuredTime"].endswith("Z") or "+" in o["measuredTime"]
    # a reporter cannot read: the report is the whole object, plus its --field values
    p = ctl(server, tmp_path, "repo", "report", name, str(folder), "--field", "type=Nfs")
    assert p.returncode == 0, p.stderr
    o2 = by_name(server, "repository", name)
    assert o2["id"] == o["id"] and o2["type"] == "Nfs" and o2["usn"] > o["usn"]
    p = ctl(server, tmp_path, "repo", "report", name, str(tmp_path / "missing"))
    assert p.returncode == 2 and "missing" in p.stderr


# ---------------------------------------------------------------------------------------------
# run --repository --object --size-from

def test_run_registers_job_backup_and_restore_point(server, tmp_path):
    name, repo, obj = job(), "repo-" + uuid.uuid4().hex[:8], "vm-" + uuid.uuid4().hex[:6]
    out = tmp_path / "out"
    script = ("mkdir -p {o}/sub && head -c 123457 /dev/zero > {o}/a.vbk && head -c 1000 /dev/zero > {o}/sub/b.vib"
              " && ln -s /etc/passwd {o}/link && echo done").format(o=out)
    p = ctl(server, tmp_path, "run", "--job", name, "--repository", repo, "--object", obj, "--size-from", str(out),
            "--", "sh", "-c", script)
    assert p.returncode == 0, p.stderr
    s = only_session(server, name)
    assert s["result"]["result"] == "Success"
    j = by_name(server, "job", name)
    assert j["id"] == job_id_of(s)                       # declared with the sessions' job id
    assert j["type"] == "BackupJob" and j["repository"] == repo and j["objects"] == [obj]
    backups = estate_list(server, "backup", parentId=j["id"])
    assert len(backups) == 1 and backups[0]["repository"] == repo and backups[0]["name"] == name
    points = estate_list(server, "restorePoint", parentId=backups[0]["id"])
    assert len(points) == 1
    rp = points[0]
    assert rp["sizeBytes"] == tree_size(out) == 124457
    assert (rp["object"], rp["pointType"], rp["job"], rp["repository"], rp["sessionId"]) == \
        (obj, "Full", name, repo, s["id"])
    # the point is in time when the command ended: within the session, at its end
    assert parse_time(s["creationTime"]) <= parse_time(rp["time"]) <= parse_time(s["endTime"]) + 1
    # a second run adds a restore point to the same backup; the job stays as declared
    p = ctl(server, tmp_path, "run", "--job", name, "--repository", repo, "--object", obj, "--size-from",
            str(out / "a.vbk"), "--", "true")
    assert p.returncode == 0, p.stderr
    assert len(estate_list(server, "backup", parentId=j["id"])) == 1
    points = estate_list(server, "restorePoint", parentId=backups[0]["id"])
    assert sorted(x["sizeBytes"] for x in points) == [123457, 124457]
    assert estate(server, "job", j["id"])["usn"] == j["usn"]


def test_run_without_size_from_has_no_size_and_keeps_a_declared_job(server, tmp_path):
    name, repo = job(), "repo-" + uuid.uuid4().hex[:8]
    assert ctl(server, tmp_path, "estate", "put", "job", name, "--field", "type=AgentBackup",
               "--field", "schedule=1h", user="admin").returncode == 0
    p = ctl(server, tmp_path, "run", "--job", name, "--type", "AgentBackup", "--repository", repo, "--object", "srv1",
            "--", "true")
    assert p.returncode == 0, p.stderr
    j = by_name(server, "job", name)
    assert j["schedule"] == "1h" and "repository" not in j          # declared: left as it was
    b = estate_list(server, "backup", parentId=j["id"])
    rp = estate_list(server, "restorePoint", parentId=b[0]["id"])[0]
    assert "sizeBytes" not in rp                                     # never guessed


def test_failed_run_registers_nothing(server, tmp_path):
    name, repo = job(), "repo-" + uuid.uuid4().hex[:8]
    out = tmp_path / "o"
    out.mkdir()
    p = ctl(server, tmp_path, "run", "--job", name, "--repository", repo, "--object", "vm1", "--size-from", str(out),
            "--", "sh", "-c", "echo partial > %s/x; exit 3" % out)
    assert p.returncode == 3                                         # the command's own code
    assert only_session(server, name)["result"]["result"] == "Failed"
    assert by_name(server, "job", name) is None
    assert [o for o in estate_list(server, "restorePoint", nameFilter="vm1") if o.get("job") == name] == []


def test_run_options_are_checked(server, tmp_path):
    p = ctl(server, tmp_path, "run", "--object", "vm1", "--", "true")
    assert p.returncode == 2 and "--repository" in p.stderr
    p = ctl(server, tmp_path, "run", "--repository", "r", "--", "true")
    assert p.returncode == 2 and "--object" in p.stderr


def test_server_down_spools_estate_changes_and_delivers_them_later(fresh_server, tmp_path):
    srv = fresh_server
    name, repo = job(), "repo-" + uuid.uuid4().hex[:8]
    data = tmp_path / "data.vbk"
    data.write_bytes(b"x" * 5000)
    srv.stop()
    p = ctl(srv, tmp_path, "run", "--job", name, "--repository", repo, "--object", "vm9", "--size-from", str(data),
            "--retry-for", "0", "--", "true")
    assert p.returncode == 0, p.stderr                               # the server's absence changes nothing
    p2 = ctl(srv, tmp_path, "repo", "report", repo, str(tmp_path))
    assert p2.returncode == 0 and "kept in" in p2.stderr, p2.stderr
    names = spool_names(tmp_path)
    assert [n.rsplit(".", 1)[1] for n in names] == ["spool", "estate", "estate"]   # in the order they happened
    restart_on_same_port(srv)
    f = ctl(srv, tmp_path, "flush")
    assert f.returncode == 0, f.stderr
    assert "delivered the spooled session" in f.stderr and "delivered the spooled estate change" in f.stderr
    assert spool_names(tmp_path) == []
    s = only_session(srv, name)
    j = by_name(srv, "job", name)
    b = estate_list(srv, "backup", parentId=j["id"])[0]
    rp = estate_list(srv, "restorePoint", parentId=b["id"])[0]
    assert rp["sizeBytes"] == 5000 and rp["sessionId"] == s["id"]
    assert by_name(srv, "repository", repo)["capacityBytes"] == os.statvfs(tmp_path).f_blocks * os.statvfs(
        tmp_path).f_frsize
    # delivering again changes nothing: ids come from names
    assert len(estate_list(srv, "restorePoint", parentId=b["id"])) == 1


# ---------------------------------------------------------------------------------------------
# help

def test_help_and_usage(server, tmp_path):
    h = subprocess.run([SESSIONCTL_BIN, "--help"], capture_output=True, text=True)
    assert "estate put" in h.stdout and "repo report" in h.stdout
    h = subprocess.run([SESSIONCTL_BIN, "estate", "put", "--help"], capture_output=True, text=True)
    assert h.returncode == 0 and "--field" in h.stdout and "--merge" in h.stdout and "derived" in h.stdout
    h = subprocess.run([SESSIONCTL_BIN, "help", "repo", "report"], capture_output=True, text=True)
    assert "statvfs" in h.stdout
    p = subprocess.run([SESSIONCTL_BIN, "estate"], capture_output=True, text=True)
    assert p.returncode == 2 and "put, ls, get or rm" in p.stderr
    p = ctl(server, tmp_path, "estate", "ls")
    assert p.returncode == 2 and "missing arguments" in p.stderr


def test_run_as_admin_finds_a_job_declared_under_another_id(server, tmp_path):
    """A reader looks the job up by name: a job a reporter declared under an id of its own gets
    the backup, and nothing is declared twice."""
    name, repo = job(), "repo-" + uuid.uuid4().hex[:8]
    jid = str(uuid.uuid4())
    server.api("reporter").put("/api/v1/estate/job/" + jid, json={"name": name, "type": "BackupJob"},
                               schema=False, status=200)
    p = ctl(server, tmp_path, "run", "--job", name.upper(), "--repository", repo, "--object", "vm1", "--", "true",
            user="admin")
    assert p.returncode == 0, p.stderr
    assert [j["id"] for j in estate_list(server, "job", nameFilter=name)] == [jid]
    b = estate_list(server, "backup", parentId=jid)
    assert len(b) == 1 and b[0]["repository"] == repo and b[0]["name"] == name     # the job's own spelling
    rp = estate_list(server, "restorePoint", parentId=b[0]["id"])[0]
    assert rp["object"] == "vm1" and rp["job"] == name


# ---------------------------------------------------------------------------------------------
# end to end: what repo report and run registered, as each dialect shows it

def gib(n):
    return round(n / 2 ** 30, 2)


def served(reply):
    """The body of a dialect's answer, or None while that dialect does not serve the path (404)."""
    return reply.body if reply.status == 200 else None


def check_vbr(server, repo, name, sid, point):
    v = server.api("viewer")
    states = served(v.get("/api/v1/backupInfrastructure/repositories/states", params={"nameFilter": repo["name"]},
                          schema="RepositoryStatesResult", status=(200, 404)))
    if states is None:
        return 0
    r = [x for x in states["data"] if x["name"] == repo["name"]]
    assert len(r) == 1 and r[0]["id"] == repo["id"]
    assert (r[0]["capacityGB"], r[0]["freeGB"]) == (gib(repo["capacityBytes"]), gib(repo["freeBytes"]))
    assert r[0]["path"] == repo["path"]
    jobs = v.get("/api/v1/jobs/states", params={"nameFilter": name}, schema="JobStatesResult", status=200).body
    j = [x for x in jobs["data"] if x["name"] == name]
    assert len(j) == 1 and j[0]["lastResult"] == "Success" and j[0]["sessionId"] == sid
    assert j[0]["repositoryName"] == repo["name"] and j[0]["repositoryId"] == repo["id"]
    p = v.get("/api/v1/restorePoints/" + point["id"], schema="ObjectRestorePointModel", status=200).body
    assert (p["name"], p["type"], p["sessionId"], p["backupId"]) == (point["object"], "Full", sid, point["parentId"])
    return 1


def check_em(server, repo, name, sid, point, jid):
    from em_client import EM, q
    em = EM(server.base_url, user="viewer")
    r = em.req("GET", "/api/repositories/%s?format=Entity" % repo["id"], status=None)
    if r.status_code == 404:
        return 0
    assert r.status_code == 200, r.text
    assert r.doc.get("Name") == repo["name"]
    assert int(r.doc.find(q("Capacity")).text) == repo["capacityBytes"]
    assert int(r.doc.find(q("FreeSpace")).text) == repo["freeBytes"]
    p = em.xml("/api/restorePoints/%s?format=Entity" % point["id"])
    assert p.get("Name") == point["name"] and p.find(q("BackupDateUTC")).text == point["time"]
    sess = em.xml("/api/jobs/%s/backupSessions?format=Entity" % jid)
    newest = list(sess)[0]
    assert newest.get("UID") == "urn:veeam:BackupJobSession:" + sid
    assert newest.find(q("Result")).text == "Success"
    return 1


def check_vbaz(server, repo, name, sid, point, vm):
    from vbaz_client import Az
    az = Az.login(server, "viewer")
    r = az.get("/api/v8.1/repositories/" + repo["id"], status=(200, 404), model=None)
    if r.status_code == 404:
        return 0
    assert r.json()["name"] == repo["name"]
    pols = az.get("/api/v8.1/policies/virtualMachines", params={"PolicyName": name}, model="PageOfPolicy").json()
    assert [(p["name"], p["backupStatus"]) for p in pols["results"]] == [(name, "Success")]
    vms = az.get("/api/v8.1/virtualMachines", params={"SearchPattern": vm}, model="PageOfVirtualMachine").json()
    vid = [x["id"] for x in vms["results"] if x["name"] == vm]
    assert len(vid) == 1
    pts = az.get("/api/v8.1/restorePoints/virtualMachines", params={"VirtualMachineId": vid[0]},
                 model="PageOfVirtualMachineRestorePoint").json()["results"]
    assert [(p["id"], p["jobSessionId"], p["backupSizeBytes"], p["type"]) for p in pts] == \
        [(point["id"], sid, point["sizeBytes"], "Full")]
    assert pts[0]["pointInTime"][:23] == point["time"][:23]          # Azure writes 7 fraction digits
    assert pts[0]["backupDestination"] == "AzureBlob"
    return 1


def test_run_and_repo_report_in_every_dialect(server, tmp_path):
    """repo report on a real folder, then a run that backs an object up into it: the repository's
    free space, the restore point and the job's last result agree in the ingest API and in every
    dialect that serves them."""
    name, repo_name, obj = job(), "repo-" + uuid.uuid4().hex[:8], "vm-" + uuid.uuid4().hex[:6]
    folder = tmp_path / "repo"
    folder.mkdir()
    assert ctl(server, tmp_path, "repo", "report", repo_name, str(folder)).returncode == 0
    p = ctl(server, tmp_path, "run", "--job", name, "--repository", repo_name, "--object", obj, "--size-from",
            str(folder / "full.vbk"), "--", "sh", "-c", "head -c 300000 /dev/urandom > %s/full.vbk" % folder)
    assert p.returncode == 0, p.stderr
    s = only_session(server, name)
    repo = by_name(server, "repository", repo_name)
    j = by_name(server, "job", name)
    point = estate_list(server, "restorePoint", parentId=estate_list(server, "backup", parentId=j["id"])[0]["id"])[0]
    assert point["sizeBytes"] == 300000 and point["sessionId"] == s["id"] and s["result"]["result"] == "Success"
    assert repo["freeBytes"] <= repo["capacityBytes"]
    shown = check_vbr(server, repo, name, s["id"], point) + check_em(server, repo, name, s["id"], point, j["id"])
    # Azure shows Azure workloads and policies: the same again for an Azure VM under a policy
    az_name, vm = job(), "az-" + uuid.uuid4().hex[:6]
    assert ctl(server, tmp_path, "estate", "put", "protectedObject", vm, "--field", "platform=Azure",
               "--field", "type=Vm").returncode == 0
    p = ctl(server, tmp_path, "run", "--job", az_name, "--type", "PolicyBackup", "--repository", repo_name,
            "--object", vm, "--size-from", str(folder / "full.vbk"), "--", "true")
    assert p.returncode == 0, p.stderr
    s2 = only_session(server, az_name)
    j2 = by_name(server, "job", az_name)
    assert j2["type"] == "PolicyBackup"
    point2 = estate_list(server, "restorePoint", parentId=estate_list(server, "backup", parentId=j2["id"])[0]["id"])[0]
    shown += check_vbaz(server, repo, az_name, s2["id"], point2, vm)
    assert shown == 3                      # VBR, Enterprise Manager and VB for Azure all serve them
