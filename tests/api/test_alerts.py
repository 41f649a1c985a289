"""Alerts (DESIGN §13, docs/ALERTS.md): rules managed through /api/v1/alerts, evaluated off the
write path, delivered by webhook to a real local receiver (Python's http.server) with an
HMAC-SHA256 signature, retried with backoff, every attempt recorded, pending deliveries kept
across a restart; a receiver that hangs does not slow ingest."""
import hashlib
import hmac
import http.server
import json
import re
import threading
import time
import uuid

import pytest

from conftest import Server, free_port, new_session

FAST = ["--alert-check", "200", "--alert-retry", "300", "--alert-retry-max", "1000",
        "--alert-attempts", "30", "--alert-timeout", "2", "--schedule-check", "200"]
SECRET = "s3cret-for-tests"


class Receiver:
    """A webhook receiver on 127.0.0.1: records every POST (headers, raw body); `hang`
    makes it never answer (until stopped)."""

    def __init__(self, port=None, hang=False):
        self.port = port or free_port()
        self.url = "http://127.0.0.1:%d/hook" % self.port
        self.got = []
        self.hang = hang
        self.released = threading.Event()
        self.httpd = None

    def start(self):
        rec = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                rec.got.append((dict(self.headers), body))
                if rec.hang:
                    rec.released.wait(60)
                    return
                self.send_response(204)
                self.end_headers()

            def log_message(self, *a):
                pass

        http.server.ThreadingHTTPServer.allow_reuse_address = True
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def stop(self):
        self.released.set()
        if self.httpd:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.httpd = None

    def events(self, subject_id=None):
        out = []
        for h, b in self.got:
            body = json.loads(b)
            if subject_id is None or body["subject"]["id"] == subject_id:
                out.append((h, b, body))
        return out

    def wait(self, pred, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            got = pred()
            if got:
                return got
            time.sleep(0.1)
        return pred()


def signed(h, raw, secret=SECRET):
    want = "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    return hmac.compare_digest(h.get("X-Sessiond-Signature", ""), want)


LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (error|warn|info|debug) ")


def stopped_clean(s):
    """Stops s; it must exit 0 with no sanitizer report (leaks of the alert threads show here
    under `make SAN=1`), and everything it wrote must be log lines (the alert threads' too: a
    line of their own would lack the timestamp and level, and ignore --log-level)."""
    code = s.stop()
    with open(s.stderr_path, "rb") as f:
        err = f.read().decode("utf-8", "replace")
    assert code == 0 and "Sanitizer" not in err, s.stderr_tail()
    stray = [l for l in err.splitlines() if not LOG_LINE.match(l)]
    assert not stray, stray[:5]
    return err


@pytest.fixture(scope="module")
def srv():
    s = Server(extra_args=FAST)
    s.start()
    yield s
    try:
        stopped_clean(s)
    finally:
        s.cleanup()


@pytest.fixture
def rx():
    r = Receiver().start()
    yield r
    r.stop()


def add_rule(c, url, event, status=201, **kw):
    body = {"name": "rule-" + uuid.uuid4().hex[:6], "event": event, "url": url, "secret": SECRET, **kw}
    return c.post("/api/v1/alerts", json=body, schema=False, status=status).body


def deliveries(c, **q):
    qs = "&".join("%s=%s" % kv for kv in q.items())
    return c.get("/api/v1/alerts/deliveries?" + qs, schema=False, status=200).body


def complete(rep, sid, result):
    rep.post("/api/v1/sessions/%s/complete" % sid, json={"result": result}, schema="SessionModel",
             status=200)


# ---------------------------------------------------------------------------------------------
# rules

def test_rule_crud_and_the_secret_is_never_shown(srv, rx):
    admin, viewer = srv.api("admin"), srv.api("viewer")
    rule = add_rule(admin, rx.url, "failed", jobPattern="crud-*", sessionType="BackupJob")
    assert rule["event"] == "failed" and rule["jobPattern"] == "crud-*" and rule["url"] == rx.url
    assert rule["hasSecret"] is True and rule["disabled"] is False
    assert "secret" not in rule
    rid = rule["id"]
    got = viewer.get("/api/v1/alerts/" + rid, schema=False, status=200).body
    assert got["name"] == rule["name"] and "secret" not in got
    listed = viewer.get("/api/v1/alerts", schema=False, status=200).body
    assert rid in [r["id"] for r in listed["data"]]
    assert all("secret" not in r for r in listed["data"])
    assert listed["pagination"]["total"] == len(listed["data"])
    none = viewer.get("/api/v1/alerts?limit=0", schema=False, status=200).body
    assert none["data"] == [] and none["pagination"]["total"] == len(listed["data"])
    # sessiond's own kinds are readable through the estate API too, but never the secret
    est = viewer.get("/api/v1/estate/alertRule/" + rid, schema=False, status=200).body
    assert est["url"] == rx.url and "secret" not in est
    assert SECRET not in json.dumps(viewer.get("/api/v1/estate?sinceUsn=0&kind=alertRule",
                                               schema=False, status=200).body)
    # PUT without a secret keeps it: a test delivery is still signed with it
    put = dict(got, disabled=True, jobPattern="other-*")
    upd = admin.put("/api/v1/alerts/" + rid, json=put, schema=False, status=200).body
    assert upd["disabled"] is True and upd["jobPattern"] == "other-*" and upd["hasSecret"] is True
    d = admin.post("/api/v1/alerts/%s/test" % rid, schema=False, status=202).body
    assert d["event"] == "test" and d["status"] == "pending" and d["ruleId"] == rid
    one = viewer.get("/api/v1/alerts/deliveries/" + d["id"], schema=False, status=200).body
    assert one["id"] == d["id"] and one["body"] == d["body"]
    viewer.get("/api/v1/alerts/deliveries/%s" % uuid.uuid4(), status=404)
    viewer.get("/api/v1/alerts/deliveries/nope", status=400)
    ev = rx.wait(lambda: rx.events(rid))
    assert len(ev) == 1
    h, raw, body = ev[0]
    assert signed(h, raw) and h["X-Sessiond-Event"] == "test" and h["X-Sessiond-Delivery"] == d["id"]
    assert body["deliveryId"] == d["id"] and body["rule"] == {"id": rid, "name": rule["name"]}
    admin.delete("/api/v1/alerts/" + rid, status=204)
    viewer.get("/api/v1/alerts/" + rid, status=404)
    admin.delete("/api/v1/alerts/" + rid, status=404)


@pytest.mark.parametrize("body,field", [
    ({"event": "failed", "url": "http://127.0.0.1:1/", "secret": SECRET}, "name"),
    ({"name": "", "event": "failed", "url": "http://127.0.0.1:1/", "secret": SECRET}, "name"),
    ({"name": "x", "url": "http://127.0.0.1:1/", "secret": SECRET}, "event"),
    ({"name": "x", "event": "exploded", "url": "http://127.0.0.1:1/", "secret": SECRET}, "event"),
    ({"name": "x", "event": "failed", "secret": SECRET}, "url"),
    ({"name": "x", "event": "failed", "url": "ftp://h/x", "secret": SECRET}, "url"),
    ({"name": "x", "event": "failed", "url": "http://127.0.0.1:1/"}, "secret"),
    ({"name": "x", "event": "failed", "url": "http://127.0.0.1:1/", "secret": "short"}, "secret"),
    ({"name": "x", "event": "stuck", "url": "http://127.0.0.1:1/", "secret": SECRET}, "minutes"),
    ({"name": "x", "event": "stuck", "url": "http://127.0.0.1:1/", "secret": SECRET, "minutes": 0},
     "minutes"),
    ({"name": "x", "event": "repository-free-below", "url": "http://127.0.0.1:1/", "secret": SECRET},
     "percent"),
    ({"name": "x", "event": "repository-free-below", "url": "http://127.0.0.1:1/", "secret": SECRET,
      "percent": 101}, "percent"),
    ({"name": "x", "event": "failed", "url": "http://127.0.0.1:1/", "secret": SECRET,
      "sessionType": "NoSuchType"}, "sessionType"),
    ({"name": "x", "event": "failed", "url": "http://127.0.0.1:1/", "secret": SECRET,
      "disabled": "yes"}, "disabled"),
    ({"name": "x", "event": "failed", "url": "http://127.0.0.1:1/", "secret": SECRET,
      "colour": "red"}, "colour"),
    ([1, 2], "body"),
])
def test_bad_rule_is_400_naming_the_field_and_stores_nothing(srv, body, field):
    admin = srv.api("admin")
    before = admin.get("/api/v1/alerts", schema=False, status=200).body["pagination"]["total"]
    r = admin.post("/api/v1/alerts", json=body, status=400)
    assert r.body["message"].startswith(field), r.body
    after = admin.get("/api/v1/alerts", schema=False, status=200).body["pagination"]["total"]
    assert after == before


def test_bad_queries_and_ids_are_400(srv):
    viewer, admin = srv.api("viewer"), srv.api("admin")
    assert "status" in viewer.get("/api/v1/alerts/deliveries?status=lost", status=400).body["message"]
    assert "ruleId" in viewer.get("/api/v1/alerts/deliveries?ruleId=x", status=400).body["message"]
    assert "limit" in viewer.get("/api/v1/alerts?limit=-1", status=400).body["message"]
    viewer.get("/api/v1/alerts/not-a-uuid", status=400)
    admin.put("/api/v1/alerts/%s" % uuid.uuid4(), json={"name": "x"}, status=404)
    admin.post("/api/v1/alerts/%s/test" % uuid.uuid4(), status=404)


def test_only_admin_writes(srv, rx):
    admin = srv.api("admin")
    rule = add_rule(admin, rx.url, "failed", jobPattern="nobody-*")
    for user in ("viewer", "operator", "reporter"):
        c = srv.api(user)
        add_rule(c, rx.url, "failed", status=403)
        c.put("/api/v1/alerts/" + rule["id"], json={"name": "x"}, status=403)
        c.delete("/api/v1/alerts/" + rule["id"], status=403)
        c.post("/api/v1/alerts/%s/test" % rule["id"], status=403)
    srv.api("viewer").get("/api/v1/alerts/" + rule["id"], schema=False, status=200)
    srv.anon().get("/api/v1/alerts", status=401)
    assert srv.api("viewer").get("/api/v1/alerts/" + rule["id"], schema=False).body["usn"] == rule["usn"]


# ---------------------------------------------------------------------------------------------
# events

def test_failed_and_warning_alerts_arrive_signed(srv, rx):
    admin, rep = srv.api("admin"), srv.api("reporter")
    tag = uuid.uuid4().hex[:6]
    s_early = new_session(rep, name="nightly-%s-0" % tag)   # failed before the rule existed
    complete(rep, s_early["id"], "Failed")
    failed = add_rule(admin, rx.url, "failed", jobPattern="nightly-%s-*" % tag)
    warning = add_rule(admin, rx.url, "warning", jobPattern="*-%s-*" % tag, sessionType="BackupJob")
    s_fail = new_session(rep, name="nightly-%s-a" % tag)
    s_other = new_session(rep, name="weekly-%s-b" % tag)    # out of the failed rule's scope
    s_warn = new_session(rep, name="nightly-%s-c" % tag)
    s_ok = new_session(rep, name="nightly-%s-d" % tag)
    s_copy = new_session(rep, name="nightly-%s-e" % tag, sessionType="BackupCopyJob")
    complete(rep, s_fail["id"], "Failed")
    complete(rep, s_other["id"], "Failed")
    complete(rep, s_warn["id"], "Warning")
    complete(rep, s_ok["id"], "Success")
    complete(rep, s_copy["id"], "Warning")   # out of the warning rule's type
    ev = rx.wait(lambda: len(rx.events()) >= 2 and rx.events())
    time.sleep(1.0)   # anything else would have come by now
    got = {(b["event"], b["subject"]["id"]) for _, _, b in rx.events()}
    assert got == {("failed", s_fail["id"]), ("warning", s_warn["id"])}
    for h, raw, b in rx.events():
        assert signed(h, raw)
        assert h["X-Sessiond-Event"] == b["event"] and h["X-Sessiond-Delivery"] == b["deliveryId"]
        assert h["Content-Type"] == "application/json"
        assert b["subject"]["kind"] == "session"
        rule = failed if b["event"] == "failed" else warning
        assert b["rule"]["id"] == rule["id"]
        assert b["details"]["result"] == ("Failed" if b["event"] == "failed" else "Warning")
        assert b["details"]["jobName"].startswith("nightly-")
    ev = rx.events(s_fail["id"])[0]
    assert not signed(ev[0], ev[1], "another-secret")
    # each is listed, delivered after one attempt, with its exact body
    d = deliveries(srv.api("viewer"), ruleId=failed["id"])
    assert d["pagination"]["total"] == 1
    row = d["data"][0]
    assert row["status"] == "delivered" and row["attempts"] == 1 and row["lastStatus"] == 204
    assert row["body"].encode() == ev[1] and row["subject"]["id"] == s_fail["id"]
    assert row["deliveredTime"] and row["nextAttemptTime"] is None


def test_missed_run_alert(srv, rx):
    admin, rep = srv.api("admin"), srv.api("reporter")
    name = "sched-" + uuid.uuid4().hex[:6]
    add_rule(admin, rx.url, "missed", jobPattern=name)
    jid = str(uuid.uuid4())
    rep.put("/api/v1/estate/job/" + jid, json={"name": name, "type": "BackupJob", "schedule": "2s",
                                               "graceSeconds": 1}, schema=False, status=200)
    ev = rx.wait(lambda: rx.events(jid))
    assert ev, "no missed-run alert"
    h, raw, b = ev[0]
    assert signed(h, raw) and b["event"] == "missed" and b["subject"] == {"kind": "job", "id": jid,
                                                                           "name": name}
    assert b["details"]["schedule"] == "2s" and b["details"]["expectedTime"]


def test_stuck_alert(srv, rx):
    admin, rep = srv.api("admin"), srv.api("reporter")
    tag = uuid.uuid4().hex[:6]
    add_rule(admin, rx.url, "stuck", jobPattern="*-" + tag, seconds=3)
    stuck = new_session(rep, name="stuck-" + tag, progressPercent=10)
    moving = new_session(rep, name="moving-" + tag, progressPercent=1)
    for p in range(2, 17):   # keeps making progress for 6 s
        rep.patch("/api/v1/sessions/" + moving["id"], json={"progressPercent": p}, schema="SessionModel",
                  status=200)
        time.sleep(0.4)
    ev = rx.wait(lambda: rx.events(stuck["id"]))
    assert ev, "no stuck alert"
    h, raw, b = ev[0]
    assert signed(h, raw) and b["event"] == "stuck" and b["details"]["progress"] == 10
    assert not rx.events(moving["id"])
    time.sleep(1)
    assert len(rx.events(stuck["id"])) == 1   # once per stuck episode


def test_repository_free_below_fires_once_per_crossing(srv, rx):
    admin, rep = srv.api("admin"), srv.api("reporter")
    name = "repo-" + uuid.uuid4().hex[:6]
    add_rule(admin, rx.url, "repository-free-below", jobPattern=name, percent=20)
    rid = str(uuid.uuid4())

    def report(free):
        rep.put("/api/v1/estate/repository/" + rid, json={"name": name, "capacityBytes": 1000,
                                                          "freeBytes": free}, schema=False, status=200)
        time.sleep(0.8)   # a few evaluations

    for free in (500, 100, 50, 30):   # one crossing below, then lower still
        report(free)
    assert rx.wait(lambda: len(rx.events(rid)) >= 1)
    time.sleep(0.5)
    assert len(rx.events(rid)) == 1
    b = rx.events(rid)[0][2]
    assert b["details"]["freeBytes"] == 100 and b["details"]["thresholdPercent"] == 20
    for free in (600, 700, 150):      # above again (re-armed), then below: the second crossing
        report(free)
    assert rx.wait(lambda: len(rx.events(rid)) >= 2)
    time.sleep(0.5)
    assert [e[2]["details"]["freeBytes"] for e in rx.events(rid)] == [100, 150]


def test_delivery_list_filters(srv, rx):
    admin, viewer = srv.api("admin"), srv.api("viewer")
    rule = add_rule(admin, rx.url, "failed", jobPattern="none-at-all")
    ids = [admin.post("/api/v1/alerts/%s/test" % rule["id"], schema=False, status=202).body["id"]
           for _ in range(3)]
    rx.wait(lambda: len(rx.events(rule["id"])) == 3)
    rx.wait(lambda: deliveries(viewer, ruleId=rule["id"], status="delivered")["pagination"]["total"] == 3)
    d = deliveries(viewer, ruleId=rule["id"], status="delivered")
    assert sorted(x["id"] for x in d["data"]) == sorted(ids)
    assert deliveries(viewer, ruleId=rule["id"], status="pending")["pagination"]["total"] == 0
    page = deliveries(viewer, ruleId=rule["id"], skip=1, limit=1)
    assert page["pagination"] == {"total": 3, "count": 1, "skip": 1, "limit": 1}
    assert page["data"][0]["id"] == d["data"][1]["id"]
    page = deliveries(viewer, ruleId=rule["id"], status="delivered", skip=2, limit=5)
    assert page["pagination"] == {"total": 3, "count": 1, "skip": 2, "limit": 5}
    assert page["data"][0]["id"] == d["data"][2]["id"]
    for st in (None, "delivered"):
        q = dict(ruleId=rule["id"], limit=0, **({"status": st} if st else {}))
        z = deliveries(viewer, **q)
        assert z["data"] == [] and z["pagination"]["total"] == 3


# ---------------------------------------------------------------------------------------------
# a receiver that is down, one that hangs

def test_receiver_down_gets_failed_missed_and_stuck_alerts_after_a_restart():
    """The receiver is down while a session fails, a scheduled job misses runs and a session
    makes no progress: the deliveries wait (pending, attempts recorded), sessiond restarts, the
    receiver comes up, and each alert arrives once, signed, under the id it was recorded with."""
    rx = Receiver()   # not started: connections are refused
    s = Server(extra_args=FAST)
    s.start()
    try:
        admin, rep = s.api("admin"), s.api("reporter")
        tag = uuid.uuid4().hex[:6]
        failed = add_rule(admin, rx.url, "failed", jobPattern="fail-%s-*" % tag)
        missed = add_rule(admin, rx.url, "missed", jobPattern="sched-" + tag)
        stuck = add_rule(admin, rx.url, "stuck", jobPattern="stuck-" + tag, seconds=2)
        sessions = [new_session(rep, name="fail-%s-%d" % (tag, i)) for i in range(3)]
        for x in sessions:
            complete(rep, x["id"], "Failed")
        jid = str(uuid.uuid4())
        rep.put("/api/v1/estate/job/" + jid, json={"name": "sched-" + tag, "type": "BackupJob", "schedule": "2s",
                                                   "graceSeconds": 1}, schema=False, status=200)
        still = new_session(rep, name="stuck-" + tag, progressPercent=10)

        def pending(rule):
            return deliveries(admin, ruleId=rule["id"])["data"]
        got = rx.wait(lambda: [d for d in pending(failed) if d["attempts"] >= 2])
        assert got, "no attempts recorded"
        d = got[0]
        assert d["status"] == "pending" and d["lastError"] and d["lastStatus"] is None
        assert d["nextAttemptTime"]
        assert rx.wait(lambda: pending(missed) and pending(stuck)), "no missed or stuck delivery recorded"
        listed = deliveries(admin, ruleId=failed["id"])
        assert listed["pagination"]["total"] == 3
        assert all(x["status"] == "pending" for x in listed["data"])
        # while the receiver is down, its other deliveries wait for it: one is retried, not three
        tries = sorted(x["attempts"] for x in listed["data"])
        assert tries[-1] >= 2 and sum(tries) <= tries[-1] + 2, tries
        s.stop()
        s.users = {}   # they exist in the database already
        s.start()
        admin = s.api("admin")
        before = {r["id"]: {x["id"]: x for x in pending(r)} for r in (failed, missed, stuck)}
        assert len(before[stuck["id"]]) == 1 and before[missed["id"]]
        assert all(x["status"] == "pending" for v in before.values() for x in v.values())
        rx.start()
        want = set().union(*before.values())
        ev = rx.wait(lambda: want <= {b["deliveryId"] for _, _, b in rx.events()} and rx.events())
        assert want <= {b["deliveryId"] for _, _, b in ev}, "not every pending delivery arrived"
        assert all(signed(h, raw) for h, raw, _ in ev)
        by_event = {}
        for h, _, b in ev:
            assert h["X-Sessiond-Event"] == b["event"]
            by_event.setdefault(b["event"], []).append(b)
        assert {b["subject"]["id"] for b in by_event["failed"]} == {x["id"] for x in sessions}
        assert all(b["subject"]["id"] == jid and b["details"]["schedule"] == "2s" for b in by_event["missed"])
        assert by_event["stuck"][0]["subject"]["id"] == still["id"]
        assert by_event["stuck"][0]["details"]["progress"] == 10
        d2 = rx.wait(lambda: [x for x in deliveries(s.api("viewer"), ruleId=failed["id"])["data"]
                              if x["id"] == d["id"] and x["status"] == "delivered"])
        assert d2 and d2[0]["attempts"] > d["attempts"]
        time.sleep(3)   # longer than the stuck rule's 2 s: the restarted server sees it stuck again
        ids = [b["deliveryId"] for _, _, b in rx.events()]
        assert len(ids) == len(set(ids)), "a delivery arrived twice"
        assert len([1 for _, _, b in rx.events() if b["event"] == "failed"]) == 3
        assert len([1 for _, _, b in rx.events() if b["event"] == "stuck"]) == 1   # recorded once, sent once
        stopped_clean(s)
    finally:
        s.stop()
        rx.stop()
        s.cleanup()


def test_failing_receiver_is_marked_failed_after_its_attempts(server_factory):
    s = server_factory(extra_args=FAST[:-6] + ["--alert-attempts", "3", "--alert-timeout", "2"])
    admin = s.api("admin")
    rule = add_rule(admin, "http://127.0.0.1:%d/" % free_port(), "failed")
    d = admin.post("/api/v1/alerts/%s/test" % rule["id"], schema=False, status=202).body
    rx = Receiver()
    got = rx.wait(lambda: deliveries(admin, ruleId=rule["id"], status="failed")["data"], timeout=20)
    assert got and got[0]["attempts"] == 3 and got[0]["nextAttemptTime"] is None
    log = rx.wait(lambda: [l for l in open(s.stderr_path).read().splitlines() if d["id"] in l])
    assert log and LOG_LINE.match(log[0]) and " warn alerts: delivery %s failed after 3 attempts" % d["id"] in log[0]


def ms(t):
    import datetime
    return datetime.datetime.fromisoformat(t.replace("Z", "+00:00")).timestamp() * 1000


def test_retries_back_off_twice_as_long_each_time_up_to_the_maximum(server_factory):
    """--alert-retry 200 --alert-retry-max 800: after the attempts 1 to 5 the next one is set
    200, 400, 800, 800 and 800 ms later; the sixth is the last."""
    s = server_factory(extra_args=["--alert-check", "200", "--alert-retry", "200", "--alert-retry-max", "800",
                                   "--alert-attempts", "6", "--alert-timeout", "2"])
    admin, viewer = s.api("admin"), s.api("viewer")
    rule = add_rule(admin, "http://127.0.0.1:%d/" % free_port(), "failed")   # refuses connections
    d = admin.post("/api/v1/alerts/%s/test" % rule["id"], schema=False, status=202).body
    seen = {}
    deadline = time.time() + 20
    while time.time() < deadline:
        x = viewer.get("/api/v1/alerts/deliveries/" + d["id"], schema=False, status=200).body
        seen.setdefault(x["attempts"], x)
        if x["status"] != "pending":
            break
        time.sleep(0.03)
    last = seen[max(seen)]
    assert last["status"] == "failed" and last["attempts"] == 6 and last["nextAttemptTime"] is None, last
    waits = {n: ms(x["nextAttemptTime"]) - ms(x["lastAttemptTime"]) for n, x in seen.items() if 1 <= n <= 5}
    assert len(waits) >= 3, seen   # each pending state lasts 200 ms or more: a poll every 30 ms sees it
    want = {1: 200, 2: 400, 3: 800, 4: 800, 5: 800}
    assert waits == {n: want[n] for n in waits}, waits
    # and the attempts were made then: six attempts in no less than the sum of the waits
    assert ms(last["lastAttemptTime"]) - ms(d["createdTime"]) >= sum(want.values())


def test_hanging_receiver_does_not_slow_ingest(server_factory):
    """Every failed session raises an alert to a receiver that never answers (each attempt
    waits for the 2 s timeout); ingest goes on at its own pace."""
    rx = Receiver(hang=True).start()
    try:
        s = server_factory(extra_args=FAST)
        admin, rep = s.api("admin"), s.api("reporter")
        add_rule(admin, rx.url, "failed")
        t0 = time.time()
        for _ in range(40):
            sess = new_session(rep)
            complete(rep, sess["id"], "Failed")
        took = time.time() - t0
        assert rx.wait(lambda: rx.got, timeout=10), "the receiver got nothing"
        # sending one by one would take 40 x 2 s; ingest is not waiting for it
        assert took < 20, took
        t0 = time.time()
        stopped_clean(s)   # an attempt in flight does not hold up the stop
        assert time.time() - t0 < 4
    finally:
        rx.stop()


# ---------------------------------------------------------------------------------------------
# sessionctl alert

def test_sessionctl_alert_add_ls_test_rm(srv, rx, tmp_path):
    from test_sessionctl import SESSIONCTL_BIN, ctl
    import os
    if not os.access(SESSIONCTL_BIN, os.X_OK):
        pytest.skip("sessionctl is not built")
    secret = tmp_path / "secret"
    secret.write_text(SECRET + "\n")
    name = "ctl-rule-" + uuid.uuid4().hex[:6]
    p = ctl(srv, tmp_path, "alert", "add", name, "--event", "stuck", "--minutes", "30", "--job", "nightly*",
            "--url", rx.url, "--secret-file", str(secret), user="admin")
    assert p.returncode == 0, p.stderr
    rid = p.stdout.strip()
    rule = srv.api("viewer").get("/api/v1/alerts/" + rid, schema=False, status=200).body
    assert rule["name"] == name and rule["minutes"] == 30 and rule["jobPattern"] == "nightly*"
    ls = ctl(srv, tmp_path, "alert", "ls", user="viewer")
    assert ls.returncode == 0 and name in ls.stdout and "stuck 30m" in ls.stdout and SECRET not in ls.stdout
    js = json.loads(ctl(srv, tmp_path, "alert", "ls", "--json", user="viewer").stdout)
    assert rid in [r["id"] for r in js]
    # test by name: sent now, signed with the file's secret, reported delivered
    t = ctl(srv, tmp_path, "alert", "test", name, user="admin")
    assert t.returncode == 0, t.stderr
    assert "delivered" in t.stdout
    h, raw, b = rx.events(rid)[0]
    assert signed(h, raw) and b["event"] == "test"
    d = ctl(srv, tmp_path, "alert", "deliveries", name, "--status", "delivered", user="viewer")
    assert d.returncode == 0 and b["deliveryId"] in d.stdout
    # a generated secret is printed once; viewers may not write; bad input is a usage error
    g = ctl(srv, tmp_path, "alert", "add", name + "-gen", "--event", "failed", "--url", rx.url, user="admin")
    assert g.returncode == 0 and "secret" in g.stderr
    assert ctl(srv, tmp_path, "alert", "rm", name + "-gen", user="admin").returncode == 0
    v = ctl(srv, tmp_path, "alert", "rm", name, user="viewer")
    assert v.returncode == 1 and "admin" in v.stderr
    bad = ctl(srv, tmp_path, "alert", "add", "x", "--event", "exploded", "--url", rx.url, user="admin")
    assert bad.returncode == 1 and "event" in bad.stderr
    assert ctl(srv, tmp_path, "alert", "frobnicate", user="admin").returncode == 2
    assert ctl(srv, tmp_path, "alert", "add", "x", "--event", "stuck", "--minutes", "soon", "--url", rx.url,
               user="admin").returncode == 2
    r = ctl(srv, tmp_path, "alert", "rm", name, user="admin")
    assert r.returncode == 0, r.stderr
    srv.api("viewer").get("/api/v1/alerts/" + rid, status=404)
    assert ctl(srv, tmp_path, "alert", "rm", name, user="admin").returncode == 1


def test_demo_rule_posts_to_the_documented_local_receiver():
    # docs/ALERTS.md: the demo keeps one rule, "demo failures", that posts the simulator's
    # failed sessions to a receiver on 127.0.0.1:9500, signed with "demo-secret-123"
    rx = Receiver(port=9500).start()
    s = Server(extra_args=FAST + ["--demo", "--demo-interval", "600000"])
    s.start()
    try:
        admin = s.api("admin")
        rules = admin.get("/api/v1/alerts", schema=False, status=200).body["data"]
        assert [(r["name"], r["event"], r["url"], r["hasSecret"]) for r in rules] == \
            [("demo failures", "failed", "http://127.0.0.1:9500/", True)]
        d = admin.post("/api/v1/alerts/%s/test" % rules[0]["id"], schema=False, status=202).body
        # other demo servers of the suite may post here too: ours is the one with our delivery id
        mine = lambda: [(h, raw) for h, raw, b in rx.events() if b["deliveryId"] == d["id"]]
        got = rx.wait(mine)
        assert len(got) == 1
        h, raw = got[0]
        assert signed(h, raw, "demo-secret-123") and h["X-Sessiond-Event"] == "test"
    finally:
        rx.stop()
        stopped_clean(s)
