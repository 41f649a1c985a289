"""VB for Azure, what differs between API versions: the JobSessionType values each version
accepts in Types and shows in `type` (one table, src/api/vbaz/types.c; docs/azure.md says
where each range comes from), the backupJobInfo every policy session carries and PolicyId
filters on, the v1 shapes (BackupJobInfo without policyType, the export page "offset 0,
limit -1") and v1 request bodies parsed as strictly as later ones.

The v8.1 lists are read from the reference file; v2's seventeen values come from the
archived v2 page (helpcenter.veeam.com/archive/vbazure/20/rest/job_session_v2_job_sessions.html),
v7's Cosmos DB values from a published v7 monitoring client that filters on them."""
import csv
import io
import json
import os
import uuid

import pytest
import requests

import schema
from conftest import missing, new_session
from vbaz_client import Az, VERSIONS, validate

V2_TYPES = ["AutoBackup", "BackupRetention", "RestoreDisks", "FileLevelRestore",
            "ObsoleteSnapshotRetention", "ManualSnapshot", "PolicyBackup", "PolicySnapshot",
            "RestoreVms", "BackupDeletion", "SnapshotDeletion", "RepositoryCreation",
            "RepositoryDeletion", "RepositoryEdit", "ManualSnapshotDeletion",
            "InvalidSnapshotRetention", "OrphanedSnapshotRetention"]
V7_COSMOS = {"CosmosDbPolicyBackup": ["PostgresDbPolicyBackup", "MongoDbPolicyBackup"],
             "CosmosDbPolicyArchive": ["PostgresDbPolicyArchive", "MongoDbPolicyArchive"],
             "CosmosDbManualBackup": ["PostgresDbManualBackup", "MongoDbManualBackup"]}
# BackupJobInfo as v1 documents it (archive/vbazure/10 starting_backup_policy_by_id)
V1_BACKUP_INFO = {"policyId", "policyName", "protectedInstancesCount", "policyRemoved"}


def v81_enum(name):
    path = os.path.join(schema.REFERENCE_DIR, "vbazure-rest-v8.1.openapi.json")
    if not os.path.isfile(path):
        missing("reference file %s is missing" % path)
    with open(path, encoding="utf-8-sig") as f:
        return json.load(f)["components"]["schemas"][name]["enum"]


class Data:
    pass


@pytest.fixture(scope="module")
def d(server_factory):
    srv = server_factory()
    rep = srv.api("reporter")
    d = Data()
    d.srv = srv
    d.by_type = {}
    for n, t in enumerate(sorted({t for ts in V7_COSMOS.values() for t in ts}
                                 | {"PolicyBackup", "AutoBackup", "SqlPolicyBackup", "RestoreVms"})):
        d.by_type[t] = new_session(rep, name="vt-%s" % t, sessionType=t, jobName="job-" + t,
                                   creationTime="2024-06-%02dT10:00:00Z" % (n + 1))
    # a policy session whose reporter sent a block with a policyId of its own
    d.reported = new_session(rep, name="vt-reported", sessionType="PolicySnapshot", jobName="reported-job",
                             backupJobInfo={"policyId": str(uuid.uuid4()), "protectedInstancesCount": 5,
                                            "policyType": "Vm"})
    d.az = Az.login(srv)
    return d


def page_ids(az, version, query):
    return {s["id"] for s in az.get("/api/%s/jobSessions?Limit=-1&%s" % (version, query)).json()["results"]}


# ---- 14: every version's own enum values ---------------------------------------------

def test_v81_accepts_exactly_its_filter_values(d):
    values = v81_enum("JobSessionFilterType")
    assert "CosmosDbPolicyBackup" not in values and "AutoBackup" not in values
    for v in values:
        d.az.get("/api/v8.1/jobSessions?Limit=0&Types=" + v, model="PageOfJobSession")
    for v in ("AutoBackup", "CosmosDbPolicyBackup", "CosmosDbPolicyArchive", "CosmosDbManualBackup",
              "VmSnapshotRetention", "Bogus"):
        assert v not in values
        body = d.az.get("/api/v8.1/jobSessions?Types=" + v, status=400).json()
        assert "Types" in body["errors"] and v in body["detail"]


def test_v81_shows_only_its_type_values(d):
    types = set(v81_enum("JobSessionType"))
    for s in d.az.get("/api/v8.1/jobSessions?Limit=-1", model="PageOfJobSession").json()["results"]:
        assert s["type"] in types, s


