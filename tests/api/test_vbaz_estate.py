"""VB for Azure: the backup estate (docs/ESTATE.md, Azure section). overview/protectedWorkloads,
overview/storageUsage, license, virtualMachines, protectedItem/*, policies/*, repositories and
restorePoints/* read the estate seeded through the ingest API and the sessions reported beside
it; every page is validated against the v8.1 document (older versions by their shape), filters
and paging are checked against the seeded data, bad input and missing auth answer Azure's
problem+json, and a walk follows the ids and links the answers give."""
import random
import uuid

import pytest

from conftest import new_session
from vbaz_client import VERSIONS, Az

V4_ON = VERSIONS[3:]
V1_V3 = VERSIONS[:3]

# The objects' ids name tests (PATHS below): drawn from a generator seeded with the module's
# name, they are the same in every process, as pytest-xdist's workers must collect the same tests.
_ids = random.Random(__name__)


def _id():
    return str(uuid.UUID(int=_ids.getrandbits(128), version=4))


REPO1, REPO2 = _id(), _id()
VM_A, VM_B, VM_C, VMWARE = (_id() for _ in range(4))
SQL, SHARE, COSMOS = (_id() for _ in range(3))
VM_JOB, SQL_JOB, SHARE_JOB, COSMOS_JOB, VBR_JOB = (_id() for _ in range(5))
RP_A1, RP_A2, RP_B1, RP_SQL, RP_SHARE, RP_COSMOS, RP_VMWARE = (_id() for _ in range(7))


class Data:
    pass


def put(rep, kind, oid, body):
    return rep.put("/api/v1/estate/%s/%s" % (kind, oid), json=body, schema=False, status=200).body


@pytest.fixture(scope="module")
def d(server_factory):
    srv = server_factory()
    rep = srv.api("reporter")
    d = Data()
    put(rep, "repository", REPO1, {"name": "Blob-East", "description": "hot container"})
    put(rep, "repository", REPO2, {"name": "Blob-West"})
    vm = {"platform": "Azure", "type": "Vm"}
    put(rep, "protectedObject", VM_A, dict(vm, name="az-vm-a", sizeBytes=3 * 2**30))
    put(rep, "protectedObject", VM_B, dict(vm, name="az-vm-b", platform="azure"))
    put(rep, "protectedObject", VM_C, dict(vm, name="az-vm-c"))
    put(rep, "protectedObject", VMWARE, {"name": "vmw-01", "platform": "VMware", "type": "Vm"})
    put(rep, "protectedObject", SQL, {"name": "sqldb-1", "platform": "Azure", "type": "Database",
                                      "host": "sqlsrv-1", "sizeBytes": 5 * 2**20})
    put(rep, "protectedObject", SHARE, {"name": "share-1", "platform": "Azure", "type": "Share"})
    put(rep, "protectedObject", COSMOS, {"name": "cosmos-1", "platform": "Azure", "type": "CosmosDb"})
    put(rep, "job", VM_JOB, {"name": "Az VM Policy", "type": "PolicyBackup", "repository": "Blob-East",
                             "objects": ["az-vm-a", "az-vm-b"], "schedule": "0 2 * * *",
                             "description": "nightly"})
    put(rep, "job", SQL_JOB, {"name": "Az SQL Policy", "type": "SqlPolicyBackup", "repository": "Blob-West",
                              "objects": ["sqldb-1"]})
    put(rep, "job", SHARE_JOB, {"name": "Az Share Policy", "type": "FileSharePolicySnapshot",
                                "disabled": True, "objects": ["share-1"]})
    put(rep, "job", COSMOS_JOB, {"name": "Az Cosmos Policy", "type": "PostgresDbPolicyBackup"})
    put(rep, "job", VBR_JOB, {"name": "VBR Backup", "type": "BackupJob"})
    # the VM policy ran twice (the newer failed), the SQL policy once; the others never
    d.vm_s1 = new_session(rep, name="Az VM Policy", sessionType="PolicyBackup", jobId=VM_JOB,
                          creationTime="2024-05-01T02:00:00Z")
    rep.post("/api/v1/sessions/%s/complete" % d.vm_s1["id"], json={"result": "Success"}, schema=False)
    d.vm_s2 = new_session(rep, name="Az VM Policy", sessionType="PolicyBackup", jobId=VM_JOB,
                          creationTime="2024-05-02T02:00:00Z")
    rep.post("/api/v1/sessions/%s/complete" % d.vm_s2["id"], json={"result": "Failed"}, schema=False)
    d.sql_s = new_session(rep, name="Az SQL Policy", sessionType="SqlPolicyBackup", jobId=SQL_JOB,
                          creationTime="2024-05-01T03:00:00Z")
    rep.post("/api/v1/sessions/%s/complete" % d.sql_s["id"], json={"result": "Success"}, schema=False)
    rp = lambda obj, t, **kw: dict({"name": obj + "@" + t, "object": obj, "time": t}, **kw)
    put(rep, "restorePoint", RP_A1, rp("az-vm-a", "2024-05-01T02:10:00Z", pointType="Full", sizeBytes=1000,
                                      repository="Blob-East", job="Az VM Policy", sessionId=d.vm_s1["id"]))
    put(rep, "restorePoint", RP_A2, rp("az-vm-a", "2024-05-02T02:10:00Z", pointType="Increment", sizeBytes=200,
                                      repository="Blob-East", sessionId=d.vm_s2["id"]))
    put(rep, "restorePoint", RP_B1, rp("AZ-VM-B", "2024-05-01T02:20:00Z"))
    put(rep, "restorePoint", RP_SQL, rp("sqldb-1", "2024-05-01T03:10:00Z", sizeBytes=4096, repository="Blob-West",
                                       sessionId=d.sql_s["id"]))
    put(rep, "restorePoint", RP_SHARE, rp("share-1", "2024-05-01T04:00:00Z", sizeBytes=77))
    put(rep, "restorePoint", RP_COSMOS, rp("cosmos-1", "2024-05-01T05:00:00Z", sizeBytes=10))
    put(rep, "restorePoint", RP_VMWARE, rp("vmw-01", "2024-05-01T06:00:00Z"))
    d.srv = srv
    d.az = Az.login(srv)
    d.viewer = Az.login(srv, "viewer")
    return d


