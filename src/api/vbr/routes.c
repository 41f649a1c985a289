/* VBR dialect: the route table. */
#include "api/vbr/vbr_int.h"

#include "api/estate.h"

/* ---------- the route table ---------- */

static const struct route routes[] = {
	{M_POST, "/api/oauth2/token", PERM_PUBLIC, vbr__h_token},
	{M_POST, "/api/oauth2/logout", PERM_AUTH, vbr__h_logout},
	{M_POST, "/api/oauth2/authorization_code", PERM_AUTH, vbr__h_authorization_code},
	{M_GET, "/api/v1/serverTime", PERM_PUBLIC, vbr__h_server_time},
	{M_GET, "/api/v1/serverInfo", PERM_AUTH, vbr__h_server_info},
	{M_GET, "/api/v1/sessions", PERM_READ, vbr__h_sessions},
	{M_POST, "/api/v1/sessions", PERM_INGEST, ingest_session_create},
	{M_GET, "/api/v1/sessions/events", PERM_READ, vbr__h_events},
	{M_GET, "/api/v1/sessions/{id}", PERM_READ, vbr__h_session},
	{M_PATCH, "/api/v1/sessions/{id}", PERM_INGEST, ingest_session_patch},
	{M_GET, "/api/v1/sessions/{id}/logs", PERM_READ, vbr__h_session_logs},
	{M_POST, "/api/v1/sessions/{id}/logs", PERM_INGEST, ingest_session_log_append},
	{M_PATCH, "/api/v1/sessions/{id}/logs/{rid}", PERM_INGEST, ingest_session_log_patch},
	{M_POST, "/api/v1/sessions/{id}/stop", PERM_STOP, vbr__h_session_stop},
	{M_POST, "/api/v1/sessions/{id}/complete", PERM_INGEST, ingest_session_complete},
	{M_GET, "/api/v1/sessions/{id}/taskSessions", PERM_READ, vbr__h_session_tasks},
	{M_POST, "/api/v1/sessions/{id}/taskSessions", PERM_INGEST, ingest_task_create},
	{M_GET, "/api/v1/taskSessions", PERM_READ, vbr__h_tasks},
	{M_GET, "/api/v1/taskSessions/{id}", PERM_READ, vbr__h_task},
	{M_PATCH, "/api/v1/taskSessions/{id}", PERM_INGEST, ingest_task_patch},
	{M_GET, "/api/v1/taskSessions/{id}/logs", PERM_READ, vbr__h_task_logs},
	{M_POST, "/api/v1/taskSessions/{id}/logs", PERM_INGEST, ingest_task_log_append},
	{M_PATCH, "/api/v1/taskSessions/{id}/logs/{rid}", PERM_INGEST, ingest_task_log_patch},
	{M_POST, "/api/v1/taskSessions/{id}/complete", PERM_INGEST, ingest_task_complete},
	{M_GET, "/api/v1/jobs/states", PERM_READ, vbr__h_job_states},
	{M_GET, "/api/v1/backupInfrastructure/managedServers", PERM_READ, vbr__h_servers},
	{M_GET, "/api/v1/backupInfrastructure/managedServers/{id}", PERM_READ, vbr__h_server},
	{M_GET, "/api/v1/backupInfrastructure/proxies", PERM_READ, vbr__h_proxies},
	{M_GET, "/api/v1/backupInfrastructure/proxies/states", PERM_READ, vbr__h_proxy_states},
	{M_GET, "/api/v1/backupInfrastructure/proxies/{id}", PERM_READ, vbr__h_proxy},
	{M_GET, "/api/v1/backupInfrastructure/repositories", PERM_READ, vbr__h_repos},
	{M_GET, "/api/v1/backupInfrastructure/repositories/states", PERM_READ, vbr__h_repo_states},
	{M_GET, "/api/v1/backupInfrastructure/repositories/{id}", PERM_READ, vbr__h_repo},
	{M_GET, "/api/v1/backupInfrastructure/scaleOutRepositories", PERM_READ, vbr__h_sobrs},
	{M_GET, "/api/v1/backupInfrastructure/scaleOutRepositories/{id}", PERM_READ, vbr__h_sobr},
	{M_GET, "/api/v1/backupInfrastructure/wanAccelerators", PERM_READ, vbr__h_wans},
	{M_GET, "/api/v1/backupInfrastructure/wanAccelerators/{id}", PERM_READ, vbr__h_wan},
	{M_GET, "/api/v1/automation/sessions", PERM_READ, vbr__h_auto_sessions},
	{M_GET, "/api/v1/automation/sessions/{id}", PERM_READ, vbr__h_auto_session},
	{M_GET, "/api/v1/automation/sessions/{id}/logs", PERM_READ, vbr__h_auto_session_logs},
	{M_POST, "/api/v1/automation/sessions/{id}/stop", PERM_STOP, vbr__h_auto_session_stop},
	{M_GET, "/api/v1/estate", PERM_READ, estate_h_changes},
	{M_GET, "/api/v1/estate/{kind}", PERM_READ, estate_h_list},
	{M_GET, "/api/v1/estate/{kind}/{id}", PERM_READ, estate_h_get},
	{M_PUT, "/api/v1/estate/{kind}/{id}", PERM_INGEST, estate_h_put},
	{M_DELETE, "/api/v1/estate/{kind}/{id}", PERM_INGEST, estate_h_del},
};

const struct dialect dialect_vbr = {
	.name = "vbr",
	.routes = routes,
	.nroutes = sizeof(routes) / sizeof(routes[0]),
	.prepare = vbr__prepare,
	.authenticate = vbr__authenticate,
	.error = vbr_error,
};
