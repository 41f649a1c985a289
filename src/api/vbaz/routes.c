/* VB for Azure dialect (/api/v1 … /api/v8.1): the route table, the version of the path,
 * authentication and the token endpoint. The handlers live in one file per resource
 * family beside this one; vbaz.h says which. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/token.h"
#include "api/vbaz/vbaz.h"
#include "core/core.h"

/* ---------- version and authentication ---------- */

static enum rc vbaz_prepare(struct req *r)
{
	r->version = AZ_V81;
	if(!strncmp(r->path, "/api/oauth2/", 12))
		return RC_OK;
	const char *v = r->path + 5; /* after "/api/" */
	const char *end = strchr(v, '/');
	size_t n = end ? (size_t)(end - v) : strlen(v);
	for(int i = AZ_V1; i < AZ__END; i++)
		if(strlen(vbaz__version_name(i)) == n && !strncmp(v, vbaz__version_name(i), n)) {
			r->version = i;
			return RC_OK;
		}
	vbaz__problem(r, 404, NULL, "unknown API version: use /api/v1 … /api/v8 or /api/v8.1");
	return RC_NOTFOUND;
}

static enum rc vbaz_authenticate(struct req *r)
{
	const char *h = req_header(r, "Authorization");
	if(!h || strncasecmp(h, "Bearer ", 7)) {
		vbaz__problem(r, 401, NULL, "authorization is required: send Authorization: Bearer <access_token>");
		return RC_UNAUTHORIZED;
	}
	h += 7;
	while(*h == ' ')
		h++;
	size_t len = strlen(h);
	while(len && h[len - 1] == ' ')
		len--;
	enum rc rc = len ? auth_verify(h, len, TOK_ACCESS, &r->who) : RC_UNAUTHORIZED;
	if(rc) {
		const char *msg;
		int status = api_token_refused(r, rc, "access token", &msg);
		vbaz__problem(r, status, NULL, msg);
		return rc;
	}
	return RC_OK;
}

/* ---------- token endpoint ---------- */

static const char *const role_names[ROLE__COUNT] = {
	[ROLE_NONE] = "Unknown", [ROLE_VIEWER] = "ReadOnlyUser", [ROLE_OPERATOR] = "PortalOperator",
	[ROLE_REPORTER] = "IntegrationOperator", [ROLE_ADMIN] = "PortalAdmin",
};

static void token_fail(struct req *r, enum rc rc, int status, const char *msg)
{
	static const char *const fields[] = {"grant_type", "username", "password", "refresh_token"};
	const char *field = NULL;
	const char *first = NULL;
	for(size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		const char *at = strstr(msg, fields[i]);
		if(at && (!first || at < first)) {
			first = at;
			field = fields[i];
		}
	}
	if(!status)
		status = rc == RC_UNAUTHORIZED || rc == RC_EXPIRED ? 401 : api_status(rc);
	vbaz__problem(r, status, field, msg);
}

static void login_answer(struct req *r, const struct login *l)
{
	struct uuid uid = {{0}};
	for(int i = 0; i < 8; i++)
		uid.b[15 - i] = (unsigned char)((uint64_t)l->who.uid >> (8 * i));
	struct jw w;
	vbaz__json_answer(r, 200, &w);
	jw_obj(&w);
	jw_kstr(&w, "access_token", l->tokens.access);
	jw_kstr(&w, "token_type", "bearer");
	jw_kstr(&w, "refresh_token", l->tokens.refresh);
	jw_kint(&w, "expires_in", AUTH_ACCESS_TTL_S);
	vbaz__ktime(&w, ".issued", l->tokens.issued_us);
	vbaz__ktime(&w, ".expires", l->tokens.access_expires_us);
	vbaz__kuuid(&w, "userId", &uid);
	jw_kstr(&w, "username", l->who.user);
	jw_kstr(&w, "roleName", role_names[l->who.role > 0 && l->who.role < ROLE__COUNT ? l->who.role : 0]);
	jw_kstr(&w, "userType", "Internal");
	jw_kbool(&w, "latestNewsShown", 1);
	jw_kbool(&w, "mfa_enabled", 0);
	jw_kbool(&w, "shortLived", l->short_refresh);
	jw_obj_end(&w);
	req_add_header(r, "Cache-Control", "no-store");
}