def get(az, path, version="v8.1", model=None, **kw):
    return az.get("/api/%s/%s" % (version, path), model=model, **kw).json()


def bad(az, path, field, version="v8.1"):
    b = az.get("/api/%s/%s" % (version, path), status=400).json()
    assert field in b["errors"], b
    return b


def names(page, key="name"):
    return [x[key] for x in page["results"]]


# ---------- repositories ----------

@pytest.mark.parametrize("version", VERSIONS)
def test_repositories_in_every_version(d, version):
    p = get(d.viewer, "repositories", version, "PageOfRepository")
    assert names(p) == ["Blob-East", "Blob-West"] and p["totalCount"] == 2
    east = p["results"][0]
    assert east["id"] == REPO1 and east["description"] == "hot container"
    assert east["enableEncryption"] is False and east["storageTier"] == "Unknown"
    assert "description" not in p["results"][1]
    one = get(d.viewer, "repositories/" + REPO1, version, "Repository")
    assert one == east


def test_repository_filters_and_paging(d):
    assert names(get(d.az, "repositories?SearchPattern=west", model="PageOfRepository")) == ["Blob-West"]
    assert names(get(d.az, "repositories?SearchPattern=%25")) == []
    p = get(d.az, "repositories?Offset=1&Limit=1", model="PageOfRepository")
    assert names(p) == ["Blob-West"] and p["totalCount"] == 2 and (p["offset"], p["limit"]) == (1, 1)
    p = get(d.az, "repositories?Limit=0")
    assert p["results"] == [] and p["totalCount"] == 2
    assert names(get(d.az, "repositories?Tier=Unknown&Tier=Hot")) == ["Blob-East", "Blob-West"]
    assert get(d.az, "repositories?Tier=Hot")["totalCount"] == 0
    assert get(d.az, "repositories?Status=Ready")["totalCount"] == 0
    assert get(d.az, "repositories?IsEncrypted=true")["totalCount"] == 0
    assert get(d.az, "repositories?IsEncrypted=false")["totalCount"] == 2
    bad(d.az, "repositories?Tier=Lukewarm", "Tier")
    bad(d.az, "repositories?IsEncrypted=maybe", "IsEncrypted")
    bad(d.az, "repositories?Limit=-2", "Limit")
    bad(d.az, "repositories?TenantId=nope", "TenantId")
    d.az.get("/api/v8.1/repositories/" + str(uuid.uuid4()), status=404)
    d.az.get("/api/v8.1/repositories/not-an-id", status=404)


