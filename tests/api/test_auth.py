"""VBR token flow (API-DIGEST §1.4), the Azure-form token answer, and 401/400 on protected calls."""
import base64

import pytest

import schema
from conftest import ADMIN_PASSWORD, PASSWORDS, VERSIONS


def post_token(c, data, version, **kw):
    return c.post("/api/oauth2/token", data=data, version=version, token=None, **kw)


@pytest.mark.parametrize("grant", ["password", "Password", "PASSWORD"])
def test_password_grant_any_case(server, version, grant):
    r = post_token(server.anon(), {"grant_type": grant, "username": "viewer",
                                   "password": PASSWORDS["viewer"]}, version,
                   schema="TokenModel", status=200)
    t = r.body
    assert t["access_token"] and t["refresh_token"]
    assert t["token_type"].lower() == "bearer"
    assert t["expires_in"] == 900  # 15 min (DESIGN §5)
    # the token works on a protected call of the same version
    server.client.bound(token=t["access_token"], version=version).get(
        "/api/v1/sessions", schema="SessionsResult", status=200)


def test_admin_exists_from_env(server, version):
    t = server.client.token("admin", ADMIN_PASSWORD, version=version)
    assert t["access_token"]


@pytest.mark.parametrize("grant", ["refresh_token", "Refresh_token", "REFRESH_TOKEN"])
def test_refresh_token_single_use(server, version, grant):
    c = server.anon()
    t = c.token("operator", PASSWORDS["operator"], version=version)
    r = post_token(c, {"grant_type": grant, "refresh_token": t["refresh_token"]}, version,
                   schema="TokenModel", status=200)
    assert r.body["access_token"] != t["access_token"]
    assert r.body["refresh_token"] != t["refresh_token"]
    server.client.bound(token=r.body["access_token"], version=version).get(
        "/api/v1/sessions", schema="SessionsResult", status=200)
    # second use of the same refresh token: rejected with an Error body
    post_token(c, {"grant_type": grant, "refresh_token": t["refresh_token"]}, version,
               status=(400, 401))
    # the refresh token issued by the refresh grant still works once
    post_token(c, {"grant_type": "refresh_token", "refresh_token": r.body["refresh_token"]},
               version, schema="TokenModel", status=200)


def test_refresh_with_garbage_token(server, version):
    post_token(server.anon(), {"grant_type": "refresh_token", "refresh_token": "garbage"},
               version, status=(400, 401))


def test_wrong_password_401(server, version):
    r = post_token(server.anon(), {"grant_type": "password", "username": "viewer",
                                   "password": "Xq9-not-it"}, version, status=401)
    assert r.body["errorCode"] in ("AccessDenied", "InvalidToken", "UnknownError",
                                   "UnexpectedContent")
    assert "Xq9-not-it" not in r.body["message"]  # never echo a password


def test_unknown_user_401(server, version):
    post_token(server.anon(), {"grant_type": "password", "username": "nobody",
                               "password": "x"}, version, status=401)


def test_unknown_grant_type_400(server, version):
    post_token(server.anon(), {"grant_type": "client_credentials", "username": "viewer",
                               "password": PASSWORDS["viewer"]}, version, status=400)


def test_missing_fields_400(server, version):
    post_token(server.anon(), {"grant_type": "password", "username": "viewer"}, version,
               status=(400, 401))


def test_token_without_version_is_azure_form(server):
    r = server.anon().post("/api/oauth2/token", version=None, token=None,
                           data={"grant_type": "Password", "username": "viewer",
                                 "password": PASSWORDS["viewer"]},
                           schema="Login", doc="vbaz-8.1", status=200, vbr=False)
    b = r.body
    for k in ("access_token", "refresh_token", "token_type", "expires_in", "userId",
              "username", "roleName"):
        assert k in b, k
    assert b["username"] == "viewer"
    assert b["roleName"]
    schema.validate_doc("vbaz-8.1", "Login", b)
    # an Azure token is a token: it opens VBR calls too
    server.client.bound(token=b["access_token"]).get("/api/v1/sessions",
                                                     schema="SessionsResult", status=200)


def test_logout_revokes_access_token(server, version):
    c = server.client.login("viewer", version=version)
    c.get("/api/v1/sessions", schema="SessionsResult", status=200)
    r = c.post("/api/oauth2/logout", schema=None, status=200)
    assert r.body == {}
    r = c.get("/api/v1/sessions", status=401)
    assert r.body["errorCode"] in ("InvalidToken", "ExpiredToken", "AccessDenied")


def test_logout_revokes_refresh_token(server, version):
    anon = server.anon()
    t = anon.token("viewer", PASSWORDS["viewer"], version=version)
    server.client.bound(token=t["access_token"], version=version).post(
        "/api/oauth2/logout", schema=None, status=200)
    post_token(anon, {"grant_type": "refresh_token", "refresh_token": t["refresh_token"]},
               version, status=(400, 401))


def test_logout_needs_token(server, version):
    server.anon(version=version).post("/api/oauth2/logout", status=401)


@pytest.mark.parametrize("auth", [
    None,
    "Bearer ",
    "Bearer garbage",
    "Bearer eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjE1MTYyMzkwMjJ9.c2lnbmF0dXJl",  # expired-looking JWT
    "Basic " + base64.b64encode(b"admin:" + ADMIN_PASSWORD.encode()).decode(),
    "bearer",
])
def test_bad_or_missing_token_401(server, version, auth):
    r = server.anon(version=version).get("/api/v1/sessions", headers={"Authorization": auth},
                                         status=401)
    assert r.body["errorCode"] in ("InvalidToken", "ExpiredToken", "AccessDenied")


def test_tampered_token_401(server, version):
    tok = server.api("viewer").bearer
    bad = tok[:-2] + ("AA" if tok[-2:] != "AA" else "BB")
    server.client.bound(token=bad, version=version).get("/api/v1/sessions", status=401)


@pytest.mark.parametrize("hdr", [None, "", "2.0-rev0", "1.3", "latest", "1.3-rev99x", "v1"])
def test_missing_or_unknown_api_version_400(server, hdr):
    c = server.api("viewer")
    r = c.get("/api/v1/sessions", version=hdr, status=400)
    assert r.body["errorCode"]
    assert "x-api-version" in r.body["message"].lower()


@pytest.mark.parametrize("hdr", ["1.0-rev1", "1.0-rev2", "1.1-rev0", "1.1-rev1", "1.1-rev2",
                                 "1.2-rev0", "1.2-rev1", "1.3-rev0", "1.3-rev1", "1.3-rev2"])
def test_every_version_in_range_accepted(server, hdr):
    server.api("viewer").get("/api/v1/sessions", version=hdr, schema="SessionsResult",
                             status=200)


def test_server_time_no_auth(server, version):
    r = server.anon(version=version).get("/api/v1/serverTime", schema="ServerTimeModel",
                                         status=200)
    assert r.body["serverTime"]


@pytest.mark.parametrize("version", [v for v in VERSIONS if v != "1.0-rev2"])
def test_server_info(server, version):
    # /api/v1/serverInfo first appears in 1.1-rev0 (not in the 1.0-rev2 document)
    r = server.api("viewer").get("/api/v1/serverInfo", version=version,
                                 schema="ServerInfoModel", status=200)
    assert r.body["name"]


def test_server_info_needs_auth(server, version):
    server.anon(version=version).get("/api/v1/serverInfo", status=401)