@pytest.mark.parametrize("value", sorted(V7_COSMOS))
def test_v7_cosmos_values(d, value):
    want = {d.by_type[t]["id"] for t in V7_COSMOS[value]}
    assert page_ids(d.az, "v7", "Types=" + value) == want
    for t in V7_COSMOS[value]:
        sid = d.by_type[t]["id"]
        assert d.az.get("/api/v7/jobSessions/" + sid).json()["type"] == value
        assert d.az.get("/api/v8.1/jobSessions/" + sid, model="JobSession").json()["type"] == t
    # v8 renamed them: the old values are gone there, the new ones unknown to v7
    d.az.get("/api/v8/jobSessions?Types=" + value, status=400)
    d.az.get("/api/v7/jobSessions?Types=" + V7_COSMOS[value][0], status=400)


def test_v7_all_three_at_once(d):
    q = "&".join("Types=" + v for v in V7_COSMOS)
    assert page_ids(d.az, "v7", q) == {d.by_type[t]["id"] for ts in V7_COSMOS.values() for t in ts}
    assert page_ids(d.az, "v7", "Types=" + ",".join(V7_COSMOS)) == page_ids(d.az, "v7", q)


@pytest.mark.parametrize("version", ["v1", "v2", "v3"])
def test_early_versions_accept_the_documented_values(d, version):
    for v in V2_TYPES:
        d.az.get("/api/%s/jobSessions?Limit=0&Types=%s" % (version, v))
    assert page_ids(d.az, version, "Types=AutoBackup") == {d.by_type["AutoBackup"]["id"]}


@pytest.mark.parametrize("version", VERSIONS)
def test_shown_type_and_filter_agree(d, version):
    """Every session is found by a Types filter on the type the same version shows for it."""
    for s in d.az.get("/api/%s/jobSessions?Limit=-1" % version).json()["results"]:
        assert s["id"] in page_ids(d.az, version, "Types=" + s["type"]), (version, s)


def test_autobackup_spelling_by_version(d):
    sid = d.by_type["AutoBackup"]["id"]
    for v in ("v1", "v2", "v3", "v7"):
        assert d.az.get("/api/%s/jobSessions/%s" % (v, sid)).json()["type"] == "AutoBackup", v
    for v in ("v8", "v8.1"):
        assert d.az.get("/api/%s/jobSessions/%s" % (v, sid)).json()["type"] == "PolicyBackup", v
        assert sid in page_ids(d.az, v, "Types=PolicyBackup")


# ---- 15: backupJobInfo of every policy session, PolicyId --------------------------------

def vbr_job_id(srv, sid):
    s = srv.api("viewer").get("/api/v1/sessions/" + sid, schema="SessionModel", status=200).body
    return s["jobId"]


@pytest.mark.parametrize("stype,ptype", [("PolicyBackup", "VirtualMachines"), ("SqlPolicyBackup", "AzureSql"),
                                         ("PostgresDbPolicyBackup", "CosmosDb")])
def test_policy_session_without_block_has_backup_info(d, stype, ptype):
    sid = d.by_type[stype]["id"]
    s = d.az.get("/api/v8.1/jobSessions/" + sid, model="JobSession").json()
    job = vbr_job_id(d.srv, sid)
    assert s["backupJobInfo"] == {"policyId": job, "policyName": "job-" + stype, "policyType": ptype,
                                  "policyRemoved": False}
    assert page_ids(d.az, "v8.1", "PolicyId=" + s["backupJobInfo"]["policyId"]) == {sid}


def test_non_policy_session_has_no_backup_info(d):
    s = d.az.get("/api/v8.1/jobSessions/" + d.by_type["RestoreVms"]["id"], model="JobSession").json()
    assert "backupJobInfo" not in s


