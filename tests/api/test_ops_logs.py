"""The log (docs/OPERATIONS.md "Logs"): one line format with a UTC timestamp and a level, request
lines with method, path, status, bytes, duration and user (also the name a refused logon tried),
a 5xx with its cause, levels that mean what they say, JSON lines, a log file reopened on SIGHUP,
and SIGHUP reloading the TLS certificate for new connections."""
import json
import os
import re
import resource
import signal
import socket
import ssl
import stat
import subprocess
import time
import uuid

import pytest
import requests

from conftest import LATEST, PASSWORDS, Server, free_port, new_session

LINE = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) (error|warn|info|debug) (.*)$")


def lines_of(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read().splitlines()


def wait_for(pred, what, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)


def started(**kw):
    srv = Server(**kw)
    try:
        srv.start()
    except BaseException:
        srv.cleanup()
        raise
    return srv


def finish(srv):
    srv.stop()
    srv.cleanup()


def test_every_line_has_a_utc_millisecond_timestamp_and_a_level(fresh_server):
    fresh_server.api("viewer").get("/api/v1/sessions?limit=1", schema="SessionsResult")
    fresh_server.stop()
    lines = lines_of(fresh_server.stderr_path)
    assert len(lines) >= 4
    for l in lines:
        m = LINE.match(l)
        assert m, "not a log line: %r" % l
    stamps = [LINE.match(l).group(1) for l in lines]
    assert stamps == sorted(stamps)
    assert any(l.endswith("info stopped") for l in lines), lines[-3:]


def test_request_line_has_method_path_status_bytes_duration_and_user(fresh_server):
    r = fresh_server.api("viewer").get("/api/v1/sessions?limit=1", schema="SessionsResult")
    size = len(r.resp.content)
    want = re.compile(r' info 127\.0\.0\.1 "GET /api/v1/sessions" 200 %d \d+\.\d{3}ms user=viewer$' % size)
    wait_for(lambda: any(want.search(l) for l in lines_of(fresh_server.stderr_path)), "the request line")


def test_refused_requests_name_the_user_that_was_tried(fresh_server):
    c = fresh_server.anon()
    c.post("/api/oauth2/token", data={"grant_type": "password", "username": "viewer", "password": "wrong-pw-1"},
           status=401)
    r = requests.post(fresh_server.base_url + "/api/sessionMngr/?v=latest", auth=("operator", "nope-nope"),
                      timeout=10)
    assert r.status_code == 401
    fresh_server.api("viewer").post("/api/v1/sessions", json={"name": "x", "sessionType": "BackupJob"},
                                    status=403)

    def found():
        log = lines_of(fresh_server.stderr_path)
        return (any('"POST /api/oauth2/token" 401' in l and l.endswith("user=viewer") for l in log)
                and any('"POST /api/sessionMngr/" 401' in l and l.endswith("user=operator") for l in log)
                and any('"POST /api/v1/sessions" 403' in l and l.endswith("user=viewer") for l in log))
    wait_for(found, "401 and 403 lines with the user")
    assert "wrong-pw-1" not in open(fresh_server.stderr_path).read()


@pytest.mark.sqlite_only
def test_a_5xx_logs_its_cause(tmp_path):
    """The store fails when its files may not grow (RLIMIT_FSIZE; SIGXFSZ ignored): the 503
    that the write gets is logged at error level with what the answer said."""
    srv = Server()

    def small_files():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (3 << 20, 3 << 20))

    for name, (role, pw) in srv.users.items():
        srv.add_user(name, role, pw)
    srv.users = {}
    srv.port = free_port()
    srv.base_url = "http://127.0.0.1:%d" % srv.port
    err = open(srv.stderr_path, "wb")
    srv._err = srv._out = err
    srv.proc = subprocess.Popen([srv.binary, "--listen", "127.0.0.1:%d" % srv.port, "--db", srv.db], env=srv.env,
                                stdout=subprocess.DEVNULL, stderr=err, preexec_fn=small_files)
    try:
        wait_for(lambda: _answers(srv), "the server")
        from conftest import Client
        srv.client = Client(srv.base_url)
        rep = srv.api("reporter")
        big = "x" * 200000
        statuses = []
        for i in range(40):
            r = rep.post("/api/v1/sessions", json={"name": "big-%d" % i, "sessionType": "BackupJob",
                                                   "jobName": "big", "message": big[:1000]},
                         schema=False)
            if r.status < 300:
                r2 = rep.post("/api/v1/sessions/%s/logs" % r.body["id"],
                              json={"records": [{"title": "t%d" % k, "description": big[:50000]}
                                                for k in range(12)]}, schema=False)
                statuses.append(r2.status)
            else:
                statuses.append(r.status)
            if statuses[-1] >= 500:
                break
        assert statuses[-1] == 503, (statuses, r2.text if statuses[-1] != r.status else r.text)
        line = wait_for(lambda: [l for l in lines_of(srv.stderr_path) if '" 503 ' in l], "the 503 line")[0]
        assert LINE.match(line).group(2) == "error", line
        assert 'cause="{' in line and "commit: " in line and "rollback" not in line, line
        assert "user=reporter" in line
    finally:
        finish(srv)


