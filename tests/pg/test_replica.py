"""Read scale: a primary with one streaming replica, both started by the test. One instance
runs with --db on the primary and --db-read on the replica: writes go to the primary, reads to
the replica, and a caller reads its own write at once (read your writes)."""
import subprocess
import time
import uuid

from conftest import api, start_cluster, stop_cluster


def psql(uri, sql):
    return subprocess.run(["psql", uri, "-qAtc", sql], check=True, capture_output=True, text=True,
                          timeout=60).stdout.strip()


def test_reads_through_the_replica_and_read_your_writes():
    pdir, primary = start_cluster()
    rdir = None
    srv = None
    try:
        name = api.pg_fresh_database(primary, "replica")
        rdir, replica = start_cluster("replica", pdir)
        db, db_read = api.pg_uri(primary, name), api.pg_uri(replica, name)
        # the replica has the database once it replayed its creation
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and psql(replica, "SELECT count(*) FROM pg_database WHERE datname='%s'"
                                                   % name) != "1":
            time.sleep(0.1)
        assert psql(replica, "SELECT pg_is_in_recovery()") == "t"
        srv = api.Server(db=db, extra_args=["--db-read", db_read])
        srv.start()
        rep, viewer = srv.api("reporter"), srv.api("viewer")
        for i in range(10):
            s = api.new_session(rep, name="ryw-%d-%s" % (i, uuid.uuid4().hex[:6]))
            # the caller's next read sees its write, whatever the replica's lag
            got = viewer.get("/api/v1/sessions/" + s["id"], schema="SessionModel").body
            assert got["usn"] == s["usn"]
            p = rep.patch("/api/v1/sessions/" + s["id"], json={"progressPercent": 50 + i},
                          schema="SessionModel").body
            assert viewer.get("/api/v1/sessions/" + s["id"], schema="SessionModel").body["progressPercent"] == 50 + i
            assert p["usn"] > s["usn"]
        body = viewer.get("/api/v1/sessions?limit=100", schema="SessionsResult").body
        assert body["pagination"]["total"] == 10
        # the reads went to the replica: sessiond holds connections there, and they ran queries
        n = int(psql(replica, "SELECT count(*) FROM pg_stat_activity WHERE datname='%s'" % name))
        assert n >= 1, "no sessiond connection on the replica"
        # the replica holds what the primary committed, and refuses writes (it is one)
        assert psql(db_read, "SELECT count(*) FROM sessions") == "10"
        r = subprocess.run(["psql", db_read, "-qAtc", "DELETE FROM sessions"], capture_output=True, text=True)
        assert r.returncode != 0 and "read-only" in r.stderr
    finally:
        if srv:
            api._finish(srv, False)
        if rdir:
            stop_cluster(rdir)
        stop_cluster(pdir)


def replica_pair(prefix):
    """(primary dir, replica dir, db URI on the primary, db URI on the replica) of a fresh
    database on a new primary with one streaming replica that holds the database."""
    pdir, primary = start_cluster()
    rdir = None
    try:
        name = api.pg_fresh_database(primary, prefix)
        rdir, replica = start_cluster("replica", pdir)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and psql(replica, "SELECT count(*) FROM pg_database WHERE datname='%s'"
                                                   % name) != "1":
            time.sleep(0.1)
        return pdir, rdir, api.pg_uri(primary, name), api.pg_uri(replica, name)
    except BaseException:
        if rdir:
            stop_cluster(rdir)
        stop_cluster(pdir)
        raise


def apply_delay(replica_db, ms):
    """Makes the replica apply each commit ms after the primary made it (0: at once)."""
    psql(replica_db, "ALTER SYSTEM SET recovery_min_apply_delay = '%dms'" % ms)
    psql(replica_db, "SELECT pg_reload_conf()")
    deadline = time.monotonic() + 10
    while psql(replica_db, "SHOW recovery_min_apply_delay") != ("%dms" % ms if ms else "0"):
        assert time.monotonic() < deadline
        time.sleep(0.05)


def replica_reads(replica_db):
    """Transactions the replica ran in the database (the reads it served)."""
    return int(psql(replica_db, "SELECT xact_commit FROM pg_stat_database WHERE datname=current_database()"))


def test_write_through_a_read_through_b_on_a_lagging_replica_is_never_stale():
    """Read your writes whichever instance takes the read: A writes on the primary, B reads
    through a replica that applies every commit 40 ms late, at once after each write. B has not
    necessarily heard of A's write (its notification may still be on the way), and some writes
    take no usn at all (an EM logon): none of that may show in what B answers."""
    pdir, rdir, db, db_read = replica_pair("ryw")
    servers = []
    try:
        a = api.Server(db=db)
        a.start()
        servers.append(a)
        b = api.Server(db=db, users={}, extra_args=["--db-read", db_read])
        b.start()
        servers.append(b)
        rep, view = a.api("reporter"), b.api("viewer")
        apply_delay(db_read, 40)
        s = api.new_session(rep, name="ryw-" + uuid.uuid4().hex[:6])
        before = replica_reads(db_read)
        slow = 0
        for i in range(100):
            p = rep.patch("/api/v1/sessions/" + s["id"], json={"progressPercent": i},
                          schema="SessionModel").body
            t0 = time.monotonic()
            got = view.get("/api/v1/sessions/" + s["id"], schema="SessionModel").body
            slow += time.monotonic() - t0 > 0.03
            assert (got["usn"], got["progressPercent"]) == (p["usn"], i), "read %d on B is stale" % i
            if i % 10 == 0:
                n = api.new_session(rep, name="ryw-new-%d" % i)
                body = view.get("/api/v1/sessions?limit=1000", schema="SessionsResult").body
                assert n["id"] in [x["id"] for x in body["data"]], "a new session missing from B's list"
                assert body["pagination"]["total"] == len(body["data"])
        # the replica served B's reads, after waiting for its 40 ms delay: it did lag
        assert replica_reads(db_read) - before >= 100
        assert slow >= 50, slow
        # a write that takes no usn: an EM logon made on A is known on B at once
        from em_client import EM
        for _ in range(5):
            em = EM(a.base_url, "operator")
            em.base = b.base_url
            assert em.xml("/api/backupSessions") is not None
        # a replica further behind than a read waits for (200 ms): the primary serves
        apply_delay(db_read, 600)
        for i in range(3):
            p = rep.patch("/api/v1/sessions/" + s["id"], json={"progressPercent": 90 + i},
                          schema="SessionModel").body
            t0 = time.monotonic()
            got = view.get("/api/v1/sessions/" + s["id"], schema="SessionModel").body
            assert (got["usn"], got["progressPercent"]) == (p["usn"], 90 + i)
            assert time.monotonic() - t0 < 0.5
    finally:
        for srv in servers:
            api._finish(srv, False)
        stop_cluster(rdir)
        stop_cluster(pdir)
