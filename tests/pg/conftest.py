"""Scale-out tests: several sessiond processes on one PostgreSQL database.

The cluster is SESSIOND_TEST_PG when set (scripts/check starts one), else one this
session starts itself with tests/pg/cluster and always stops. Servers come from the API
suite's Server (tests/api/conftest.py), each given the same database URI.
"""
import importlib.util
import os
import subprocess
import sys
import tempfile

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
API = os.path.join(HERE, "..", "api")
sys.path.insert(0, API)
_spec = importlib.util.spec_from_file_location("api_conftest", os.path.join(API, "conftest.py"))
api = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(api)
# em_client imports these from "conftest", which is this module here
PASSWORDS = api.PASSWORDS
missing = api.missing

CLUSTER = os.path.join(HERE, "cluster")


def start_cluster(kind="primary", primary=None):
    d = tempfile.mkdtemp(prefix="sessiond-pg-")
    args = [CLUSTER, "start", d] + ([kind, primary] if kind == "replica" else [])
    p = subprocess.run(args, capture_output=True, text=True, timeout=120)
    if p.returncode != 0:
        subprocess.run([CLUSTER, "stop", d], capture_output=True, timeout=60)
        pytest.fail("cannot start a PostgreSQL cluster: %s" % p.stderr, pytrace=False)
    return d, p.stdout.strip()


def stop_cluster(d):
    subprocess.run([CLUSTER, "stop", d], capture_output=True, timeout=60)


@pytest.fixture(scope="session")
def cluster():
    """(directory or None, URI) of the cluster the tests use."""
    given = os.environ.get("SESSIOND_TEST_PG")
    if given:
        yield None, given
        return
    d, uri = start_cluster()
    try:
        yield d, uri
    finally:
        stop_cluster(d)


@pytest.fixture
def database(cluster):
    """A fresh database on the cluster: its URI."""
    name = api.pg_fresh_database(cluster[1], "scale")
    yield api.pg_uri(cluster[1], name)
    api.pg_sql(cluster[1], "DROP DATABASE IF EXISTS %s WITH (FORCE)" % name)


@pytest.fixture
def instances(database, request):
    """start(n, **kw): n sessiond processes on one fresh database; all stopped afterwards."""
    started = []

    def start(n=2, **kw):
        out = []
        for i in range(n):
            srv = api.Server(db=database, users=api.USERS if not started else {}, **kw)
            try:
                srv.start()
            except BaseException:
                srv.cleanup()
                raise
            started.append(srv)
            out.append(srv)
        return out

    yield start
    failed = getattr(request.node, "_api_failed", False)
    for srv in started:
        api._finish(srv, failed)
