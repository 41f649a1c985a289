"""Charts drawn by the page (inline SVG) against the numbers the API gives, and the
repositories page."""
import collections
import datetime
import uuid

import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from conftest import LATEST, shot, sign_in, wait_for

DAYS = 14


def all_sessions_since(client, after):
    out, skip = [], 0
    while True:
        b = client.get("/api/v1/sessions", params={"createdAfterFilter": after, "skip": skip, "limit": 1000},
                       schema="SessionsResult", status=200).body
        out += b["data"]
        skip += len(b["data"])
        if not b["data"] or skip >= b["pagination"]["total"]:
            return out


def bars(browser, chart):
    """[(label, total, {result: count})] of a chart's bars, read at once."""
    return browser.execute_script("""
        return Array.from(document.querySelectorAll(arguments[0] + ' svg g.bar')).map(function (g) {
          var parts = {};
          g.querySelectorAll('rect').forEach(function (r) { parts[r.dataset.key] = +r.dataset.value; });
          return [g.dataset.label, +g.dataset.total, parts]; });""", chart)


def test_results_per_day(browser, demo):
    viewer = demo.api("viewer")
    sign_in(browser, demo)
    browser.execute_script("location.hash = '#/charts'")
    wait_for(lambda: bars(browser, "#chart-results"), what="the results chart")
    today = datetime.datetime.now(datetime.timezone.utc).date()
    start = today - datetime.timedelta(days=DAYS - 1)

    def expected():
        got = all_sessions_since(viewer, start.isoformat() + "T00:00:00Z")
        per = collections.defaultdict(collections.Counter)
        for s in got:
            per[s["creationTime"][:10]][s["result"]["result"]] += 1
        first = datetime.date.fromisoformat(min(per))
        days = [(first + datetime.timedelta(days=i)).isoformat() for i in range((today - first).days + 1)]
        return [(d, sum(per[d].values()), {k: v for k, v in per[d].items() if v}) for d in days]

    # the demo keeps running: compare with the API until both saw the same sessions
    def agrees():
        want = expected()
        drawn = [tuple(b) for b in bars(browser, "#chart-results")]
        if [w[0] for w in want] != [d[0] for d in drawn]:
            return None
        return all(w[1] == d[1] and w[2] == d[2] for w, d in zip(want[:-1], drawn[:-1])) and (want, drawn)
    want, drawn = wait_for(agrees, timeout=15, what="one bar per day, the API's counts in each")
    assert len(drawn) == len(want) >= DAYS - 1
    shot(browser, "charts")


def test_duration_per_run(browser, demo):
    viewer = demo.api("viewer")
    jobs = viewer.get("/api/v1/jobs/states", params={"limit": 1000}, schema="JobStatesResult", status=200).body["data"]
    sign_in(browser, demo)
    browser.execute_script("location.hash = '#/charts'")
    sel = wait_for(lambda: browser.find_element(By.ID, "duration-job"))
    wait_for(lambda: len(Select(browser.find_element(By.ID, "duration-job")).options) == len(jobs))
    for job in jobs[:3]:
        Select(browser.find_element(By.ID, "duration-job")).select_by_value(job["id"])

        def agrees():
            runs = viewer.get("/api/v1/sessions", params={"jobIdFilter": job["id"], "limit": 30},
                              schema="SessionsResult", status=200).body["data"]
            ended = [s for s in runs if "endTime" in s]
            drawn = bars(browser, "#chart-duration")
            label = browser.find_element(By.CSS_SELECTOR, "#chart-duration svg").get_attribute("aria-label")
            # oldest on the left; each bar coloured by its run's result
            return (job["name"] in label and
                    [list(d[2])[0] for d in drawn] == [s["result"]["result"] for s in reversed(ended)])
        wait_for(agrees, what="one bar per finished run of %s, coloured by result" % job["name"])
    assert sel is not None


