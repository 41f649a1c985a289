"""A lapsed lease ends its session through the normal write path (DESIGN §13): the change feed
wakes a waiting long poll, Enterprise Manager and the Azure dialect show the session failed, the
metrics stop counting it as running, and a `failed` alert rule fires for it."""
import threading
import time
import uuid

import requests

from conftest import LATEST, Server
from em_client import EM, q
from test_alerts import Receiver, add_rule, signed
from test_ops_metrics import scrape, value
from vbaz_client import Az

REASON = "the reporter stopped reporting"


def test_a_lapsed_lease_is_seen_by_the_feed_every_dialect_the_metrics_and_alerts():
    rx = Receiver().start()
    srv = Server(extra_args=["--lease-check", "200", "--alert-check", "200"])
    try:
        srv.start()
        admin, rep, viewer = srv.api("admin"), srv.api("reporter"), srv.api("viewer")
        tag = uuid.uuid4().hex[:6]
        rule = add_rule(admin, rx.url, "failed", jobPattern="silent-" + tag)
        s = rep.post("/api/v1/sessions", json={"name": "silent-" + tag, "sessionType": "BackupJob",
                                               "heartbeatSeconds": 2}, schema="SessionModel", status=201).body
        assert value(scrape(srv), "sessiond_sessions_running") == 1
        usn = viewer.get("/api/v1/sessions/" + s["id"], schema="SessionModel").body["usn"]
        polled = []
        t = threading.Thread(target=lambda: polled.append(requests.get(
            srv.base_url + "/api/v1/sessions?usnGreaterThan=%d&wait=20" % usn,
            headers={"x-api-version": LATEST, "Authorization": "Bearer " + viewer.bearer}, timeout=30)))
        t0 = time.monotonic()
        t.start()
        t.join(25)
        # the feed: the long poll is answered by the lease's change, not by its 20 s timeout
        assert polled and polled[0].status_code == 200, polled
        assert time.monotonic() - t0 < 10
        row = [x for x in polled[0].json()["data"] if x["id"] == s["id"]]
        assert row and row[0]["state"] == "Stopped" and row[0]["result"]["result"] == "Failed", polled[0].json()
        assert row[0]["result"]["message"] == REASON
        # Enterprise Manager and Azure
        ent = EM(srv.base_url, "viewer").xml("/api/backupSessions/%s?format=Entity" % s["id"])
        assert ent.find(q("State")).text == "Stopped" and ent.find(q("Result")).text == "Failed"
        az = Az.login(srv, "viewer").get("/api/v8.1/jobSessions/" + s["id"], model="JobSession").json()
        assert az["status"] == "Error", az   # Azure's name for a failed session
        # the metrics
        fams = scrape(srv)
        assert value(fams, "sessiond_sessions_running") == 0
        assert value(fams, "sessiond_sessions", type="BackupJob", state="Stopped", result="Failed") == 1
        # the alert
        ev = rx.wait(lambda: rx.events(s["id"]))
        assert ev, "no alert for the session its lease ended"
        h, raw, b = ev[0]
        assert signed(h, raw) and b["event"] == "failed" and b["rule"]["id"] == rule["id"]
        assert b["details"]["resultMessage"] == REASON and b["details"]["endTime"]
    finally:
        srv.stop()
        srv.cleanup()
        rx.stop()
