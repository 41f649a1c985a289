"""The database file is private and served by one process (docs/OPERATIONS.md): the database,
its WAL and shared-memory files are mode 0600, files an older release left readable are
tightened with a log line, a second sessiond on the same database is refused before it does
anything, and a port in use ends the start before any user is created or password printed."""
import os
import socket
import sqlite3
import stat
import subprocess
import tempfile
import time

import pytest

from conftest import ADMIN_PASSWORD, Server, free_port, new_session


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def users_in(db):
    """The user names stored in db ([] while it has no users table yet)."""
    c = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    try:
        return [r[0] for r in c.execute("SELECT name FROM users")]
    except sqlite3.OperationalError as e:
        if "no such table" in str(e):
            return []
        raise
    finally:
        c.close()


@pytest.mark.sqlite_only
def test_database_wal_shm_and_lock_are_private(fresh_server):
    new_session(fresh_server.api("reporter"))   # a write: the WAL has content
    db = fresh_server.db
    for path in (db, db + "-wal", db + "-shm", db + ".lock"):
        assert os.path.exists(path), path
        assert mode(path) == 0o600, "%s is mode %o" % (path, mode(path))


def test_user_add_creates_a_private_database():
    d = tempfile.mkdtemp(prefix="sessiond-ops-")
    db = os.path.join(d, "new.db")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SESSIOND_")}
    env["SESSIOND_PASSWORD"] = "viewer-Pa55word!"
    old = os.umask(0o022)   # an operator's usual umask must not make it readable
    try:
        p = subprocess.run([Server().binary, "user", "add", "v", "--role", "viewer", "--db", db],
                           env=env, capture_output=True, text=True, timeout=30)
    finally:
        os.umask(old)
    assert p.returncode == 0, p.stderr
    assert mode(db) == 0o600, oct(mode(db))
    subprocess.run(["rm", "-rf", d])


@pytest.mark.sqlite_only
def test_readable_database_of_an_older_release_is_tightened():
    srv = Server()
    try:
        srv.start()
        assert srv.stop() == 0
        os.chmod(srv.db, 0o644)
        srv.users = {}
        srv.start()
        assert mode(srv.db) == 0o600
        log = open(srv.stderr_path).read()
        assert "was mode 644; now 600" in log, log
        assert srv.db in log
    finally:
        srv.stop()
        srv.cleanup()


@pytest.mark.sqlite_only
def test_second_process_on_the_same_database_is_refused(fresh_server):
    before = users_in(fresh_server.db)
    port = free_port()
    env = dict(fresh_server.env)
    env.pop("SESSIOND_ADMIN_PASSWORD", None)
    t0 = time.monotonic()
    p = subprocess.run([fresh_server.binary, "--listen", "127.0.0.1:%d" % port, "--db", fresh_server.db],
                       env=env, capture_output=True, text=True, timeout=20)
    assert p.returncode != 0
    assert time.monotonic() - t0 < 5
    assert "another sessiond (pid %d) is serving the database %s" % (fresh_server.proc.pid, fresh_server.db) \
        in p.stderr, p.stderr
    assert "password" not in p.stderr
    # it did nothing: no port, no user, and the first one still serves
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0
    assert users_in(fresh_server.db) == before
    new_session(fresh_server.api("reporter"))


def test_port_in_use_ends_the_start_before_any_user_or_password():
    d = tempfile.mkdtemp(prefix="sessiond-ops-")
    db = os.path.join(d, "s.db")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SESSIOND_")}
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        p = subprocess.run([Server().binary, "--listen", "127.0.0.1:%d" % port, "--db", db], env=env,
                           capture_output=True, text=True, timeout=20)
    assert p.returncode != 0
    assert "cannot listen on 127.0.0.1:%d" % port in p.stderr, p.stderr
    assert "password" not in p.stderr and "created user" not in p.stderr, p.stderr
    assert not os.path.exists(db) or users_in(db) == []
    # the same start on a free port creates the admin and prints its password once
    port = free_port()
    proc = subprocess.Popen([Server().binary, "--listen", "127.0.0.1:%d" % port, "--db", db], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not (os.path.exists(db) and "admin" in users_in(db)):
            time.sleep(0.05)
        assert users_in(db) == ["admin"]
    finally:
        proc.terminate()
        err = proc.communicate(timeout=10)[1]
    assert "created user 'admin' with password " in err, err
    subprocess.run(["rm", "-rf", d])


def test_admin_password_from_the_environment_is_not_printed(fresh_server):
    log = open(fresh_server.stderr_path).read()
    assert "created user 'admin' with the password from SESSIOND_ADMIN_PASSWORD" in log
    assert ADMIN_PASSWORD not in log
