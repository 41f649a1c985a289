"""sessionctl run as cron needs it: every line stored, no spinning, back-pressure on a slow server,
the command always runs (server down, hung, wrong or expired login, no permission), the spool and
its delivery with the original times, results that explain themselves, --quiet.

The million-line test takes 5 to 10 s on a 2-core machine (20 to 55 s with both programs built
with SAN=1 while the machine is busy)."""
import json
import os
import resource
import socket
import subprocess
import threading
import time
import uuid

import pytest
import requests

from conftest import LATEST, PASSWORDS, free_port
from test_sessionctl import (SESSIONCTL_BIN, ctl, ctl_env, job, logs, only_session, restart_on_same_port,
                             session, sessions_of, titles, wait_for)

@pytest.fixture(autouse=True)
def _binary():
    if not os.access(SESSIONCTL_BIN, os.X_OK):
        pytest.skip("sessionctl binary %s not found: run `make` (or set SESSIONCTL_BIN)" % SESSIONCTL_BIN)


def spool_dir(home):
    return os.path.join(str(home), "state", "sessionctl")


def spool_files(home):
    d = spool_dir(home)
    return sorted(os.path.join(d, f) for f in os.listdir(d) if f.endswith(".spool")) if os.path.isdir(d) else []


def log_count(server, sid):
    """How many records a session has, without fetching them all: the ids are numbered from 1."""
    r = server.api("viewer").get("/api/v1/sessions/%s/logs" % sid, params={"statusFilter": "Succeeded"},
                                 schema="SessionLogResult", status=200)
    recs = r.body["records"]
    assert recs and recs[-1]["title"].startswith("Command finished")
    return max(x["id"] for x in recs)


def parse_time(s):
    from datetime import datetime
    return datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()


