"""Sessions as they change: filters and paging, progress and logs that move over the change
feed without a reload or a poll, and the Stop button by role. Sessions are driven through the
ingest API by the test itself, so every change is known."""
import time
import uuid

import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from conftest import LATEST, PASSWORDS, _finish, _start, api, shot, sign_in, wait_for


def report(srv, **fields):
    return api.new_session(srv.api("reporter"), name=fields.pop("name", "ui-" + uuid.uuid4().hex[:8]), **fields)


def row(browser, sid):
    return browser.find_element(By.CSS_SELECTOR, '#sessions-table tr[data-id="%s"]' % sid)


def progress_of(browser, css):
    return int(browser.find_element(By.CSS_SELECTOR, css + " progress").get_attribute("value"))


def table(browser):
    """(id, result) of every row of the sessions table, read at once."""
    return browser.execute_script("""
        return Array.from(document.querySelectorAll('#sessions-table tbody tr[data-id]')).map(function (r) {
          return [r.dataset.id, r.querySelector('.badge').textContent]; });""")


def api_requests(browser):
    """The API requests the page has made so far (the Resource Timing buffer)."""
    return browser.execute_script("""
        return performance.getEntriesByType('resource').map(function (e) { return e.name; })
          .filter(function (n) { return n.indexOf('/api/v1/') >= 0 && n.indexOf('/events') < 0; });""")


def test_filters_and_paging(browser, demo):
    viewer = demo.api("viewer")
    want = viewer.get("/api/v1/sessions", params={"resultFilter": "Failed", "limit": 1000},
                      schema="SessionsResult", status=200).body
    assert want["pagination"]["total"] > 0, "the demo has failed runs"
    sign_in(browser, demo)
    browser.execute_script("location.hash = '#/sessions'")
    wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, "#sessions-table tbody tr[data-id]"))
    Select(browser.find_element(By.ID, "f-result")).select_by_value("Failed")
    browser.find_element(By.CSS_SELECTOR, "#session-filters button[type=submit]").click()
    wait_for(lambda: "resultFilter" not in browser.current_url and "result=Failed" in browser.current_url)
    # the page agrees with the API (asked again each time: the demo keeps running)
    def agrees():
        b = viewer.get("/api/v1/sessions", params={"resultFilter": "Failed", "limit": 50},
                       schema="SessionsResult", status=200).body
        page = table(browser)
        return (browser.find_element(By.ID, "page-info").text.endswith("of %d" % b["pagination"]["total"])
                and [p[0] for p in page] == [x["id"] for x in b["data"][:25]] and b) or None
    want = wait_for(agrees, what="the filtered page, newest first")
    assert all(p[1] == "Failed" for p in table(browser))
    if want["pagination"]["total"] > 25:
        browser.find_element(By.ID, "next").click()
        wait_for(lambda: browser.find_element(By.ID, "page-info").text.startswith("26\u2013"))
        assert "skip=25" in browser.current_url
        assert all(p[1] == "Failed" for p in table(browser))
    # a name filter, typed and sent with Enter
    browser.execute_script("location.hash = '#/sessions'")
    box = wait_for(lambda: browser.find_element(By.ID, "f-name"))
    box.send_keys("SQL Servers\n")
    n = viewer.get("/api/v1/sessions", params={"nameFilter": "SQL Servers", "limit": 1},
                   schema="SessionsResult", status=200).body["pagination"]["total"]
    wait_for(lambda: browser.find_element(By.ID, "page-info").text.endswith("of %d" % n), what="name filter")
    shot(browser, "sessions")


def test_bad_filter_is_explained(browser, quiet):
    sign_in(browser, quiet)
    browser.execute_script("location.hash = '#/sessions?type=NoSuchType'")
    err = wait_for(lambda: browser.find_element(By.CSS_SELECTOR, "#view p.error").text, what="error")
    assert "refused" in err


