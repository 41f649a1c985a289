"""The dashboard page itself: how it is served, signing in and out, the jobs page, its speed,
keyboard use and the phone-width layout."""
import re

import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from conftest import LATEST, PASSWORDS, shot, sign_in, wait_for

ASSETS = ["/ui/app.css", "/ui/api.js", "/ui/charts.js", "/ui/pages.js", "/ui/app.js", "/ui/icon.svg"]


def test_served_with_strict_security_headers(quiet):
    for path in ["/"] + ASSETS:
        r = requests.get(quiet.base_url + path, timeout=10)
        assert r.status_code == 200, path
        csp = r.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp, csp
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, csp
        assert "script-src 'self'" in csp and "style-src 'self'" in csp, csp
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert r.headers["Referrer-Policy"] == "no-referrer"
        assert "set-cookie" not in {k.lower() for k in r.headers}
    page = requests.get(quiet.base_url + "/", timeout=10)
    assert page.headers["Content-Type"].startswith("text/html")
    # nothing inline: every script has a src, no <style>, no style= or on…= attributes
    html = page.text
    assert all('src="' in tag for tag in re.findall(r"<script[^>]*>", html))
    assert "<style" not in html and not re.search(r"\sstyle=", html)
    assert not re.search(r"\son[a-z]+=", html)
    js = requests.get(quiet.base_url + "/ui/app.js", timeout=10)
    assert js.headers["Content-Type"].startswith("text/javascript")
    # a revalidation with the ETag is a 304 without a body
    again = requests.get(quiet.base_url + "/ui/app.js", headers={"If-None-Match": js.headers["ETag"]},
                         timeout=10)
    assert again.status_code == 304 and not again.content


def test_unknown_file_is_a_json_404(quiet):
    r = requests.get(quiet.base_url + "/ui/../../etc/passwd", timeout=10)
    assert r.status_code == 404
    r = requests.get(quiet.base_url + "/ui/secret.js", timeout=10)
    assert r.status_code == 404 and r.json()["message"]
    r = requests.post(quiet.base_url + "/", timeout=10)
    assert r.status_code == 405


def test_wrong_password_is_refused_on_the_form(browser, quiet):
    browser.get(quiet.base_url + "/")
    wait_for(lambda: browser.find_element(By.ID, "login-user").is_displayed())
    shot(browser, "login")
    browser.find_element(By.ID, "login-user").send_keys("admin")
    browser.find_element(By.ID, "login-password").send_keys("not-the-password" + Keys.ENTER)
    wait_for(lambda: "wrong" in browser.find_element(By.ID, "login-error").text, what="the error")
    assert not browser.find_element(By.ID, "top").is_displayed()


def test_jobs_page_shows_every_job_fast(browser, demo):
    sign_in(browser, demo)
    jobs = demo.api("viewer").get("/api/v1/jobs/states", params={"limit": 1000},
                                  schema="JobStatesResult", status=200).body["data"]
    assert jobs, "the demo has jobs"
    # rows are re-drawn as the demo's sessions change: read them in one go
    read = """return Array.from(document.querySelectorAll('#jobs-table tbody tr[data-job]')).map(function (r) {
        return {id: r.dataset.job, text: r.textContent, badge: r.querySelector('.badge').textContent,
                strip: Array.from(r.querySelectorAll('.strip li')).map(function (li) { return li.dataset.result; })};
      });"""
    rows = wait_for(lambda: browser.execute_script(read), what="the jobs table")
    assert sorted(r["id"] for r in rows) == sorted(j["id"] for j in jobs)
    names = {j["id"]: j["name"] for j in jobs}
    for r in rows:   # each row: the name, a result readable without colour
        assert names[r["id"]] in r["text"]
        assert r["badge"] in ("Success", "Warning", "Failed", "None", "Running")
    # the strips: as many marks as the API has runs, up to 30, oldest first
    j = jobs[0]

    def strip_agrees():
        runs = demo.api("viewer").get("/api/v1/sessions", params={"jobIdFilter": j["id"], "limit": 30},
                                      schema="SessionsResult", status=200).body["data"]
        want = ["Running" if s["state"] != "Stopped" else s["result"]["result"] for s in reversed(runs)]
        got = [r for r in browser.execute_script(read) if r["id"] == j["id"]][0]["strip"]
        return got == want
    wait_for(strip_agrees, what="the strip of %s" % j["name"])
    # first paint of the jobs page: from the moment it was asked for (sign-in done, or the
    # menu) to its table painted with every job, a performance.measure the page records. The
    # machine is shared, so the best of up to five loads counts; each is printed.
    def painted():
        return wait_for(lambda: browser.execute_script(
            "var e = performance.getEntriesByName('jobs:first-paint'); return e.length ? e[0].duration : null"),
            what="the jobs:first-paint measure")
    times = [painted()]
    while min(times) >= 300 and len(times) < 5:
        browser.find_element(By.CSS_SELECTOR, 'a[data-page="sessions"]').click()
        wait_for(lambda: browser.find_elements(By.ID, "sessions-table"))
        browser.execute_script("performance.clearMeasures('jobs:first-paint')")
        browser.find_element(By.CSS_SELECTOR, 'a[data-page="jobs"]').click()
        times.append(painted())
    print("jobs page painted %s ms after it was asked for" % ", ".join("%.1f" % t for t in times))
    assert min(times) < 300
    wait_for(lambda: not browser.find_elements(By.CSS_SELECTOR, "#jobs-table .note"), what="all strips")
    shot(browser, "jobs")


