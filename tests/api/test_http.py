"""The HTTP layer: TLS, the access log, limits, and draining on SIGTERM."""
import os
import signal
import subprocess
import threading
import time

import pytest
import requests
import urllib3

from conftest import LATEST, Server, new_session

urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory):
    d = tmp_path_factory.mktemp("tls")
    cert, key = str(d / "cert.pem"), str(d / "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-keyout", key, "-out", cert],
                   check=True, capture_output=True, timeout=60)
    return cert, key


def test_tls_serves_https_only(server_factory, tls_files):
    cert, key = tls_files
    srv = Server(extra_args=["--tls-cert", cert, "--tls-key", key])
    # the start-up probe speaks plain HTTP: probe over TLS ourselves
    srv.base_url_override = True
    srv.port = None
    try:
        from conftest import free_port
        srv.port = free_port()
        srv.base_url = "https://127.0.0.1:%d" % srv.port
        for name, (role, pw) in srv.users.items():
            srv.add_user(name, role, pw)
        err = open(srv.stderr_path, "wb")
        srv._err = srv._out = err
        srv.proc = subprocess.Popen([srv.binary, "--listen", "127.0.0.1:%d" % srv.port, "--db", srv.db,
                                     "--tls-cert", cert, "--tls-key", key], env=srv.env,
                                    stdout=subprocess.DEVNULL, stderr=err)
        deadline = time.monotonic() + 10
        r = None
        while time.monotonic() < deadline:
            try:
                r = requests.get(srv.base_url + "/api/v1/serverTime", headers={"x-api-version": LATEST},
                                 verify=cert, timeout=2)
                break
            except requests.RequestException:
                time.sleep(0.1)
        assert r is not None and r.status_code == 200 and "serverTime" in r.json()
        tok = requests.post(srv.base_url + "/api/oauth2/token", headers={"x-api-version": LATEST},
                            data={"grant_type": "password", "username": "viewer",
                                  "password": "viewer-Pa55word!"}, verify=cert, timeout=10)
        assert tok.status_code == 200 and tok.json()["access_token"]
        with pytest.raises(requests.RequestException):
            requests.get("http://127.0.0.1:%d/api/v1/serverTime" % srv.port,
                         headers={"x-api-version": LATEST}, timeout=2)
    finally:
        srv.stop()
        srv.cleanup()


def test_tls_needs_both_files(tls_files, tmp_path):
    cert, _ = tls_files
    p = subprocess.run([Server().binary, "--listen", "127.0.0.1:1", "--db", str(tmp_path / "x.db"),
                        "--tls-cert", cert], capture_output=True, text=True, timeout=20,
                       env=dict(os.environ, SESSIOND_ADMIN_PASSWORD="x-Pa55word!"))
    assert p.returncode != 0 and "--tls-key" in p.stderr


def test_access_log_has_one_line_per_request_without_secrets(fresh_server):
    viewer = fresh_server.api("viewer")
    viewer.get("/api/v1/sessions?nameFilter=zz", schema="SessionsResult")
    viewer.get("/api/v1/sessions/not-a-uuid", status=400)
    time.sleep(0.2)
    log = open(fresh_server.stderr_path, encoding="utf-8", errors="replace").read()
    lines = [l for l in log.splitlines() if '"GET /api/v1/sessions' in l]
    assert any(' 200 ' in l and '"GET /api/v1/sessions"' in l for l in lines), lines
    assert any(' 400 ' in l and 'not-a-uuid' in l for l in lines), lines
    assert viewer.bearer not in log
    assert "viewer-Pa55word!" not in log


def test_unknown_flag_and_help():
    b = Server().binary
    p = subprocess.run([b, "--nope"], capture_output=True, text=True, timeout=10)
    assert p.returncode == 2 and "--nope" in p.stderr
    h = subprocess.run([b, "--help"], capture_output=True, text=True, timeout=10)
    assert h.returncode == 0
    for flag in ("--listen", "--db", "--tls-cert", "--demo", "--retention-days", "SESSIOND_"):
        assert flag in h.stdout
    p = subprocess.run([b, "--timeout", "0"], capture_output=True, text=True, timeout=10)
    assert p.returncode == 2 and "timeout" in p.stderr


def test_sigterm_drains_waiting_and_inflight_requests(fresh_server):
    srv = fresh_server
    rep = srv.api("reporter")
    s = new_session(rep)
    acked, errors = [], []
    stop = threading.Event()

    def writer(k):
        http = requests.Session()
        n = 0
        while not stop.is_set():
            n += 1
            try:
                r = http.post(srv.base_url + "/api/v1/sessions/%s/logs" % s["id"],
                              headers={"x-api-version": LATEST, "Authorization": "Bearer " + rep.bearer},
                              json={"records": [{"title": "w%d-%d" % (k, n)}]}, timeout=5)
            except requests.RequestException:
                return
            if r.status_code == 201:
                acked.append("w%d-%d" % (k, n))
            else:
                errors.append(r.status_code)

    poll = {}

    def long_poll():
        t0 = time.monotonic()
        try:
            r = requests.get(srv.base_url + "/api/v1/sessions?usnGreaterThan=%d&wait=60" % (10 ** 12),
                             headers={"x-api-version": LATEST,
                                      "Authorization": "Bearer " + srv.api("viewer").bearer},
                             timeout=30)
        except requests.RequestException as e:
            poll["error"] = repr(e)
            return
        poll["status"], poll["t"] = r.status_code, time.monotonic() - t0

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
    lp = threading.Thread(target=long_poll)
    lp.start()
    for t in threads:
        t.start()
    time.sleep(1.0)
    t0 = time.monotonic()
    srv.stopped_by_us = True
    srv.proc.send_signal(signal.SIGTERM)
    code = srv.proc.wait(15)
    took = time.monotonic() - t0
    stop.set()
    for t in threads + [lp]:
        t.join(10)
    assert code == 0 and took < 5, (code, took)
    assert poll.get("status") == 200 and poll["t"] < 10, poll   # answered, not cut off
    # requests arriving after SIGTERM on kept-alive connections are refused with 503 + close
    assert not [e for e in errors if e >= 500 and e != 503], errors
    assert len(acked) > 10
    # every acknowledged write survived
    srv.users = {}   # they exist already
    srv.start()
    logs = srv.api("viewer").get("/api/v1/sessions/%s/logs" % s["id"], schema="SessionLogResult").body
    titles = {r["title"] for r in logs["records"]}
    missing_writes = [a for a in acked if a not in titles]
    assert not missing_writes, missing_writes[:10]
