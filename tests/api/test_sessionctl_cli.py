"""sessionctl's everyday command line: TLS with a private CA (--cacert) or none (--insecure),
--timeout, id prefixes and `last JOB`, case-insensitive --job, valid values in every "unknown value"
error, the Running alias, export --limit, one version for both programs, complete --help, bash
completion, and watch / logs -f across a server restart."""
import json
import os
import re
import socket
import subprocess
import time
import uuid

import pytest
import requests

from conftest import LATEST, SESSIOND_BIN, Server, free_port, new_session
from test_sessionctl import (SESSIONCTL_BIN, ctl, ctl_env, job, logs, only_session, restart_on_same_port, session,
                             spawn, wait_for)

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(autouse=True)
def _binary():
    if not os.access(SESSIONCTL_BIN, os.X_OK):
        pytest.skip("sessionctl binary %s not found: run `make` (or set SESSIONCTL_BIN)" % SESSIONCTL_BIN)


# ---------------------------------------------------------------------------------------------
# TLS

@pytest.fixture(scope="module")
def tls_server(tmp_path_factory):
    """A server with a certificate signed by a throwaway CA (openssl)."""
    d = tmp_path_factory.mktemp("ca")
    ca_key, ca, key, csr, cert = (str(d / n) for n in ("ca.key", "ca.pem", "key.pem", "req.csr", "cert.pem"))
    ext = d / "ext.cnf"
    ext.write_text("subjectAltName=IP:127.0.0.1\n")
    run = lambda *a: subprocess.run(["openssl", *a], check=True, capture_output=True, timeout=60)  # noqa: E731
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=sessionctl test CA",
        "-keyout", ca_key, "-out", ca)
    run("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", key, "-out", csr)
    run("x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial", "-days", "2", "-out", cert,
        "-extfile", str(ext))
    srv = Server(extra_args=["--tls-cert", cert, "--tls-key", key])
    for name, (role, pw) in srv.users.items():
        srv.add_user(name, role, pw)
    srv.port = free_port()
    srv.base_url = "https://127.0.0.1:%d" % srv.port
    srv._err = open(srv.stderr_path, "wb")
    srv._out = open(srv.stdout_path, "wb")
    srv.proc = subprocess.Popen([srv.binary, "--listen", "127.0.0.1:%d" % srv.port, "--db", srv.db,
                                 "--tls-cert", cert, "--tls-key", key], env=srv.env, stdout=srv._out,
                                stderr=srv._err, stdin=subprocess.DEVNULL)

    def up():
        try:
            return requests.get(srv.base_url + "/api/v1/serverTime", headers={"x-api-version": LATEST},
                                verify=ca, timeout=1).status_code == 200
        except requests.RequestException:
            return False
    try:
        wait_for(up, 15, what="the TLS server")
        yield srv, ca
    finally:
        srv.stop()
        srv.cleanup()


def test_cacert_trusts_a_private_ca(tls_server, tmp_path):
    srv, ca = tls_server
    p = ctl(srv, tmp_path, "--cacert", ca, "run", "--job", "tls-run", "--", "echo", "over-tls")
    assert p.returncode == 0, p.stderr
    assert "warning" not in p.stderr
    p = ctl(srv, tmp_path, "ls", "--cacert", ca, "--json", "--job", "tls-run", user="viewer")
    assert p.returncode == 0, p.stderr
    got = json.loads(p.stdout)
    assert len(got) == 1 and got[0]["result"]["result"] == "Success"


def test_untrusted_certificate_is_refused_with_a_hint(tls_server, tmp_path):
    srv, _ = tls_server
    p = ctl(srv, tmp_path, "ls", user="viewer")
    assert p.returncode == 1
    assert "certificate" in p.stderr and "--cacert" in p.stderr and "--insecure" in p.stderr
    p = ctl(srv, tmp_path, "ls", "--cacert", str(tmp_path / "missing.pem"), user="viewer")
    assert p.returncode == 2 and "--cacert" in p.stderr


