"""Request limits and slow clients.

- An oversized header gets 431, an oversized request line (URL) 414: libmicrohttpd 0.9.75 answers
  both itself once the request line and headers outgrow MHD_OPTION_CONNECTION_MEMORY_LIMIT
  (--max-header), with a small HTML body of its own (the dialect is not known yet) and
  Connection: close. A body over --max-body gets 413 in the dialect's error format.
- 1000 connections that send part of a request and then stall do not keep another client
  from being served quickly; they are closed after --timeout (here shorter than
  --header-timeout; test_hostile_http.py covers clients that keep trickling bytes).
- At the connection cap (--max-connections, split evenly over the worker threads)
  libmicrohttpd 0.9.75 stops accepting: a new client waits in the kernel's listen backlog
  until a slot frees (a stalled connection times out), then it is served. There is no 503 +
  Retry-After: libmicrohttpd offers no hook to answer a connection it has not accepted.
"""
import select
import socket
import time

import pytest
import requests

from relsrv import VERSION, Server


@pytest.fixture(scope="module")
def srv():
    s = Server(args=["--timeout", "3", "--max-header", "32768", "--max-body", "1048576",
                     "--max-connections", "1100"])
    s.start()
    yield s
    s.cleanup()


def raw(srv, data, timeout=5):
    s = socket.create_connection(("127.0.0.1", srv.port))
    s.settimeout(timeout)
    s.sendall(data)
    out = b""
    try:
        while True:
            d = s.recv(65536)
            if not d:
                break
            out += d
            if b"\r\n\r\n" in out and b"Content-Length" not in out:
                break
    except socket.timeout:
        pass
    s.close()
    return out


def status_of(resp):
    return int(resp.split(b" ", 2)[1])


def test_oversized_header_gets_431(srv):
    r = raw(srv, b"GET /api/v1/serverTime HTTP/1.1\r\nHost: x\r\nx-api-version: 1.3-rev2\r\nX-Big: "
            + b"a" * 40000 + b"\r\n\r\n")
    assert status_of(r) == 431, r[:200]
    assert b"connection: close" in r.lower()


def test_too_many_headers_get_431(srv):
    hdrs = b"".join(b"X-H%d: %s\r\n" % (i, b"b" * 100) for i in range(400))
    r = raw(srv, b"GET /api/v1/serverTime HTTP/1.1\r\nHost: x\r\n" + hdrs + b"\r\n")
    assert status_of(r) == 431, r[:200]


def test_oversized_url_gets_414(srv):
    r = raw(srv, b"GET /api/v1/sessions?nameFilter=" + b"a" * 40000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    assert status_of(r) == 414, r[:200]


def test_default_header_buffer_is_16_kib():
    # the default --max-header: a 12 KB URL is served, a 20 KB one refused with 414 and closed
    s = Server()
    s.start()
    try:
        r = requests.get(s.base + "/api/v1/serverTime?x=" + "a" * 12000,
                         headers={"x-api-version": VERSION}, timeout=5)
        assert r.status_code == 200
        r = raw(s, b"GET /api/v1/serverTime?x=" + b"a" * 20000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
        assert status_of(r) == 414, r[:200]
    finally:
        s.cleanup()


def test_large_but_allowed_url_is_served(srv):
    r = requests.get(srv.base + "/api/v1/serverTime?x=" + "a" * 16000,
                     headers={"x-api-version": VERSION}, timeout=5)
    assert r.status_code == 200


@pytest.mark.parametrize("dialect,path,headers", [
    ("vbr", "/api/v1/sessions", {"x-api-version": VERSION}),
    ("vbaz", "/api/v8.1/jobSessions/export", {}),
    ("em", "/api/sessionMngr/?v=latest", {}),
])
def test_oversized_body_gets_413_in_the_dialects_format(srv, dialect, path, headers):
    r = requests.post(srv.base + path, headers=dict(headers, **{"Content-Type": "application/json"}),
                      data=b"[" + b"1," * 600000 + b"1]", timeout=10)
    assert r.status_code == 413, r.text[:200]
    if dialect == "vbr":
        assert r.json()["errorCode"] and "larger" in r.json()["message"]
    elif dialect == "vbaz":
        assert r.json()["status"] == 413
    else:
        assert b'StatusCode="413"' in r.content


def test_1000_stalled_connections_do_not_stop_other_clients(srv):
    socks = []
    try:
        for i in range(1000):
            # from 127.0.0.2 and up, 100 per address (under --max-connections-per-address)
            s = socket.create_connection(("127.0.0.1", srv.port), source_address=("127.0.0.%d" % (2 + i // 100), 0))
            # a request cut off in the middle of its headers, or of its body
            if i % 2:
                s.sendall(b"GET /api/v1/sessions HTTP/1.1\r\nHost: x\r\nx-api-ver")
            else:
                s.sendall(b"POST /api/v1/sessions HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
            socks.append(s)
        worst = 0.0
        for _ in range(20):
            t0 = time.monotonic()
            r = requests.get(srv.base + "/api/v1/serverTime", headers={"x-api-version": VERSION},
                             timeout=5)
            worst = max(worst, time.monotonic() - t0)
            assert r.status_code == 200
        assert worst < 0.5, "a normal request took %.3f s beside 1000 stalled ones" % worst
        print("\nlimits: 1000 stalled connections open, 20 normal requests, slowest %.1f ms"
              % (1000 * worst))
        # --timeout 3: the stalled connections are closed by the server
        time.sleep(4.5)
        closed = 0
        for s in socks:
            s.settimeout(0.5)
            try:
                closed += s.recv(1) == b""
            except ConnectionResetError:
                closed += 1
            except socket.timeout:
                pass
        assert closed >= 990, "only %d of 1000 stalled connections were closed after the timeout" % closed
    finally:
        for s in socks:
            s.close()


def test_at_the_connection_cap_new_clients_wait_for_a_free_slot():
    s = Server(args=["--max-connections", "50", "--timeout", "3"])
    s.start()
    socks = []
    try:
        for _ in range(50):
            c = socket.create_connection(("127.0.0.1", s.port))
            c.sendall(b"GET /api/v1/serverTime HTTP/1.1\r\nHost: x\r\nx-api")
            socks.append(c)
        time.sleep(0.3)
        t0 = time.monotonic()
        r = requests.get(s.base + "/api/v1/serverTime", headers={"x-api-version": VERSION}, timeout=15)
        waited = time.monotonic() - t0
        assert r.status_code == 200
        # libmicrohttpd stops accepting at the cap: the client sits in the listen backlog
        # until the stalled connections time out (--timeout 3), then it is served
        assert 2.0 < waited < 8.0, waited
        print("\nlimits: at the cap of 50, a new client was served after %.2f s (--timeout 3)" % waited)
        assert s.proc.poll() is None
    finally:
        for c in socks:
            c.close()
        s.cleanup()
