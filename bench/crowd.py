"""The crowd (DESIGN §8): one sessiond holds 10,000 idle keep-alive connections and 2,000 event
stream subscribers (GET /api/v1/sessions/events) at once; each write (a new session through the
ingest API) must reach every subscriber, p99 under 100 ms from the moment the write was sent;
the server's RSS stays under 256 MiB; and other requests are still served meanwhile (GET by id
on a connection of its own, every answer 200). --quick: 1,000 idle and 200 subscribers.
Every connection holds libmicrohttpd's per-connection memory, which is --max-header (16 KiB by
default) and all of it resident; make bench runs the crowd with the default and again with
--max-header 32768, see docs/PERFORMANCE.md.

Run by make bench (bench/run) or alone: /usr/bin/python3 bench/crowd.py [--quick]. One
client (build/sessiond-crowd-client, bench/crowd_client.c: C, one epoll) drives every
connection and times each event from the moment its write was sent until the subscriber read
it; its own reading is part of the latency it reports, so the figure is an upper bound.
Writes build/bench/crowd-{full,quick}.json."""
import argparse
import http.client as httpclient
import json
import os
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time

import bench
from bench import PASSWORD, free_port, log, proc_status

VBR = "x-api-version: 1.3-rev2\r\n"
CLIENT = os.path.join(bench.BUILD, "sessiond-crowd-client")


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


def client_stage(client, stage):
    """The next line the measuring client prints, which must be stage's."""
    line = client.stdout.readline()
    if not line:
        client.wait(timeout=10)
        raise RuntimeError("the crowd client ended (exit %s) before stage %s" % (client.returncode, stage))
    res = json.loads(line)
    if res.get("stage") != stage:
        raise RuntimeError("the crowd client said %r, expected stage %s" % (line[:200], stage))
    return res


def client_next(client):
    client.stdin.write("next\n")
    client.stdin.flush()