def _answers(srv):
    try:
        return requests.get(srv.base_url + "/healthz", timeout=1).status_code == 200
    except requests.RequestException:
        return False


def test_levels_mean_what_they_say():
    srv = started(extra_args=["--log-level", "warn"])
    try:
        srv.api("viewer").get("/api/v1/sessions?limit=1", schema="SessionsResult")
        srv.stop()
        lines = lines_of(srv.stderr_path)
        levels = {LINE.match(l).group(2) for l in lines}
        assert levels <= {"warn", "error"}, lines
        assert any("created user 'admin'" in l for l in lines)
        assert not any("/api/v1/sessions" in l for l in lines)
    finally:
        finish(srv)
    srv = started(extra_args=["--log-level", "error"])
    try:
        srv.api("viewer").get("/api/v1/sessions?limit=1", schema="SessionsResult")
        srv.stop()
        assert lines_of(srv.stderr_path) == []
    finally:
        finish(srv)
    srv = started(extra_args=["--log-level", "debug"])
    try:
        srv.stop()
        lines = lines_of(srv.stderr_path)
        assert any(l.endswith("debug config: --listen 127.0.0.1:%d" % srv.port) for l in lines), lines
    finally:
        finish(srv)
    # the info default shows no debug lines; "warning" is taken for warn
    srv = started(extra_args=["--log-level", "warning"])
    try:
        srv.stop()
        assert all(LINE.match(l).group(2) in ("warn", "error") for l in lines_of(srv.stderr_path))
    finally:
        finish(srv)
    p = subprocess.run([Server().binary, "--log-level", "loud"], capture_output=True, text=True, timeout=10)
    assert p.returncode == 2 and "error|warn|info|debug" in p.stderr


def test_clients_leaving_event_streams_are_no_warning():
    """A client closing its event stream (a dashboard tab closed) is ordinary: no warn line, at
    most a debug one, however many leave."""
    srv = started(extra_args=["--log-level", "debug"])
    try:
        h = {"x-api-version": LATEST, "Authorization": "Bearer " + srv.api("viewer").bearer}
        for _ in range(5):
            with requests.get(srv.base_url + "/api/v1/sessions/events", headers=h, stream=True, timeout=10) as r:
                assert r.status_code == 200
                time.sleep(0.1)
        new_session(srv.api("reporter"), name="wake the streams")
        gone = wait_for(lambda: [l for l in lines_of(srv.stderr_path) if "application error" in l], "the closes")
        srv.stop()
        lines = lines_of(srv.stderr_path)
        assert gone and all(" debug " in l for l in lines if "application error" in l), lines
        assert not [l for l in lines if " warn " in l and "http:" in l], lines
    finally:
        finish(srv)


def test_json_lines_for_log_shippers():
    srv = started(extra_args=["--log-format", "json"])
    try:
        viewer = srv.api("viewer")
        viewer.get("/api/v1/sessions/not-a-uuid", status=400)
        srv.anon().post("/api/oauth2/token", data={"grant_type": "password", "username": "nobody\n\"x",
                                                   "password": "wrong-pw-2"}, status=401)
        srv.stop()
        objs = [json.loads(l) for l in lines_of(srv.stderr_path)]
        for o in objs:
            assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", o["time"]) and o["level"] in (
                "error", "warn", "info", "debug") and o["msg"], o
        req = [o for o in objs if o["msg"] == "request" and o["path"] == "/api/v1/sessions/not-a-uuid"]
        assert len(req) == 1, objs
        q = req[0]
        assert q["method"] == "GET" and q["status"] == 400 and q["user"] == "viewer" and q["client"] == "127.0.0.1"
        assert q["bytes"] > 0 and isinstance(q["duration_ms"], (int, float)) and q["duration_ms"] >= 0
        tried = [o for o in objs if o["msg"] == "request" and o["path"] == "/api/oauth2/token" and o["status"] == 401]
        assert tried and tried[0]["user"] == "nobody\n\"x" and tried[0]["status"] == 401
        assert any(o["msg"] == "stopped" for o in objs)
    finally:
        finish(srv)


