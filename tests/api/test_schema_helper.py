"""Self-tests of tests/api/schema.py: the validator must accept what the spec allows and reject
what it does not, or every other API test proves nothing. Needs no server."""
import copy

import pytest

import schema

SID = "3f2a7c1e-5b6d-4e8f-9a0b-1c2d3e4f5a6b"
JID = "0e8c9d7a-1111-4222-8333-444455556666"

SESSION_12 = {
    "id": SID, "name": "nightly", "jobId": JID, "sessionType": "BackupJob",
    "creationTime": "2024-05-01T02:00:00.123Z", "endTime": "2024-05-01T02:10:00+02:00",
    "state": "Stopped", "progressPercent": 100,
    "result": {"result": "Warning", "message": "1 file skipped", "isCanceled": False},
    "usn": 42,
}
SESSION_10 = dict({k: v for k, v in SESSION_12.items() if k != "jobId"}, activityId=JID,
                  sessionType="Job")


def ok(version, name, body):
    assert schema.errors(version, name, body) == []


def bad(version, name, body):
    assert schema.errors(version, name, body), "expected %s %s to reject %r" % (version, name, body)


@pytest.mark.parametrize("version", ["1.2-rev1", "1.3-rev2"])
def test_session_model_valid(version):
    ok(version, "SessionModel", SESSION_12)
    ok(version, "SessionsResult", {"data": [SESSION_12], "pagination": {
        "total": 1, "count": 1, "skip": 0, "limit": 200}})


@pytest.mark.parametrize("version", schema.VBR_VERSIONS)
def test_session_model_missing_usn_fails(version):
    s = copy.deepcopy(SESSION_10 if version < "1.2" else SESSION_12)
    ok(version, "SessionModel", s)
    del s["usn"]
    bad(version, "SessionModel", s)


@pytest.mark.parametrize("version", ["1.0-rev2", "1.1-rev0"])
def test_old_version_needs_activity_id_not_job_id(version):
    ok(version, "SessionModel", SESSION_10)
    s = dict({k: v for k, v in SESSION_10.items() if k != "activityId"}, jobId=JID)
    bad(version, "SessionModel", s)


def test_new_version_needs_job_id():
    bad("1.2-rev1", "SessionModel", SESSION_10)


def test_session_type_spelling_per_version():
    bad("1.0-rev2", "SessionModel", dict(SESSION_10, sessionType="BackupJob"))
    bad("1.3-rev2", "SessionModel", dict(SESSION_12, sessionType="Job"))


@pytest.mark.parametrize("field,value", [
    ("id", "not-a-uuid"), ("id", "3f2a7c1e5b6d4e8f9a0b1c2d3e4f5a6b"),
    ("creationTime", "2024-05-01 02:00:00"), ("creationTime", "2024-13-01T02:00:00Z"),
    ("creationTime", "2024-02-30T02:00:00Z"), ("creationTime", "2024-05-01T02:00:00"),
    ("endTime", "yesterday"), ("usn", "42"), ("usn", 2**63), ("progressPercent", "x"),
    ("state", "Running"), ("parentSessionId", None),
])
def test_formats_and_types_checked(field, value):
    bad("1.3-rev2", "SessionModel", dict(SESSION_12, **{field: value}))


@pytest.mark.parametrize("value", ["2024-05-01T02:00:00Z", "2024-05-01T02:00:00.1234567+01:00",
                                   "2024-02-29T23:59:59-05:30", "2024-05-01t02:00:00z"])
def test_date_time_accepts_rfc3339(value):
    ok("1.3-rev2", "SessionModel", dict(SESSION_12, creationTime=value))


def test_result_model_requires_result():
    bad("1.3-rev2", "SessionModel", dict(SESSION_12, result={"message": "x"}))


def test_nullable_becomes_union_with_null():
    # SessionProgress.processingRate is `nullable: true` in 1.3-rev2; duration is not
    prog = {"duration": "00:10:00", "processingRate": None, "bottleneck": "None",
            "processedSize": None, "readSize": None, "transferredSize": None,
            "progressPercent": None}
    ok("1.3-rev2", "SessionModel", dict(SESSION_12, progress=prog))
    bad("1.3-rev2", "SessionModel", dict(SESSION_12, progress=dict(prog, duration=None)))


def test_error_model():
    ok("1.3-rev2", "Error", {"errorCode": "NotFound", "message": "no such session"})
    bad("1.3-rev2", "Error", {"errorCode": "Gone", "message": "x"})
    bad("1.0-rev2", "Error", {"message": "x"})


def test_token_model_dotted_fields():
    tok = {"access_token": "a", "token_type": "bearer", "refresh_token": "r", "expires_in": 900,
           ".issued": "2024-05-01T02:00:00Z", ".expires": "2024-05-01T02:15:00Z"}
    for v in schema.VBR_VERSIONS:
        ok(v, "TokenModel", tok)
        bad(v, "TokenModel", {k: x for k, x in tok.items() if k != ".expires"})


TASK_BASE = {"id": SID, "sessionId": JID, "sessionType": "BackupJob",
             "creationTime": "2024-05-01T02:00:00Z"}


@pytest.mark.parametrize("version", ["1.2-rev1", "1.3-rev2"])
def test_task_session_discriminator(version):
    backup = dict(TASK_BASE, type="Backup", name="vm1", state="Working", usn=7)
    ok(version, "TaskSessionModel", backup)
    ok(version, "TaskSessionsResult", {"data": [backup], "pagination": {"total": 1, "count": 1}})
    # the mapped model's own required fields apply
    bad(version, "TaskSessionModel", {k: v for k, v in backup.items() if k != "usn"})
    # the base model's required fields apply too
    bad(version, "TaskSessionModel", {k: v for k, v in backup.items() if k != "sessionId"})
    # unknown discriminator value
    bad(version, "TaskSessionModel", dict(backup, type="Bogus"))
    # Antivirus needs scan fields that a Backup task does not carry
    bad(version, "TaskSessionModel", dict(backup, type="Antivirus"))
    ok(version, "TaskSessionModel", dict(TASK_BASE, type="Restore", name="r", state="Stopped",
                                          usn=8, result={"result": "Success"}))


def test_fallback_to_full_document():
    # not in the 1.3-rev2 sessions subset, but in the full document
    assert "JobStateModel" in schema.definitions_for("1.3-rev2", "JobStateModel")


def test_unknown_schema_is_an_error():
    with pytest.raises(KeyError):
        schema.validate("1.3-rev2", "NoSuchModel", {})
    with pytest.raises(KeyError):
        schema.validate("9.9-rev9", "SessionModel", {})


def test_validate_raises():
    with pytest.raises(schema.SchemaError):
        schema.validate("1.3-rev2", "SessionModel", {})
    schema.validate("1.3-rev2", "SessionModel", SESSION_12)


def test_azure_login_model():
    schema.validate_doc("vbaz-8.1", "Login", {
        "access_token": "a", "token_type": "bearer", "refresh_token": "r", "expires_in": 900,
        "userId": SID, "username": "admin", "roleName": "admin"})
    with pytest.raises(schema.SchemaError):
        schema.validate_doc("vbaz-8.1", "Login", {"userId": "nope"})
