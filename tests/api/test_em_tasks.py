"""Enterprise Manager tasks: GET /api/tasks lists the caller's tasks (stored, newest first),
GET and DELETE /api/tasks/{id} act on the caller's own only (an admin's: anyone's), and the
query service answers type=Task (references or resources, filter on TaskId, State and
Operation, sorts, pages) over the same tasks. XML bodies are validated against the XSD."""
import uuid
from urllib.parse import urlencode, urlsplit

import pytest

from conftest import new_session
from em_client import EM, NS, local, q, same_data, to_plain


def stop(em, sid):
    r = em.req("POST", "/api/backupSessions/%s?action=stop" % sid, status=202)
    return r.headers["Location"].rsplit("/", 1)[1]


def test_task_list_and_delete(server):
    rep = server.api("reporter")
    op = EM(server.base_url, "operator")
    other = EM(server.base_url, "viewer")
    admin = EM(server.base_url, "admin")
    a = new_session(rep, name="task-a-" + uuid.uuid4().hex[:6])
    b = new_session(rep, name="task-b-" + uuid.uuid4().hex[:6])
    ta, tb = stop(op, a["id"]), stop(op, b["id"])
    doc = op.xml("/api/tasks")
    ids = [t.find("{%s}TaskId" % NS).text for t in doc.iter("{%s}Task" % NS)]
    assert ids[:2] == [tb, ta], ids            # newest first
    js = op.json("/api/tasks")
    assert [t["TaskId"] for t in js["Tasks"]][:2] == [tb, ta]
    # another user neither sees nor deletes them
    assert ta not in [t.find("{%s}TaskId" % NS).text for t in other.xml("/api/tasks").iter("{%s}Task" % NS)]
    other.req("GET", "/api/tasks/" + ta, status=404)
    other.req("DELETE", "/api/tasks/" + ta, status=404)
    admin.req("GET", "/api/tasks/" + ta, status=200)
    op.req("DELETE", "/api/tasks/" + ta, status=204)
    op.req("GET", "/api/tasks/" + ta, status=404)
    op.req("DELETE", "/api/tasks/" + ta, status=404)
    op.req("DELETE", "/api/tasks/task-x", status=404)
    assert ta not in [t.find("{%s}TaskId" % NS).text for t in op.xml("/api/tasks").iter("{%s}Task" % NS)]
    op.req("GET", "/api/tasks/" + tb, status=200)


# ---- the query service: GET /api/query?type=Task ----------------------------------------

def number(task_id):
    return int(task_id.split("-", 1)[1])


def task_query(em, json_=False, **params):
    return em.req("GET", "/api/query?" + urlencode(dict(type="Task", **params)), json_=json_).doc


def ref_names(res):
    return [r.get("Name") for r in res.find(q("Refs"))]


def paging(res):
    p = res.find(q("PagingInfo"))
    return int(p.get("PageNum")), int(p.get("PageSize")), int(p.get("PagesCount")), \
        {l.get("Rel"): l.get("Href") for l in (p.find(q("Links")) if p.find(q("Links")) is not None else [])}


@pytest.fixture(scope="module")
def tasks(server_factory):
    """Three stops by one operator (its tasks), one by an admin (not the operator's)."""
    srv = server_factory()
    rep = srv.api("reporter")
    op = EM(srv.base_url, "operator")
    admin = EM(srv.base_url, "admin")
    mine = [stop(op, new_session(rep, name="q-%d" % i)["id"]) for i in range(3)]
    theirs = stop(admin, new_session(rep, name="q-admin")["id"])
    return srv, op, mine, theirs


def test_query_task_references(tasks):
    srv, op, mine, theirs = tasks
    res = task_query(op)                       # validated against the XSD (QueryResult)
    assert ref_names(res) == list(reversed(mine))    # the caller's own, newest first
    assert theirs not in ref_names(res)
    for ref in res.find(q("Refs")):
        tid = ref.get("Name")
        assert ref.get("UID") == "urn:veeam:Task:" + tid and ref.get("Type") == "TaskReference"
        assert urlsplit(ref.get("Href")).path == "/api/tasks/" + tid
        alt = [l for l in ref.find(q("Links")) if l.get("Rel") == "Alternate"]
        assert len(alt) == 1 and alt[0].get("Type") == "Task"
        got = op.xml(urlsplit(alt[0].get("Href")).path)
        assert local(got.tag) == "Task" and got.find(q("TaskId")).text == tid
    assert paging(res)[:3] == (1, 3, 1)
    same_data(to_plain(res), task_query(op, json_=True))
    # the service lists the query
    svc = op.xml("/api/querySvc")
    assert "/api/query?type=Task" in [urlsplit(l.get("Href")).path + "?" + urlsplit(l.get("Href")).query
                                      for l in svc.find(q("Links"))]