def test_insecure_skips_verification(tls_server, tmp_path):
    srv, _ = tls_server
    p = ctl(srv, tmp_path, "--insecure", "ls", "--limit", "1", user="viewer")
    assert p.returncode == 0, p.stderr


def test_run_against_untrusted_server_still_runs_and_spools(tls_server, tmp_path):
    srv, ca = tls_server
    name = job()
    p = ctl(srv, tmp_path, "run", "--job", name, "--", "sh", "-c", "echo ran; exit 6")
    assert p.returncode == 6 and "ran" in p.stdout
    assert "--cacert" in p.stderr and "spool" in p.stderr
    p = ctl(srv, tmp_path, "--cacert", ca, "flush")
    assert p.returncode == 0, p.stderr
    p = ctl(srv, tmp_path, "--cacert", ca, "show", "last", name, user="viewer")
    assert p.returncode == 0, p.stderr
    assert "Failed" in p.stdout


# ---------------------------------------------------------------------------------------------
# --timeout

def test_timeout_bounds_a_hung_server(server, tmp_path):
    hung = socket.socket()
    hung.bind(("127.0.0.1", 0))
    hung.listen(16)
    try:
        t0 = time.monotonic()
        p = ctl(server, tmp_path, "ls", "--timeout", "2", user="viewer",
                url="http://127.0.0.1:%d" % hung.getsockname()[1])
        took = time.monotonic() - t0
    finally:
        hung.close()
    assert p.returncode == 1
    assert "did not answer" in p.stderr and "--timeout" in p.stderr
    assert took < 8
    p = ctl(server, tmp_path, "ls", "--timeout", "soon", user="viewer")
    assert p.returncode == 2


# ---------------------------------------------------------------------------------------------
# ids

def test_id_prefixes_and_last_job(server, tmp_path):
    rep = server.api("reporter")
    name = job()
    a = new_session(rep, name=name, jobName=name, id=str(uuid.uuid4()))     # random ids: 8 digits are unique
    time.sleep(0.01)
    b = new_session(rep, name=name, jobName=name, id=str(uuid.uuid4()))
    for pref in (b["id"][:8], b["id"][:13], b["id"][:13].replace("-", ""), b["id"].upper()[:10]):
        p = ctl(server, tmp_path, "show", "--json", pref, user="viewer")
        assert p.returncode == 0, (pref, p.stderr)
        assert json.loads(p.stdout)["id"] == b["id"]
    p = ctl(server, tmp_path, "show", "--json", "last", name.upper(), user="viewer")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["id"] == b["id"]         # the newest session of the job
    p = ctl(server, tmp_path, "show", b["id"][:7], user="viewer")
    assert p.returncode == 2 and "at least 8" in p.stderr
    p = ctl(server, tmp_path, "show", "0000000000", user="viewer")
    assert p.returncode == 1 and "no session id starts with" in p.stderr
    p = ctl(server, tmp_path, "show", "last", "no-such-" + name, user="viewer")
    assert p.returncode == 1 and "no job is named" in p.stderr
    # prefixes and `last JOB` work in the ingest verbs too (with a role that may read)
    assert ctl(server, tmp_path, "progress", "last", name, "55", user="admin").returncode == 0
    assert session(server, b["id"])["progressPercent"] == 55
    assert ctl(server, tmp_path, "log", b["id"][:13], "via", "prefix", user="admin").returncode == 0
    assert [r["title"] for r in logs(server, b["id"])] == ["via prefix"]
    assert ctl(server, tmp_path, "finish", "last", name, "--result", "Success", user="admin").returncode == 0
    assert session(server, b["id"])["state"] == "Stopped"
    p = ctl(server, tmp_path, "logs", "last", name, user="viewer")
    assert p.returncode == 0 and "via prefix" in p.stdout
    p = ctl(server, tmp_path, "stop", a["id"][:13], user="operator")
    assert p.returncode == 0, p.stderr
    assert session(server, a["id"])["state"] == "Stopping"