def test_log_file_is_private_and_reopened_on_sighup(tmp_path):
    log = tmp_path / "sessiond.log"
    srv = started(extra_args=["--log-file", str(log)])
    try:
        assert stat.S_IMODE(os.stat(log).st_mode) == 0o600
        assert os.path.getsize(srv.stderr_path) == 0, "the log goes to the file, not stderr"
        viewer = srv.api("viewer")
        viewer.get("/api/v1/sessions?nameFilter=before", schema="SessionsResult")
        wait_for(lambda: any("user=viewer" in l for l in lines_of(log)), "the first request line")
        os.rename(log, str(log) + ".1")   # what logrotate does
        srv.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: log.exists(), "a new log file")
        viewer.get("/api/v1/serverTime", schema="ServerTimeModel")
        wait_for(lambda: any('"GET /api/v1/serverTime"' in l for l in lines_of(log)), "a line in the new file")
        old = lines_of(str(log) + ".1")
        assert not any("serverTime" in l and "user=viewer" in l for l in old)
        assert any("SIGHUP: log reopened" in l for l in lines_of(log))
    finally:
        finish(srv)


# ---- SIGHUP and TLS -------------------------------------------------------------------------

def make_cert(d, cn):
    cert, key = os.path.join(d, cn + ".crt"), os.path.join(d, cn + ".key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=" + cn,
                    "-keyout", key, "-out", cert], check=True, capture_output=True, timeout=60)
    return cert, key


def served_cn(port):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        with ctx.wrap_socket(raw) as s:
            der = s.getpeercert(binary_form=True)
    out = subprocess.run(["openssl", "x509", "-inform", "DER", "-noout", "-subject"], input=der,
                         capture_output=True, timeout=10).stdout.decode()
    return out.strip().split("CN = ")[-1].split("CN=")[-1]


def test_sighup_reloads_the_tls_certificate_for_new_connections(tmp_path):
    d = str(tmp_path)
    first, second = make_cert(d, "first"), make_cert(d, "second")
    cert, key = os.path.join(d, "tls.crt"), os.path.join(d, "tls.key")
    for src, dst in zip(first, (cert, key)):
        subprocess.run(["cp", src, dst], check=True)
    srv = Server()
    for name, (role, pw) in srv.users.items():
        srv.add_user(name, role, pw)
    srv.port = free_port()
    err = open(srv.stderr_path, "wb")
    srv._err = srv._out = err
    srv.proc = subprocess.Popen([srv.binary, "--listen", "127.0.0.1:%d" % srv.port, "--db", srv.db,
                                 "--tls-cert", cert, "--tls-key", key], env=srv.env,
                                stdout=subprocess.DEVNULL, stderr=err)
    try:
        assert wait_for(lambda: _cn_or_none(srv.port), "TLS") == "first"
        # a long-lived connection opened before the reload
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        kept = ctx.wrap_socket(socket.create_connection(("127.0.0.1", srv.port), timeout=5))
        for src, dst in zip(second, (cert, key)):
            subprocess.run(["cp", src, dst], check=True)
        srv.proc.send_signal(signal.SIGHUP)
        assert wait_for(lambda: _cn_or_none(srv.port) == "second" and "second", "the new certificate") == "second"
        kept.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert b"200" in kept.recv(4096).split(b"\r\n")[0]
        kept.close()
        # a key that does not fit: refused with a log line, the second certificate stays
        subprocess.run(["cp", first[1], key], check=True)
        srv.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: any("TLS files not reloaded" in l for l in lines_of(srv.stderr_path)), "the refusal")
        assert served_cn(srv.port) == "second"
        assert srv.proc.poll() is None
    finally:
        finish(srv)


def _cn_or_none(port):
    try:
        return served_cn(port)
    except OSError:
        return None
