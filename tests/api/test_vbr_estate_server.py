"""The backup server that VBR clients see is sessiond itself: its license, its configuration
backup (from ConfigurationBackup sessions) and the security analyzer's best practices (sessiond's
checks of itself), in every version whose reference has the path; and a client's walk from
serverInfo to repositories, jobs, sessions, task sessions and restore points by the ids the
answers give."""
import os
import subprocess
import uuid

import pytest

from conftest import new_session


def has12(version):
    return version.split("-")[0] >= "1.2"


# ---- license ---------------------------------------------------------------------------------

def test_license_is_sessiond_truthfully(server, version):
    v = server.api("viewer")
    if not has12(version):
        assert v.get("/api/v1/license", version=version, status=404).body["errorCode"] == "NotFound"
        v.get("/api/v1/license/instances", version=version, status=404)
        return
    lic = v.get("/api/v1/license", version=version, schema="InstalledLicenseModel", status=200).body
    assert lic["status"] == "Valid" and lic["type"] == "Free"
    # no expiry and no instance limit: neither is shown
    assert "expirationDate" not in lic and "instanceLicenseSummary" not in lic
    info = v.get("/api/v1/serverInfo", version=version, schema="ServerInfoModel", status=200).body
    assert lic["licensedTo"] == info["name"]
    inst = v.get("/api/v1/license/instances?skip=0&limit=10", version=version,
                 schema="InstanceLicenseWorkloadResult", status=200).body
    assert inst["data"] == [] and inst["pagination"]["total"] == 0
    v.get("/api/v1/license/instances?limit=-3", version=version, status=400)
    server.anon().get("/api/v1/license", version=version, status=401)


# ---- configuration backup ----------------------------------------------------------------------

def test_config_backup_without_any(fresh_server, version):
    cb = fresh_server.api("viewer").get("/api/v1/configBackup", version=version, schema="ConfigBackupModel",
                                        status=200).body
    assert cb["isEnabled"] is False and cb["lastSuccessfulBackup"] == {}
    assert cb["schedule"] == {"isEnabled": False}


def test_config_backup_from_sessions(fresh_server, version):
    rep = fresh_server.api("reporter")
    repo, job = str(uuid.uuid4()), str(uuid.uuid4())
    rep.put(f"/api/v1/estate/repository/{repo}", json={"name": "Config-Repo"}, schema=False, status=200)
    rep.put(f"/api/v1/estate/job/{job}", json={"name": "Backup Configuration Job", "type": "ConfigurationBackup",
                                               "schedule": "0 10 * * *", "repository": "Config-Repo"},
            schema=False, status=200)
    ok = new_session(rep, name="Backup Configuration Job", sessionType="ConfigurationBackup")
    rep.post(f"/api/v1/sessions/{ok['id']}/complete", json={"result": "Success"}, schema=False, status=200)
    failed = new_session(rep, name="Backup Configuration Job", sessionType="ConfigurationBackup")
    rep.post(f"/api/v1/sessions/{failed['id']}/complete", json={"result": "Failed"}, schema=False, status=200)
    v = fresh_server.api("viewer")
    cb = v.get("/api/v1/configBackup", version=version, schema="ConfigBackupModel", status=200).body
    assert cb["isEnabled"] is True and cb["backupRepositoryId"] == repo
    assert cb["schedule"]["isEnabled"] is True
    # the newest successful run, not the newest run
    assert cb["lastSuccessfulBackup"]["sessionId"] == ok["id"]
    s = v.get(f"/api/v1/sessions/{ok['id']}", version=version, schema="SessionModel", status=200).body
    assert cb["lastSuccessfulBackup"]["lastSuccessfulTime"] == s["endTime"]


# ---- best practices ----------------------------------------------------------------------------

def practices(srv, version="1.3-rev2"):
    body = srv.api("viewer").get("/api/v1/securityAnalyzer/bestPractices", version=version,
                                 schema="BestPracticesComplianceResult", status=200).body
    return {p["bestPractice"]: p for p in body["items"]}


@pytest.mark.sqlite_only
def test_best_practices_of_a_plain_server(fresh_server, version):
    if not has12(version):
        fresh_server.api("viewer").get("/api/v1/securityAnalyzer/bestPractices", version=version, status=404)
        return
    p = practices(fresh_server, version)
    assert p["The REST API is served over TLS"]["status"] == "Violation"
    assert p["Session retention is set"]["status"] == "Violation"
    assert p["The admin password was changed"]["status"] == "Violation"
    assert p["The configuration is backed up"]["status"] == "Violation"
    mode = os.stat(fresh_server.db).st_mode & 0o777
    db = p["The database file is private"]
    assert db["status"] == ("Violation" if mode & 0o077 else "OK") and ("%04o" % mode) in db["note"]
    assert len({x["id"] for x in p.values()}) == 5


