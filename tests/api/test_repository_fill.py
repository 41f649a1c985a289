"""The history of repository fill: a repository stored with capacityBytes and freeBytes records,
in the same write, a repositorySample (sessiond's own kind, child of the repository) for the hour
it was measured in; a later measurement of the hour replaces it, an earlier one leaves it; the
samples list by parentId in time order; reporters cannot write them; a measurement older than
the 14 days kept is not sampled."""
import datetime
import uuid

import pytest

HOUR = datetime.timedelta(hours=1)


@pytest.fixture
def rep(server):
    return server.api("reporter")


@pytest.fixture
def viewer(server):
    return server.api("viewer")


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (t.microsecond // 1000)


def hour_name(t):
    return t.strftime("%Y-%m-%dT%H:00:00Z")


def parse(s):
    return datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))


def now():
    return datetime.datetime.now(datetime.timezone.utc)


def an_hour_ago_at(minute):
    """A time in the hour before the last: two reports there fall in one hour whatever the clock."""
    return (now() - 2 * HOUR).replace(minute=minute, second=0, microsecond=0)


def put_repo(c, rid, status=200, **props):
    body = {"name": "fill-" + rid[:8], **props}
    return c.put(f"/api/v1/estate/repository/{rid}", json=body, schema=False, status=status).body


def samples(c, rid):
    b = c.get("/api/v1/estate/repositorySample", params={"parentId": rid, "limit": 1000}, schema=False,
              status=200).body
    assert b["pagination"]["total"] == len(b["data"])
    return b["data"]


def test_a_repository_report_records_a_sample(rep, viewer):
    rid = str(uuid.uuid4())
    t = an_hour_ago_at(10)
    repo = put_repo(rep, rid, capacityBytes=1000, freeBytes=400, usedBytes=600, measuredTime=iso(t),
                    path="/srv/backup")
    got = samples(viewer, rid)
    assert len(got) == 1
    s = got[0]
    assert s["kind"] == "repositorySample" and s["parentId"] == rid
    assert s["name"] == hour_name(t) and parse(s["time"]) == t
    assert (s["capacityBytes"], s["freeBytes"], s["usedBytes"]) == (1000, 400, 600)
    assert "path" not in s and "measuredTime" not in s         # the fill only
    assert s["reporter"] == repo["reporter"] == "reporter"
    # the repository's write is the last of the two: its usn is the higher
    assert s["usn"] < repo["usn"]
    assert viewer.get(f"/api/v1/estate/repositorySample/{s['id']}", schema=False, status=200).body == s


def test_a_later_report_of_the_same_hour_replaces_its_sample(rep, viewer):
    rid = str(uuid.uuid4())
    put_repo(rep, rid, capacityBytes=1000, freeBytes=400, measuredTime=iso(an_hour_ago_at(10)))
    first = samples(viewer, rid)[0]
    t2 = an_hour_ago_at(40)
    put_repo(rep, rid, capacityBytes=1000, freeBytes=350, measuredTime=iso(t2))
    got = samples(viewer, rid)
    assert len(got) == 1
    s = got[0]
    assert s["id"] == first["id"] and s["name"] == first["name"]
    assert s["freeBytes"] == 350 and parse(s["time"]) == t2 and "usedBytes" not in s
    assert s["createdTime"] == first["createdTime"] and s["usn"] > first["usn"]
    # an earlier measurement of that hour, reported late, leaves the later one
    put_repo(rep, rid, capacityBytes=1000, freeBytes=999, measuredTime=iso(an_hour_ago_at(20)))
    assert samples(viewer, rid) == [s]
    # and the repository itself is as last reported
    assert viewer.get(f"/api/v1/estate/repository/{rid}", schema=False, status=200).body["freeBytes"] == 999


def test_one_sample_per_hour_listed_in_time_order(rep, viewer):
    rid, other = str(uuid.uuid4()), str(uuid.uuid4())
    base = now().replace(minute=30, second=0, microsecond=0)
    hours = [5, 1, 3, 2]
    for i, h in enumerate(hours):
        put_repo(rep, rid, capacityBytes=2000, freeBytes=1000 - 100 * i, measuredTime=iso(base - h * HOUR))
    put_repo(rep, other, capacityBytes=10, freeBytes=5, measuredTime=iso(base - HOUR))
    got = samples(viewer, rid)
    assert [s["name"] for s in got] == [hour_name(base - h * HOUR) for h in sorted(hours, reverse=True)]
    assert {s["parentId"] for s in got} == {rid} and len({s["id"] for s in got}) == len(hours)
    free = {s["name"]: s["freeBytes"] for s in got}
    assert free == {hour_name(base - h * HOUR): 1000 - 100 * i for i, h in enumerate(hours)}
    assert len(samples(viewer, other)) == 1
    # a measurement in the future counts as made when it was stored
    later = str(uuid.uuid4())
    before = now()
    put_repo(rep, later, capacityBytes=10, freeBytes=5, measuredTime=iso(now() + 48 * HOUR))
    s = samples(viewer, later)
    assert len(s) == 1 and before - datetime.timedelta(seconds=1) <= parse(s[0]["time"]) <= now()


