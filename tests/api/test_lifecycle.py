"""Process contract (DESIGN §3, §9, §10): clean SIGTERM, data and USN survive a restart."""
import pytest

from conftest import Server, new_session


def test_sigterm_exits_zero(fresh_server):
    assert fresh_server.alive()
    code = fresh_server.stop()
    assert code == 0, "sessiond exited %s on SIGTERM\n%s" % (code, fresh_server.stderr_tail())


def test_data_and_usn_survive_restart():
    srv = Server()
    try:
        srv.start()
        rep = srv.api("reporter")
        s = new_session(rep, name="persist")
        s = rep.patch("/api/v1/sessions/" + s["id"], json={"progressPercent": 7},
                      schema="SessionModel", status=200).body
        assert srv.stop() == 0
        srv.users = {}  # users are in the database already
        srv._tokens = {}
        srv.start()
        v = srv.api("viewer")
        g = v.get("/api/v1/sessions/" + s["id"], schema="SessionModel", status=200).body
        assert g["name"] == "persist" and g["progressPercent"] == 7 and g["usn"] == s["usn"]
        s2 = new_session(srv.api("reporter"))
        assert s2["usn"] > s["usn"], "usn went backwards after a restart"
    finally:
        srv.stop()
        srv.cleanup()
