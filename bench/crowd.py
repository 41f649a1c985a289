"""The crowd (DESIGN §8): one sessiond holds 10,000 idle keep-alive connections and 2,000 event
stream subscribers (GET /api/v1/sessions/events) at once; each write (a new session through the
ingest API) must reach every subscriber, p99 under 100 ms from the moment the write was sent;
the server's RSS stays under 256 MiB; and other requests are still served meanwhile (GET by id
on a connection of its own, every answer 200). --quick: 1,000 idle and 200 subscribers.
Every connection holds libmicrohttpd's per-connection memory, which is --max-header (32 KiB by
default) and all of it resident; make bench runs the crowd with the default and again with
--max-header 16384 (headers and request line up to 16 KiB), see docs/PERFORMANCE.md.

Run by make bench (bench/run) or alone: /usr/bin/python3 bench/crowd.py [--quick]. One client
process drives every connection through epoll; its own reading is part of the latency it
reports, so the figure is an upper bound. Writes build/bench/crowd-{full,quick}.json."""
import argparse
import http.client as httpclient
import json
import os
import resource
import selectors
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid

import bench
from bench import PASSWORD, free_port, log, proc_status

VBR = "x-api-version: 1.3-rev2\r\n"


def raise_fd_limit(want):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    n = min(hard, max(soft, want))
    resource.setrlimit(resource.RLIMIT_NOFILE, (n, hard))
    return n


def start(db, conns, extra=()):
    port = free_port()
    env = dict(os.environ, SESSIOND_ADMIN_PASSWORD=PASSWORD)
    p = subprocess.Popen([bench.SESSIOND, "--listen", "127.0.0.1:%d" % port, "--db", db, "--log-level", "warn",
                          "--max-connections", str(conns), "--max-connections-per-address", "0",
                          "--max-waiting-per-user", "0", "--timeout", "600"] + list(extra),
                         env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         preexec_fn=lambda: raise_fd_limit(conns + 256))
    bench.procs.append(p)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(b"GET /api/v1/serverTime HTTP/1.1\r\nHost: x\r\n" + VBR.encode() + b"Connection: close\r\n\r\n")
                if s.recv(64).startswith(b"HTTP/1.1 200"):
                    return p, port
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("sessiond did not start")


def token(port, user, password):
    c = httpclient.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request("POST", "/api/oauth2/token", "grant_type=password&username=%s&password=%s" % (user, password),
              {"x-api-version": "1.3-rev2", "Content-Type": "application/x-www-form-urlencoded"})
    r = c.getresponse()
    body = r.read()
    c.close()
    if r.status != 200:
        raise RuntimeError("token for %s: %d %s" % (user, r.status, body[:200]))
    return json.loads(body)["access_token"]


class Conn:
    __slots__ = ("sock", "buf", "state", "got")

    def __init__(self, sock):
        self.sock, self.buf, self.state, self.got = sock, b"", "connecting", {}


def open_many(sel, port, n, request, batch=500, timeout=120):
    """n connections, each sent request and read until its answer's headers (and, for a
    keep-alive GET, its body) arrived. Returns the connections."""
    done, conns = [], []
    deadline = time.monotonic() + timeout
    for start_i in range(0, n, batch):
        wave = []
        for _ in range(min(batch, n - start_i)):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            s.connect_ex(("127.0.0.1", port))
            c = Conn(s)
            sel.register(s, selectors.EVENT_WRITE, c)
            wave.append(c)
        pending = len(wave)
        while pending:
            if time.monotonic() > deadline:
                raise RuntimeError("timed out opening connections (%d of %d open)" % (len(done), n))
            for key, ev in sel.select(timeout=1):
                c = key.data
                if c.state == "connecting" and ev & selectors.EVENT_WRITE:
                    err = c.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                    if err:
                        raise RuntimeError("connect: %s" % os.strerror(err))
                    c.sock.sendall(request)
                    c.state = "reading"
                    sel.modify(c.sock, selectors.EVENT_READ, c)
                elif c.state == "reading" and ev & selectors.EVENT_READ:
                    data = c.sock.recv(65536)
                    if not data:
                        raise RuntimeError("the server closed a connection while it was opened")
                    c.buf += data
                    head, sep, rest = c.buf.partition(b"\r\n\r\n")
                    if not sep:
                        continue
                    if not head.startswith(b"HTTP/1.1 200"):
                        raise RuntimeError("answer: %r" % head[:200])
                    length = None
                    for line in head.split(b"\r\n")[1:]:
                        k, _, v = line.partition(b":")
                        if k.strip().lower() == b"content-length":
                            length = int(v)
                    if length is not None and len(rest) < length:
                        continue
                    c.buf = rest[length:] if length is not None else rest
                    c.state = "open"
                    sel.unregister(c.sock)
                    done.append(c)
                    pending -= 1
        conns.extend(wave)
    return done