def run_measured(args, env, timeout=120):
    """Runs sessionctl; returns (exit code, stdout, stderr, wall seconds, CPU seconds of sessionctl
    itself and the children it reaped) from wait4's resource usage."""
    t0 = time.monotonic()
    p = subprocess.Popen([SESSIONCTL_BIN, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out_chunks, err_chunks = [], []
    th = [threading.Thread(target=lambda: out_chunks.append(p.stdout.read())),
          threading.Thread(target=lambda: err_chunks.append(p.stderr.read()))]
    for t in th:
        t.start()
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.monotonic() - t0
    for t in th:
        t.join(timeout)
    p.returncode = os.waitstatus_to_exitcode(status)
    return (p.returncode, b"".join(out_chunks).decode(), b"".join(err_chunks).decode(), wall,
            ru.ru_utime + ru.ru_stime)


# ---------------------------------------------------------------------------------------------
# volume and CPU

@pytest.mark.alone   # its time bound is a throughput: beside the other workers' load it took 76 s once
def test_run_stores_a_million_lines(server, tmp_path):
    n = 1000000
    name = job()
    env = ctl_env(server.base_url, tmp_path)
    code, out, err, wall, cpu = run_measured(["run", "--job", name, "--", "seq", "1", str(n)], env)
    assert code == 0, err
    assert out.count("\n") == n                       # everything echoed
    print("\n%d lines: %.1f s wall, sessionctl CPU %.1f s" % (n, wall, cpu))
    # a sanitizer build (scripts/check sets ASAN_OPTIONS) on a busy machine is several times slower
    assert wall < (150 if os.environ.get("ASAN_OPTIONS") else 60)
    s = only_session(server, name)
    assert s["result"]["result"] == "Success", s["result"]
    assert s["result"]["message"] == "exit status 0"
    # the server numbers a session's records 1, 2, ...: the last id is the count
    assert log_count(server, s["id"]) == n + 2        # "Started", every line, "Command finished"
    assert spool_files(tmp_path) == []                # delivered, so nothing left behind


def test_run_stores_every_line_in_order(server, tmp_path):
    n = 200000
    name = job()
    p = ctl(server, tmp_path, "run", "--job", name, "--", "seq", "1", str(n))
    assert p.returncode == 0, p.stderr
    s = only_session(server, name)
    got = [r["title"] for r in logs(server, s["id"])]
    assert got[1:-1] == [str(i) for i in range(1, n + 1)]


def test_run_does_not_spin(server, tmp_path):
    env = ctl_env(server.base_url, tmp_path)
    code, _, err, wall, cpu = run_measured(["run", "--job", job(), "--", "sleep", "5"], env)
    assert code == 0, err
    print("\nsleep 5: %.2f s wall, sessionctl CPU %.3f s (%.2f %%)" % (wall, cpu, 100 * cpu / wall))
    assert wall >= 5
    assert cpu < 0.05 * wall


class SlowProxy:
    """A TCP proxy to the server that holds every chunk from the client for `delay` seconds:
    a server slower than the command's output."""

    def __init__(self, port, delay):
        self.port, self.delay = port, delay
        self.lsock = socket.socket()
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(16)
        self.url = "http://127.0.0.1:%d" % self.lsock.getsockname()[1]
        self.stop = False
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while not self.stop:
            try:
                c, _ = self.lsock.accept()
            except OSError:
                return
            s = socket.create_connection(("127.0.0.1", self.port))
            threading.Thread(target=self.pump, args=(c, s, self.delay), daemon=True).start()
            threading.Thread(target=self.pump, args=(s, c, 0), daemon=True).start()

    @staticmethod
    def pump(a, b, delay):
        try:
            while True:
                d = a.recv(65536)
                if not d:
                    break
                if delay:
                    time.sleep(delay)
                b.sendall(d)
        except OSError:
            pass
        for x in (a, b):
            try:
                x.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def close(self):
        self.stop = True
        self.lsock.close()


def test_run_back_pressure_on_a_slow_server(server, tmp_path):
    """The command's output outruns the server: sessionctl reads the child more slowly instead of
    piling the output up (undelivered bytes in the spool stay near 4 MiB) and stores every line."""
    proxy = SlowProxy(server.port, 0.01)
    n = 100000
    name = job()
    env = ctl_env(proxy.url, tmp_path)
    p = subprocess.Popen([SESSIONCTL_BIN, "run", "--job", name, "--", "sh", "-c",
                          "seq -f 'line %%06g of the output, padded to make it long enough' 1 %d" % n],
                         env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    most = 0
    try:
        while p.poll() is None:
            for f in spool_files(tmp_path):
                try:
                    with open(f, "rb") as fh:
                        head = fh.read(25).decode()
                        size = os.fstat(fh.fileno()).st_size
                    most = max(most, size - int(head.split()[2]))
                except (OSError, ValueError, IndexError):
                    pass
            time.sleep(0.02)
        err = p.stderr.read()
    finally:
        if p.poll() is None:
            p.kill()
        p.wait()
        proxy.close()
    assert p.returncode == 0, err
    total = n * 120
    print("\nlargest undelivered backlog %.1f MiB of about %.1f MiB output" % (most / 2**20, total / 2**20))
    assert 0 < most < 7 * 2**20
    s = only_session(server, name)
    assert s["result"]["result"] == "Success", s["result"]
    assert log_count(server, s["id"]) == n + 2


# ---------------------------------------------------------------------------------------------
# fail open: the command always runs

def test_server_down_spools_then_flush_keeps_times(fresh_server, tmp_path):
    srv = fresh_server
    name = job()
    srv.stop()
    t0 = time.time()
    p = ctl(srv, tmp_path, "run", "--job", name, "--retry-for", "0", "--", "sh", "-c",
            "echo first; sleep 1.2; echo 'error: backup target is read-only' >&2; echo last 70%; exit 9")
    t1 = time.time()
    assert p.returncode == 9, p.stderr                     # the child's exit code
    assert "first" in p.stdout and "last" in p.stdout      # it ran
    assert "cannot connect" in p.stderr and "sessionctl flush" in p.stderr
    files = spool_files(tmp_path)
    assert len(files) == 1
    assert oct(os.stat(files[0]).st_mode & 0o777) == "0o600"
    time.sleep(1.5)                                        # delivery happens clearly later
    restart_on_same_port(srv)
    f = ctl(srv, tmp_path, "flush")
    assert f.returncode == 0, f.stderr
    assert "delivered the spooled session" in f.stderr
    assert spool_files(tmp_path) == []
    s = only_session(srv, name)
    assert s["state"] == "Stopped"
    assert s["result"]["result"] == "Failed"
    assert s["result"]["message"] == "error: backup target is read-only (exit status 9)"
    assert s["progressPercent"] == 70
    created, ended = parse_time(s["creationTime"]), parse_time(s["endTime"])
    assert t0 - 1 <= created <= t0 + 1                     # the run's own times, not the flush's
    assert t1 - 1 <= ended <= t1 + 0.5
    assert ended - created >= 1.1
    recs = logs(srv, s["id"])
    t = titles(recs)
    assert t[1] == "first" and len(t) == 5         # stdout and stderr are two pipes: no order between them
    assert sorted(t[2:4]) == ["error: backup target is read-only", "last 70%"]
    starts = [parse_time(r["startTime"]) for r in recs]
    assert starts[2] - starts[1] >= 1.1                     # each line keeps the time it was read
    # nothing left: a second flush has nothing to do
    assert ctl(srv, tmp_path, "flush").returncode == 0
    assert len(sessions_of(srv, name)) == 1


def test_next_run_delivers_the_spool(fresh_server, tmp_path):
    srv = fresh_server
    a, b = job(), job()
    srv.stop()
    p = ctl(srv, tmp_path, "run", "--job", a, "--retry-for", "0", "--", "echo", "from-a")
    assert p.returncode == 0 and len(spool_files(tmp_path)) == 1
    restart_on_same_port(srv)
    p = ctl(srv, tmp_path, "run", "--job", b, "--", "echo", "from-b")
    assert p.returncode == 0, p.stderr
    assert "delivered the spooled session" in p.stderr
    assert spool_files(tmp_path) == []
    assert "from-a" in titles(logs(srv, only_session(srv, a)["id"]))
    assert "from-b" in titles(logs(srv, only_session(srv, b)["id"]))


def test_other_commands_deliver_the_spool_quietly(fresh_server, tmp_path):
    srv = fresh_server
    a = job()
    srv.stop()
    assert ctl(srv, tmp_path, "run", "--job", a, "--retry-for", "0", "--", "true").returncode == 0
    restart_on_same_port(srv)
    sid = ctl(srv, tmp_path, "start", job()).stdout.strip()    # any later command delivers it
    uuid.UUID(sid)
    assert spool_files(tmp_path) == []
    assert only_session(srv, a)["result"]["result"] == "Success"


def test_server_restart_during_run_loses_nothing(fresh_server, tmp_path):
    srv = fresh_server
    name = job()
    n = 30000
    p = subprocess.Popen([SESSIONCTL_BIN, "run", "--job", name, "--", "sh", "-c",
                          "seq 1 %d; sleep 2; seq %d %d" % (n, n + 1, 2 * n)],
                         env=ctl_env(srv.base_url, tmp_path), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         text=True)
    try:
        time.sleep(0.5)
        srv.stop()
        time.sleep(2.5)
        restart_on_same_port(srv)
        p.wait(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
        err = p.stderr.read()
    assert p.returncode == 0, err
    s = only_session(srv, name)
    assert s["result"]["result"] == "Success"
    got = titles(logs(srv, s["id"]))
    assert got[1:-1] == [str(i) for i in range(1, 2 * n + 1)]


def test_wrong_password_runs_and_spools(server, tmp_path):
    name = job()
    p = ctl(server, tmp_path, "run", "--job", name, "--", "sh", "-c", "touch %s/ran; echo hi; exit 3" % tmp_path,
            extra_env={"SESSIOND_PASSWORD": "wrong"})
    assert p.returncode == 3
    assert (tmp_path / "ran").exists() and "hi" in p.stdout
    assert "wrong user name or password" in p.stderr and "spool" in p.stderr
    assert sessions_of(server, name) == []
    assert len(spool_files(tmp_path)) == 1
    f = ctl(server, tmp_path, "flush")                     # the right password now
    assert f.returncode == 0, f.stderr
    s = only_session(server, name)
    assert s["result"]["result"] == "Failed" and "hi" in titles(logs(server, s["id"]))


def test_expired_saved_login_runs_and_spools(server, tmp_path):
    cache = tmp_path / "sessiond" / "token.json"
    cache.parent.mkdir(mode=0o700)
    cache.write_text(json.dumps({"servers": {server.base_url: {
        "user": "reporter", "access_token": "expired", "refresh_token": "revoked", "access_expires": 0}}}))
    os.chmod(cache, 0o600)
    name = job()
    p = ctl(server, tmp_path, "run", "--job", name, "--", "sh", "-c", "echo ran", user=None)
    assert p.returncode == 0 and "ran" in p.stdout
    assert "expired or was revoked" in p.stderr and "sessionctl flush" in p.stderr
    assert len(spool_files(tmp_path)) == 1
    # still not logged in: flush keeps it and says why
    f = ctl(server, tmp_path, "flush", user=None)
    assert f.returncode == 1 and "stays in the spool" in f.stderr
    assert len(spool_files(tmp_path)) == 1
    pw = tmp_path / "pw"
    pw.write_text(PASSWORDS["reporter"])
    assert ctl(server, tmp_path, "login", "--user", "reporter", "--password-file", str(pw), user=None).returncode == 0
    f = ctl(server, tmp_path, "flush", user=None)
    assert f.returncode == 0, f.stderr
    assert only_session(server, name)["result"]["result"] == "Success"


def test_hung_server_never_delays_the_child(server, tmp_path):
    """A server that accepts connections and never answers: the command runs at full speed, its
    output goes to the spool, and sessionctl does not wait out the request timeout."""
    hung = socket.socket()
    hung.bind(("127.0.0.1", 0))
    hung.listen(64)                     # never accept(): connects succeed, requests hang
    url = "http://127.0.0.1:%d" % hung.getsockname()[1]
    mark = tmp_path / "child-done"
    try:
        t0 = time.time()
        p = ctl(server, tmp_path, "run", "--timeout", "30", "--retry-for", "0", "--", "sh", "-c",
                "seq 1 200000; date +%%s.%%N > %s" % mark, url=url, timeout=60)
        t1 = time.time()
    finally:
        hung.close()
    assert p.returncode == 0, p.stderr
    child_took = float(mark.read_text()) - t0
    print("\nhung server: the child took %.2f s, sessionctl %.2f s" % (child_took, t1 - t0))
    assert child_took < 10                # not held for the 30 s request timeout
    assert t1 - t0 < 25
    files = spool_files(tmp_path)
    assert len(files) == 1
    with open(files[0]) as f:
        recs = [ln for ln in f if ln.startswith("R ")]
    assert len(recs) == 200000 + 2 and json.loads(recs[-2][2:])["title"] == "200000"


def test_full_spool_drops_lines_and_says_how_many(fresh_server, tmp_path):
    srv = fresh_server
    name = job()
    srv.stop()
    n = 5000
    p = ctl(srv, tmp_path, "run", "--job", name, "--retry-for", "0", "--spool-max", "64K", "--", "seq", "1", str(n))
    assert p.returncode == 0
    restart_on_same_port(srv)
    assert ctl(srv, tmp_path, "flush").returncode == 0
    s = only_session(srv, name)
    recs = titles(logs(srv, s["id"]))
    stored = [t for t in recs if t.isdigit()]
    assert 0 < len(stored) < n
    assert stored == [str(i) for i in range(1, len(stored) + 1)]      # the first lines, in order
    dropped = n - len(stored)
    assert s["result"]["result"] == "Warning"
    assert s["result"]["message"] == "exit status 0; %d output lines were not recorded (the spool was full)" % dropped
    notes = [t for t in recs if t.startswith("sessionctl: ") and "were not recorded" in t]
    assert notes and sum(int(t.split()[1]) for t in notes) == dropped


# ---------------------------------------------------------------------------------------------
# results that explain themselves

def test_failed_message_quotes_the_error_line(server, tmp_path):
    name = job()
    p = ctl(server, tmp_path, "run", "--job", name, "--", "sh", "-c",
            "echo 'rsync: send_files failed to open \"/data/x\": Permission denied (13)' >&2; echo 'sent 12 bytes';"
            "echo 'rsync error: some files could not be transferred (code 23)' >&2; echo 'total size 0'; exit 23")
    assert p.returncode == 23
    s = only_session(server, name)
    assert s["result"]["result"] == "Failed"
    assert s["result"]["message"] == "rsync error: some files could not be transferred (code 23) (exit status 23)"


def test_failed_message_falls_back_to_stderr_and_is_truncated(server, tmp_path):
    name = job()
    long = "x" * 500
    p = ctl(server, tmp_path, "run", "--job", name, "--", "sh", "-c", "echo %s >&2; echo done; exit 1" % long)
    assert p.returncode == 1
    m = only_session(server, name)["result"]["message"]
    assert m.startswith("xxxx") and m.endswith("... (exit status 1)")
    assert len(m) < 240


def test_failed_message_names_the_signal(server, tmp_path):
    name = job()
    p = ctl(server, tmp_path, "run", "--job", name, "--", "sh", "-c", "echo 'error: about to die'; kill -KILL $$")
    assert p.returncode == 137
    assert only_session(server, name)["result"]["message"] == "killed by signal 9 (SIGKILL)"


def test_quiet_shows_output_only_on_failure(server, tmp_path):
    name = job()
    p = ctl(server, tmp_path, "run", "--quiet", "--job", name, "--", "sh", "-c", "echo fine; echo noise >&2")
    assert p.returncode == 0
    assert p.stdout == "" and "noise" not in p.stderr
    assert titles(logs(server, only_session(server, name)["id"]))[1:3] == ["fine", "noise"]   # still logged
    p = ctl(server, tmp_path, "run", "--quiet", "--job", job(), "--", "sh", "-c",
            "echo out1; echo err1 >&2; echo out2; exit 2")
    assert p.returncode == 2
    assert p.stdout == "out1\nout2\n"
    assert "err1" in p.stderr


def test_progress_is_reported_during_a_flood(server, tmp_path):
    name = job()
    # `yes` floods for 8 s at whatever pace the server allows; progress must show before that ends
    proc = subprocess.Popen([SESSIONCTL_BIN, "run", "--job", name, "--", "sh", "-c",
                             "echo 37%; timeout 8 yes flood; sleep 1"],
                            env=ctl_env(server.base_url, tmp_path), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    try:
        s = only_session(server, name)
        seen = wait_for(lambda: (lambda x: x if x["progressPercent"] == 37 else None)(session(server, s["id"])),
                        6, what="progress 37 while the lines flood in")
        assert seen["state"] == "Working"
    finally:
        proc.wait(timeout=120)
    assert proc.returncode == 0


def test_unusable_spool_folder_still_reports(server, tmp_path):
    name = job()
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    p = ctl(server, tmp_path, "run", "--spool", str(blocker / "spool"), "--job", name, "--", "echo", "hello")
    assert p.returncode == 0
    assert "cannot create the spool folder" in p.stderr and "temporary file" in p.stderr
    s = only_session(server, name)
    assert s["result"]["result"] == "Success" and "hello" in titles(logs(server, s["id"]))
