"""State that lives in the store (issue: core<->store boundary): EM logon sessions, EM tasks,
logouts and spent refresh tokens survive a restart; a database written by the first release
reads back with every session type unchanged."""
import os
import re
import shutil
import subprocess
import uuid

import requests

from conftest import LATEST, SESSIOND_BIN, Server, new_session
from em_client import EM, NS

FIXTURE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "release1.db")


def restart(srv):
    assert srv.stop() == 0, srv.stderr_tail()
    srv.users = {}        # users are in the database already
    srv._tokens = {}
    srv.start()


def token_pair(srv, user="viewer", password="viewer-Pa55word!"):
    r = requests.post(srv.base_url + "/api/oauth2/token", headers={"x-api-version": LATEST},
                      data={"grant_type": "password", "username": user, "password": password})
    assert r.status_code == 200, r.text
    return r.json()


def refresh(srv, tok):
    return requests.post(srv.base_url + "/api/oauth2/token", headers={"x-api-version": LATEST},
                         data={"grant_type": "refresh_token", "refresh_token": tok})


def test_em_logon_and_task_survive_restart():
    srv = Server()
    try:
        srv.start()
        s = new_session(srv.api("reporter"), name="stop-me-" + uuid.uuid4().hex[:6])
        em = EM(srv.base_url, "operator")
        em.xml("/api/backupSessions")
        r = em.req("POST", "/api/backupSessions/%s?action=stop" % s["id"], status=202)
        task_href = r.headers["Location"]
        task_id = task_href.rsplit("/", 1)[1]
        restart(srv)
        em.base = srv.base_url   # same token, new process (and port)
        doc = em.xml("/api/backupSessions")
        assert doc is not None
        t = em.xml("/api/tasks/" + task_id)
        assert t.find("{%s}TaskId" % NS).text == task_id
        assert t.find("{%s}Result" % NS).get("Success") == "true"
        # logoff is stored too: after another restart the token is refused
        em.req("DELETE", "/api/logonSessions/" + em.sid, status=204)
        restart(srv)
        em.base = srv.base_url
        em.req("GET", "/api/backupSessions", status=401)
    finally:
        srv.stop()
        srv.cleanup()


def test_refresh_reuse_refused_and_logout_kept_after_restart():
    srv = Server()
    try:
        srv.start()
        first = token_pair(srv)
        second = refresh(srv, first["refresh_token"])
        assert second.status_code == 200, second.text
        second = second.json()
        logged_out = token_pair(srv)
        r = requests.post(srv.base_url + "/api/oauth2/logout", headers={
            "x-api-version": LATEST, "Authorization": "Bearer " + logged_out["access_token"]})
        assert r.status_code == 200, r.text
        restart(srv)
        # the spent refresh token stays spent: the store's unique key refuses it
        again = refresh(srv, first["refresh_token"])
        assert again.status_code == 401, again.text
        assert "already used" in again.json()["message"]
        # the unspent one still works once
        third = refresh(srv, second["refresh_token"])
        assert third.status_code == 200, third.text
        # the logout is loaded at start: its tokens stay refused
        r = requests.get(srv.base_url + "/api/v1/sessions", headers={
            "x-api-version": LATEST, "Authorization": "Bearer " + logged_out["access_token"]})
        assert r.status_code == 401, r.text
        assert refresh(srv, logged_out["refresh_token"]).status_code == 401
    finally:
        srv.stop()
        srv.cleanup()


def catalog_vbr13():
    """Canonical type name -> the sessionType VBR 1.3 shows, from this build's own catalog."""
    md = subprocess.run([SESSIOND_BIN, "catalog"], check=True, capture_output=True, text=True).stdout
    table = md.split("## Session types", 1)[1].split("\n## ", 1)[0]
    out = {}
    col = None
    for row in table.splitlines():
        cells = [c.strip() for c in row.strip().strip("|").split("|")]
        if cells and cells[0] == "Type":
            col = max(i for i, c in enumerate(cells) if c.startswith("VBR ") and LATEST in c)
        elif col and len(cells) > col and re.fullmatch(r"\d+", cells[1] or ""):
            out[cells[0]] = cells[col].replace("→ ", "").strip("`")
    return out