# ---------- virtual machines ----------

@pytest.mark.parametrize("version", VERSIONS)
def test_virtual_machines_are_the_azure_vms(d, version):
    p = get(d.viewer, "virtualMachines", version, "PageOfVirtualMachine")
    assert names(p) == ["az-vm-a", "az-vm-b", "az-vm-c"] and p["totalCount"] == 3
    a = p["results"][0]
    assert a["id"] == VM_A and a["totalSizeInGB"] == 3 and "totalSizeInGB" not in p["results"][1]
    rp = "restorePoints/virtualMachines" if version not in V1_V3 else "restorePoints"
    assert a["_links"]["restorePoints"]["href"].endswith("/api/%s/%s?VirtualMachineId=%s" % (version, rp, VM_A))
    assert get(d.viewer, "virtualMachines/" + VM_A, version, "VirtualMachine") == a


def test_virtual_machine_filters(d):
    q = lambda s: names(get(d.az, "virtualMachines?" + s, model="PageOfVirtualMachine"))
    assert q("ProtectionStatus=Protected") == ["az-vm-a", "az-vm-b"]
    assert q("ProtectionStatus=Unprotected") == ["az-vm-c"]
    assert q("ProtectionStatus=Unprotected,Protected") == ["az-vm-a", "az-vm-b", "az-vm-c"]
    assert q("ProtectionStatus=Unknown") == []
    assert q("SearchPattern=VM-B") == ["az-vm-b"]
    assert q("BackupDestination=AzureBlob") == ["az-vm-a"]
    assert q("BackupDestination=Snapshot") == []
    assert q("ExistsState=OnlyDeleted") == []
    assert q("ExistsState=All") == ["az-vm-a", "az-vm-b", "az-vm-c"]
    assert q("SubscriptionId=" + str(uuid.uuid4())) == []
    assert q("VmFromProtectedRegions=false") == ["az-vm-a", "az-vm-b", "az-vm-c"]
    p = get(d.az, "virtualMachines?Offset=2&Limit=5")
    assert names(p) == ["az-vm-c"] and p["totalCount"] == 3
    bad(d.az, "virtualMachines?ProtectionStatus=Maybe", "ProtectionStatus")
    bad(d.az, "virtualMachines?SubscriptionId=x", "SubscriptionId")
    bad(d.az, "virtualMachines?ExistsState=Sometimes", "ExistsState")
    bad(d.az, "virtualMachines?Offset=-1", "Offset")
    d.az.get("/api/v8.1/virtualMachines/" + VMWARE, status=404)   # not an Azure VM
    d.az.get("/api/v8.1/virtualMachines/" + SQL, status=404)      # not a VM
    d.az.get("/api/v8.1/virtualMachines/zzz", status=404)


# ---------- protected items ----------

PROTECTED = {"virtualMachines": ("PageOfProtectedVirtualMachine", "ProtectedVirtualMachine", ["az-vm-a", "az-vm-b"]),
             "sql": ("PageOfProtectedDatabase", "ProtectedDatabase", ["sqldb-1"]),
             "fileShares": ("PageOfProtectedFileShare", "ProtectedFileShare", ["share-1"]),
             "cosmosDb": ("PageOfProtectedCosmosDbAccount", "ProtectedCosmosDbAccount", ["cosmos-1"])}


@pytest.mark.parametrize("kind", sorted(PROTECTED))
@pytest.mark.parametrize("version", VERSIONS)
def test_protected_items(d, kind, version):
    page, one, want = PROTECTED[kind]
    if version in V1_V3 or (kind == "cosmosDb" and version in ("v4", "v5")):
        d.az.get("/api/%s/protectedItem/%s" % (version, kind), status=404)
        return
    p = get(d.viewer, "protectedItem/" + kind, version, page)
    assert names(p) == want and p["totalCount"] == len(want)
    first = p["results"][0]
    assert get(d.viewer, "protectedItem/%s/%s" % (kind, first["id"]), version, one) == first


