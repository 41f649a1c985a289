"""VB for Azure answers of any size in bounded memory: GET jobSessions with Limit=-1, a large
Limit, or a page of up to 1000 rows that happen to be large, and the export, all stream in
pieces of a bounded size, so the server's anonymous memory stays flat while thousands of
sessions of ~32 KiB each go out (a 1000-row chunk alone would be ~60 MiB)."""
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

import memwatch
from memwatch import MemWatch
from vbaz_client import Az

N = 3000
PAD = "p" * 32000
GROWTH_MIB = 24


@pytest.fixture(scope="module")
def big(server_factory):
    srv = server_factory()
    tok = srv.api("reporter").bearer
    hdr = {"Authorization": "Bearer " + tok, "x-api-version": "1.3-rev2"}
    url = srv.base_url + "/api/v1/sessions"
    local = threading.local()

    def ingest(i):
        s = getattr(local, "s", None)
        if s is None:
            s = local.s = requests.Session()
        r = s.post(url, headers=hdr, timeout=60, json={
            "name": "big-%05d" % i, "sessionType": "PolicyBackup", "jobName": "big-job-%d" % (i % 7),
            "creationTime": "2024-02-01T00:%02d:%02d.%06dZ" % (i // 60 % 60, i % 60, i),
            "backupJobInfo": {"policyName": PAD}})
        assert r.status_code == 201, r.text

    with ThreadPoolExecutor(16) as ex:
        list(ex.map(ingest, range(N)))
    srv.az = Az.login(srv)
    return srv


def measure(srv, method, path, **kw):
    """Streams the answer, returns (bytes, body head, body tail, RssAnon growth in MiB)."""
    with MemWatch(srv.proc.pid) as m:
        r = requests.request(method, srv.base_url + path, stream=True, timeout=300,
                             headers={"Authorization": "Bearer " + srv.az.token}, **kw)
        assert r.status_code == 200, r.text[:300]
        size, head, tail = 0, b"", b""
        for chunk in r.iter_content(1 << 16):
            size += len(chunk)
            if len(head) < 200:
                head += chunk[:200]
            tail = (tail + chunk)[-200:]
            m.sample()
    print("%s %s: %.1f MiB streamed, RssAnon +%.1f MiB" % (method, path, size / 2**20, m.growth_mib))
    return size, head, tail, m.growth_mib


def sanitized(srv):
    return memwatch.sanitized(srv.proc.pid)


@pytest.mark.parametrize("query,rows", [("Limit=-1", N), ("Limit=2147483647", N), ("Limit=1000", 1000),
                                        ("Offset=500&Limit=-1", N - 500)])
def test_list_memory_is_bounded(big, query, rows):
    size, head, tail, growth = measure(big, "GET", "/api/v8.1/jobSessions?" + query)
    assert size > rows * 32000, size
    assert head.startswith(b'{"offset":') and tail.endswith(b"}}")
    assert sanitized(big) or growth < GROWTH_MIB, \
        "RssAnon grew by %.1f MiB for a %.0f MiB answer" % (growth, size / 2**20)


def test_streamed_list_is_complete_and_ordered(big):
    b = big.az.get("/api/v8.1/jobSessions?Limit=-1&Filter=big-01", model="PageOfJobSession").json()
    names = [s["backupJobInfo"]["policyName"] for s in b["results"]]
    assert b["totalCount"] == 1000 == len(b["results"]) and all(n == PAD for n in names)
    starts = [s["executionStartTime"] for s in b["results"]]
    assert starts == sorted(starts, reverse=True) and len(set(s["id"] for s in b["results"])) == 1000
    # a page of up to 1000 rows reads the same whether it fits in one piece or not
    small = big.az.get("/api/v8.1/jobSessions?Limit=5&Offset=2&Filter=big-01").json()
    assert [s["id"] for s in small["results"]] == [s["id"] for s in b["results"][2:7]]


def test_export_memory_is_bounded(big):
    size, head, tail, growth = measure(big, "POST", "/api/v8.1/jobSessions/export", json={})
    assert size > N * 32000 and head.startswith(b"id,type,") and tail.endswith(b"\r\n")
    assert sanitized(big) or growth < GROWTH_MIB, "RssAnon grew by %.1f MiB" % growth
    size, head, tail, growth = measure(big, "POST", "/api/v1/jobSessions/export")
    assert size > N * 32000 and tail.endswith(b"}}")
    assert sanitized(big) or growth < GROWTH_MIB, "RssAnon grew by %.1f MiB (v1 export)" % growth
