"""sessionctl against a real server (issue 5): run (success, warning, failure, signals, stop from
another client, a signal to sessionctl, server restart mid-run, server down), login and the token
cache, the shell-script verbs, ls/show/logs/watch/export, errors and exit codes.

Every read through the API validates the body against the reference schemas (conftest.Client)."""
import csv
import io
import json
import os
import signal
import socket
import stat
import subprocess
import sys
import time
import uuid

import pytest
import requests

from conftest import LATEST, PASSWORDS, REPO, free_port, new_session

SESSIONCTL_BIN = os.environ.get("SESSIONCTL_BIN") or os.path.join(REPO, "build", "sessionctl")


@pytest.fixture(autouse=True)
def _binary():
    if not os.access(SESSIONCTL_BIN, os.X_OK):
        pytest.skip("sessionctl binary %s not found: run `make` (or set SESSIONCTL_BIN)" % SESSIONCTL_BIN)


def ctl_env(base_url, home, user="reporter", extra=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SESSIOND_")}
    env["XDG_CONFIG_HOME"] = str(home)
    env["XDG_STATE_HOME"] = os.path.join(str(home), "state")      # the spool stays in the test's folder
    env["SESSIOND_URL"] = base_url
    if user:
        env["SESSIOND_USER"] = user
        env["SESSIOND_PASSWORD"] = PASSWORDS[user]
    env.update(extra or {})
    return env


def ctl(server, home, *args, user="reporter", input=None, timeout=60, extra_env=None, url=None):
    """Runs sessionctl to completion; returns the CompletedProcess (text)."""
    env = ctl_env(url or server.base_url, home, user, extra_env)
    return subprocess.run([SESSIONCTL_BIN, *args], env=env, input=input, capture_output=True, text=True,
                          timeout=timeout)


def spawn(server, home, *args, user="reporter", url=None, **kw):
    env = ctl_env(url or server.base_url, home, user)
    return subprocess.Popen([SESSIONCTL_BIN, *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kw)


def job():
    return "ctl-" + uuid.uuid4().hex[:10]


def sessions_of(server, name):
    """Sessions whose name is `name` (as the viewer sees them, validated)."""
    r = server.api("viewer").get("/api/v1/sessions", params={"nameFilter": name},
                                 schema="SessionsResult", status=200)
    return [s for s in r.body["data"] if s["name"] == name]


def session(server, sid):
    return server.api("viewer").get("/api/v1/sessions/" + sid, schema="SessionModel", status=200).body


def logs(server, sid):
    r = server.api("viewer").get("/api/v1/sessions/%s/logs" % sid, schema="SessionLogResult", status=200)
    return sorted(r.body["records"], key=lambda x: x["id"])


def wait_for(pred, timeout=10.0, step=0.05, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(step)
    raise AssertionError("timed out after %.0f s waiting for %s" % (timeout, what))


def only_session(server, name, timeout=10.0):
    return wait_for(lambda: (sessions_of(server, name) or [None])[0], timeout,
                    what="session %s to appear" % name)


def titles(recs):
    return [r["title"] for r in recs]


# ---------------------------------------------------------------------------------------------
# run

def test_run_success(server, tmp_path):
    name = job()
    p = ctl(server, tmp_path, "run", "--job", name, "--", "sh", "-c", "echo hello; echo 50%")
    assert p.returncode == 0, p.stderr
    assert "hello" in p.stdout and "50%" in p.stdout      # the child's output is echoed
    s = only_session(server, name)
    assert s["state"] == "Stopped"
    assert s["result"]["result"] == "Success"
    assert s["result"]["isCanceled"] is False
    assert s["result"]["message"] == "exit status 0"
    assert s["progressPercent"] == 100
    assert s["sessionType"] == "BackupJob"
    recs = logs(server, s["id"])
    out = [r for r in recs if r["title"] in ("hello", "50%")]
    assert [r["title"] for r in out] == ["hello", "50%"]
    assert all(r["status"] == "None" for r in out)
    assert recs[-1]["status"] == "Succeeded" and "exit status 0" in recs[-1]["title"]


def test_run_default_name_is_basename_and_type_flag(server, tmp_path):
    marker = job()
    p = ctl(server, tmp_path, "run", "--type", "ReplicaJob", "--", "/bin/echo", marker)
    assert p.returncode == 0, p.stderr
    # the newest session named "echo" that logged our marker
    r = server.api("viewer").get("/api/v1/sessions", params={"nameFilter": "echo"},
                                 schema="SessionsResult", status=200)
    mine = [s for s in r.body["data"] if marker in titles(logs(server, s["id"]))]
    assert len(mine) == 1
    assert mine[0]["sessionType"] == "ReplicaJob"


def test_run_stderr_is_logged_but_not_a_warning_by_default(server, tmp_path):
    name = job()
    p = ctl(server, tmp_path, "run", "--job", name, "--", "sh", "-c", "echo out; echo careful >&2; exit 0")
    assert p.returncode == 0, p.stderr
    assert "careful" in p.stderr and "out" in p.stdout
    s = only_session(server, name)
    assert s["result"]["result"] == "Success"                  # the result follows the exit code
    assert s["result"]["message"] == "exit status 0"
    by_title = {r["title"]: r for r in logs(server, s["id"])}
    assert by_title["careful"]["status"] == "None" and by_title["out"]["status"] == "None"


def test_run_stderr_warnings(server, tmp_path):
    name = job()
    p = ctl(server, tmp_path, "run", "--job", name, "--stderr-warnings", "--", "sh", "-c",
            "echo out; echo careful >&2; echo 'disk almost full' >&2; exit 0")
    assert p.returncode == 0, p.stderr
    s = only_session(server, name)
    assert s["result"]["result"] == "Warning"
    assert s["result"]["message"] == "2 warnings, the last: disk almost full (exit status 0)"
    by_title = {r["title"]: r for r in logs(server, s["id"])}
    assert by_title["careful"]["status"] == "Warning"
    assert by_title["out"]["status"] == "None"


def test_run_stderr_status(server, tmp_path):
    name = job()
    p = ctl(server, tmp_path, "run", "--job", name, "--stderr-status", "Failed", "--", "sh", "-c",
            "echo chatter >&2")
    assert p.returncode == 0, p.stderr
    s = only_session(server, name)
    assert s["result"]["result"] == "Warning"
    assert {r["title"]: r["status"] for r in logs(server, s["id"])}["chatter"] == "Failed"
    p = ctl(server, tmp_path, "run", "--stderr-status", "Loud", "--", "true")
    assert p.returncode == 2
    assert "None, Succeeded, Warning or Failed" in p.stderr


def test_run_failure_returns_child_code(server, tmp_path):
    name = job()
    p = ctl(server, tmp_path, "run", "--job", name, "--", "sh", "-c", "echo 50%; echo partial; exit 3")
    assert p.returncode == 3, p.stderr
    s = only_session(server, name)
    assert s["result"]["result"] == "Failed"
    assert s["result"]["message"] == "exit status 3"
    assert s["result"]["isCanceled"] is False
    assert s["progressPercent"] == 50
    assert "partial" in titles(logs(server, s["id"]))


def test_run_killed_by_signal(server, tmp_path):
    name = job()
    p = ctl(server, tmp_path, "run", "--job", name, "--", "sh", "-c", "kill -9 $$")
    assert p.returncode == 128 + 9
    s = only_session(server, name)
    assert s["result"]["result"] == "Failed"
    assert "signal 9" in s["result"]["message"]


def test_run_command_not_found(server, tmp_path):
    name = job()
    p = ctl(server, tmp_path, "run", "--job", name, "--", "/nonexistent/cmd-" + name)
    assert p.returncode == 127
    s = only_session(server, name)
    assert s["result"]["result"] == "Failed"


def test_run_progress_regex_and_live_progress(server, tmp_path):
    name = job()
    proc = spawn(server, tmp_path, "run", "--job", name, "--progress-regex", "done=([0-9]+)", "--",
                 "sh", "-c", "echo done=42; sleep 3; exit 1")
    try:
        s = only_session(server, name)
        wait_for(lambda: session(server, s["id"])["progressPercent"] == 42, 5,
                 what="progress 42 while the command runs")
        assert session(server, s["id"])["state"] == "Working"
    finally:
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 1, err
    s = session(server, s["id"])
    assert s["progressPercent"] == 42 and s["result"]["result"] == "Failed"


def test_run_carriage_return_updates_progress_without_records(server, tmp_path):
    name = job()
    p = ctl(server, tmp_path, "run", "--job", name, "--", "sh", "-c",
            r"printf '10%%\r20%%\r30%%\r\nfinal\r\n'; exit 2")
    assert p.returncode == 2
    s = only_session(server, name)
    t = titles(logs(server, s["id"]))
    assert "30%" in t and "final" in t           # CRLF line ends still make records
    assert "10%" not in t and "20%" not in t      # bare CR redraws only update progress
    assert s["progressPercent"] == 30


def test_run_stop_from_another_client(server, tmp_path):
    name = job()
    proc = spawn(server, tmp_path, "run", "--job", name, "--", "sleep", "30")
    try:
        s = only_session(server, name)
        pid_rec = wait_for(lambda: [r for r in logs(server, s["id"]) if r["title"].startswith("Started")],
                           5, what="the start record")
        child = int(pid_rec[0]["title"].split("pid ")[1].rstrip(")"))
        t0 = time.monotonic()
        server.api("operator").post("/api/v1/sessions/%s/stop" % s["id"], status=200, schema=False)
        proc.wait(timeout=15)
        took = time.monotonic() - t0
    finally:
        if proc.poll() is None:
            proc.kill()
        out, err = proc.communicate()
    assert took < 8, "sessionctl took %.1f s to act on the stop" % took
    assert proc.returncode == 128 + signal.SIGTERM, err
    with pytest.raises(ProcessLookupError):
        os.kill(child, 0)
    s = session(server, s["id"])
    assert s["state"] == "Stopped"
    assert s["result"]["isCanceled"] is True
    assert s["result"]["result"] == "Failed"
    assert any(r["status"] == "Warning" and r["title"].startswith("Stop requested") for r in logs(server, s["id"]))


def test_run_stop_escalates_to_sigkill_after_grace(server, tmp_path):
    name = job()
    proc = spawn(server, tmp_path, "run", "--job", name, "--grace", "1", "--",
                 "sh", "-c", "trap '' TERM; sleep 30")
    try:
        s = only_session(server, name)
        time.sleep(0.5)
        server.api("operator").post("/api/v1/sessions/%s/stop" % s["id"], status=200, schema=False)
        proc.wait(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()
    assert proc.returncode == 128 + signal.SIGKILL
    s = session(server, s["id"])
    assert s["result"]["isCanceled"] is True and s["state"] == "Stopped"


def test_sigterm_to_sessionctl_cancels(server, tmp_path):
    name = job()
    proc = spawn(server, tmp_path, "run", "--job", name, "--", "sleep", "30")
    try:
        s = only_session(server, name)
        time.sleep(0.3)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()
    assert proc.returncode == 128 + signal.SIGTERM
    s = session(server, s["id"])
    assert s["state"] == "Stopped" and s["result"]["isCanceled"] is True
    assert "SIGTERM" in s["result"]["message"]


def restart_on_same_port(srv):
    """Stops srv and starts the same binary again on its port and database."""
    srv.stop()
    srv._err = open(srv.stderr_path, "ab")
    srv._out = open(srv.stdout_path, "ab")
    srv.stopped_by_us = False
    srv.proc = subprocess.Popen(
        [srv.binary, "--listen", "127.0.0.1:%d" % srv.port, "--db", srv.db] + srv.extra_args,
        env=srv.env, stdout=srv._out, stderr=srv._err, stdin=subprocess.DEVNULL)

    def up():
        try:
            return requests.get(srv.base_url + "/api/v1/serverTime",
                                headers={"x-api-version": LATEST}, timeout=1).status_code == 200
        except requests.RequestException:
            return False
    wait_for(up, 10, what="the restarted server")


def test_run_survives_server_restart(fresh_server, tmp_path):
    srv = fresh_server
    name = job()
    n = 16
    script = "for i in $(seq 1 %d); do echo line$i; sleep 0.25; done; echo 80%%; exit 5" % n
    proc = spawn(srv, tmp_path, "run", "--job", name, "--", "sh", "-c", script)
    try:
        s = only_session(srv, name)
        time.sleep(1.0)
        srv.stop()
        time.sleep(2.5)            # the command keeps printing while the server is away
        restart_on_same_port(srv)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
        out, err = proc.communicate()
    assert proc.returncode == 5, err
    assert "spooled" in err                      # it noticed the outage
    assert out.count("line") == n                # echo never waited on the server
    s = session(srv, s["id"])
    assert s["state"] == "Stopped"
    assert s["result"]["result"] == "Failed" and s["result"]["message"] == "exit status 5"
    assert s["progressPercent"] == 80
    t = [x for x in titles(logs(srv, s["id"])) if x.startswith("line")]
    assert t == ["line%d" % i for i in range(1, n + 1)], t


def test_run_with_server_down_keeps_exit_code(server, tmp_path):
    url = "http://127.0.0.1:%d" % free_port()
    t0 = time.monotonic()
    p = ctl(server, tmp_path, "run", "--retry-for", "1", "--", "sh", "-c", "echo still-runs; exit 7", url=url)
    assert p.returncode == 7
    assert "still-runs" in p.stdout
    assert "was not delivered" in p.stderr and "sessionctl flush" in p.stderr
    assert time.monotonic() - t0 < 20


def test_run_without_permission_still_runs(server, tmp_path):
    p = ctl(server, tmp_path, "run", "--", "sh", "-c", "touch %s/ran; exit 4" % tmp_path, user="viewer", timeout=30)
    assert p.returncode == 4                                     # the child's code, not sessionctl's
    assert (tmp_path / "ran").exists()
    assert "reporter" in p.stderr and "spool" in p.stderr


def test_run_exports_session_id_to_child(server, tmp_path):
    name = job()
    p = ctl(server, tmp_path, "run", "--job", name, "--", "sh", "-c", 'echo "id=$SESSIONCTL_SESSION_ID"')
    assert p.returncode == 0
    s = only_session(server, name)
    assert "id=" + s["id"] in p.stdout


# ---------------------------------------------------------------------------------------------
# login and credentials

def test_login_cache_mode_and_refresh(server, tmp_path):
    pw = tmp_path / "pw"
    pw.write_text(PASSWORDS["viewer"] + "\n")
    p = ctl(server, tmp_path, "login", "--user", "viewer", "--password-file", str(pw), user=None)
    assert p.returncode == 0, p.stderr
    cache = tmp_path / "sessiond" / "token.json"
    assert stat.S_IMODE(os.stat(cache).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(cache.parent).st_mode) == 0o700
    data = json.loads(cache.read_text())
    entry = data["servers"][server.base_url]
    assert entry["user"] == "viewer" and entry["access_token"] and entry["refresh_token"]
    p = ctl(server, tmp_path, "ls", "--limit", "1", user=None)      # credentials from the cache
    assert p.returncode == 0, p.stderr
    # an expired access token is renewed with the (single-use) refresh token
    old_refresh = entry["refresh_token"]
    entry["access_expires"] = 0
    cache.write_text(json.dumps(data))
    os.chmod(cache, 0o600)
    p = ctl(server, tmp_path, "ls", "--limit", "1", user=None)
    assert p.returncode == 0, p.stderr
    new = json.loads(cache.read_text())["servers"][server.base_url]
    assert new["refresh_token"] != old_refresh and new["access_expires"] > time.time()
    assert stat.S_IMODE(os.stat(cache).st_mode) == 0o600
    server.anon().post("/api/oauth2/token", data={"grant_type": "refresh_token", "refresh_token": old_refresh},
                       status=401)


def test_login_password_from_stdin_and_wrong_password(server, tmp_path):
    p = ctl(server, tmp_path, "login", "--user", "operator", user=None, input=PASSWORDS["operator"] + "\n")
    assert p.returncode == 0, p.stderr
    p = ctl(server, tmp_path / "other", "login", "--user", "operator", user=None, input="wrong\n")
    assert p.returncode == 1
    assert "wrong user name or password" in p.stderr
    assert not (tmp_path / "other" / "sessiond" / "token.json").exists()


def test_errors_and_exit_codes(server, tmp_path):
    p = ctl(server, tmp_path, "ls", user=None)
    assert p.returncode == 1 and "sessionctl login" in p.stderr
    p = ctl(server, tmp_path, "ls", url="http://127.0.0.1:%d" % free_port())
    assert p.returncode == 1 and "cannot connect" in p.stderr
    p = ctl(server, tmp_path, "ls")                          # reporter may not read
    assert p.returncode == 1 and "permission denied" in p.stderr and "viewer" in p.stderr
    p = ctl(server, tmp_path, "show", str(uuid.uuid4()), user="viewer")
    assert p.returncode == 1 and "not found" in p.stderr
    p = ctl(server, tmp_path, "show", "not-a-uuid", user="viewer")
    assert p.returncode == 2
    p = ctl(server, tmp_path, "frobnicate")
    assert p.returncode == 2 and "unknown command" in p.stderr
    p = ctl(server, tmp_path, "ls", "--bogus", user="viewer")
    assert p.returncode == 2
    p = ctl(server, tmp_path, "finish", str(uuid.uuid4()), "--result", "Great")
    assert p.returncode == 2
    p = ctl(server, tmp_path, "stop", str(uuid.uuid4()), user="viewer")
    assert p.returncode == 1 and "operator" in p.stderr
    p = ctl(server, tmp_path, "ls", "--password-file", "/dev/null", user=None)
    assert p.returncode == 2 and "--user" in p.stderr


def test_help(server, tmp_path):
    p = ctl(server, tmp_path, "--help")
    assert p.returncode == 0
    for c in ("login", "run", "flush", "start", "progress", "log", "finish", "ls", "show", "logs", "stop", "watch",
              "export"):
        assert "\n  %s " % c in p.stdout
        h = ctl(server, tmp_path, c, "--help")
        assert h.returncode == 0 and h.stdout.startswith("usage: sessionctl " + c), c
    assert ctl(server, tmp_path).returncode == 2


# ---------------------------------------------------------------------------------------------
# shell-script verbs

def test_start_progress_log_finish(server, tmp_path):
    name = job()
    p = ctl(server, tmp_path, "start", "--type", "BackupJob", name)
    assert p.returncode == 0, p.stderr
    sid = p.stdout.strip()
    uuid.UUID(sid)
    assert ctl(server, tmp_path, "progress", sid, "40").returncode == 0
    assert ctl(server, tmp_path, "log", sid, "--status", "Warning", "disk", "almost", "full").returncode == 0
    assert ctl(server, tmp_path, "log", sid, "-", input="a\nb\n\nc\n").returncode == 0
    s = session(server, sid)
    assert s["progressPercent"] == 40 and s["state"] == "Working" and s["name"] == name
    recs = logs(server, sid)
    assert [(r["title"], r["status"]) for r in recs] == [
        ("disk almost full", "Warning"), ("a", "None"), ("b", "None"), ("c", "None")]
    p = ctl(server, tmp_path, "finish", sid, "--result", "warning", "--message", "done with warnings")
    assert p.returncode == 0, p.stderr
    s = session(server, sid)
    assert s["state"] == "Stopped" and s["result"]["result"] == "Warning"
    assert s["result"]["message"] == "done with warnings"
    p = ctl(server, tmp_path, "progress", sid, "50")           # stopped: 409
    assert p.returncode == 1 and "conflict" in p.stderr


def test_progress_reports_stop_request(server, tmp_path):
    sid = ctl(server, tmp_path, "start", job()).stdout.strip()
    assert ctl(server, tmp_path, "stop", sid, user="operator").returncode == 0
    p = ctl(server, tmp_path, "progress", sid, "10")
    assert p.returncode == 3 and "asked to stop" in p.stderr
    assert ctl(server, tmp_path, "log", sid, "x").returncode == 3
    assert ctl(server, tmp_path, "finish", sid, "--result", "Failed", "--canceled").returncode == 0
    s = session(server, sid)
    assert s["result"]["isCanceled"] is True
    p = ctl(server, tmp_path, "stop", sid, user="operator")
    assert p.returncode == 1 and "not running" in p.stderr


# ---------------------------------------------------------------------------------------------
# readers

@pytest.fixture
def two_sessions(server):
    rep = server.api("reporter")
    name = job()
    a = new_session(rep, name=name, jobName=name)
    rep.post("/api/v1/sessions/%s/logs" % a["id"], json={"records": [
        {"status": "None", "title": "first"}, {"status": "Warning", "title": "second", "description": "d2"}]},
        status=201, schema=False)
    rep.post("/api/v1/sessions/%s/complete" % a["id"], json={"result": "Success", "message": "all, \"fine\""},
             status=200, schema="SessionModel")
    b = new_session(rep, name=name, jobName=name, sessionType="ReplicaJob")
    rep.patch("/api/v1/sessions/" + b["id"], json={"progressPercent": 33}, status=200, schema="SessionModel")
    return name, session(server, a["id"]), session(server, b["id"])


def test_ls(server, tmp_path, two_sessions):
    name, a, b = two_sessions
    p = ctl(server, tmp_path, "ls", "--job", name, user="viewer")
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert lines[0].split() == ["ID", "NAME", "TYPE", "STATE", "RESULT", "PROGRESS", "CREATED"]
    assert [ln.split()[0] for ln in lines[1:]] == [b["id"], a["id"]]          # newest first
    assert lines[1].split()[1:6] == [name, "ReplicaJob", "Working", "None", "33%"]
    p = ctl(server, tmp_path, "ls", "--json", "--job", name, "--state", "Stopped", user="viewer")
    got = json.loads(p.stdout)
    assert [s["id"] for s in got] == [a["id"]]
    p = ctl(server, tmp_path, "--json", "ls", "--name", name, "--type", "ReplicaJob", "--since", "1h",
            user="viewer")
    assert [s["id"] for s in json.loads(p.stdout)] == [b["id"]]
    p = ctl(server, tmp_path, "ls", "--json", "--job", name, "--result", "Success", "--limit", "5",
            user="viewer")
    assert [s["id"] for s in json.loads(p.stdout)] == [a["id"]]
    p = ctl(server, tmp_path, "ls", "--json", "--job", "no-such-job-" + name, user="viewer")
    assert p.returncode == 0 and json.loads(p.stdout) == []
    p = ctl(server, tmp_path, "ls", "--json", "--job", name, "--limit", "1", user="viewer")
    assert len(json.loads(p.stdout)) == 1


def test_show(server, tmp_path, two_sessions):
    _, a, _ = two_sessions
    p = ctl(server, tmp_path, "show", a["id"], user="viewer")
    assert p.returncode == 0
    fields = dict(ln.split(":", 1) for ln in p.stdout.splitlines())
    assert fields["id"].strip() == a["id"]
    assert fields["result"].strip() == "Success"
    assert fields["state"].strip() == "Stopped"
    assert fields["message"].strip() == 'all, "fine"'
    p = ctl(server, tmp_path, "show", "--json", a["id"], user="viewer")
    assert json.loads(p.stdout) == session(server, a["id"])


def test_logs(server, tmp_path, two_sessions):
    _, a, _ = two_sessions
    p = ctl(server, tmp_path, "logs", a["id"], user="viewer")
    assert p.returncode == 0
    lines = p.stdout.splitlines()
    assert len(lines) == 2
    assert lines[0].split()[2:] == ["None", "first"]
    assert lines[1].split()[2:] == ["Warning", "second", "--", "d2"]
    p = ctl(server, tmp_path, "logs", "--json", a["id"], user="viewer")
    assert [r["title"] for r in json.loads(p.stdout)] == ["first", "second"]


def test_logs_follow(server, tmp_path):
    rep = server.api("reporter")
    s = new_session(rep, name=job())
    proc = spawn(server, tmp_path, "logs", "-f", s["id"], user="viewer")
    try:
        for i in range(3):
            rep.post("/api/v1/sessions/%s/logs" % s["id"], json={"records": [{"title": "rec%d" % i}]},
                     status=201, schema=False)
            time.sleep(0.4)
        rep.post("/api/v1/sessions/%s/complete" % s["id"], json={"result": "Failed", "message": "boom"},
                 status=200, schema="SessionModel")
        out, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert [ln.split()[-1] for ln in out.splitlines()] == ["rec0", "rec1", "rec2"]
    assert "session ended: Failed" in err


def test_watch_plain_lines(server, tmp_path):
    rep = server.api("reporter")
    proc = spawn(server, tmp_path, "watch", user="viewer")
    try:
        time.sleep(0.8)
        s = new_session(rep, name=job())
        time.sleep(0.5)
        rep.patch("/api/v1/sessions/" + s["id"], json={"progressPercent": 61}, status=200, schema="SessionModel")
        time.sleep(0.5)
        rep.post("/api/v1/sessions/%s/complete" % s["id"], json={"result": "Success"}, status=200,
                 schema="SessionModel")
        time.sleep(2.0)
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=10)
    mine = [ln for ln in out.splitlines() if s["id"] in ln]
    assert any(" 61%" in ln and "Working" in ln for ln in mine), out
    assert any("Stopped" in ln and "Success" in ln for ln in mine), out
    assert "\033[" not in out                                     # no escapes when not a TTY


def test_watch_once_json(server, tmp_path):
    rep = server.api("reporter")
    s = new_session(rep, name=job())
    p = ctl(server, tmp_path, "watch", "--once", "--json", user="viewer")
    assert p.returncode == 0, p.stderr
    got = json.loads(p.stdout)
    assert s["id"] in [x["id"] for x in got]
    assert all(x["state"] != "Stopped" for x in got)


def test_export(server, tmp_path, two_sessions):
    name, a, b = two_sessions
    raw = subprocess.run([SESSIONCTL_BIN, "export", "--job", name], env=ctl_env(server.base_url, tmp_path, "viewer"),
                         capture_output=True, timeout=60)
    assert raw.returncode == 0, raw.stderr
    text = raw.stdout.decode()
    assert text.count("\r\n") == 3 and "\n" not in text.replace("\r\n", "")      # RFC 4180 line ends
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert [r["id"] for r in rows] == [a["id"], b["id"]]                  # oldest first
    assert rows[0]["message"] == 'all, "fine"' and rows[0]["result"] == "Success"
    assert rows[1]["progressPercent"] == "33" and rows[1]["sessionType"] == "ReplicaJob"
    p = ctl(server, tmp_path, "export", "--format", "json", "--job", name, user="viewer")
    got = json.loads(p.stdout)
    assert [s["id"] for s in got] == [a["id"], b["id"]]
    # everything, paged through skip/limit: at least as many as the server reports
    total = server.api("viewer").get("/api/v1/sessions", params={"limit": 1}, schema="SessionsResult",
                                     status=200).body["pagination"]["total"]
    p = ctl(server, tmp_path, "export", "--format", "json", user="viewer")
    ids = [s["id"] for s in json.loads(p.stdout)]
    assert len(ids) >= total and len(set(ids)) == len(ids)


def test_export_pages_beyond_one_page(fresh_server, tmp_path):
    rep = fresh_server.api("reporter")
    made = [new_session(rep, name="bulk-%03d" % i)["id"] for i in range(205)]
    p = ctl(fresh_server, tmp_path, "export", user="viewer")
    rows = list(csv.DictReader(io.StringIO(p.stdout, newline="")))
    assert [r["id"] for r in rows] == made