def test_protected_item_values_and_filters(d):
    vms = get(d.az, "protectedItem/virtualMachines")["results"]
    assert vms[0]["lastBackup"].startswith("2024-05-02T02:10:00") and vms[0]["totalSizeInGB"] == 3
    db = get(d.az, "protectedItem/sql")["results"][0]
    assert db["sqlServer"] == {"name": "sqlsrv-1"} and db["sizeInMb"] == 5
    assert get(d.az, "protectedItem/cosmosDb")["results"][0]["backupSizeBytes"] == 10
    assert names(get(d.az, "protectedItem/sql?DatabaseIds=%s,%s" % (uuid.uuid4(), SQL))) == ["sqldb-1"]
    assert names(get(d.az, "protectedItem/sql?DatabaseIds=" + str(uuid.uuid4()))) == []
    assert names(get(d.az, "protectedItem/sql?ServerId=SQLSRV-1")) == ["sqldb-1"]
    assert names(get(d.az, "protectedItem/sql?ServerId=other")) == []
    assert names(get(d.az, "protectedItem/virtualMachines?SearchPattern=-b&Sync=true")) == ["az-vm-b"]
    assert names(get(d.az, "protectedItem/virtualMachines?FlrSession=true")) == []
    assert names(get(d.az, "protectedItem/cosmosDb?Accounts=" + COSMOS)) == ["cosmos-1"]
    p = get(d.az, "protectedItem/virtualMachines?Limit=1&Offset=1")
    assert names(p) == ["az-vm-b"] and p["totalCount"] == 2
    bad(d.az, "protectedItem/virtualMachines?Sync=yes", "Sync")
    bad(d.az, "protectedItem/virtualMachines?DataRetrievalStatuses=Gone", "DataRetrievalStatuses")
    d.az.get("/api/v8.1/protectedItem/virtualMachines/" + VM_C, status=404)   # unprotected
    d.az.get("/api/v8.1/protectedItem/sql/" + VM_A, status=404)


# ---------- policies ----------

POLICIES = {"virtualMachines": ("PageOfPolicy", "Policy", "Az VM Policy", VM_JOB),
            "sql": ("PageOfSqlPolicy", "SqlPolicy", "Az SQL Policy", SQL_JOB),
            "fileShares": ("PageOfFileSharePolicy", "FileSharePolicy", "Az Share Policy", SHARE_JOB),
            "cosmosDb": ("PageOfCosmosDbPolicy", "CosmosDbPolicy", "Az Cosmos Policy", COSMOS_JOB)}


@pytest.mark.parametrize("kind", sorted(POLICIES))
@pytest.mark.parametrize("version", VERSIONS)
def test_policies_in_every_version(d, kind, version):
    page, one, name, pid = POLICIES[kind]
    path = "policies/" + kind
    if version in V1_V3:
        d.az.get("/api/%s/%s" % (version, path), status=404)
        if kind != "virtualMachines":
            return
        path = "policies"
    elif kind == "cosmosDb" and version in ("v4", "v5"):
        d.az.get("/api/%s/%s" % (version, path), status=404)
        return
    p = get(d.viewer, path, version, page)
    assert names(p) == [name] and p["totalCount"] == 1
    pol = p["results"][0]
    assert pol["id"] == pid
    assert pol["_links"]["self"]["href"].endswith("/api/%s/%s/%s" % (version, path, pid))
    assert get(d.viewer, "%s/%s" % (path, pid), version, one) == pol