def test_policy_id_shown_is_the_one_filtered_on(d):
    """A reported block keeps its fields; its policyId is the session's job id, so the
    PolicyId filter finds every policy session by the policyId it shows."""
    s = d.az.get("/api/v8.1/jobSessions/" + d.reported["id"], model="JobSession").json()
    bj = s["backupJobInfo"]
    assert bj["protectedInstancesCount"] == 5 and bj["policyName"] == "reported-job"
    assert bj["policyType"] == "VirtualMachines"  # "Vm" is no PolicyType: the derived one instead
    assert bj["policyId"] == vbr_job_id(d.srv, d.reported["id"])
    for version in ("v1", "v7", "v8.1"):
        assert page_ids(d.az, version, "PolicyId=" + bj["policyId"]) == {d.reported["id"]}
    for s in d.az.get("/api/v8.1/jobSessions?Limit=-1").json()["results"]:
        if "backupJobInfo" in s:
            assert s["id"] in page_ids(d.az, "v8.1", "PolicyId=" + s["backupJobInfo"]["policyId"])


def test_export_has_the_derived_block(d):
    r = d.az.post("/api/v8.1/jobSessions/export", json={"jobSessionIds": [d.by_type["PolicyBackup"]["id"]]})
    rows = list(csv.reader(io.StringIO(r.content.decode(), newline="")))
    row = dict(zip(rows[0], rows[1]))
    assert row["backupJobInfo.policyName"] == "job-PolicyBackup"
    assert row["backupJobInfo.policyType"] == "VirtualMachines"
    assert row["backupJobInfo.policyId"] == vbr_job_id(d.srv, d.by_type["PolicyBackup"]["id"])


# ---- 16: v1 shapes --------------------------------------------------------------------

def test_v1_backup_info_has_no_policy_type(d):
    for sid in (d.reported["id"], d.by_type["PolicyBackup"]["id"]):
        s = d.az.get("/api/v1/jobSessions/" + sid).json()
        assert s["backupJobInfo"] and set(s["backupJobInfo"]) <= V1_BACKUP_INFO, s
        assert "policyType" in d.az.get("/api/v2/jobSessions/" + sid).json()["backupJobInfo"]
    for s in d.az.get("/api/v1/jobSessions?Limit=-1").json()["results"]:
        assert "policyType" not in s.get("backupJobInfo", {})
    for s in d.az.post("/api/v1/jobSessions/export").json()["results"]:
        assert "policyType" not in s.get("backupJobInfo", {})


def test_v1_export_page_is_offset_0_limit_minus_1(d):
    body = d.az.post("/api/v1/jobSessions/export").json()
    assert body["offset"] == 0 and body["limit"] == -1
    assert body["totalCount"] == len(body["results"]) == len(d.by_type) + 1


# ---- (b) v1 request bodies ------------------------------------------------------------

@pytest.mark.parametrize("body,field", [
    ({"status": ["Success"]}, "status"), ({"jobSessionIds": "x"}, "jobSessionIds"),
    ({"anything": 1}, "anything"), ([1], "body"), ("text", "body"), (17, "body"),
])
def test_v1_export_body_is_strict(d, body, field):
    b = d.az.post("/api/v1/jobSessions/export", json=body, status=400).json()
    assert field in b["errors"], b
    assert field in b["detail"]


@pytest.mark.parametrize("raw", [b"{not json", b"{\"a\":", b"\xff"])
def test_v1_export_malformed_body(d, raw):
    b = d.az.post("/api/v1/jobSessions/export", data=raw, headers={"Content-Type": "application/json"},
                  status=400).json()
    assert "body" in b["errors"]


@pytest.mark.parametrize("raw", [b"", b"{}", b"null", b"  {}  "])
def test_v1_export_empty_bodies_pass(d, raw):
    r = d.az.post("/api/v1/jobSessions/export", data=raw, headers={"Content-Type": "application/json"})
    assert r.json()["limit"] == -1


def test_later_versions_still_name_unknown_options(d):
    b = d.az.post("/api/v8.1/jobSessions/export", json={"anything": 1}, status=400).json()
    assert "anything" in b["errors"]


def test_every_v81_type_value_round_trips(fresh_server):
    """A session of each v8.1 JobSessionType value shows that value in v8.1 and is found by
    a Types filter on it where JobSessionFilterType has it."""
    rep = fresh_server.api("reporter")
    az = Az.login(fresh_server)
    filters = set(v81_enum("JobSessionFilterType"))
    for v in v81_enum("JobSessionType"):
        sid = new_session(rep, name="rt-" + v, sessionType=v)["id"]
        assert az.get("/api/v8.1/jobSessions/" + sid, model="JobSession").json()["type"] == v
        if v in filters:
            assert sid in page_ids(az, "v8.1", "Types=" + v), v