@pytest.mark.sqlite_only
def test_best_practices_that_hold(server_factory):
    srv = server_factory(extra_args=["--retention-days", "30"])
    os.chmod(srv.db, 0o600)
    env = dict(srv.env, SESSIOND_PASSWORD="a-new-admin-password")
    subprocess.run([srv.binary, "user", "passwd", "admin", "--db", srv.db], env=env, check=True,
                   capture_output=True, timeout=30)
    rep = srv.api("reporter")
    s = new_session(rep, name="Backup Configuration Job", sessionType="ConfigurationBackup")
    rep.post(f"/api/v1/sessions/{s['id']}/complete", json={"result": "Success"}, schema=False, status=200)
    p = practices(srv)
    assert p["Session retention is set"]["status"] == "OK" and "30 days" in p["Session retention is set"]["note"]
    assert p["The database file is private"]["status"] == "OK"
    assert p["The admin password was changed"]["status"] == "OK"
    assert p["The configuration is backed up"]["status"] == "OK"
    assert p["The REST API is served over TLS"]["status"] == "Violation"
    # the checks are reads: a viewer may, a reporter may not, nobody without a token
    srv.api("reporter").get("/api/v1/securityAnalyzer/bestPractices", version="1.3-rev2", status=403)
    srv.anon().get("/api/v1/securityAnalyzer/bestPractices", version="1.3-rev2", status=401)


# ---- a client's walk ---------------------------------------------------------------------------

def test_walk_from_server_to_restore_points(fresh_server, version):
    """serverInfo -> repositories -> jobs -> sessions -> task sessions -> restore points, each
    step by the ids the previous answer gave."""
    rep = fresh_server.api("reporter")
    repo, job, backup, point = (str(uuid.uuid4()) for _ in range(4))
    rep.put(f"/api/v1/estate/repository/{repo}", json={"name": "Walk-Repo", "type": "LinuxLocal", "path": "/b",
                                                       "capacityBytes": 2 ** 40, "freeBytes": 2 ** 39},
            schema=False, status=200)
    rep.put(f"/api/v1/estate/job/{job}", json={"name": "Walk-Job", "type": "BackupJob", "repository": "Walk-Repo"},
            schema=False, status=200)
    s = new_session(rep, name="Walk-Job", jobId=job, sessionType="BackupJob")
    rep.post(f"/api/v1/sessions/{s['id']}/taskSessions",
             json={"name": "vm-walk", "type": "Backup", "restorePointId": point, "repositoryId": repo},
             schema="TaskSessionModel", status=201)
    rep.put(f"/api/v1/estate/backup/{backup}", json={"name": "Walk-Backup", "parentId": job,
                                                     "repository": "Walk-Repo"}, schema=False, status=200)
    rep.put(f"/api/v1/estate/restorePoint/{point}", json={"name": "rp", "object": "vm-walk", "parentId": backup,
                                                          "time": "2024-05-01T01:00:00Z", "sessionId": s["id"]},
            schema=False, status=200)
    v = fresh_server.api("viewer")
    if version.startswith("1.0"):
        v.get("/api/v1/serverInfo", version=version, status=404)   # 1.0 has no serverInfo
    else:
        v.get("/api/v1/serverInfo", version=version, schema="ServerInfoModel", status=200)
    repos = v.get("/api/v1/backupInfrastructure/repositories/states", version=version,
                  schema="RepositoryStatesResult", status=200).body["data"]
    assert [r["name"] for r in repos] == ["Walk-Repo"] and repos[0]["freeGB"] == 512
    jobs = v.get("/api/v1/jobs/states?repositoryIdFilter=" + repos[0]["id"], version=version,
                 schema="JobStatesResult", status=200).body["data"]
    assert [j["name"] for j in jobs] == ["Walk-Job"]
    key = "jobId" if has12(version) else "activityId"
    sessions = v.get(f"/api/v1/sessions?jobIdFilter={jobs[0]['id']}", version=version, schema="SessionsResult",
                     status=200).body["data"]
    assert [x["id"] for x in sessions] == [jobs[0]["sessionId"]] and sessions[0][key] == job
    if not has12(version):
        return   # task sessions and the restore point list are 1.2's
    tasks = v.get(f"/api/v1/sessions/{sessions[0]['id']}/taskSessions", version=version,
                  schema="TaskSessionsResult", status=200).body["data"]
    assert tasks[0]["repositoryId"] == repos[0]["id"]
    rp = v.get(f"/api/v1/restorePoints/{tasks[0]['restorePointId']}", version=version,
               schema="ObjectRestorePointModel", status=200).body
    assert rp["name"] == "vm-walk" and rp["sessionId"] == sessions[0]["id"]
    b = v.get(f"/api/v1/backups/{rp['backupId']}", version=version, schema="BackupModel", status=200).body
    assert b["jobId"] == job and b["repositoryId"] == repos[0]["id"]


@pytest.mark.parametrize("path", ["/api/v1/configBackup", "/api/v1/license"])
def test_server_reads_need_a_token(server, path):
    assert server.anon().get(path, version="1.3-rev2", status=401).body["errorCode"] == "InvalidToken"