def test_policy_values(d):
    vm = get(d.az, "policies/virtualMachines/" + VM_JOB, model="Policy")
    assert vm["backupStatus"] == "Error" and vm["isEnabled"] is True and vm["description"] == "nightly"
    assert vm["isBackupConfigured"] is True and vm["isScheduleConfigured"] is True
    assert vm["serviceAccountId"] == "00000000-0000-0000-0000-000000000000"
    sql = get(d.az, "policies/sql/" + SQL_JOB, model="SqlPolicy")
    assert sql["backupStatus"] == "Success"
    share = get(d.az, "policies/fileShares/" + SHARE_JOB, model="FileSharePolicy")
    assert share["snapshotStatus"] == "NeverExecuted" and share["isEnabled"] is False
    assert share["isScheduleConfigured"] is False
    # a VBR backup job is no Azure policy, and a policy of one kind is not found as another
    d.az.get("/api/v8.1/policies/virtualMachines/" + VBR_JOB, status=404)
    d.az.get("/api/v8.1/policies/virtualMachines/" + SQL_JOB, status=404)
    d.az.get("/api/v8.1/policies/sql/" + str(uuid.uuid4()), status=404)
    d.az.get("/api/v8.1/policies/sql/nope", status=404)
    d.az.get("/api/v8.1/policies/" + VM_JOB, status=404)     # v1-v3's path


def test_policy_filters(d):
    q = lambda kind, s: names(get(d.az, "policies/%s?%s" % (kind, s), model=POLICIES[kind][0]))
    assert q("virtualMachines", "PolicyName=az vm policy") == ["Az VM Policy"]
    assert q("virtualMachines", "PolicyName=Az VM") == []
    assert q("virtualMachines", "LastJobStatus=Error") == ["Az VM Policy"]
    assert q("virtualMachines", "LastJobStatus=Success,Warning") == []
    assert q("fileShares", "LastJobStatus=NeverExecuted") == ["Az Share Policy"]
    assert q("fileShares", "PolicyStatus=Disabled") == ["Az Share Policy"]
    assert q("fileShares", "PolicyStatus=Enabled") == []
    assert q("virtualMachines", "RepositoryId=" + REPO1) == ["Az VM Policy"]
    assert q("virtualMachines", "RepositoryId=" + REPO2) == []
    assert q("sql", "RepositoryId=" + REPO2) == ["Az SQL Policy"]
    assert q("virtualMachines", "VirtualMachineId=" + VM_B) == ["Az VM Policy"]
    assert q("virtualMachines", "VirtualMachineId=" + VM_C) == []
    assert q("sql", "DatabaseId=" + SQL) == ["Az SQL Policy"]
    assert q("fileShares", "FileShareId=" + SHARE) == ["Az Share Policy"]
    p = get(d.az, "policies/virtualMachines?Offset=1")
    assert p["results"] == [] and p["totalCount"] == 1 and p["offset"] == 1
    bad(d.az, "policies/virtualMachines?LastJobStatus=Fine", "LastJobStatus")
    bad(d.az, "policies/sql?PolicyStatus=On", "PolicyStatus")
    bad(d.az, "policies/cosmosDb?Limit=x", "Limit")


# ---------- restore points ----------

POINTS = {"virtualMachines": ("PageOfVirtualMachineRestorePoint", "VirtualMachineRestorePoint",
                              [RP_A2, RP_B1, RP_A1]),
          "sql": ("PageOfSqlRestorePoint", "SqlRestorePoint", [RP_SQL]),
          "fileShares": ("PageOfFileShareRestorePoint", "FileShareRestorePoint", [RP_SHARE])}
V3_POINT_KEYS = {"id", "pointInTime", "backupSizeBytes", "backupDestination", "gfsFlags", "jobSessionId",
                 "usn", "_embeddedResources", "_links"}


@pytest.mark.parametrize("kind", sorted(POINTS))
@pytest.mark.parametrize("version", V4_ON)
def test_restore_points(d, kind, version):
    page, one, want = POINTS[kind]
    p = get(d.viewer, "restorePoints/" + kind, version, page)
    assert names(p, "id") == want and p["totalCount"] == len(want)
    for rp in p["results"]:
        assert get(d.viewer, "restorePoints/%s/%s" % (kind, rp["id"]), version, one) == rp
    d.az.get("/api/%s/restorePoints" % version, status=404)           # v1-v3's path
    d.az.get("/api/%s/restorePoints/%s" % (version, want[0]), status=404)


