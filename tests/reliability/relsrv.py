"""A sessiond process for the reliability tests: start, wait until it serves, kill.

Unlike tests/api/conftest.py this keeps the database across restarts and lets a test
SIGKILL the server; it needs no reference schemas.
"""
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import requests

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SESSIOND_BIN = os.environ.get("SESSIOND_BIN") or os.path.join(REPO, "build", "sessiond")
ADMIN_PASSWORD = "admin-Pa55word!"
VERSION = "1.3-rev2"


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, args=(), binary=SESSIOND_BIN):
        if not os.access(binary, os.X_OK):
            raise RuntimeError("sessiond binary %s not found: run `make`" % binary)
        self.binary = binary
        self.dir = tempfile.mkdtemp(prefix="sessiond-rel-")
        self.db = os.path.join(self.dir, "s.db")
        self.port = free_port()
        self.base = "http://127.0.0.1:%d" % self.port
        self.args = list(args)
        self.proc = None
        self.stderr_path = os.path.join(self.dir, "stderr.log")
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("SESSIOND_")}
        self.env["SESSIOND_ADMIN_PASSWORD"] = ADMIN_PASSWORD

    def add_user(self, name, role, password):
        subprocess.run([self.binary, "user", "add", name, "--role", role, "--db", self.db],
                       env=dict(self.env, SESSIOND_PASSWORD=password), check=True,
                       capture_output=True, timeout=60)

    def start(self, timeout=10.0):
        """Starts and returns the seconds until GET /api/v1/serverTime answered 200."""
        err = open(self.stderr_path, "ab")
        t0 = time.monotonic()
        self.proc = subprocess.Popen(
            [self.binary, "--listen", "127.0.0.1:%d" % self.port, "--db", self.db] + self.args,
            env=self.env, stdout=subprocess.DEVNULL, stderr=err, stdin=subprocess.DEVNULL)
        err.close()
        while time.monotonic() - t0 < timeout:
            if self.proc.poll() is not None:
                raise RuntimeError("sessiond exited with %s at start\n%s"
                                   % (self.proc.returncode, self.stderr_tail()))
            try:
                r = requests.get(self.base + "/api/v1/serverTime",
                                 headers={"x-api-version": VERSION}, timeout=0.5)
                if r.status_code == 200:
                    return time.monotonic() - t0
            except requests.RequestException:
                pass
            time.sleep(0.005)
        raise RuntimeError("sessiond did not serve within %.0f s\n%s" % (timeout, self.stderr_tail()))

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def term(self, timeout=20):
        """SIGTERM; returns (exit code, seconds it took)."""
        t0 = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout)
        return code, time.monotonic() - t0

    def stop(self):
        if self.proc and self.proc.poll() is None:
            try:
                self.term(10)
            except subprocess.TimeoutExpired:
                self.kill()

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def stderr(self):
        try:
            with open(self.stderr_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def stderr_tail(self, n=40):
        return "---- sessiond stderr ----\n" + "\n".join(self.stderr().splitlines()[-n:])

    def token(self, user="admin", password=ADMIN_PASSWORD):
        r = requests.post(self.base + "/api/oauth2/token", headers={"x-api-version": VERSION},
                          data={"grant_type": "password", "username": user, "password": password},
                          timeout=30)
        r.raise_for_status()
        return r.json()["access_token"]

    def headers(self, token):
        return {"x-api-version": VERSION, "Authorization": "Bearer " + token}

    def memory_kib(self):
        """(VmRSS, RssAnon) in KiB. RssAnon is the heap; VmRSS also counts file-backed
        pages (the binary, libraries, a memory-mapped database), which are not leaks."""
        vals = {}
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("VmRSS", "RssAnon"):
                    vals[k] = int(v.split()[0])
        return vals.get("VmRSS", 0), vals.get("RssAnon", 0)