def test_ambiguous_prefix_is_a_clear_error(fresh_server, tmp_path):
    rep = fresh_server.api("reporter")
    ids = ["abcdef01-0000-4000-8000-%012d" % i for i in range(3)]
    for i in ids:
        new_session(rep, id=i)
    p = ctl(fresh_server, tmp_path, "show", "abcdef01", user="viewer")
    assert p.returncode == 2
    assert "ambiguous" in p.stderr and all(i in p.stderr for i in ids)
    p = ctl(fresh_server, tmp_path, "show", "--json", "abcdef01-0000-4000-8000-000000000002"[:-1] + "2",
            user="viewer")
    assert json.loads(p.stdout)["id"] == ids[2]
    p = ctl(fresh_server, tmp_path, "show", "--json", "abcdef010000400080000000000000", user="viewer")
    assert p.returncode == 2                              # 30 digits: still all three


def test_job_is_case_insensitive(server, tmp_path):
    rep = server.api("reporter")
    name = "Nightly-" + uuid.uuid4().hex[:8]
    s = new_session(rep, name=name, jobName=name)
    for spelled in (name, name.lower(), name.upper()):
        p = ctl(server, tmp_path, "ls", "--json", "--job", spelled, user="viewer")
        assert p.returncode == 0, p.stderr
        assert [x["id"] for x in json.loads(p.stdout)] == [s["id"]], spelled


# ---------------------------------------------------------------------------------------------
# values, limits, version, help, completion

def test_unknown_values_list_the_valid_ones(server, tmp_path):
    cases = [
        (["ls", "--state", "Runnning"], "Working", "Running means Working"),
        (["ls", "--result", "Great"], "None, Success, Warning or Failed", None),
        (["ls", "--type", "Bakup"], "BackupJob", None),
        (["export", "--format", "xml"], "csv or json", None),
        (["finish", str(uuid.uuid4()), "--result", "ok"], "None, Success, Warning or Failed", None),
        (["log", str(uuid.uuid4()), "--status", "Info", "x"], "None, Succeeded, Warning or Failed", None),
        (["run", "--type", "Nope", "--", "true"], "ReplicaJob", None),
    ]
    for args, want, also in cases:
        p = ctl(server, tmp_path, *args, user="viewer")
        assert p.returncode == 2, args
        assert "valid:" in p.stderr and want in p.stderr, (args, p.stderr)
        if also:
            assert also in p.stderr


def test_state_running_is_working(server, tmp_path):
    rep = server.api("reporter")
    name = job()
    s = new_session(rep, name=name, jobName=name)
    for st in ("Running", "running", "Working"):
        p = ctl(server, tmp_path, "ls", "--json", "--job", name, "--state", st, user="viewer")
        assert p.returncode == 0, p.stderr
        assert [x["id"] for x in json.loads(p.stdout)] == [s["id"]]


def test_export_limit(fresh_server, tmp_path):
    rep = fresh_server.api("reporter")
    made = [new_session(rep, name="exp-%03d" % i)["id"] for i in range(230)]
    for n in (1, 5, 200, 201, 229):
        p = ctl(fresh_server, tmp_path, "export", "--format", "json", "--limit", str(n), user="viewer")
        assert p.returncode == 0, p.stderr
        assert [x["id"] for x in json.loads(p.stdout)] == made[:n]
    p = ctl(fresh_server, tmp_path, "export", "--limit", "0", user="viewer")
    assert p.returncode == 2


def test_one_version_for_both_programs(server, tmp_path):
    d = subprocess.run([SESSIOND_BIN, "--version"], capture_output=True, text=True, timeout=10)
    c = ctl(server, tmp_path, "--version")
    assert d.returncode == 0 and c.returncode == 0
    dv = d.stdout.split()[1]
    assert c.stdout.split()[1] == dv and re.match(r"\d+\.\d+", dv)


def all_flags():
    """Every long option named in the option table of tools/sessionctl/main.c."""
    with open(os.path.join(REPO, "tools", "sessionctl", "main.c")) as f:
        text = f.read()
    table = text[text.index("static const struct opt opts[]"):text.index("{0, NULL, NULL, NULL}")]
    return re.findall(r'\{OPT_\w+, "([a-z-]+)"', table)