@pytest.mark.parametrize("version", V1_V3)
def test_restore_points_v1_to_v3(d, version):
    p = get(d.viewer, "restorePoints", version)
    assert names(p, "id") == [RP_A2, RP_B1, RP_A1] and p["totalCount"] == 3
    for rp in p["results"]:
        assert set(rp) <= V3_POINT_KEYS and {"id", "pointInTime", "usn", "_links"} <= set(rp), rp
        assert isinstance(rp["usn"], int)
    a2 = p["results"][0]
    assert a2["jobSessionId"] == d.vm_s2["id"] and a2["backupDestination"] == "AzureBlob"
    assert a2["_links"]["BackupJob"]["href"].endswith("/api/%s/jobSessions/%s" % (version, d.vm_s2["id"]))
    assert get(d.viewer, "restorePoints/" + RP_A2, version) == a2
    d.az.get("/api/%s/restorePoints/virtualMachines" % version, status=404)


def test_restore_point_values_and_filters(d):
    pts = get(d.az, "restorePoints/virtualMachines")["results"]
    a2, b1, a1 = pts
    assert a1["type"] == "Full" and a2["type"] == "Incremental" and "type" not in b1
    assert a1["backupSizeBytes"] == 1000 and a1["vmName"] == "az-vm-a" and b1["vmName"] == "az-vm-b"
    assert a1["backupDestination"] == "AzureBlob" and b1["backupDestination"] == "Unknown"
    assert a1["jobSessionId"] == d.vm_s1["id"] and "jobSessionId" not in b1
    assert a1["pointInTime"].startswith("2024-05-01T02:10:00")
    sql = get(d.az, "restorePoints/sql")["results"][0]
    assert sql["databaseId"] == SQL and sql["sqlServerName"] == "sqlsrv-1" and sql["backupSizeBytes"] == 4096
    share = get(d.az, "restorePoints/fileShares")["results"][0]
    assert share["fileShareName"] == "share-1" and share["sizeInBytes"] == 77
    q = lambda s: names(get(d.az, "restorePoints/virtualMachines?" + s,
                            model="PageOfVirtualMachineRestorePoint"), "id")
    assert q("VirtualMachineId=" + VM_A) == [RP_A2, RP_A1]
    assert q("VirtualMachineId=" + VM_A.upper()) == [RP_A2, RP_A1]
    assert q("VirtualMachineId=" + VM_C) == []
    assert q("OnlyLatest=true") == [RP_A2, RP_B1]
    assert q("OnlyLatest=false") == [RP_A2, RP_B1, RP_A1]
    assert q("PointInTime=2024-05-01T02:10:00Z") == [RP_A1]
    assert q("DiskId=disk-1") == []
    assert q("DataRetrievalStatuses=Retrieved") == []
    assert q("StorageAccessTier=Hot") == []
    assert q("ImmutabilityEnabled=true") == []
    assert q("ImmutabilityEnabled=false") == [RP_A2, RP_B1, RP_A1]
    p = get(d.az, "restorePoints/virtualMachines?Offset=1&Limit=1")
    assert names(p, "id") == [RP_B1] and p["totalCount"] == 3
    assert names(get(d.az, "restorePoints/sql?DatabaseId=" + SQL), "id") == [RP_SQL]
    assert names(get(d.az, "restorePoints/fileShares?FileShareId=" + VM_A), "id") == []
    bad(d.az, "restorePoints/virtualMachines?PointInTime=yesterday", "PointInTime")
    bad(d.az, "restorePoints/virtualMachines?OnlyLatest=1", "OnlyLatest")
    bad(d.az, "restorePoints/sql?StorageAccessTier=Warm", "StorageAccessTier")
    d.az.get("/api/v8.1/restorePoints/virtualMachines/" + RP_SQL, status=404)   # a SQL point
    d.az.get("/api/v8.1/restorePoints/virtualMachines/" + RP_VMWARE, status=404)
    d.az.get("/api/v8.1/restorePoints/sql/x", status=404)


# ---------- overview and license ----------

