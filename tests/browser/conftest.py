"""Browser tests of the dashboard: Debian's chromium driven by python3-selenium (headless)
against a real sessiond started here. The server process and its users come from
tests/api/conftest.py (Server); screenshots go to build/screenshots/ and are kept.
"""
import importlib.util
import os
import re
import shutil
import sys
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
API_DIR = os.path.join(REPO, "tests", "api")
SHOTS = os.path.join(REPO, "build", "screenshots")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"

# The API suite's server fixture code, loaded under its own name (both folders have a conftest).
sys.path.insert(0, API_DIR)
_spec = importlib.util.spec_from_file_location("api_conftest", os.path.join(API_DIR, "conftest.py"))
api = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(api)

PASSWORDS = api.PASSWORDS
LATEST = api.LATEST


def _start(**kw):
    srv = api.Server(**kw)
    try:
        srv.start()
    except BaseException:
        srv.cleanup()
        raise
    return srv


def _finish(srv, browser=None):
    """Stops a server. A test's own server stops before its browser does: the page is taken
    away first, or its next request meets a stopping server (503, "shutting down"), which the
    browser logs as an error. The server's log is printed (pytest shows it when a test fails)."""
    if browser is not None:
        browser.get("about:blank")
    srv.stop()
    print(srv.stderr_tail())
    srv.cleanup()


@pytest.fixture(scope="session")
def demo():
    """sessiond --demo (30 days of history, sessions running) with every role's user."""
    srv = _start(extra_args=["--demo"])
    yield srv
    _finish(srv)


@pytest.fixture(scope="module")
def quiet():
    """A server without the demo: only what a test reports through the ingest API changes."""
    srv = _start()
    yield srv
    _finish(srv)


def _have_browser():
    return os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK)


@pytest.fixture
def browser():
    """A headless Chromium at 1280x800; its console is checked for errors after the test."""
    if not _have_browser():
        api.missing("chromium and chromium-driver are needed (scripts/deps installs them)")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        api.missing("python3-selenium is needed (scripts/deps installs it)")
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              "--window-size=1280,800", "--force-device-scale-factor=1", "--lang=en-US"):
        opts.add_argument(a)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    drv = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    drv.set_window_size(1280, 800)
    drv.set_script_timeout(30)
    try:
        yield drv
        # a 4xx answer is logged by the browser; the tests expect some (404, 429): not errors
        severe = [e for e in drv.get_log("browser") if e.get("level") == "SEVERE"
                  and not re.search(r"status of 4\d\d", e.get("message", ""))]
        assert not severe, "browser console errors: %r" % severe
    finally:
        drv.quit()


def shot(drv, name):
    os.makedirs(SHOTS, exist_ok=True)
    path = os.path.join(SHOTS, name + ".png")
    drv.save_screenshot(path)
    assert os.path.getsize(path) > 1000
    return path


def wait_for(fn, timeout=10.0, what="condition"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            v = fn()
            if v:
                return v
        except Exception as e:  # the page may be re-rendering the element
            last = e
        time.sleep(0.05)
    raise AssertionError("timed out waiting for %s (last error: %r)" % (what, last))


def sign_in(drv, srv, user="admin"):
    """Opens the dashboard and signs in through its form; waits for the jobs page."""
    from selenium.webdriver.common.by import By
    drv.get(srv.base_url + "/")
    wait_for(lambda: drv.find_element(By.ID, "login-user").is_displayed(), what="the sign-in form")
    drv.find_element(By.ID, "login-user").send_keys(user)
    drv.find_element(By.ID, "login-password").send_keys(PASSWORDS[user])
    drv.find_element(By.CSS_SELECTOR, "#login-form button[type=submit]").click()
    wait_for(lambda: drv.find_element(By.ID, "top").is_displayed(), what="signed in")
    wait_for(lambda: drv.execute_script("return document.body.dataset.live") == "1",
             what="the change feed connected")
