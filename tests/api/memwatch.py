"""The server's anonymous memory (RssAnon of /proc/<pid>/status) while it sends an answer:
the bounded-memory tests stream a large answer and assert how far it grew at its peak.

    with MemWatch(pid) as m:
        for chunk in r.iter_content(1 << 16):
            m.sample()          # besides the sampling thread, on every chunk
    m.growth_kib, m.growth_mib, m.sanitized
"""
import threading
import time


def rss_anon_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("RssAnon:"):
                return int(line.split()[1])
    raise AssertionError("no RssAnon in /proc/%d/status" % pid)


def sanitized(pid):
    """Whether the process runs under ASan, whose quarantine keeps freed memory resident
    (its growth says nothing then)."""
    with open("/proc/%d/maps" % pid) as f:
        return "libasan" in f.read()


class MemWatch:
    """Samples RssAnon every 5 ms from a thread between enter and exit, keeping the peak."""

    def __init__(self, pid):
        self.pid = pid
        self.before = self.peak = rss_anon_kib(pid)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def sample(self):
        self.peak = max(self.peak, rss_anon_kib(self.pid))

    def _run(self):
        while not self._stop.is_set():
            self.sample()
            time.sleep(0.005)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        return False

    @property
    def growth_kib(self):
        return self.peak - self.before

    @property
    def growth_mib(self):
        return self.growth_kib / 1024

    @property
    def sanitized(self):
        return sanitized(self.pid)