def test_query_task_entities(tasks):
    srv, op, mine, theirs = tasks
    res = task_query(op, format="Entities")
    assert res.find(q("Entities")) is None and res.find(q("Refs")) is None
    listed = res.find(q("Resources")).find(q("Tasks"))
    assert [t.find(q("TaskId")).text for t in listed] == list(reversed(mine))
    for t in listed:
        assert t.get("Type") == "Task" and urlsplit(t.get("Href")).path == "/api/tasks/" + t.find(q("TaskId")).text
        assert t.find(q("State")).text == "Finished" and t.find(q("Operation")).text == "StopJobSession"
        assert t.find(q("Result")).get("Success") == "true"
    js = task_query(op, json_=True, format="Entities")
    assert [t["TaskId"] for t in js["Resources"]["Tasks"]["Tasks"]] == list(reversed(mine))
    same_data(to_plain(res), js)
    # the same tasks as GET /api/tasks shows them
    same_data(to_plain(listed), op.json("/api/tasks"))


@pytest.mark.parametrize("flt,want", [
    ("State==Finished", [0, 1, 2]),
    ("state==finished", [0, 1, 2]),
    ("State!=Finished", []),
    ("State==Running", []),
    ("State>=Running", [0, 1, 2]),
    ("State<Finished", []),
    ("Operation==StopJobSession", [0, 1, 2]),
    ("Operation==stopjobsession", [0, 1, 2]),
    ("Operation==StartJob", []),
    ("TaskId=={1}", [1]),
    ("TaskId!={1}", [0, 2]),
    ("TaskId>{0};TaskId<={2}", [1, 2]),
    ("TaskId=={n0},TaskId=={n2}", [0, 2]),
    ("(TaskId<{1},TaskId>{1});State==Finished", [0, 2]),
])
def test_query_task_filter(tasks, flt, want):
    srv, op, mine, theirs = tasks
    flt = flt.format(*mine, n0=number(mine[0]), n2=number(mine[2]))
    got = ref_names(task_query(op, filter=flt))
    assert got == [mine[i] for i in reversed(want)], (flt, got)


def test_query_task_sort_and_pages(tasks):
    srv, op, mine, theirs = tasks
    assert ref_names(task_query(op, sortAsc="TaskUid")) == mine
    assert ref_names(task_query(op, sortAsc="taskid")) == mine
    assert ref_names(task_query(op, sortDesc="TaskId")) == list(reversed(mine))
    assert ref_names(task_query(op, sortAsc="State")) == mine
    # the querySvc's own form: Entities, TaskUid ascending, pages of two
    first = task_query(op, format="Entities", sortAsc="TaskUid", pageSize=2, page=1)
    ids = [t.find(q("TaskId")).text for t in first.find(q("Resources")).find(q("Tasks"))]
    num, size, count, links = paging(first)
    assert ids == mine[:2] and (num, size, count) == (1, 2, 2)
    assert set(links) == {"First", "Next", "Last"}
    nxt = urlsplit(links["Next"])
    second = op.xml(nxt.path + "?" + nxt.query)
    assert [t.find(q("TaskId")).text for t in second.find(q("Resources")).find(q("Tasks"))] == mine[2:]
    assert paging(second)[:3] == (2, 2, 2) and set(paging(second)[3]) == {"First", "Previous", "Last"}
    assert ref_names(task_query(op, sortAsc="TaskUid", pageSize=2, page=3)) == []


@pytest.mark.parametrize("params", [
    dict(filter="State==Sleeping"),
    dict(filter="TaskId==abc"),
    dict(filter="TaskId==task-"),
    dict(filter="Name==x"),
    dict(filter="State=="),
    dict(sortAsc="Name"),
    dict(sortAsc="TaskId", sortDesc="TaskId"),
    dict(format="Entity"),
    dict(pageSize="x"),
    dict(page="0"),
])
def test_query_task_bad_input(tasks, params):
    srv, op, mine, theirs = tasks
    before = op.json("/api/tasks")
    path = "/api/query?" + urlencode(dict(type="Task", **params))
    r = op.req("GET", path, status=400)
    assert local(r.doc.tag) == "Error" and r.doc.get("StatusCode") == "400" and r.doc.get("Message")
    j = op.req("GET", path, status=400, json_=True).doc
    assert j["StatusCode"] == 400 and j["Message"] == r.doc.get("Message")
    assert op.json("/api/tasks") == before


def test_query_task_after_delete(tasks):
    srv, op, mine, theirs = tasks
    extra = stop(op, new_session(srv.api("reporter"), name="q-gone")["id"])
    assert ref_names(task_query(op, filter="TaskId==" + extra)) == [extra]
    op.req("DELETE", "/api/tasks/" + extra, status=204)
    assert ref_names(task_query(op, filter="TaskId==" + extra)) == []
    assert ref_names(task_query(op)) == list(reversed(mine))
