"""API keys (long-lived reporter credentials), a whole run in one request, and leases: a running
session whose reporter stops writing is completed as Failed by the server itself."""
import os
import subprocess
import time
import uuid

import pytest
import requests

from conftest import LATEST, Server


def key_cmd(srv, *args):
    return subprocess.run([srv.binary, "key", *args, "--db", srv.db], env=srv.env, capture_output=True,
                          text=True, timeout=60)


@pytest.fixture
def srv():
    s = Server(extra_args=["--lease-check", "200"])
    # the key is made before the server starts, and another one while it runs
    s.start()
    yield s
    s.stop()
    s.cleanup()


def hdr(key):
    return {"x-api-version": LATEST, "Authorization": "Bearer " + key}


def test_api_key_create_use_list_revoke(srv):
    p = key_cmd(srv, "add", "backup-host-1", "--role", "reporter")
    assert p.returncode == 0, p.stderr
    key = p.stdout.strip()
    assert key.startswith("sk_") and "." in key and "shown only this once" in p.stderr
    r = requests.post(srv.base_url + "/api/v1/sessions", headers=hdr(key),
                      json={"name": "via-key", "sessionType": "BackupJob"})
    assert r.status_code == 201, r.text
    # a reporter key cannot read (the role is the key's)
    assert requests.get(srv.base_url + "/api/v1/sessions", headers=hdr(key)).status_code == 403
    # a wrong secret with the right id, and a made-up key, are refused
    bad = key[:-4] + ("AAAA" if not key.endswith("AAAA") else "BBBB")
    assert requests.post(srv.base_url + "/api/v1/sessions", headers=hdr(bad),
                         json={"name": "x", "sessionType": "BackupJob"}).status_code == 401
    assert requests.post(srv.base_url + "/api/v1/sessions", headers=hdr("sk_AAAAAAAAAAAAAAAA.xyz"),
                         json={"name": "x", "sessionType": "BackupJob"}).status_code == 401
    ls = key_cmd(srv, "list")
    assert ls.returncode == 0 and "backup-host-1" in ls.stdout and "reporter" in ls.stdout
    assert "never" not in ls.stdout.split("backup-host-1", 1)[1].splitlines()[0], ls.stdout   # its use is recorded
    assert key.split(".")[1] not in open(srv.db, "rb").read().decode("latin-1"), "the secret is stored in clear"
    dup = key_cmd(srv, "add", "backup-host-1", "--role", "reporter")
    assert dup.returncode != 0 and "exists" in dup.stderr
    assert key_cmd(srv, "del", "backup-host-1").returncode == 0
    time.sleep(1.2)   # keys are re-read within a second
    assert requests.post(srv.base_url + "/api/v1/sessions", headers=hdr(key),
                         json={"name": "after-revoke", "sessionType": "BackupJob"}).status_code == 401
    assert key_cmd(srv, "del", "backup-host-1").returncode != 0


def test_one_request_finished_session(srv):
    key = key_cmd(srv, "add", "cron", "--role", "reporter").stdout.strip()
    r = requests.post(srv.base_url + "/api/v1/sessions", headers=hdr(key), json={
        "name": "nightly-dump", "sessionType": "BackupJob", "state": "Stopped", "result": "Failed",
        "message": "pg_dump: connection refused", "creationTime": "2026-01-02T03:00:00Z",
        "endTime": "2026-01-02T03:04:05.5Z"})
    assert r.status_code == 201, r.text
    s = r.json()
    assert s["state"] == "Stopped" and s["result"]["result"] == "Failed"
    assert s["result"]["message"] == "pg_dump: connection refused"
    assert s["endTime"].startswith("2026-01-02T03:04:05.5")
    ok = requests.post(srv.base_url + "/api/v1/sessions", headers=hdr(key), json={
        "name": "nightly-dump", "sessionType": "BackupJob", "state": "Stopped", "result": "Success"})
    assert ok.status_code == 201 and ok.json()["progressPercent"] == 100
    # Stopped without a result, or a result on a running session: 400 naming the field
    r = requests.post(srv.base_url + "/api/v1/sessions", headers=hdr(key),
                      json={"name": "x", "sessionType": "BackupJob", "state": "Stopped"})
    assert r.status_code == 400 and "result" in r.json()["message"]
    r = requests.post(srv.base_url + "/api/v1/sessions", headers=hdr(key),
                      json={"name": "x", "sessionType": "BackupJob", "result": "Success"})
    assert r.status_code == 400 and "Stopped" in r.json()["message"]


