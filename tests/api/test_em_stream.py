"""Enterprise Manager lists of any length: unpaged collections and queries return every row,
in order across the chunks they are read in, while the server's memory stays bounded."""
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from urllib.parse import urlencode

import pytest
import requests
from lxml import etree

from em_client import EM, q
from memwatch import MemWatch

N = 4000            # sessions, ~5 KiB each in the entity form (a 20 MB answer)
N_TASKS = 700       # task sessions (more than one chunk)
JOBS = 6
RESULTS = ["Success", "Warning", "Failed"]
RANK = {"None": 0, "Success": 1, "Warning": 2, "Failed": 3}


def parse(data):
    return etree.fromstring(data, etree.XMLParser(huge_tree=True))


def job_name(j, tag):
    return ("job-%d-%s-" % (j, tag)) + ("x" * 980)


@pytest.fixture(scope="module")
def big(server_factory):
    srv = server_factory()
    tok = srv.api("reporter").bearer
    hdr = {"Authorization": "Bearer " + tok, "x-api-version": "1.3-rev2"}
    base = srv.base_url
    tag = uuid.uuid4().hex[:6]
    start = datetime.now(timezone.utc) - timedelta(days=20)
    local = threading.local()

    def post(path, body):
        s = getattr(local, "s", None)
        if s is None:
            s = local.s = requests.Session()
        r = s.post(base + path, headers=hdr, json=body, timeout=60)
        assert r.status_code in (200, 201), r.text
        return r.json()

    def one(i):
        created = start + timedelta(seconds=97 * i)
        job = job_name(i % JOBS, tag)
        s = post("/api/v1/sessions", {"name": job, "jobName": job, "sessionType": "BackupJob",
                                       "creationTime": created.strftime("%Y-%m-%dT%H:%M:%S.%fZ")})
        if i < N_TASKS:
            post("/api/v1/sessions/%s/taskSessions" % s["id"],
                 {"name": ("VM-%04d" if i % 2 else "vm-%04d") % (i * 7919 % N_TASKS), "type": "Backup"})
        if i % 3:
            end = created + timedelta(seconds=(i * 31) % 5000)
            post("/api/v1/sessions/%s/complete" % s["id"],
                 {"result": RESULTS[i % 3], "endTime": end.strftime("%Y-%m-%dT%H:%M:%SZ")})
        return s["id"]

    with ThreadPoolExecutor(16) as ex:
        ids = list(ex.map(one, range(N)))
    return srv, set(ids), tag


def uid(el):
    return el.get("UID").rsplit(":", 1)[1]


def test_unpaged_collection_returns_every_session_streamed(big):
    srv, ids, tag = big
    em = EM(srv.base_url, "viewer")
    r = requests.get(srv.base_url + "/api/backupSessions", headers={"X-RestSvcSessionId": em.token}, timeout=120)
    assert r.status_code == 200
    assert r.headers.get("Transfer-Encoding") == "chunked"   # longer than one chunk: streamed
    root = parse(r.content)
    got = [uid(x) for x in root]
    assert len(got) == len(set(got)) == N and set(got) == ids
    times = [x.get("Name").rsplit("@", 1)[1] for x in root]
    assert times == sorted(times, reverse=True)
    j = requests.get(srv.base_url + "/api/backupSessions", timeout=120,
                     headers={"X-RestSvcSessionId": em.token, "Accept": "application/json"}).json()
    assert [x["UID"].rsplit(":", 1)[1] for x in j["Refs"]] == got
    # a short list is answered at once, with its length
    r = requests.get(srv.base_url + "/api/replicaSessions", headers={"X-RestSvcSessionId": em.token})
    assert r.status_code == 200 and "Content-Length" in r.headers


def query_entities(em, **params):
    r = requests.get(em.base + "/api/query?" + urlencode(dict(type="BackupJobSession", format="Entities", **params)),
                     headers={"X-RestSvcSessionId": em.token}, timeout=120)
    assert r.status_code == 200, r.text[:300]
    root = parse(r.content)
    rows = list(root.find(q("Entities")).find(q("BackupJobSessions")))
    return rows, root.find(q("PagingInfo"))