@pytest.mark.parametrize("version", VERSIONS)
def test_overview_and_license(d, version):
    w = get(d.viewer, "overview/protectedWorkloads?PeriodFlag=Unknown", version, "ProtectedWorkloadsReport")
    assert (w["virtualMachinesTotalCount"], w["virtualMachinesProtectedCount"]) == (3, 2)
    if version in V1_V3:
        assert set(w) == {"virtualMachinesTotalCount", "virtualMachinesProtectedCount"}
    else:
        assert (w["sqlDatabasesTotalCount"], w["sqlDatabasesProtectedCount"]) == (1, 1)
        assert (w["fileSharesTotalCount"], w["fileSharesProtectedCount"]) == (1, 1)
    # the seeded points are of 2024: none in the last day
    w = get(d.viewer, "overview/protectedWorkloads?PeriodFlag=day", version, "ProtectedWorkloadsReport")
    assert w["virtualMachinesProtectedCount"] == 0 and w["virtualMachinesTotalCount"] == 3
    u = get(d.viewer, "overview/storageUsage", version, "StorageUsageReport")
    assert u == {"backupCount": 3}
    lic = get(d.viewer, "license", version, "LicenseInfo")
    assert lic["licenseType"] == "Free" and lic["isFreeEdition"] is True
    assert lic["licenseExpires"] is None and "instances" not in lic
    assert lic["vmsInstancesUses"] == 2
    if version in V1_V3:
        assert lic["totalInstancesUses"] == 2 and "sqlInstancesUses" not in lic
    elif version in ("v4", "v5"):
        assert lic["totalInstancesUses"] == 4 and "cosmosDbInstancesUses" not in lic
    else:
        assert lic["totalInstancesUses"] == 5 and lic["cosmosDbInstancesUses"] == 1


def test_overview_period_is_required(d):
    bad(d.az, "overview/protectedWorkloads", "PeriodFlag")
    bad(d.az, "overview/protectedWorkloads?PeriodFlag=Decade", "PeriodFlag")


# ---------- auth ----------

PATHS = ["overview/protectedWorkloads?PeriodFlag=Day", "overview/storageUsage", "license", "virtualMachines",
         "virtualMachines/" + VM_A, "protectedItem/sql", "protectedItem/virtualMachines/" + VM_A,
         "policies/virtualMachines", "policies/cosmosDb/" + COSMOS_JOB, "repositories", "repositories/" + REPO1,
         "restorePoints/virtualMachines", "restorePoints/sql/" + RP_SQL]


@pytest.mark.parametrize("path", PATHS)
def test_without_a_token_401_in_azures_shape(d, path):
    b = d.az.get("/api/v8.1/" + path, token=None, status=401).json()
    assert b["status"] == 401 and b["detail"]
    d.az.get("/api/v8.1/" + path, token="not.a-token", status=401)
    d.az.get("/api/v8.1/" + path, token=d.viewer.token, status=200)


def test_bad_input_changes_nothing(d):
    before = get(d.az, "virtualMachines")
    for path, field in [("virtualMachines?ProtectionStatus=x", "ProtectionStatus"),
                        ("restorePoints/virtualMachines?Limit=abc", "Limit"),
                        ("policies/virtualMachines?PolicyStatus=x", "PolicyStatus")]:
        bad(d.az, path, field)
    assert get(d.az, "virtualMachines") == before


# ---------- a walk through the ids the answers give ----------

def test_walk_repository_policy_sessions_points_items(d):
    az = d.viewer
    repo = next(r for r in get(az, "repositories")["results"] if r["name"] == "Blob-East")
    # repository -> the policies that write to it
    pols = az.get(repo["_links"]["policies"]["href"].split(d.srv.base_url, 1)[1], model="PageOfPolicy").json()
    assert names(pols) == ["Az VM Policy"]
    pol = pols["results"][0]
    # policy -> its job sessions
    href = pol["_links"]["jobSessions"]["href"].split(d.srv.base_url, 1)[1]
    sessions = az.get(href, model="PageOfJobSession").json()
    sids = [s["id"] for s in sessions["results"]]
    assert sids == [d.vm_s2["id"], d.vm_s1["id"]]
    for s in sessions["results"]:
        assert s["backupJobInfo"]["policyId"] == pol["id"]
    # job session -> the restore points it made -> the protected item they belong to
    pts = get(az, "restorePoints/virtualMachines")["results"]
    made = [p for p in pts if p.get("jobSessionId") == sids[-1]]
    assert [p["id"] for p in made] == [RP_A1] and made[0]["vmName"] == "az-vm-a"
    assert made[0]["_links"]["jobSession"]["href"].endswith("/jobSessions/" + sids[-1])
    items = get(az, "protectedItem/virtualMachines", model="PageOfProtectedVirtualMachine")["results"]
    item = next(i for i in items if i["name"] == made[0]["vmName"])
    back = az.get(item["_links"]["restorePoints"]["href"].split(d.srv.base_url, 1)[1],
                  model="PageOfVirtualMachineRestorePoint").json()
    assert RP_A1 in [p["id"] for p in back["results"]]
    vm = get(az, "virtualMachines/" + item["id"], model="VirtualMachine")
    assert vm["name"] == "az-vm-a"