def test_no_space_no_sample(rep, viewer):
    rid = str(uuid.uuid4())
    put_repo(rep, rid, path="/srv")
    put_repo(rep, rid, capacityBytes=1000)
    put_repo(rep, rid, freeBytes=10)
    assert samples(viewer, rid) == []


def test_only_the_last_14_days_are_sampled(rep, viewer):
    rid = str(uuid.uuid4())
    n = now()
    put_repo(rep, rid, capacityBytes=100, freeBytes=50, measuredTime=iso(n - 337 * HOUR))
    assert samples(viewer, rid) == []
    put_repo(rep, rid, capacityBytes=100, freeBytes=40, measuredTime=iso(n - 334 * HOUR))
    got = samples(viewer, rid)
    assert [s["freeBytes"] for s in got] == [40]
    # the oldest hour kept and the newest have slots of their own
    put_repo(rep, rid, capacityBytes=100, freeBytes=30, measuredTime=iso(now()))
    assert [s["freeBytes"] for s in samples(viewer, rid)] == [40, 30]


def test_samples_are_sessiond_s_own(server, rep, viewer):
    rid = str(uuid.uuid4())
    put_repo(rep, rid, capacityBytes=100, freeBytes=50)
    sid = samples(viewer, rid)[0]["id"]
    admin = server.api("admin")
    for c in (rep, admin):
        r = c.put(f"/api/v1/estate/repositorySample/{uuid.uuid4()}", schema=False, status=404,
                  json={"name": "2026-01-01T00:00:00Z", "parentId": rid, "time": "2026-01-01T00:00:00Z",
                        "capacityBytes": 1, "freeBytes": 1})
        assert "repositorySample" in r.body["message"]
        c.put(f"/api/v1/estate/repositorySample/{sid}", json={"name": "x"}, schema=False, status=404)
        c.delete(f"/api/v1/estate/repositorySample/{sid}", schema=False, status=404)
    assert [s["freeBytes"] for s in samples(viewer, rid)] == [50]


def test_samples_in_the_change_feed(rep, viewer):
    rid = str(uuid.uuid4())
    repo = put_repo(rep, rid, capacityBytes=100, freeBytes=50)
    feed = viewer.get("/api/v1/estate", params={"sinceUsn": repo["usn"] - 2, "limit": 1000}, schema=False,
                      status=200).body["data"]
    feed = [o for o in feed if o["usn"] <= repo["usn"]]   # other writes may follow
    # one write: the sample takes the usn just before the repository's
    assert [(o["kind"], o["usn"], o["parentId"] or o["id"]) for o in feed] == [
        ("repositorySample", repo["usn"] - 1, rid), ("repository", repo["usn"], rid)]


def test_a_deleted_repository_leaves_its_samples_listable(rep, viewer):
    rid = str(uuid.uuid4())
    t = an_hour_ago_at(5)
    put_repo(rep, rid, capacityBytes=100, freeBytes=50, measuredTime=iso(t))
    put_repo(rep, rid, capacityBytes=100, freeBytes=45, measuredTime=iso(t + HOUR))
    rep.delete(f"/api/v1/estate/repository/{rid}", schema=None, status=204)
    # as missed runs of a deleted job: the records stay, every list still answers
    kept = samples(viewer, rid)
    assert [s["freeBytes"] for s in kept] == [50, 45]
    every = viewer.get("/api/v1/estate/repositorySample", params={"limit": 1000}, schema=False, status=200).body
    assert every["pagination"]["total"] >= 2
    # reported again, the repository's history goes on
    put_repo(rep, rid, capacityBytes=100, freeBytes=40, measuredTime=iso(t + 2 * HOUR))
    assert [s["freeBytes"] for s in samples(viewer, rid)] == [50, 45, 40]


def test_the_demo_starts_with_a_fill_history(server_factory):
    """sessiond --demo seeds its runs of the last 30 days; each run that wrote to a repository
    left a sample, so the last 14 days have a history that grows as the backups did."""
    srv = server_factory(extra_args=["--demo", "--demo-seed", "7", "--demo-interval", "600000"])
    viewer = srv.api("viewer")
    repos = viewer.get("/api/v1/estate/repository", params={"limit": 1000}, schema=False, status=200).body["data"]
    assert len(repos) == 4
    oldest = now() - 14 * datetime.timedelta(days=1) - HOUR
    for r in repos:
        got = samples(viewer, r["id"])
        assert len(got) >= 10, (r["name"], len(got))   # one run a day or more, most of them succeed
        assert all(s["reporter"] == "sessiond demo" and parse(s["time"]) >= oldest for s in got)
        assert len({s["name"] for s in got}) == len(got)
        assert [s["name"] for s in got] == sorted(s["name"] for s in got)
        assert all(hour_name(parse(s["time"])) == s["name"] for s in got)
        # no retention in the seeded month: used space only grows, and the newest sample is the
        # repository as it stands
        used = [s["usedBytes"] for s in got]
        assert used == sorted(used) and used[-1] == r["usedBytes"] and used[0] < used[-1]
        assert all(s["capacityBytes"] == r["capacityBytes"] and s["freeBytes"] == s["capacityBytes"] - s["usedBytes"]
                   for s in got)
        assert parse(got[-1]["time"]) == parse(r["measuredTime"])