def test_progress_moves_live_without_polling(browser, quiet):
    s = report(quiet, progressPercent=10)
    sign_in(browser, quiet)
    browser.execute_script("performance.setResourceTimingBufferSize(100000)")   # count every request
    browser.execute_script("location.hash = '#/sessions'")
    wait_for(lambda: row(browser, s["id"]))
    css = '#sessions-table tr[data-id="%s"]' % s["id"]
    assert progress_of(browser, css) == 10
    browser.execute_script("window.sameDocument = true")
    # a session reported now appears at the top of the first page
    s2 = report(quiet, progressPercent=1)
    wait_for(lambda: table(browser)[0][0] == s2["id"], what="the new session on top")
    before = len(api_requests(browser))
    quiet.api("reporter").patch("/api/v1/sessions/" + s["id"], json={"progressPercent": 55},
                                schema="SessionModel", status=200)
    wait_for(lambda: progress_of(browser, css) == 55, what="progress 55 over the feed")
    quiet.api("reporter").patch("/api/v1/sessions/" + s["id"], json={"progressPercent": 80},
                                schema="SessionModel", status=200)
    wait_for(lambda: progress_of(browser, css) == 80, what="progress 80 over the feed")
    assert browser.execute_script("return window.sameDocument") is True
    # the rows were updated from the events alone: no request at all, and none while idle
    # for longer than the fallback refresh period (15 s)
    time.sleep(16)
    assert len(api_requests(browser)) == before, api_requests(browser)[before:]
    assert browser.execute_script("return document.body.dataset.live") == "1"


def test_detail_log_and_tasks_live(browser, quiet):
    rep = quiet.api("reporter")
    parent = report(quiet)
    s = report(quiet, progressPercent=5, parentSessionId=parent["id"])
    t = rep.post("/api/v1/sessions/%s/taskSessions" % s["id"], json={"name": "vm-web01", "type": "Backup"},
                 schema="TaskSessionModel", status=201).body
    rep.post("/api/v1/sessions/%s/logs" % s["id"], schema=False, status=201,
             json={"records": [{"status": "Succeeded", "title": "Preparing the job"}]})
    sign_in(browser, quiet)
    browser.execute_script("location.hash = arguments[0]", "#/session/" + s["id"])
    wait_for(lambda: "Preparing the job" in browser.find_element(By.ID, "log-table").text, what="the log")
    fields = browser.find_element(By.ID, "session-fields").text
    assert s["id"] in fields and s["name"] in fields and "Working" in fields
    link = browser.find_element(By.CSS_SELECTOR, '[data-field="parentSessionId"] a')
    assert link.get_attribute("href").endswith("#/session/" + parent["id"])
    task_css = '#tasks-table tr[data-task="%s"]' % t["id"]
    wait_for(lambda: browser.find_element(By.CSS_SELECTOR, task_css))
    # a new log line and the task's progress arrive while the page stays open
    rep.post("/api/v1/sessions/%s/logs" % s["id"], schema=False, status=201,
             json={"records": [{"status": "Warning", "title": "Guest credentials missing"}]})
    wait_for(lambda: "Guest credentials missing" in browser.find_element(By.ID, "log-table").text,
             what="the new log line")
    rep.patch("/api/v1/taskSessions/" + t["id"], json={"progressPercent": 70}, schema="TaskSessionModel", status=200)
    wait_for(lambda: progress_of(browser, task_css) == 70, what="task progress over the feed")
    # oldest first (the log is re-drawn as events come: read it in one go)
    titles = browser.execute_script("""return Array.from(document.querySelectorAll('#log-table tbody tr'))
        .map(function (r) { return r.cells[2].textContent; });""")
    assert titles == ["Preparing the job", "Guest credentials missing"]
    shot(browser, "session")


def test_operator_stops_a_session(browser, quiet):
    s = report(quiet, progressPercent=30)
    sign_in(browser, quiet, "operator")
    browser.execute_script("location.hash = arguments[0]", "#/session/" + s["id"])
    stop = wait_for(lambda: browser.find_element(By.ID, "stop"))
    wait_for(lambda: stop.is_displayed(), what="the Stop button")
    stop.click()
    wait_for(lambda: "Stop requested" in browser.find_element(By.ID, "stop-msg").text)
    wait_for(lambda: browser.find_element(By.CSS_SELECTOR, '[data-field="state"]').text == "Stopping",
             what="the state shown live")
    got = quiet.api("viewer").get("/api/v1/sessions/" + s["id"], schema="SessionModel", status=200).body
    assert got["state"] == "Stopping"
    # once the reporter completes it, the button goes away
    quiet.api("reporter").post("/api/v1/sessions/%s/complete" % s["id"], json={"result": "Failed"},
                               schema="SessionModel", status=200)
    wait_for(lambda: not browser.find_element(By.ID, "stop").is_displayed(), what="Stop hidden once stopped")