def cpu_s(pid):
    """User and system CPU seconds a process used so far."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss(pid):
    st = proc_status(pid)   # MiB
    return st.get("VmRSS", 0), st.get("VmHWM", 0)


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


def per_write(fo):
    """[answer, first, last] in ms for each write (latency_us holds the events of each write in turn)."""
    out, at = [], 0
    lat = fo["latency_us"]
    for i, (ack, first) in enumerate(zip(fo["ack_us"], fo["first_us"])):
        n = fo["got"][i]
        out.append([round(ack / 1e3, 1), round(first / 1e3, 1), round(max(lat[at:at + n] or [-1]) / 1e3, 1)])
        at += n
    return out


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))] if xs else float("nan")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="1,000 idle connections and 200 subscribers")
    ap.add_argument("--idle", type=int)
    ap.add_argument("--subscribers", type=int)
    ap.add_argument("--writes", type=int, default=20)
    ap.add_argument("--gap-ms", type=int, default=200, help="pause between writes")
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
    if not os.path.exists(CLIENT):   # make bench builds it; alone, build it here
        subprocess.check_call(["make", "-s", "-C", bench.ROOT, "build/sessiond-crowd-client"])
    bench.tmpdir = tempfile.mkdtemp(prefix="sessiond-bench-crowd-")
    try:
        p, port = start(os.path.join(bench.tmpdir, "crowd.db"), total, a.server_arg)
        viewer = token(port, "admin", PASSWORD)
        rss0, _ = rss(p.pid)
        client = subprocess.Popen([CLIENT, "--port", str(port), "--token", viewer, "--idle", str(idle),
                                   "--subscribers", str(subs_n), "--writes", str(a.writes),
                                   "--gap-ms", str(a.gap_ms)],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                  preexec_fn=lambda: raise_fd_limit(total + 256))
        bench.procs.append(client)
        held = client_stage(client, "held")
        log("crowd: %d idle keep-alive connections open in %.1f s, %d event stream subscribers in %.1f s"
            % (held["idle"], held["open_idle_s"], held["subscribers"], held["open_subscribers_s"]))
        rss1, _ = rss(p.pid)
        idle0 = cpu_s(p.pid)
        settle = 1 if a.quick else 2
        time.sleep(settle)   # the crowd held, nothing asked: what keeping it costs
        idle_cpu = (cpu_s(p.pid) - idle0) / settle
        cpu0, ccpu0 = cpu_s(p.pid), cpu_s(client.pid)
        client_next(client)
        fo = client_stage(client, "fanout")
        cpu1, ccpu1 = cpu_s(p.pid), cpu_s(client.pid)
        lat = [x / 1e6 for x in fo["latency_us"]]
        first = [x / 1e6 for x in fo["first_us"] if x >= 0]
        ack = [x / 1e6 for x in fo["ack_us"] if x >= 0]
        missing = fo["missing"]
        probe, bad = served_meanwhile(port, viewer)
        client_next(client)
        end = client_stage(client, "end")
        ok, sampled = end["idle_still_open"], end["idle_sampled"]
        client.wait(timeout=30)
        rss2, hwm = rss(p.pid)
        res = {"idle": held["idle"], "subscribers": held["subscribers"], "writes": a.writes,
               "fanout_p50_ms": pct(lat, 50) * 1e3, "fanout_p90_ms": pct(lat, 90) * 1e3,
               "fanout_p99_ms": pct(lat, 99) * 1e3,
               "fanout_max_ms": max(lat) * 1e3 if lat else float("nan"), "missing": missing,
               "first_p50_ms": pct(first, 50) * 1e3, "ack_p50_ms": pct(ack, 50) * 1e3,
               "ack_max_ms": max(ack) * 1e3 if ack else float("nan"),
               "get_p50_ms": pct(probe, 50) * 1e3, "get_p99_ms": pct(probe, 99) * 1e3, "get_not_200": bad,
               "idle_still_open": ok, "idle_sampled": sampled,
               "rss_start_mib": rss0, "rss_held_mib": rss1, "rss_end_mib": rss2, "peak_rss_mib": hwm,
               "loadavg": os.getloadavg()[0],
               "server_cpu_idle_pct": idle_cpu * 100,
               # CPU used while the writes ran (with the pauses between them), per write
               "server_cpu_ms_per_write": (cpu1 - cpu0) * 1e3 / max(1, a.writes),
               "client_cpu_ms_per_write": (ccpu1 - ccpu0) * 1e3 / max(1, a.writes),
               # per write: the write's answer, the first and the last subscriber's event (ms)
               "per_write_ack_first_last_ms": per_write(fo)}
        # the fan-out proper: from the first subscriber's event to the last (the commit is before it)
        spread = [last - first for _, first, last in res["per_write_ack_first_last_ms"] if last >= 0 and first >= 0]
        res["spread_p50_ms"], res["spread_max_ms"] = pct(spread, 50), max(spread) if spread else float("nan")
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
        print(line % ("  p90 / max", "%.1f / %.1f ms" % (res["fanout_p90_ms"], res["fanout_max_ms"]), ""))
        print(line % ("  the write's own answer (committed), p50 / max",
                      "%.1f / %.1f ms" % (res["ack_p50_ms"], res["ack_max_ms"]), ""))
        print(line % ("  the first subscriber's event, p50", "%.1f ms" % res["first_p50_ms"], ""))
        print(line % ("  from the first subscriber's event to the last, p50 / max",
                      "%.1f / %.1f ms" % (res["spread_p50_ms"], res["spread_max_ms"]), ""))
        print(line % ("  CPU per write (while the writes ran): sessiond / the client",
                      "%.1f / %.1f ms" % (res["server_cpu_ms_per_write"], res["client_cpu_ms_per_write"]), ""))
        print(line % ("  sessiond's CPU with the crowd held and nothing asked", "%.1f %% of a core"
                      % res["server_cpu_idle_pct"], ""))
        print(line % ("  events that never arrived (of %d)" % (a.writes * res["subscribers"]), "%d" % missing, ""))
        print(line % ("RSS: start / crowd held / peak (VmHWM)",
                      "%.0f / %.0f / %.0f MiB" % (rss0, rss1, hwm),
                      "< 256 MiB: %s" % ("met" if hwm < 256 else "NOT met")))
        print(line % ("other requests meanwhile: GET by id p50 / p99, not 200",
                      "%.2f / %.2f ms, %d" % (res["get_p50_ms"], res["get_p99_ms"], bad),
                      "served: %s" % ("yes" if not bad else "NO")))
        print(line % ("idle connections still answering (sample)", "%d of %d" % (ok, sampled), ""))
        print(line % ("load average (1 min) at the end", "%.2f" % res["loadavg"], ""))
    finally:
        bench.cleanup()


if __name__ == "__main__":
    sys.exit(main())