def test_lease_ends_a_silent_session_and_writes_renew_it(srv):
    key = key_cmd(srv, "add", "rep", "--role", "reporter").stdout.strip()
    admin = srv.api("admin")
    quiet = requests.post(srv.base_url + "/api/v1/sessions", headers=hdr(key),
                          json={"name": "quiet-" + uuid.uuid4().hex[:6], "sessionType": "BackupJob",
                                "heartbeatSeconds": 2}).json()
    busy = requests.post(srv.base_url + "/api/v1/sessions", headers=hdr(key),
                         json={"name": "busy-" + uuid.uuid4().hex[:6], "sessionType": "BackupJob",
                               "heartbeatSeconds": 2}).json()
    stopped = requests.post(srv.base_url + "/api/v1/sessions", headers=hdr(key),
                            json={"name": "stopme-" + uuid.uuid4().hex[:6], "sessionType": "BackupJob",
                                  "heartbeatSeconds": 2}).json()
    admin.post("/api/v1/sessions/%s/stop" % stopped["id"], schema=False, status=200)
    t0 = time.monotonic()
    while time.monotonic() - t0 < 4:
        r = requests.patch(srv.base_url + "/api/v1/sessions/" + busy["id"], headers=hdr(key),
                           json={"progressPercent": int((time.monotonic() - t0) * 10)})
        assert r.status_code == 200, r.text
        time.sleep(0.5)
    q = admin.get("/api/v1/sessions/" + quiet["id"], schema="SessionModel").body
    assert q["state"] == "Stopped" and q["result"]["result"] == "Failed"
    assert q["result"]["message"] == "the reporter stopped reporting"
    assert q["result"]["isCanceled"] is False
    b = admin.get("/api/v1/sessions/" + busy["id"], schema="SessionModel").body
    assert b["state"] == "Working", b
    s = admin.get("/api/v1/sessions/" + stopped["id"], schema="SessionModel").body
    assert s["state"] == "Stopped" and s["result"]["isCanceled"] is True   # a stop nobody acknowledged
    assert "stopped reporting" in open(srv.stderr_path).read()


def test_sessionctl_with_api_key_and_lease_after_kill(srv, tmp_path):
    import signal
    from conftest import LATEST as _L  # noqa: F401
    ctl_bin = os.environ.get("SESSIONCTL_BIN") or os.path.join(os.path.dirname(srv.binary), "sessionctl")
    key = key_cmd(srv, "add", "host", "--role", "reporter").stdout.strip()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SESSIOND_")}
    env.update(SESSIOND_URL=srv.base_url, SESSIOND_API_KEY=key, XDG_STATE_HOME=str(tmp_path / "state"),
               XDG_CONFIG_HOME=str(tmp_path / "config"), HOME=str(tmp_path))
    # a whole run with the key: no login, nothing cached
    p = subprocess.run([ctl_bin, "run", "--job", "keyed", "--", "sh", "-c", "echo hello"], env=env,
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    admin = srv.api("admin")
    got = admin.get("/api/v1/sessions", params={"nameFilter": "keyed"}, schema=False).body["data"]
    assert got and got[0]["state"] == "Stopped" and got[0]["result"]["result"] == "Success"
    # sessionctl killed mid-run: its session ends by its lease (2 s here), as Failed
    proc = subprocess.Popen([ctl_bin, "run", "--heartbeat", "2", "--job", "killed", "--", "sleep", "30"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    sid = None
    end = time.monotonic() + 10
    while time.monotonic() < end and not sid:
        rows = admin.get("/api/v1/sessions", params={"nameFilter": "killed"}, schema=False).body["data"]
        sid = rows[0]["id"] if rows else None
        time.sleep(0.1)
    assert sid, "sessionctl did not create its session"
    time.sleep(2.5)   # alive: its PATCHes renew the lease
    assert admin.get("/api/v1/sessions/" + sid, schema="SessionModel").body["state"] == "Working"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    end = time.monotonic() + 10
    s = None
    while time.monotonic() < end:
        s = admin.get("/api/v1/sessions/" + sid, schema="SessionModel").body
        if s["state"] == "Stopped":
            break
        time.sleep(0.2)
    assert s["state"] == "Stopped" and s["result"]["result"] == "Failed", s
    assert s["result"]["message"] == "the reporter stopped reporting"