def test_release1_database_reads_back_every_type():
    assert os.path.isfile(FIXTURE), FIXTURE
    srv = Server(users={})
    try:
        shutil.copy(FIXTURE, srv.db)
        srv.env["SESSIOND_ADMIN_PASSWORD"] = "release1-admin"
        srv.start()
        api = srv.client
        tok = api.token("admin", "release1-admin")
        h = {"x-api-version": LATEST, "Authorization": "Bearer " + tok["access_token"]}
        spelled = catalog_vbr13()
        assert len(spelled) == 185
        seen = 0
        skip = 0
        while True:
            r = requests.get(srv.base_url + "/api/v1/sessions", headers=h,
                             params={"skip": skip, "limit": 100, "orderColumn": "CreationTime", "orderAsc": "true"})
            assert r.status_code == 200, r.text
            page = r.json()["data"]
            for s in page:
                # each session is named after the type it was created with by the first release
                assert s["sessionType"] == spelled[s["name"]], (s["name"], s["sessionType"])
                seen += 1
            if len(page) < 100:
                break
            skip += 100
        assert seen == 185
        # users of the first release log on with their roles, and new writes go on
        r1 = api.token("r1-reporter", "release1-reporter")
        h2 = {"x-api-version": LATEST, "Authorization": "Bearer " + r1["access_token"]}
        r = requests.post(srv.base_url + "/api/v1/sessions", headers=h2, json={"name": "after", "sessionType": "BackupJob"})
        assert r.status_code == 201, r.text
        assert r.json()["sessionType"] == "BackupJob"
    finally:
        srv.stop()
        srv.cleanup()


def test_release2_estate_totals_after_migration():
    """A database of the release before estate totals were kept (schema 5, tests/fixtures/
    release2.db, made by tests/fixtures/make_release2_db.py) opens with the totals counted from
    what it holds (tombstones are not objects), and later puts and deletes keep them exact."""
    fixture = os.path.join(os.path.dirname(FIXTURE), "release2.db")
    assert os.path.isfile(fixture), fixture
    srv = Server(users={})
    try:
        shutil.copy(fixture, srv.db)
        srv.env["SESSIOND_ADMIN_PASSWORD"] = "release2-admin"
        srv.start()
        tok = srv.client.token("admin", "release2-admin")["access_token"]
        h = {"x-api-version": LATEST, "Authorization": "Bearer " + tok}

        def listed(kind):
            r = requests.get(srv.base_url + "/api/v1/estate/" + kind, headers=h, params={"limit": 100})
            assert r.status_code == 200, r.text
            body = r.json()
            assert body["pagination"]["total"] == len(body["data"]), (kind, body["pagination"])
            return sorted(o["name"] for o in body["data"])

        assert listed("repository") == ["r2-repo-0", "r2-repo-1"]
        assert listed("job") == ["r2-job"]
        assert listed("backup") == ["r2-job"]
        assert listed("restorePoint") == ["r2-vm"] * 4
        r = requests.get(srv.base_url + "/api/v1/restorePoints", headers=h)
        assert r.status_code == 200 and r.json()["pagination"]["total"] == 4, r.text
        # the tombstone of a repository put again, a new one, a delete: the totals follow
        gone = "00000000-0000-4000-0001-000000000102"
        r = requests.put(srv.base_url + "/api/v1/estate/repository/" + gone, headers=h,
                         json={"name": "r2-repo-2", "type": "LinuxLocal"})
        assert r.status_code == 200, r.text
        r = requests.put(srv.base_url + "/api/v1/estate/repository/" + str(uuid.uuid4()), headers=h,
                         json={"name": "r2-repo-3", "type": "LinuxLocal"})
        assert r.status_code == 200, r.text
        r = requests.delete(srv.base_url + "/api/v1/estate/repository/00000000-0000-4000-0001-000000000100",
                            headers=h)
        assert r.status_code in (200, 204), r.text
        assert listed("repository") == ["r2-repo-1", "r2-repo-2", "r2-repo-3"]
        # kept over a restart
        restart(srv)
        tok = srv.client.token("admin", "release2-admin")["access_token"]
        h["Authorization"] = "Bearer " + tok
        assert listed("repository") == ["r2-repo-1", "r2-repo-2", "r2-repo-3"]
    finally:
        srv.stop()
        srv.cleanup()