def test_viewer_has_no_stop(browser, quiet):
    s = report(quiet, progressPercent=30)
    sign_in(browser, quiet, "viewer")
    browser.execute_script("location.hash = arguments[0]", "#/session/" + s["id"])
    wait_for(lambda: s["name"] in browser.find_element(By.ID, "session-fields").text)
    assert not browser.find_element(By.ID, "stop").is_displayed()
    # and the API refuses the viewer anyway, leaving the session running
    quiet.api("viewer").post("/api/v1/sessions/%s/stop" % s["id"], status=403)
    got = quiet.api("viewer").get("/api/v1/sessions/" + s["id"], schema="SessionModel", status=200).body
    assert got["state"] == "Working"


def test_names_are_shown_as_text(browser, quiet):
    evil = '<img src=x onerror="window.pwned=1">'
    s = report(quiet, name=evil)
    quiet.api("reporter").post("/api/v1/sessions/%s/logs" % s["id"], schema=False, status=201,
                               json={"records": [{"status": "Failed", "title": "<b id=bold>not bold</b>"}]})
    sign_in(browser, quiet)
    browser.execute_script("location.hash = '#/sessions'")
    wait_for(lambda: evil in row(browser, s["id"]).text, what="the name shown as typed")
    browser.execute_script("location.hash = arguments[0]", "#/session/" + s["id"])
    wait_for(lambda: "<b id=bold>" in browser.find_element(By.ID, "log-table").text, what="the log line as text")
    assert browser.execute_script("return window.pwned === undefined && !document.getElementById('bold')")


def test_jobs_page_follows_the_feed(browser, quiet):
    sign_in(browser, quiet)
    wait_for(lambda: browser.find_element(By.ID, "jobs-table"))
    job = "ui-job-" + uuid.uuid4().hex[:6]
    s = report(quiet, name=job, jobName=job, progressPercent=20)
    jid = api.job_id_of(s)
    css = '#jobs-table tr[data-job="%s"]' % jid
    wait_for(lambda: job in browser.find_element(By.CSS_SELECTOR, css).text, what="the new job's row")
    wait_for(lambda: progress_of(browser, css) == 20)
    quiet.api("reporter").patch("/api/v1/sessions/" + s["id"], json={"progressPercent": 65},
                                schema="SessionModel", status=200)
    wait_for(lambda: progress_of(browser, css) == 65, what="the job's progress over the feed")
    quiet.api("reporter").post("/api/v1/sessions/%s/complete" % s["id"], json={"result": "Warning"},
                               schema="SessionModel", status=200)
    wait_for(lambda: browser.find_element(By.CSS_SELECTOR, css + " .badge").text == "Warning",
             what="the finished run's result")
    marks = browser.find_elements(By.CSS_SELECTOR, css + " .strip li")
    assert [m.get_attribute("data-result") for m in marks] == ["Warning"]


@pytest.fixture
def refused(browser):
    """A server that allows one event stream per user, and the admin's stream held open here:
    the page's own feed gets 429."""
    srv = _start(extra_args=["--max-waiting-per-user", "1"])
    try:
        hold = requests.get(srv.base_url + "/api/v1/sessions/events", stream=True, timeout=60,
                            headers={"x-api-version": LATEST, "Authorization": "Bearer " + srv.api("admin").bearer})
        assert hold.status_code == 200
        yield srv
        hold.close()
    finally:
        _finish(srv, browser)


def test_falls_back_to_refreshing_while_the_feed_is_refused(browser, refused):
    """The page says it is offline and refreshes every 15 s, so a change still shows."""
    s = report(refused, progressPercent=10)
    browser.get(refused.base_url + "/")
    wait_for(lambda: browser.find_element(By.ID, "login-user").is_displayed())
    browser.find_element(By.ID, "login-user").send_keys("admin")
    browser.find_element(By.ID, "login-password").send_keys(PASSWORDS["admin"] + "\n")
    wait_for(lambda: browser.find_element(By.ID, "top").is_displayed())
    browser.execute_script("location.hash = '#/sessions'")
    css = '#sessions-table tr[data-id="%s"]' % s["id"]
    wait_for(lambda: progress_of(browser, css) == 10)
    assert browser.find_element(By.ID, "live").text == "offline"
    refused.api("reporter").patch("/api/v1/sessions/" + s["id"], json={"progressPercent": 90},
                                  schema="SessionModel", status=200)
    wait_for(lambda: progress_of(browser, css) == 90, timeout=20, what="the fallback refresh")
    assert browser.execute_script("return document.body.dataset.live") == "0"