def rss(pid):
    st = proc_status(pid)   # MiB
    return st.get("VmRSS", 0), st.get("VmHWM", 0)


def fan_out(sel, subs, port, rep_token, writes, timeout=20):
    """writes new sessions, one at a time; for each, the seconds from sending it until each
    subscriber read an event naming it. Returns every latency, and how many never arrived."""
    lat, missing, first = [], 0, []
    for c in subs:
        c.buf = b""
        sel.register(c.sock, selectors.EVENT_READ, c)
    w = httpclient.HTTPConnection("127.0.0.1", port, timeout=30)
    hdr = {"x-api-version": "1.3-rev2", "Authorization": "Bearer " + rep_token, "Content-Type": "application/json"}
    for i in range(writes):
        sid = str(uuid.uuid4())
        needle = sid.encode()
        waiting = set(range(len(subs)))
        index = {id(c): k for k, c in enumerate(subs)}
        t0 = time.perf_counter()
        w.request("POST", "/api/v1/sessions", json.dumps({"id": sid, "name": "crowd %d" % i,
                                                          "sessionType": "BackupJob"}), hdr)
        r = w.getresponse()
        r.read()
        if r.status != 201:
            raise RuntimeError("write: %d" % r.status)
        deadline = time.monotonic() + timeout
        while waiting and time.monotonic() < deadline:
            for key, _ in sel.select(timeout=0.5):
                c = key.data
                data = c.sock.recv(1 << 20)
                if not data:
                    raise RuntimeError("the server closed an event stream")
                c.buf += data
                k = index[id(c)]
                if k in waiting and needle in c.buf:
                    lat.append(time.perf_counter() - t0)
                    waiting.discard(k)
                    c.buf = c.buf[c.buf.rfind(b"\n\n") + 2:] if b"\n\n" in c.buf else b""
        missing += len(waiting)
        first.append(min(lat[-(len(subs) - len(waiting)):] or [float("nan")]))
        time.sleep(0.2)
    w.close()
    for c in subs:
        sel.unregister(c.sock)
    return lat, missing, first


def served_meanwhile(port, token_, n=200):
    """GET by id of a new session, n times on a connection of its own: latencies, and any not 200."""
    c = httpclient.HTTPConnection("127.0.0.1", port, timeout=30)
    hdr = {"x-api-version": "1.3-rev2", "Authorization": "Bearer " + token_, "Content-Type": "application/json"}
    c.request("POST", "/api/v1/sessions", json.dumps({"name": "crowd probe", "sessionType": "BackupJob"}), hdr)
    r = c.getresponse()
    sid = json.loads(r.read())["id"]
    lat, bad = [], 0
    for _ in range(n):
        t0 = time.perf_counter()
        c.request("GET", "/api/v1/sessions/" + sid, headers=hdr)
        r = c.getresponse()
        r.read()
        lat.append(time.perf_counter() - t0)
        bad += r.status != 200
    c.close()
    return lat, bad