def test_token_stays_in_memory(browser, quiet):
    sign_in(browser, quiet, "viewer")
    assert browser.get_cookies() == []
    stored = browser.execute_script("return [localStorage.length, sessionStorage.length]")
    assert stored == [0, 0]
    assert browser.execute_script("return SD.user().role") == "viewer"
    # a reload forgets it: back to the sign-in form
    browser.refresh()
    wait_for(lambda: browser.find_element(By.ID, "login-user").is_displayed(), what="sign-in form")
    fcp = wait_for(lambda: browser.execute_script(
        "var e = performance.getEntriesByName('first-contentful-paint')[0]; return e && e.startTime"))
    print("first contentful paint of the page (warm): %.1f ms" % fcp)


def test_refresh_and_logout(browser, quiet):
    sign_in(browser, quiet, "operator")
    first = browser.execute_script("return SD.user()")
    renewed = browser.execute_async_script(
        "var done = arguments[0]; SD.refresh().then(function (a) { done(a); }, function (e) { done(String(e)); })")
    assert isinstance(renewed, dict), renewed
    assert renewed["access"] != first["access"] and renewed["refresh"] != first["refresh"]
    # the spent refresh token is refused; the new access token works
    h = {"x-api-version": LATEST}
    r = requests.post(quiet.base_url + "/api/oauth2/token", headers=h, timeout=10,
                      data={"grant_type": "refresh_token", "refresh_token": first["refresh"]})
    assert r.status_code == 401
    h["Authorization"] = "Bearer " + renewed["access"]
    assert requests.get(quiet.base_url + "/api/v1/sessions", headers=h, timeout=10).status_code == 200
    browser.find_element(By.ID, "logout").click()
    wait_for(lambda: browser.find_element(By.ID, "login-user").is_displayed(), what="sign-in form")
    assert "signed out" in browser.find_element(By.ID, "login-error").text
    wait_for(lambda: requests.get(quiet.base_url + "/api/v1/sessions", headers=h, timeout=10).status_code == 401,
             what="the logged-out token refused")


def test_keyboard_and_labels(browser, quiet):
    sign_in(browser, quiet)
    body = browser.find_element(By.TAG_NAME, "body")
    # Tab from the top of the page reaches the navigation; Enter follows it
    browser.execute_script("document.activeElement.blur(); window.scrollTo(0, 0)")
    for _ in range(12):
        body = browser.switch_to.active_element
        body.send_keys(Keys.TAB)
        if browser.switch_to.active_element.text == "Sessions":
            break
    assert browser.switch_to.active_element.text == "Sessions"
    browser.switch_to.active_element.send_keys(Keys.ENTER)
    wait_for(lambda: browser.execute_script("return location.hash") == "#/sessions")
    wait_for(lambda: browser.find_element(By.ID, "session-filters"))
    unlabeled = browser.execute_script("""
        return Array.from(document.querySelectorAll('input, select, button, progress, meter'))
          .filter(function (e) { return e.offsetParent !== null; })
          .filter(function (e) {
            return !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !e.textContent.trim();
          }).map(function (e) { return e.outerHTML.slice(0, 80); });""")
    assert unlabeled == []
    link = browser.find_element(By.CSS_SELECTOR, 'a[data-page="sessions"]')
    assert link.get_attribute("aria-current") == "page"


def test_phone_width(browser, demo):
    browser.set_window_size(390, 844)
    sign_in(browser, demo)
    wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, "#jobs-table tbody tr[data-job]"))
    wide = browser.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
    assert wide <= 0, "the page scrolls sideways by %d px" % wide
    for name in ("jobs", "sessions", "charts", "repositories"):
        link = browser.find_element(By.CSS_SELECTOR, 'a[data-page="%s"]' % name)
        assert link.is_displayed() and link.rect["x"] + link.rect["width"] <= 390
    assert browser.find_element(By.ID, "logout").is_displayed()
    shot(browser, "jobs-phone")


def test_missed_runs_and_next_run_on_the_jobs_page(browser):
    """A declared job with a schedule that nothing runs: the jobs page shows its missed runs (as
    a warning) and when it is next expected, as the API has them."""
    import uuid
    from conftest import _finish, _start
    srv = _start(extra_args=["--schedule-check", "200"])
    try:
        jid = str(uuid.uuid4())
        srv.api("reporter").put("/api/v1/estate/job/%s" % jid, json={"name": "Silent Job", "type": "BackupJob",
                                                                      "schedule": "2s", "graceSeconds": 1},
                                schema=False, status=200)
        viewer = srv.api("viewer")

        def missed():
            return viewer.get("/api/v1/estate/missedRun", params={"parentId": jid}, schema=False,
                              status=200).body["pagination"]["total"]
        wait_for(lambda: missed() >= 1, timeout=15, what="a missed run recorded")
        state = [j for j in viewer.get("/api/v1/jobs/states", schema="JobStatesResult", status=200).body["data"]
                 if j["id"] == jid][0]
        assert state["nextRun"]
        sign_in(browser, srv)
        # The row re-renders as further missed runs arrive (every 2 s), so read it in one script call.
        seen = wait_for(lambda: browser.execute_script("""
            const row = document.querySelector('#jobs-table tr[data-job="' + arguments[0] + '"]');
            if (!row) return null;
            const badge = row.querySelector('.badge.r-Warning');
            const cells = row.querySelectorAll('td.hide-narrow');
            if (!badge || !cells.length) return null;
            return {count: badge.textContent, title: badge.title || '', next: cells[cells.length - 1].textContent};
        """, jid), what="the silent job's row with its missed-run badge")
        assert int(seen["count"]) >= 1 and "missed run" in seen["title"]
        assert "—" not in seen["next"]
    finally:
        _finish(srv, browser)
