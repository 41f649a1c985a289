"""scripts/pg-setup, the README's one command for running sessiond on PostgreSQL: in a cluster of
Debian's own kind (pg_virtualenv makes a throwaway one and drops it after), it creates the role
and the database, prints a URI that sessiond runs on, and changes nothing when run again."""
import os
import shutil
import subprocess

import pytest

from conftest import api

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# Runs inside pg_virtualenv (PGPORT names its cluster): the setup twice, then sessiond on the
# URI, a session written and read back through HTTP, and the row seen in the database.
INNER = r'''
set -eu
uri=$(scripts/pg-setup sdb_setup_check)
again=$(scripts/pg-setup sdb_setup_check)
[ "$uri" = "$again" ] || { echo "second run printed another URI: $again"; exit 1; }
echo "URI $uri"
SESSIOND_ADMIN_PASSWORD=setup-Pa55word "$BIN" --listen "127.0.0.1:$PORT" --db "$uri" --log-level warn &
pid=$!
trap 'kill $pid; wait $pid || true' EXIT
base=http://127.0.0.1:$PORT
v='x-api-version: 1.3-rev2'
i=0
until curl -sf -o /dev/null -H "$v" $base/api/v1/serverTime; do
	i=$((i + 1)); [ $i -lt 200 ] || { echo "sessiond did not answer"; exit 1; }; sleep 0.05
done
tok=$(curl -sf -H "$v" -d 'grant_type=password&username=admin&password=setup-Pa55word' $base/api/oauth2/token |
      sed 's/.*"access_token":"\([^"]*\)".*/\1/')
id=$(curl -sf -H "$v" -H "Authorization: Bearer $tok" -H 'Content-Type: application/json' \
     -d '{"name":"setup check","sessionType":"BackupJob"}' $base/api/v1/sessions |
     sed 's/.*"id":"\([^"]*\)".*/\1/')
curl -sf -H "$v" -H "Authorization: Bearer $tok" $base/api/v1/sessions/$id | grep -q '"name":"setup check"'
echo "ROWS $(psql -XAt "$uri" -c "SELECT count(*) FROM sessions WHERE name = 'setup check'")"
echo "OWNER $(psql -XAt "$uri" -c "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()")"
'''


def test_pg_setup_gives_a_database_sessiond_runs_on():
    if not shutil.which("pg_virtualenv") or not shutil.which("pg_lsclusters"):
        api.missing("PostgreSQL (postgresql-common's pg_virtualenv) is needed: scripts/deps installs it")
    if os.geteuid() != 0 and not shutil.which("sudo"):
        pytest.skip("scripts/pg-setup administers the cluster as the postgres user: needs root or sudo")
    env = dict(os.environ, BIN=os.environ.get("SESSIOND_BIN") or os.path.join(ROOT, "build", "sessiond"),
               PORT=str(api.free_port()))
    for k in ("PGHOST", "PGPORT", "PGUSER", "PGDATABASE", "PGPASSWORD"):
        env.pop(k, None)
    p = subprocess.run(["pg_virtualenv", "sh", "-c", INNER], cwd=ROOT, env=env, capture_output=True,
                       text=True, timeout=300)
    assert p.returncode == 0, "exit %d\nstdout:\n%s\nstderr:\n%s" % (p.returncode, p.stdout, p.stderr)
    out = dict(line.split(" ", 1) for line in p.stdout.splitlines() if line[:4] in ("URI ", "ROWS", "OWNE"))
    assert out["URI"].startswith("postgresql:///sdb_setup_check?host=/var/run/postgresql&port="), p.stdout
    assert out["URI"].endswith("&user=" + subprocess.run(["id", "-un"], capture_output=True, text=True).stdout.strip())
    assert out["ROWS"].strip() == "1", p.stdout
    assert out["OWNER"].strip() == out["URI"].rsplit("user=", 1)[1], p.stdout
    # what it said it did, on standard error, the first time only
    assert p.stderr.count("creating the database sdb_setup_check") == 1, p.stderr


def test_pg_setup_refuses_bad_names_and_options():
    for args, what in ((["bad;name"], "letters, digits"), (["--user", "x y"], "letters, digits"),
                       (["--frobnicate"], "unknown option")):
        p = subprocess.run([os.path.join(ROOT, "scripts", "pg-setup")] + args, capture_output=True, text=True,
                           timeout=30)
        assert p.returncode == 2 and what in p.stderr, (args, p.returncode, p.stderr)
    h = subprocess.run([os.path.join(ROOT, "scripts", "pg-setup"), "--help"], capture_output=True, text=True)
    assert h.returncode == 0 and "--user ROLE" in h.stdout and "docs/SCALING.md" in h.stdout
