"""Storage faults at run time: a full disk and a read-only file system under the database.
Each answers 503 with Retry-After in the dialect's own error shape (never 500), makes /readyz
fail, is logged once with its cause, and ends by itself when the cause goes away; nothing
acknowledged is lost. The database lives on a small tmpfs mounted by the test (root only:
the test skips, saying so, where mounting is not allowed; CI runs as root)."""
import os
import sqlite3
import subprocess
import tempfile
import time
import uuid

import pytest
import requests

from relsrv import ADMIN_PASSWORD, VERSION, Server


@pytest.fixture
def small_fs():
    d = tempfile.mkdtemp(prefix="sessiond-fs-")
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", d], capture_output=True, text=True)
    if r.returncode != 0:
        os.rmdir(d)
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("cannot mount a tmpfs in CI: %s" % r.stderr.strip())
        pytest.skip("cannot mount a tmpfs here (%s): the storage fault tests need root" % r.stderr.strip())
    yield d
    subprocess.run(["umount", "-l", d], capture_output=True)
    os.rmdir(d)


def token(base):
    r = requests.post(base + "/api/oauth2/token", headers={"x-api-version": VERSION},
                      data={"grant_type": "password", "username": "admin", "password": ADMIN_PASSWORD})
    assert r.status_code == 200, r.text
    return {"x-api-version": VERSION, "Authorization": "Bearer " + r.json()["access_token"]}


def create(base, h, name):
    return requests.post(base + "/api/v1/sessions", headers=h, timeout=30,
                         json={"name": name, "sessionType": "BackupJob", "jobName": "x" * 2000})


def fill(path):
    """Fills the file system with one file, leaving nothing free (unbuffered: a buffered file
    would fail again when it is closed, on the bytes it could not write)."""
    with open(path, "wb", buffering=0) as f:
        try:
            while True:
                f.write(b"\0" * 65536)
                f.flush()
        except OSError:
            pass


def until(pred, seconds, what):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if pred():
            return
        time.sleep(0.1)
    pytest.fail("%s within %d s" % (what, seconds))


def start_on(fs):
    srv = Server()
    srv.db = os.path.join(fs, "s.db")
    srv.start()
    return srv


def test_disk_full_answers_503_and_recovers(small_fs):
    srv = start_on(small_fs)
    try:
        h = token(srv.base)
        kept = []
        for i in range(5):
            r = create(srv.base, h, "before-%d" % i)
            assert r.status_code == 201, r.text
            kept.append(r.json()["id"])
        filler = os.path.join(small_fs, "filler")
        fill(filler)
        statuses = set()
        for i in range(200):   # the WAL may still have room for a few
            r = create(srv.base, h, "full-%d-%s" % (i, uuid.uuid4().hex))
            statuses.add(r.status_code)
            if r.status_code == 201:
                kept.append(r.json()["id"])
            else:
                break
        assert r.status_code == 503, (r.status_code, r.text)
        assert int(r.headers["Retry-After"]) > 0
        assert r.json()["errorCode"] and r.json()["message"], r.text     # VBR Error shape
        assert 500 not in statuses
        ready = requests.get(srv.base + "/readyz")
        assert ready.status_code == 503 and "Retry-After" in ready.headers, ready.text
        # EM and Azure answer in their own shapes too
        em = requests.post(srv.base + "/api/backupSessions/%s?action=stop" % kept[0])
        assert em.status_code == 401   # (no logon: checked before the store)
        os.remove(filler)
        until(lambda: requests.get(srv.base + "/readyz").status_code == 200, 15, "/readyz came back")
        r = create(srv.base, h, "after")
        assert r.status_code == 201, r.text
        for sid in kept:
            g = requests.get(srv.base + "/api/v1/sessions/" + sid, headers=h)
            assert g.status_code == 200, (sid, g.text)
        log = open(srv.stderr_path).read()
        assert log.count("store failing:") == 1, log
        assert "store works again" in log, log
    finally:
        srv.kill()
        srv.cleanup()


