"""Logon under attack: attempts count from when they start, Argon2id runs on a bounded pool
with a bounded share per client address, and a flood from one address neither delays another
address's logon nor any other request. Clients bind 127.0.0.2 as their source address to be a
second address on the loopback network."""
import base64
import http.client
import statistics
import threading
import time
import urllib.parse

import pytest

from relsrv import ADMIN_PASSWORD, VERSION, Server

LONG = False


def logon(port, user, password, source="127.0.0.1", timeout=60):
    """A VBR password grant from the given source address: (status, headers, seconds)."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout, source_address=(source, 0))
    body = urllib.parse.urlencode({"grant_type": "password", "username": user, "password": password})
    t0 = time.monotonic()
    try:
        c.request("POST", "/api/oauth2/token", body=body, headers={
            "x-api-version": VERSION, "Content-Type": "application/x-www-form-urlencoded"})
        r = c.getresponse()
        r.read()
        return r.status, dict(r.getheaders()), time.monotonic() - t0
    finally:
        c.close()


def server_time(port, source):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30, source_address=(source, 0))
    t0 = time.monotonic()
    try:
        c.request("GET", "/api/v1/serverTime", headers={"x-api-version": VERSION})
        r = c.getresponse()
        r.read()
        assert r.status == 200
        return time.monotonic() - t0
    finally:
        c.close()


def flood(port, n, results, source="127.0.0.1", user="admin", password="wrong-password"):
    threads = [threading.Thread(target=lambda: results.append(logon(port, user, password, source)))
               for _ in range(n)]
    for t in threads:
        t.start()
    return threads


@pytest.fixture
def srv(request):
    args = getattr(request, "param", ())
    s = Server(args=list(args))
    s.start()
    yield s
    s.kill()
    s.cleanup()


@pytest.mark.parametrize("srv", [("--login-failures", "5")], indirect=True)
def test_failure_limit_counts_attempts_in_flight(srv):
    results = []
    for t in flood(srv.port, 40, results):
        t.join()
    statuses = [s for s, _, _ in results]
    assert len(statuses) == 40
    # only as many as the limit may even be tried; the rest are refused at once
    assert statuses.count(401) <= 5, statuses
    assert statuses.count(429) >= 35, statuses
    assert set(statuses) <= {401, 429}, statuses
    assert all(h.get("Retry-After", "").isdigit() for s, h, _ in results if s == 429)
    # once the limit is used up, the address stays refused for the window, even with the
    # right password
    for _ in range(6):
        if logon(srv.port, "admin", "wrong-password")[0] == 429:
            break
    else:
        pytest.fail("a sixth failure was not refused")
    status, headers, _ = logon(srv.port, "admin", ADMIN_PASSWORD)
    assert status == 429 and int(headers["Retry-After"]) > 0
    # another address is not affected
    assert logon(srv.port, "admin", ADMIN_PASSWORD, source="127.0.0.2")[0] == 200


@pytest.mark.parametrize("srv", [("--login-failures", "0")], indirect=True)
def test_flood_does_not_delay_other_addresses(srv):
    n = 1000 if LONG else 300
    results = []
    threads = flood(srv.port, n, results)
    time.sleep(0.5)   # the flood is under way
    good = [logon(srv.port, "admin", ADMIN_PASSWORD, source="127.0.0.2") for _ in range(3)]
    pings = [server_time(srv.port, "127.0.0.2") for _ in range(200)]
    for t in threads:
        t.join()
    assert all(s == 200 for s, _, _ in good), good
    # Argon2id takes ~0.1 s here; one address has at most 4 checks in flight, so another
    # address's logon waits for a few checks at most (unbounded, it waited for the flood).
    assert max(d for _, _, d in good) < 2.0, [d for _, _, d in good]
    p99 = statistics.quantiles(pings, n=100)[98]
    assert p99 < 0.1, "serverTime p99 %.1f ms during a logon flood" % (p99 * 1000)
    statuses = [s for s, _, _ in results]
    assert statuses.count(429) > n // 2, "the flood was not refused: %d of %d 429" % (statuses.count(429), n)
    assert set(statuses) <= {401, 429, 503}, set(statuses)