static void logged_out(struct req *r)
{
	r->status = 204;
	buf_reset(&r->out);
}

static const struct token_dialect vbaz_tokens = {
	.fail = token_fail,
	.answer = login_answer,
	.logged_out = logged_out,
};

static void h_token(struct req *r)
{
	token_grant(r, &vbaz_tokens);
}

static void h_logout(struct req *r)
{
	token_logout(r, &vbaz_tokens);
}


/* ---------- the route table ---------- */

static const struct route routes[] = {
	{M_POST, "/api/oauth2/token", PERM_PUBLIC, h_token, 0},
	{M_DELETE, "/api/oauth2/token", PERM_AUTH, h_logout, 0},
	{M_GET, "/api/{v}/jobSessions", PERM_READ, vbaz__h_sessions, ROUTE_CACHED},
	{M_POST, "/api/{v}/jobSessions/export", PERM_READ, vbaz__export, 0},
	{M_GET, "/api/{v}/jobSessions/{id}", PERM_READ, vbaz__h_session, 0},
	{M_GET | M_POST, "/api/{v}/jobSessions/{id}/log", PERM_READ, vbaz__h_session_log, 0},
	{M_POST, "/api/{v}/jobSessions/{id}/stop", PERM_STOP, vbaz__h_session_stop, 0},
	{M_GET, "/api/{v}/jobSessions/{id}/protectedItems", PERM_READ, vbaz__items, 0},
	{M_GET, "/api/{v}/jobSessions/{id}/restoredItems", PERM_READ, vbaz__items, 0},
	{M_GET, "/api/{v}/jobSessions/{id}/deletedItems", PERM_READ, vbaz__items, 0},
	{M_GET, "/api/{v}/jobSessions/{id}/checkedItems", PERM_READ, vbaz__items, 0},
	{M_GET, "/api/{v}/jobSessions/{id}/fileLevelRestoredItems", PERM_READ, vbaz__items, 0},
	{M_GET, "/api/{v}/jobSessions/{id}/fileLevelRestoredFileShareItems", PERM_READ, vbaz__items, 0},
	{M_GET, "/api/{v}/jobSessions/{id}/vnetRestoredItems", PERM_READ, vbaz__items, 0},
	{M_GET, "/api/{v}/jobSessions/{id}/restoredDatabases", PERM_READ, vbaz__items, 0},
	{M_GET, "/api/{v}/jobSessions/{id}/restoredCosmosDbAccounts", PERM_READ, vbaz__items, 0},
	{M_GET, "/api/{v}/overview/sessionsSummary", PERM_READ, vbaz__h_summary, 0},
	{M_GET, "/api/{v}/overview/protectedWorkloads", PERM_READ, vbaz__h_protected_workloads, ROUTE_CACHED},
	{M_GET, "/api/{v}/overview/storageUsage", PERM_READ, vbaz__h_storage_usage, ROUTE_CACHED},
	{M_GET, "/api/{v}/license", PERM_READ, vbaz__h_license, 0},
	{M_GET, "/api/{v}/virtualMachines", PERM_READ, vbaz__h_vms, ROUTE_CACHED},
	{M_GET, "/api/{v}/virtualMachines/{id}", PERM_READ, vbaz__h_vm, 0},
	{M_GET, "/api/{v}/protectedItem/virtualMachines", PERM_READ, vbaz__h_protected, ROUTE_CACHED},
	{M_GET, "/api/{v}/protectedItem/sql", PERM_READ, vbaz__h_protected, ROUTE_CACHED},
	{M_GET, "/api/{v}/protectedItem/fileShares", PERM_READ, vbaz__h_protected, ROUTE_CACHED},
	{M_GET, "/api/{v}/protectedItem/cosmosDb", PERM_READ, vbaz__h_protected, ROUTE_CACHED},
	{M_GET, "/api/{v}/protectedItem/virtualMachines/{id}", PERM_READ, vbaz__h_protected_one, 0},
	{M_GET, "/api/{v}/protectedItem/sql/{id}", PERM_READ, vbaz__h_protected_one, 0},
	{M_GET, "/api/{v}/protectedItem/fileShares/{id}", PERM_READ, vbaz__h_protected_one, 0},
	{M_GET, "/api/{v}/protectedItem/cosmosDb/{id}", PERM_READ, vbaz__h_protected_one, 0},
	{M_GET, "/api/{v}/policies", PERM_READ, vbaz__h_policies, ROUTE_CACHED},
	{M_GET, "/api/{v}/policies/virtualMachines", PERM_READ, vbaz__h_policies, ROUTE_CACHED},
	{M_GET, "/api/{v}/policies/sql", PERM_READ, vbaz__h_policies, ROUTE_CACHED},
	{M_GET, "/api/{v}/policies/fileShares", PERM_READ, vbaz__h_policies, ROUTE_CACHED},
	{M_GET, "/api/{v}/policies/cosmosDb", PERM_READ, vbaz__h_policies, ROUTE_CACHED},
	{M_GET, "/api/{v}/policies/virtualMachines/{id}", PERM_READ, vbaz__h_policy, 0},
	{M_GET, "/api/{v}/policies/sql/{id}", PERM_READ, vbaz__h_policy, 0},
	{M_GET, "/api/{v}/policies/fileShares/{id}", PERM_READ, vbaz__h_policy, 0},
	{M_GET, "/api/{v}/policies/cosmosDb/{id}", PERM_READ, vbaz__h_policy, 0},
	{M_GET, "/api/{v}/policies/{id}", PERM_READ, vbaz__h_policy, 0},
	{M_GET, "/api/{v}/repositories", PERM_READ, vbaz__h_repositories, ROUTE_CACHED},
	{M_GET, "/api/{v}/repositories/{id}", PERM_READ, vbaz__h_repository, 0},
	{M_GET, "/api/{v}/restorePoints", PERM_READ, vbaz__h_points, ROUTE_CACHED},
	{M_GET, "/api/{v}/restorePoints/virtualMachines", PERM_READ, vbaz__h_points, ROUTE_CACHED},
	{M_GET, "/api/{v}/restorePoints/sql", PERM_READ, vbaz__h_points, ROUTE_CACHED},
	{M_GET, "/api/{v}/restorePoints/fileShares", PERM_READ, vbaz__h_points, ROUTE_CACHED},
	{M_GET, "/api/{v}/restorePoints/virtualMachines/{id}", PERM_READ, vbaz__h_point, 0},
	{M_GET, "/api/{v}/restorePoints/sql/{id}", PERM_READ, vbaz__h_point, 0},
	{M_GET, "/api/{v}/restorePoints/fileShares/{id}", PERM_READ, vbaz__h_point, 0},
	{M_GET, "/api/{v}/restorePoints/{id}", PERM_READ, vbaz__h_point, 0},
	{M_GET, "/api/{v}/system/serverInfo", PERM_AUTH, vbaz__h_server_info, 0},
	{M_GET, "/api/{v}/system/about", PERM_AUTH, vbaz__h_about, 0},
};

const struct dialect dialect_vbaz = {
	.name = "vbaz",
	.routes = routes,
	.nroutes = sizeof(routes) / sizeof(routes[0]),
	.prepare = vbaz_prepare,
	.authenticate = vbaz_authenticate,
	.error = vbaz__error,
};