def test_read_only_file_system_refused_at_start_with_its_cause(small_fs):
    """Linux refuses to remount a file system read-only while a database on it is open for
    writing, so a read-only store is met at start: sessiond says so and does not serve."""
    srv = start_on(small_fs)
    srv.term()
    r = subprocess.run(["mount", "-o", "remount,ro", small_fs], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    try:
        p = subprocess.run([srv.binary, "--listen", "127.0.0.1:%d" % srv.port, "--db", srv.db], env=srv.env,
                           capture_output=True, text=True, timeout=30)
        assert p.returncode != 0
        assert srv.db in p.stderr and "unable to open" in p.stderr, p.stderr
    finally:
        subprocess.run(["mount", "-o", "remount,rw", small_fs])
        srv.cleanup()


def leaf_pages(db, table):
    """The leaf pages of a table's b-tree, and the page size (SQLite's dbstat table)."""
    c = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    try:
        size = c.execute("PRAGMA page_size").fetchone()[0]
        pages = [p for (p,) in c.execute("SELECT pageno FROM dbstat WHERE name=? AND pagetype='leaf'", (table,))]
        return pages, size
    finally:
        c.close()


def test_corrupt_pages_answer_503_not_500():
    srv = Server()
    try:
        srv.start()
        h = token(srv.base)
        ids = [create(srv.base, h, "c-%d" % i).json()["id"] for i in range(300)]
        srv.term()
        pages, size = leaf_pages(srv.db, "sessions")
        assert len(pages) > 4
        with open(srv.db, "r+b") as f:   # garbage over half the rows' pages; indexes intact
            for p in pages[1::2]:
                f.seek((p - 1) * size)
                f.write(os.urandom(size))
        srv.start()
        h = token(srv.base)
        statuses = set()
        for skip in range(0, 300, 50):
            r = requests.get(srv.base + "/api/v1/sessions?limit=50&skip=%d" % skip, headers=h)
            statuses.add(r.status_code)
            if r.status_code == 503:
                assert r.json()["errorCode"] and "Retry-After" in r.headers
        for sid in ids[::10]:
            statuses.add(requests.get(srv.base + "/api/v1/sessions/" + sid, headers=h).status_code)
        assert 500 not in statuses and 503 in statuses, statuses
        # The Azure dialect over the same pages: its list and items answer 503 in its problem
        # shape too (they answered 500 before); an export never completes.
        az = requests.post(srv.base + "/api/oauth2/token",
                           data={"grant_type": "password", "username": "admin", "password": ADMIN_PASSWORD})
        az_h = {"Authorization": "Bearer " + az.json()["access_token"]}
        az_statuses = set()
        answers = [requests.get(srv.base + "/api/v8.1/jobSessions?limit=50&offset=%d" % skip, headers=az_h)
                   for skip in range(0, 300, 50)]
        try:   # an export streams: a failure after its first part can only break the stream
            r = requests.post(srv.base + "/api/v8.1/jobSessions/export", headers=az_h, json={})
            assert r.status_code == 503, (r.status_code, r.text[-300:])
            answers.append(r)
        except requests.exceptions.ChunkedEncodingError:
            pass
        answers += [requests.get(srv.base + "/api/v8.1/jobSessions/%s/protectedItems" % sid, headers=az_h)
                    for sid in ids[::30]]
        for r in answers:
            az_statuses.add(r.status_code)
            if r.status_code == 503:
                assert r.json()["status"] == 503 and "Retry-After" in r.headers, r.text
        assert 500 not in az_statuses and 503 in az_statuses, az_statuses
        assert requests.get(srv.base + "/readyz").status_code == 503
        log = open(srv.stderr_path).read()
        assert "store failing:" in log and "malformed" in log, log[-2000:]
    finally:
        srv.kill()
        srv.cleanup()


def test_unreadable_user_answers_503_not_401():
    """Every token check reads its user (a deleted user, or one whose role or password
    changed, loses its tokens). When the store cannot read the user, the token may well be
    good: each dialect answers 503 with Retry-After in its own error shape, never 401, and
    a token that is bad by itself is still 401."""
    srv = Server()
    try:
        srv.start()
        vbr = requests.post(srv.base + "/api/oauth2/token", headers={"x-api-version": VERSION},
                            data={"grant_type": "password", "username": "admin", "password": ADMIN_PASSWORD})
        assert vbr.status_code == 200, vbr.text
        az = requests.post(srv.base + "/api/oauth2/token",
                           data={"grant_type": "password", "username": "admin", "password": ADMIN_PASSWORD})
        assert az.status_code == 200, az.text
        em = requests.post(srv.base + "/api/sessionMngr/?v=latest", auth=("admin", ADMIN_PASSWORD))
        assert em.status_code == 201, em.text
        vbr_h = {"x-api-version": VERSION, "Authorization": "Bearer " + vbr.json()["access_token"]}
        az_h = {"Authorization": "Bearer " + az.json()["access_token"]}
        em_h = {"X-RestSvcSessionId": em.headers["X-RestSvcSessionId"]}
        checks = [("GET", "/api/v1/sessions", vbr_h), ("GET", "/api/v8.1/jobSessions", az_h),
                  ("GET", "/api/backupSessions", em_h)]
        for method, path, h in checks:
            assert requests.request(method, srv.base + path, headers=h).status_code == 200
        srv.term()
        pages, size = leaf_pages(srv.db, "users")
        assert pages
        with open(srv.db, "r+b") as f:   # no b-tree page type: the users table is unreadable
            for p in pages:
                f.seek((p - 1) * size)
                f.write(b"\xff" * size)
        srv.env.pop("SESSIOND_ADMIN_PASSWORD")   # so start-up looks no user up by name
        srv.start()
        r = requests.get(srv.base + "/api/v1/sessions", headers=vbr_h)
        assert r.status_code == 503, (r.status_code, r.text)
        assert int(r.headers["Retry-After"]) > 0
        assert r.json()["errorCode"] and "access token" in r.json()["message"], r.text   # VBR Error
        r = requests.get(srv.base + "/api/v8.1/jobSessions", headers=az_h)
        assert r.status_code == 503, (r.status_code, r.text)
        assert int(r.headers["Retry-After"]) > 0
        assert r.headers["Content-Type"].startswith("application/problem+json")
        assert r.json()["status"] == 503 and r.json()["title"], r.text                 # Azure problem
        r = requests.get(srv.base + "/api/backupSessions", headers=em_h)
        assert r.status_code == 503, (r.status_code, r.text)
        assert int(r.headers["Retry-After"]) > 0
        assert b"<Error" in r.content and b'StatusCode="503"' in r.content, r.text      # EM Error
        # the refresh grant reads the user as well
        r = requests.post(srv.base + "/api/oauth2/token", headers={"x-api-version": VERSION},
                          data={"grant_type": "refresh_token", "refresh_token": vbr.json()["refresh_token"]})
        assert r.status_code == 503 and int(r.headers["Retry-After"]) > 0, (r.status_code, r.text)
        # a forged token needs no store to be refused
        r = requests.get(srv.base + "/api/v1/sessions",
                         headers={"x-api-version": VERSION, "Authorization": "Bearer x.y"})
        assert r.status_code == 401 and r.json()["errorCode"], r.text
        r = requests.get(srv.base + "/api/v8.1/jobSessions", headers={"Authorization": "Bearer x.y"})
        assert r.status_code == 401, r.text
    finally:
        srv.kill()
        srv.cleanup()
