"""Ingest rate with alert webhooks that fail (docs/ALERTS.md): every session ingested here ends
Failed and so raises an alert. Four runs, each on a fresh sessiond: no rule; a rule whose
receiver answers 204 at once (a separate process); one whose receiver accepts the connection
and never answers (each attempt waits for --alert-timeout); one whose receiver refuses
connections (quick failures, retried). Prints sessions/s (create + complete, 4 client
threads) and the deliveries recorded and delivered for each.

    /usr/bin/python3 bench/alerts_ingest.py [--sessions N]
"""
import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

import requests

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SESSIOND = os.environ.get("SESSIOND_BIN") or os.path.join(ROOT, "build", "sessiond")
VBR = {"x-api-version": "1.3-rev2"}
PASSWORD = "benchpass1"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def hanging_receiver():
    """Accepts connections and never answers; returns (url, stop)."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(128)
    held, stop = [], threading.Event()

    def loop():
        srv.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(srv.accept()[0])
            except OSError:
                pass

    threading.Thread(target=loop, daemon=True).start()

    def close():
        stop.set()
        for c in held:
            c.close()
        srv.close()
    return "http://127.0.0.1:%d/" % srv.getsockname()[1], close


RECEIVER = r"""
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(204)
        self.end_headers()
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
"""


def run(url, sessions):
    d = tempfile.mkdtemp(prefix="sessiond-alerts-bench-")
    port = free_port()
    env = dict(os.environ, SESSIOND_ADMIN_PASSWORD=PASSWORD)
    p = subprocess.Popen([SESSIOND, "--listen", "127.0.0.1:%d" % port, "--db", os.path.join(d, "s.db"),
                          "--alert-check", "200", "--alert-retry", "500", "--log-level", "warn"],
                         env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = "http://127.0.0.1:%d" % port
    try:
        for _ in range(100):
            try:
                requests.get(base + "/api/v1/serverTime", headers=VBR, timeout=1)
                break
            except requests.RequestException:
                time.sleep(0.05)
        tok = requests.post(base + "/api/oauth2/token", headers=VBR,
                            data={"grant_type": "password", "username": "admin", "password": PASSWORD}).json()
        h = dict(VBR, Authorization="Bearer " + tok["access_token"])
        if url:
            r = requests.post(base + "/api/v1/alerts", headers=h,
                              json={"name": "bench", "event": "failed", "url": url, "secret": "bench-secret"})
            assert r.status_code == 201, r.text
        per = sessions // 4

        def work():
            s = requests.Session()
            for _ in range(per):
                sid = s.post(base + "/api/v1/sessions", headers=h,
                             json={"name": "bench-job", "sessionType": "BackupJob"}).json()["id"]
                r = s.post(base + "/api/v1/sessions/%s/complete" % sid, headers=h, json={"result": "Failed"})
                assert r.status_code == 200, r.text

        t0 = time.perf_counter()
        ts = [threading.Thread(target=work) for _ in range(4)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        took = time.perf_counter() - t0
        time.sleep(1)
        total = requests.get(base + "/api/v1/alerts/deliveries?limit=0", headers=h).json()
        done = requests.get(base + "/api/v1/alerts/deliveries?limit=0&status=delivered", headers=h).json()
        return per * 4 / took, total["pagination"]["total"], done["pagination"]["total"]
    finally:
        p.terminate()
        p.wait(15)
        shutil.rmtree(d, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sessions", type=int, default=2000)
    a = ap.parse_args()
    hang_url, hang_stop = hanging_receiver()
    refused = "http://127.0.0.1:%d/" % free_port()
    ok_port = free_port()
    ok = subprocess.Popen([sys.executable, "-c", RECEIVER, str(ok_port)])
    try:
        time.sleep(0.5)
        for name, url in (("no rule", None), ("receiver answers", "http://127.0.0.1:%d/" % ok_port),
                          ("receiver hangs", hang_url), ("receiver refuses", refused)):
            rate, recorded, delivered = run(url, a.sessions)
            print("%-18s %8.0f sessions/s  (%d deliveries recorded, %d delivered)" % (name, rate, recorded,
                                                                                     delivered))
            sys.stdout.flush()
    finally:
        hang_stop()
        ok.terminate()
        ok.wait()


if __name__ == "__main__":
    main()