def test_help_documents_every_flag(server, tmp_path):
    flags = all_flags()
    assert {"cacert", "insecure", "timeout", "spool", "quiet", "stderr-warnings", "stderr-status",
            "retry-for", "spool-max", "limit"} <= set(flags)
    shown = set()
    for cmd in ("login", "logout", "run", "flush", "start", "progress", "log", "finish", "ls", "show", "logs",
                "stop", "watch", "export", "alert", "estate put", "estate ls", "estate get", "estate rm",
                "repo report"):
        h = ctl(server, tmp_path, *cmd.split(), "--help")
        assert h.returncode == 0 and h.stdout.startswith("usage: sessionctl " + cmd)
        shown |= set(re.findall(r"--([a-z-]+)", h.stdout))
    top = ctl(server, tmp_path, "--help").stdout
    shown |= set(re.findall(r"--([a-z-]+)", top))
    assert set(flags) <= shown, set(flags) - shown
    r = ctl(server, tmp_path, "run", "--help").stdout
    for f in ("--retry-for", "--stderr-status", "--stderr-warnings", "--quiet", "--spool-max", "--cacert", "--timeout"):
        assert f in r
    doc = open(os.path.join(REPO, "docs", "sessionctl.md")).read()
    assert [f for f in flags if "--" + f not in doc] == []


def test_bash_completion(server, tmp_path):
    path = os.path.join(REPO, "tools", "sessionctl", "sessionctl.bash-completion")
    script = """
source %s
complete_for() { COMP_WORDS=("$@"); COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 )); COMPREPLY=(); _sessionctl; echo "${COMPREPLY[*]}"; }
complete_for sessionctl fl
complete_for sessionctl run --st
complete_for sessionctl ls --state ""
complete_for sessionctl export --format ""
""" % path
    p = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=20)
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert lines[0].split() == ["flush"]
    assert set(lines[1].split()) == {"--stderr-warnings", "--stderr-status"}
    assert "Running" in lines[2].split() and "Working" in lines[2].split()
    assert lines[3].split() == ["csv", "json"]
    for f in all_flags():
        assert "--" + f in open(path).read(), f


# ---------------------------------------------------------------------------------------------
# reconnecting readers

def test_watch_and_logs_follow_survive_a_server_restart(fresh_server, tmp_path):
    srv = fresh_server
    rep = srv.api("reporter")
    s = new_session(rep, name=job())
    rep.post("/api/v1/sessions/%s/logs" % s["id"], json={"records": [{"title": "before"}]}, status=201, schema=False)
    w = spawn(srv, tmp_path, "watch", user="viewer")
    f = spawn(srv, tmp_path, "logs", "-f", s["id"], user="viewer")
    try:
        time.sleep(1.0)
        srv.stop()
        time.sleep(1.5)
        restart_on_same_port(srv)
        srv._tokens.clear()
        rep = srv.api("reporter")
        time.sleep(1.0)
        rep.post("/api/v1/sessions/%s/logs" % s["id"], json={"records": [{"title": "after"}]}, status=201,
                 schema=False)
        rep.patch("/api/v1/sessions/" + s["id"], json={"progressPercent": 77}, status=200, schema="SessionModel")
        time.sleep(1.0)
        rep.post("/api/v1/sessions/%s/complete" % s["id"], json={"result": "Success"}, status=200,
                 schema="SessionModel")
        fout, ferr = f.communicate(timeout=30)
        time.sleep(1.5)
    finally:
        for p in (w, f):
            if p.poll() is None:
                p.terminate()
        wout, werr = w.communicate(timeout=10)
        if f.returncode is None:
            f.communicate(timeout=10)
    assert f.returncode == 0, ferr
    assert [ln.split()[-1] for ln in fout.splitlines()] == ["before", "after"]     # resumed, nothing twice
    assert "reconnecting" in ferr and "reconnected" in ferr
    assert "session ended: Success" in ferr
    mine = [ln for ln in wout.splitlines() if s["id"] in ln]
    assert any(" 77%" in ln for ln in mine), wout
    assert any("Stopped" in ln and "Success" in ln for ln in mine), wout
    assert "reconnecting" in werr and "reconnected" in werr
    assert w.returncode is not None
