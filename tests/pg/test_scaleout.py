"""Several instances, one truth: two sessiond processes on one PostgreSQL database see each
other's writes at once (LISTEN/NOTIFY wakes the feed) and share every credential state."""
import base64
import json
import threading
import time

import requests

from conftest import api

LATEST = api.LATEST
new_session = api.new_session
WAKE_BUDGET_S = 0.5     # the notification's trip through PostgreSQL, on a loaded machine


def bearer(srv, user="viewer"):
    return {"x-api-version": LATEST, "Authorization": "Bearer " + srv.api(user).bearer}


def test_write_on_a_wakes_long_poll_on_b(instances):
    a, b = instances(2)
    s = new_session(a.api("reporter"))
    got = []

    def waiter():
        r = requests.get(b.base_url + "/api/v1/sessions?usnGreaterThan=%d&wait=10" % s["usn"],
                         headers=bearer(b), timeout=15)
        got.append((time.monotonic(), r))

    t = threading.Thread(target=waiter)
    t.start()
    time.sleep(0.5)   # waiting on B now
    w = a.api("reporter").patch("/api/v1/sessions/" + s["id"], json={"progressPercent": 33},
                                schema="SessionModel", status=200)
    acked = time.monotonic()
    t.join(15)
    assert len(got) == 1
    done, r = got[0]
    assert r.status_code == 200, r.text
    body = r.json()
    assert [x["id"] for x in body["data"]] == [s["id"]]
    assert body["data"][0]["progressPercent"] == 33 and body["data"][0]["usn"] == w.body["usn"]
    assert done - acked < WAKE_BUDGET_S, done - acked


def test_write_on_a_reaches_an_event_stream_on_b(instances):
    """A's writes reach an event stream on B. The feed sends a session as it is when B reads it,
    so two quick changes of one session may arrive as one event (the later): the stream must end
    at the patch's usn with its progress, in usn order, and show nothing else."""
    a, b = instances(2)
    rep = a.api("reporter")
    events = []
    with requests.get(b.base_url + "/api/v1/sessions/events", headers=bearer(b), stream=True,
                      timeout=10) as resp:
        assert resp.status_code == 200
        time.sleep(0.3)
        s = new_session(rep)
        p = rep.patch("/api/v1/sessions/" + s["id"], json={"progressPercent": 70},
                      schema="SessionModel").body
        cur = {}
        deadline = time.monotonic() + 5
        for line in resp.iter_lines(decode_unicode=True):
            if line == "":
                if "data" in cur:
                    events.append(cur)
                    if json.loads(cur["data"])["usn"] == p["usn"]:
                        break
                cur = {}
            elif line and not line.startswith(":"):
                k, _, v = line.partition(": ")
                cur[k] = v
            if time.monotonic() > deadline:
                break
    assert events and all(e["event"] == "session" for e in events), events
    usns = [json.loads(e["data"])["usn"] for e in events]
    assert usns in ([s["usn"], p["usn"]], [p["usn"]]), usns
    assert all(json.loads(e["data"])["id"] == s["id"] for e in events)
    assert json.loads(events[-1]["data"])["progressPercent"] == 70


def test_usns_from_both_instances_never_repeat_and_lists_agree(instances):
    a, b = instances(2)
    seen = []
    lock = threading.Lock()

    def writer(srv):
        rep = srv.api("reporter")
        for _ in range(15):
            s = new_session(rep)
            with lock:
                seen.append(s["usn"])

    ts = [threading.Thread(target=writer, args=(srv,)) for srv in (a, b, a, b)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(60)
    assert len(seen) == 60 and len(set(seen)) == 60
    for srv in (a, b):
        body = srv.api("viewer").get("/api/v1/sessions?limit=1000", schema="SessionsResult").body
        assert body["pagination"]["total"] == 60
        assert sorted(x["usn"] for x in body["data"]) == sorted(seen)


def token_pair(srv):
    r = requests.post(srv.base_url + "/api/oauth2/token", headers={"x-api-version": LATEST},
                      data={"grant_type": "password", "username": "viewer",
                            "password": api.PASSWORDS["viewer"]})
    assert r.status_code == 200, r.text
    return r.json()


def refresh(srv, tok):
    return requests.post(srv.base_url + "/api/oauth2/token", headers={"x-api-version": LATEST},
                         data={"grant_type": "refresh_token", "refresh_token": tok})


def test_refresh_token_spent_on_a_is_refused_on_b(instances):
    a, b = instances(2)
    first = token_pair(a)
    r = refresh(a, first["refresh_token"])
    assert r.status_code == 200, r.text
    again = refresh(b, first["refresh_token"])
    assert again.status_code == 401, again.text
    assert "already used" in again.json()["message"]
    # a token from A works on B (one key in the database)
    r = requests.get(b.base_url + "/api/v1/sessions", headers={
        "x-api-version": LATEST, "Authorization": "Bearer " + r.json()["access_token"]})
    assert r.status_code == 200, r.text


def test_logout_on_a_is_refused_on_b(instances):
    a, b = instances(2)
    pair = token_pair(a)
    h = {"x-api-version": LATEST, "Authorization": "Bearer " + pair["access_token"]}
    assert requests.get(b.base_url + "/api/v1/sessions", headers=h).status_code == 200
    assert requests.post(a.base_url + "/api/oauth2/logout", headers=h).status_code == 200
    # B reads new logouts from the store once a second
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        if requests.get(b.base_url + "/api/v1/sessions", headers=h).status_code == 401:
            break
        time.sleep(0.1)
    assert requests.get(b.base_url + "/api/v1/sessions", headers=h).status_code == 401
    assert refresh(b, pair["refresh_token"]).status_code == 401


def test_em_logon_on_a_works_on_b_and_logoff_on_b_ends_it(instances):
    from em_client import EM, NS
    a, b = instances(2)
    s = new_session(a.api("reporter"), name="em-both")
    em = EM(a.base_url, "operator")
    em.base = b.base_url
    doc = em.xml("/api/backupSessions")
    assert doc is not None
    r = em.req("POST", "/api/backupSessions/%s?action=stop" % s["id"], status=202)
    task_id = r.headers["Location"].rsplit("/", 1)[1]
    em.base = a.base_url
    t = em.xml("/api/tasks/" + task_id)
    assert t.find("{%s}TaskId" % NS).text == task_id
    em.base = b.base_url
    em.req("DELETE", "/api/logonSessions/" + em.sid, status=204)
    em.base = a.base_url
    deadline = time.monotonic() + 8      # A's logon cache keeps a logon at most 5 s
    while time.monotonic() < deadline and em.req("GET", "/api/backupSessions", status=None).status_code != 401:
        time.sleep(0.2)
    em.req("GET", "/api/backupSessions", status=401)


def test_cached_pages_on_b_show_a_write_through_a_at_once(instances):
    """A page B keeps rendered (the job states) is keyed on the newest usn: asked at once after
    a write through A, B must not answer the page it rendered before, even before it heard of
    the write."""
    a, b = instances(2)
    rep, view = a.api("reporter"), b.api("viewer")
    for i in range(40):
        new_session(rep, name="cached-%d" % i, jobName="cached-job-%d" % i)
        body = view.get("/api/v1/jobs/states?limit=1000", version="1.3-rev2", schema="JobStatesResult").body
        names = {j["name"] for j in body["data"]}
        assert "cached-job-%d" % i in names, "B answered a page rendered before write %d" % i
