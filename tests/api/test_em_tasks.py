"""Enterprise Manager tasks: GET /api/tasks lists the caller's tasks (stored, newest first),
GET and DELETE /api/tasks/{id} act on the caller's own only (an admin's: anyone's)."""
import uuid

from conftest import new_session
from em_client import EM, NS


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