def text(el, tag):
    x = el.find(q(tag))
    return x.text if x is not None else None


@pytest.mark.parametrize("sort,key", [
    ("CreationTime", lambda e: text(e, "CreationTimeUTC")),
    ("EndTime", lambda e: (text(e, "EndTimeUTC") is not None, text(e, "EndTimeUTC") or "")),
    ("Result", lambda e: RANK[text(e, "Result")]),
    ("Name", lambda e: (e.get("Name").rsplit("@", 1)[0].lower(), e.get("Name").rsplit("@", 1)[1])),
])
@pytest.mark.parametrize("asc", [True, False])
def test_query_orders_hold_across_chunks(big, sort, key, asc):
    srv, ids, tag = big
    em = EM(srv.base_url, "viewer")
    flt = "JobType==Backup"
    rows, pi = query_entities(em, filter=flt, **{"sortAsc" if asc else "sortDesc": sort})
    got = [uid(e) for e in rows]
    assert len(got) == len(set(got)) == N and set(got) == ids
    assert pi.get("PageSize") == str(N) and pi.get("PagesCount") == "1"
    keys = [key(e) for e in rows]
    assert keys == sorted(keys, reverse=not asc)
    # pages (each longer than a chunk) put together are the same list
    paged = []
    for page in (1, 2, 3, 4, 5, 6):
        prow, ppi = query_entities(em, filter=flt, pageSize=700, page=page,
                                   **{"sortAsc" if asc else "sortDesc": sort})
        assert ppi.get("PagesCount") == str((N + 699) // 700)
        paged += [uid(e) for e in prow]
    assert paged == got


def test_task_sessions_by_name_across_chunks(big):
    srv, ids, tag = big
    em = EM(srv.base_url, "viewer")
    r = requests.get(em.base + "/api/query?type=BackupTaskSession&sortAsc=Name", timeout=120,
                     headers={"X-RestSvcSessionId": em.token})
    root = parse(r.content)
    names = [x.get("Name") for x in root.find(q("Refs"))]
    assert len(names) == N_TASKS and len({uid(x) for x in root.find(q("Refs"))}) == N_TASKS
    assert names == sorted(names, key=lambda s: s.encode())
    ents = parse(requests.get(em.base + "/api/backupTaskSessions?format=Entity", timeout=120,
                                         headers={"X-RestSvcSessionId": em.token}).content)
    assert len(ents) == N_TASKS
    assert all(x.find(q("Links"))[0].get("Type") == "BackupServerReference" for x in ents)


@pytest.mark.parametrize("path,accept", [
    ("/api/backupSessions?format=Entity", "application/xml"),
    ("/api/query?type=BackupJobSession&format=Entities&sortAsc=Name", "application/json"),
])
def test_memory_stays_bounded(big, path, accept):
    """A 20 MB answer: the server's anonymous memory grows by less than 16 MiB while it
    sends it, which an answer buffered whole could not meet."""
    srv, ids, tag = big
    em = EM(srv.base_url, "viewer")
    em.req("GET", "/api/replicaSessions")
    with MemWatch(srv.proc.pid) as m:
        r = requests.get(srv.base_url + path, stream=True, timeout=300,
                         headers={"X-RestSvcSessionId": em.token, "Accept": accept})
        assert r.status_code == 200
        size = 0
        body = []
        for chunk in r.iter_content(1 << 16):
            size += len(chunk)
            body.append(chunk)
    data = b"".join(body)
    if accept == "application/json":
        import json
        doc = json.loads(data)
        assert len(doc["Entities"]["BackupJobSessions"]["BackupJobSessions"]) == N
    else:
        assert len(parse(data)) == N
    print("EM list %s: %.1f MB sent, RssAnon %d -> peak %d KiB (+%d KiB)" % (path, size / 1e6, m.before, m.peak,
                                                                           m.growth_kib))
    assert size > 18e6
    assert m.sanitized or m.growth_kib < 16 * 1024, "RssAnon grew by %d KiB" % m.growth_kib