def test_answers_follow_estate_writes_not_session_writes(d):
    """The parsed estate is shared between requests: an estate write shows at once, a
    session write keeps it (and changes nothing shown)."""
    rep = d.srv.api("reporter")
    before = get(d.az, "restorePoints/virtualMachines")
    new_session(rep, name="unrelated", sessionType="PolicySnapshot")
    assert get(d.az, "restorePoints/virtualMachines") == before
    vm, rp = str(uuid.uuid4()), str(uuid.uuid4())
    put(rep, "protectedObject", vm, {"name": "az-vm-new", "platform": "Azure", "type": "Vm"})
    put(rep, "restorePoint", rp, {"name": "n", "object": "az-vm-new", "time": "2030-01-01T00:00:00Z"})
    assert names(get(d.az, "restorePoints/virtualMachines"), "id")[0] == rp
    assert "az-vm-new" in names(get(d.az, "virtualMachines?ProtectionStatus=Protected"))
    rep.delete("/api/v1/estate/restorePoint/" + rp, schema=None, status=204)
    assert "az-vm-new" in names(get(d.az, "virtualMachines?ProtectionStatus=Unprotected"))
    rep.delete("/api/v1/estate/protectedObject/" + vm, schema=None, status=204)
    assert get(d.az, "restorePoints/virtualMachines") == before
    assert "az-vm-new" not in names(get(d.az, "virtualMachines"))


def test_policy_next_run_from_the_reported_schedule(d):
    vm = get(d.az, "policies/virtualMachines/" + VM_JOB, model="Policy")
    assert "T02:00:00" in vm["nextExecutionTime"], vm   # "0 2 * * *", UTC
    sql = get(d.az, "policies/sql/" + SQL_JOB, model="SqlPolicy")
    assert "nextExecutionTime" not in sql


def test_a_long_page_is_streamed_whole(server_factory):
    """A page of more than 1000 rows is streamed in pieces (chunked); every row arrives, in
    order, and the page is what the schema says."""
    srv = server_factory()
    rep = srv.api("reporter")
    vm = str(uuid.uuid4())
    put(rep, "protectedObject", vm, {"name": "az-big", "platform": "Azure", "type": "Vm"})
    ids = []
    for i in range(1200):
        rid = str(uuid.uuid4())
        put(rep, "restorePoint", rid, {"name": "p%d" % i, "object": "az-big",
                                       "time": "2024-01-01T%02d:%02d:00Z" % (i // 60, i % 60)})
        ids.append(rid)
    ids.reverse()   # newest first
    az = Az.login(srv)
    r = az.get("/api/v8.1/restorePoints/virtualMachines?Limit=-1", model="PageOfVirtualMachineRestorePoint")
    assert r.headers.get("Transfer-Encoding") == "chunked" and "Content-Length" not in r.headers
    p = r.json()
    assert names(p, "id") == ids and p["totalCount"] == 1200 and p["limit"] == -1
    p = get(az, "restorePoints/virtualMachines?Offset=1150&Limit=-1")
    assert names(p, "id") == ids[1150:]
    p = get(az, "restorePoints/virtualMachines?Offset=5&Limit=1100", model="PageOfVirtualMachineRestorePoint")
    assert names(p, "id") == ids[5:1105]
    p = get(az, "restorePoints/virtualMachines?VirtualMachineId=%s&Offset=1199" % vm)
    assert names(p, "id") == ids[1199:] and p["totalCount"] == 1200