def test_repositories_page(browser, demo):
    """The repositories endpoint may not exist on this server yet: a 404 must give the
    empty state; an answer must give one row per repository. Nothing else is accepted."""
    tok = demo.api("viewer").bearer
    r = requests.get(demo.base_url + "/api/v1/backupInfrastructure/repositories/states",
                     headers={"x-api-version": LATEST, "Authorization": "Bearer " + tok}, timeout=10)
    assert r.status_code in (200, 404)
    sign_in(browser, demo)
    browser.execute_script("location.hash = '#/repositories'")
    box = wait_for(lambda: browser.find_element(By.CSS_SELECTOR, "#repositories > *:not(.note)"),
                   what="the repositories page")
    if r.status_code == 404:
        assert "does not report repositories" in box.text
        browser.execute_script("location.hash = '#/charts'")
        fill = wait_for(lambda: browser.find_element(By.CSS_SELECTOR, "#chart-fill .empty"))
        assert "does not report repositories" in fill.text
    else:
        repos = r.json()["data"]
        if not repos:
            assert "No repository" in box.text
        else:
            rows = browser.find_elements(By.CSS_SELECTOR, "#repositories-table tbody tr")
            assert sorted(x.get_attribute("data-repository") for x in rows) == sorted(x["id"] for x in repos)
            for repo in repos:
                tr = browser.find_element(By.CSS_SELECTOR, '#repositories-table tr[data-repository="%s"]' % repo["id"])
                assert repo["name"] in tr.text and "%.1f GB" % repo["capacityGB"] in tr.text
            browser.execute_script("location.hash = '#/charts'")
            wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, "#chart-fill svg g.series"))
            browser.execute_script("location.hash = '#/repositories'")
            wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, "#repositories-table"))
    shot(browser, "repositories")


def test_fill_chart_draws_the_server_s_history(browser, quiet):
    """The fill chart is drawn from the history sessiond keeps (repositorySample), not from what
    the page read: repositories reported over several past hours, before the page was opened,
    give one line each with one point per sample the API returns, at its time and percent."""
    rep, viewer = quiet.api("reporter"), quiet.api("viewer")
    now = datetime.datetime.now(datetime.timezone.utc).replace(minute=20, second=0, microsecond=0)
    reported = {"fill-alpha": [(30, 1000, 900), (20, 1000, 700), (9, 1000, 650), (2, 1000, 400), (1, 1000, 380)],
                "fill-beta": [(50, 4000, 4000), (3, 4000, 1000), (2, 4000, 1000)]}
    for name, reports in reported.items():
        for hours_ago, cap, free in reports:
            t = (now - datetime.timedelta(hours=hours_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")
            rep.put("/api/v1/estate/repository/" + str(uuid.uuid5(uuid.NAMESPACE_URL, name)), schema=False, status=200,
                    json={"name": name, "capacityBytes": cap * 2 ** 30, "freeBytes": free * 2 ** 30, "measuredTime": t})
    rep.put("/api/v1/estate/repository/%s" % uuid.uuid4(), json={"name": "fill-gamma", "path": "/srv"},
            schema=False, status=200)     # no space reported: no line
    want = {}
    for name in reported:
        rid = str(uuid.uuid5(uuid.NAMESPACE_URL, name))
        data = viewer.get("/api/v1/estate/repositorySample", params={"parentId": rid, "limit": 1000},
                          schema=False, status=200).body["data"]
        want[name] = [(s["time"][:19], round(100 * (s["capacityBytes"] - s["freeBytes"]) / s["capacityBytes"], 2))
                      for s in data]
    assert [len(v) for v in want.values()] == [5, 3]   # one per hour reported in (50 h ago is within the 14 days)

    sign_in(browser, quiet)
    browser.execute_script("location.hash = '#/charts'")
    read = """return Array.from(document.querySelectorAll('#chart-fill svg g.series')).map(function (g) {
        return [g.dataset.label, Array.from(g.querySelectorAll('circle')).map(function (c) {
          return [c.dataset.t.slice(0, 19), +c.dataset.v]; })]; });"""
    drawn = wait_for(lambda: browser.execute_script(read), what="the fill chart")
    assert {name: [tuple(p) for p in pts] for name, pts in drawn} == want
    legend = browser.find_element(By.CSS_SELECTOR, "#chart-fill .legend").text
    assert "fill-alpha" in legend and "fill-beta" in legend and "fill-gamma" not in legend
    shot(browser, "charts-fill")