def still_open(conns, sample=100):
    """Sends one more request on a sample of the idle connections: how many answered 200."""
    ok = 0
    for c in conns[:: max(1, len(conns) // sample)][:sample]:
        c.sock.setblocking(True)
        c.sock.settimeout(10)
        try:
            c.sock.sendall(b"GET /api/v1/serverTime HTTP/1.1\r\nHost: x\r\n" + VBR.encode() + b"\r\n")
            ok += c.sock.recv(64).startswith(b"HTTP/1.1 200")
        except OSError:
            pass
    return ok, min(sample, len(conns))


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))] if xs else float("nan")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="1,000 idle connections and 200 subscribers")
    ap.add_argument("--idle", type=int)
    ap.add_argument("--subscribers", type=int)
    ap.add_argument("--writes", type=int, default=20)
    ap.add_argument("--server-arg", action="append", default=[], help="one more sessiond argument (repeat)")
    a, _ = ap.parse_known_args()   # bench/run hands every script its arguments
    signal.signal(signal.SIGTERM, bench.on_signal)
    signal.signal(signal.SIGINT, bench.on_signal)
    idle = a.idle or (1000 if a.quick else 10000)
    subs_n = a.subscribers or (200 if a.quick else 2000)
    total = idle + subs_n + 64
    have = raise_fd_limit(total + 256)
    if have < total + 64:
        sys.exit("crowd: needs %d open files, the limit allows %d (raise `ulimit -Hn`)" % (total + 64, have))
    bench.tmpdir = tempfile.mkdtemp(prefix="sessiond-bench-crowd-")
    try:
        p, port = start(os.path.join(bench.tmpdir, "crowd.db"), total, a.server_arg)
        viewer = token(port, "admin", PASSWORD)
        rss0, _ = rss(p.pid)
        sel = selectors.DefaultSelector()
        t0 = time.perf_counter()
        idle_conns = open_many(sel, port, idle, b"GET /api/v1/serverTime HTTP/1.1\r\nHost: x\r\n" + VBR.encode() + b"\r\n")
        log("crowd: %d idle keep-alive connections open in %.1f s" % (len(idle_conns), time.perf_counter() - t0))
        t0 = time.perf_counter()
        sse = ("GET /api/v1/sessions/events HTTP/1.1\r\nHost: x\r\n%sAuthorization: Bearer %s\r\n\r\n"
               % (VBR, viewer)).encode()
        subs = open_many(sel, port, subs_n, sse)
        log("crowd: %d event stream subscribers open in %.1f s" % (len(subs), time.perf_counter() - t0))
        rss1, _ = rss(p.pid)
        lat, missing, first = fan_out(sel, subs, port, viewer, a.writes)
        probe, bad = served_meanwhile(port, viewer)
        ok, sampled = still_open(idle_conns)
        rss2, hwm = rss(p.pid)
        res = {"idle": len(idle_conns), "subscribers": len(subs), "writes": a.writes,
               "fanout_p50_ms": pct(lat, 50) * 1e3, "fanout_p99_ms": pct(lat, 99) * 1e3,
               "fanout_max_ms": max(lat) * 1e3 if lat else float("nan"), "missing": missing,
               "first_p50_ms": pct(first, 50) * 1e3,
               "get_p50_ms": pct(probe, 50) * 1e3, "get_p99_ms": pct(probe, 99) * 1e3, "get_not_200": bad,
               "idle_still_open": ok, "idle_sampled": sampled,
               "rss_start_mib": rss0, "rss_held_mib": rss1, "rss_end_mib": rss2, "peak_rss_mib": hwm}
        os.makedirs(bench.CACHE, exist_ok=True)
        res["server_args"] = a.server_arg
        name = "crowd-%s%s.json" % ("quick" if a.quick else "full", "-" + "-".join(x.lstrip("-") for x in a.server_arg) if a.server_arg else "")
        with open(os.path.join(bench.CACHE, name), "w") as f:
            json.dump(res, f, indent=1)
        line = "%-66s %16s  %s"
        print()
        print("crowd: %d idle keep-alive connections + %d event stream subscribers on one sessiond%s"
              % (res["idle"], res["subscribers"], (" (" + " ".join(a.server_arg) + ")") if a.server_arg else
                 " (defaults: --max-header 16384)"))
        print(line % ("fan-out of one write to every subscriber, p50 / p99 (%d writes)" % a.writes,
                      "%.1f / %.1f ms" % (res["fanout_p50_ms"], res["fanout_p99_ms"]),
                      "p99 < 100 ms: %s" % ("met" if res["fanout_p99_ms"] < 100 and not missing else "NOT met")))
        print(line % ("  the first subscriber's event, p50", "%.1f ms" % res["first_p50_ms"], ""))
        print(line % ("  events that never arrived (of %d)" % (a.writes * len(subs)), "%d" % missing, ""))
        print(line % ("RSS: start / crowd held / peak (VmHWM)",
                      "%.0f / %.0f / %.0f MiB" % (rss0, rss1, hwm),
                      "< 256 MiB: %s" % ("met" if hwm < 256 else "NOT met")))
        print(line % ("other requests meanwhile: GET by id p50 / p99, not 200",
                      "%.2f / %.2f ms, %d" % (res["get_p50_ms"], res["get_p99_ms"], bad),
                      "served: %s" % ("yes" if not bad else "NO")))
        print(line % ("idle connections still answering (sample)", "%d of %d" % (ok, sampled), ""))
    finally:
        bench.cleanup()


if __name__ == "__main__":
    sys.exit(main())
