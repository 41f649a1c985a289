"""Read scale: a primary with one streaming replica, both started by the test. One instance
runs with --db on the primary and --db-read on the replica: writes go to the primary, reads to
the replica, and a caller reads its own write at once (read your writes by usn)."""
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
