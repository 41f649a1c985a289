/* VBR dialect: the backup server itself, which is sessiond: serverTime, serverInfo, the
 * license (1.2+), the configuration backup and the security analyzer's best practices (1.2+). */
#include "api/vbr/vbr_int.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "core/jobs.h"
#include "util/timefmt.h"

#define NIL_ID "00000000-0000-0000-0000-000000000000"

static struct vbr_self self;

void vbr_self_set(const struct vbr_self *s) { self = *s; }

/* ---------- server ---------- */

void vbr__h_server_time(struct req *r)
{
	struct jw w;
	vbr_json(r, 200, &w);
	jw_obj(&w);
	char t[TIME_STR_MAX];
	time_format(r->now_us, 7, t);
	jw_kstr(&w, "serverTime", t);
	jw_kstr(&w, "timeZone", "(UTC) Coordinated Universal Time");
	const char *zone = catalog_vbr(r->version)->iana_zone;
	if(zone)
		jw_kstr(&w, zone, "Etc/UTC");
	jw_obj_end(&w);
}

void vbr__h_server_info(struct req *r)
{
	const char *build = catalog_vbr(r->version)->build;
	if(!build) {
		vbr_error(r, RC_NOTFOUND, 404,
		          arena_printf(r->arena, "x-api-version %s has no serverInfo", catalog_vbr(r->version)->name));
		return;
	}
	const struct core_info *ci = core_info();
	struct jw w;
	vbr_json(r, 200, &w);
	jw_obj(&w);
	jw_kstr(&w, "vbrId", ci->installation_id);
	if(vbr__fam(r) == VBR_11)
		jw_kstr(&w, "vbrInstallationId", ci->installation_id);
	jw_kstr(&w, "name", ci->server_name);
	jw_kstr(&w, "buildVersion", build);
	jw_key(&w, "patches");
	jw_arr(&w);
	jw_arr_end(&w);
	if(vbr__fam(r) >= VBR_12) {
		jw_kstr(&w, "databaseVendor", "SQLite");
		jw_kstr(&w, "sqlServerEdition", "embedded");
		jw_kstr(&w, "sqlServerVersion", "3");
		jw_kstr(&w, "databaseSchemaVersion", "1");
		jw_kstr(&w, "databaseContentVersion", "1");
	}
	if(vbr__fam(r) >= VBR_13) {
		jw_key(&w, "veeamRegistration");
		jw_obj(&w);
		jw_kbool(&w, "isRegistered", 0);
		jw_obj_end(&w);
		jw_kstr(&w, "platform", "Linux");
	}
	jw_obj_end(&w);
}

/* ---------- license (1.2 and later) ---------- */

/* sessiond needs no license: it describes itself as a free one, valid, without an expiry
 * date or an instance limit, licensed to the server's name. */
void vbr__h_license(struct req *r)
{
	if(!vbr__available(r, VBR_12, "the license is"))
		return;
	struct jw w;
	vbr_json(r, 200, &w);
	jw_obj(&w);
	jw_kstr(&w, "status", "Valid");
	jw_kstr(&w, "type", "Free");
	jw_kstr(&w, "edition", "Unspecified");
	jw_kstr(&w, "licensedTo", core_info()->server_name);
	jw_kstr(&w, "supportId", "");
	jw_kbool(&w, "autoUpdateEnabled", 0);
	jw_kbool(&w, "freeAgentInstanceConsumptionEnabled", 0);
	jw_kstr(&w, "cloudConnect", "Disabled");
	if(vbr__fam(r) >= VBR_13) {
		jw_kbool(&w, "IsMultiSection", 0);
		jw_kbool(&w, "proactiveSupportEnabled", 0);
	}
	jw_obj_end(&w);
}

/* No workload consumes a license instance: the list is empty, with its paging. */
void vbr__h_license_instances(struct req *r)
{
	static const struct vbr__eorder orders[] = {
		{"Name", "name"}, {"HostName", "hostName"}, {"UsedInstancesNumber", "usedInstancesNumber"}, {"Type", "type"},
		{"InstanceId", "instanceId"}, {NULL, NULL},
	};
	static const struct vbr__efilter filters[] = {
		{"nameFilter", "name", FM_LIKE, 0, NULL}, {"hostNameFilter", "hostName", FM_LIKE, 0, NULL},
		{"usedInstancesNumberFilter", "usedInstancesNumber", FM_NUMBER, 0, NULL}, {"typeFilter", "type", FM_TEXT, 0, NULL},
		{"instanceIdFilter", "instanceId", FM_UUID, 0, NULL}, {NULL, NULL, 0, 0, NULL},
	};
	if(!vbr__available(r, VBR_12, "license instances are"))
		return;
	struct vbr__pick *p = vbr__pick_begin(r, filters, orders, NULL);
	if(p)
		vbr__pick_answer(p, RC_OK, "license instances");
}

/* ---------- the configuration backup ---------- */

struct config_job {
	int type;
	int found;
	struct job_view j;
};

static int config_job(void *ctx, const struct job_view *j)
{
	struct config_job *c = ctx;
	if(j->type != c->type)
		return 0;
	c->j = *j;
	c->found = 1;
	return 1;
}

static int newest(void *ctx, const struct sess_rec *s)
{
	*(struct sess_rec *)ctx = *s;
	return 1;
}

/* The configuration backup as ConfigurationBackup sessions and the job that runs them (declared
 * or seen) show it: enabled when there is such a job and it is not disabled, its repository and
 * schedule, and the newest successful run. */
void vbr__h_config_backup(struct req *r)
{
	struct config_job c = {.type = catalog_type_parse("ConfigurationBackup")};
	struct sess_rec last = {0};
	struct query q = {
		.where = q_and(r->arena, q_int(r->arena, QF_TYPE, Q_EQ, c.type), q_int(r->arena, QF_RESULT, Q_EQ, RES_SUCCESS)),
		.order = QO_CREATION, .asc = 0, .limit = 1,
	};
	enum rc rc = core_jobs(r->arena, config_job, &c);
	if(!rc)
		rc = core_session_list(&q, r->arena, newest, &last, NULL);
	if(rc) {
		vbr_error(r, rc, 0, "cannot read the configuration backup");
		return;
	}
	struct jw w;
	vbr_json(r, 200, &w);
	jw_obj(&w);
	jw_kbool(&w, "isEnabled", c.found && !c.j.disabled);
	vbr__kuuid(&w, "backupRepositoryId", &c.j.repository_id);
	jw_kint(&w, "restorePointsToKeep", 0);
	jw_key(&w, "notifications");
	jw_obj(&w);
	jw_kbool(&w, "SNMPEnabled", 0);
	jw_obj_end(&w);
	jw_key(&w, "schedule");
	jw_obj(&w);
	jw_kbool(&w, "isEnabled", c.found && c.j.schedule != NULL);
	jw_obj_end(&w);
	jw_key(&w, "lastSuccessfulBackup");
	jw_obj(&w);
	if(last.end_us) {
		vbr_time(&w, "lastSuccessfulTime", last.end_us);
		vbr__kuuid(&w, "sessionId", &last.id);
	}
	jw_obj_end(&w);
	jw_key(&w, "encryption");
	jw_obj(&w);
	jw_kbool(&w, "isEnabled", 0);
	jw_kstr(&w, "passwordId", NIL_ID);
	jw_obj_end(&w);
	jw_obj_end(&w);
}

/* ---------- the security analyzer (1.2 and later): sessiond's checks of itself ---------- */

#define CONFIG_BACKUP_MAX_AGE_US ((int64_t)7 * 24 * 3600 * 1000000)

static void practice(struct jw *w, const char *id, const char *what, const char *status, const char *note)
{
	jw_obj(w);
	jw_kstr(w, "id", id);
	jw_kstr(w, "bestPractice", what);
	jw_kstr(w, "status", status);
	jw_kstr(w, "note", note);
	jw_obj_end(w);
}

/* The database file of a "file:" URI or a plain path into out; 0 when it is not a local file. */
static int db_file(const char *db, char *out, size_t n)
{
	if(!db || !*db || strstr(db, "://"))
		return 0;
	if(!strncmp(db, "file:", 5))
		db += 5;
	size_t len = strcspn(db, "?");
	if(!len || len >= n)
		return 0;
	memcpy(out, db, len);
	out[len] = 0;
	return 1;
}

void vbr__h_best_practices(struct req *r)
{
	if(!vbr__available(r, VBR_12, "the security analyzer is"))
		return;
	struct jw w;
	vbr_json(r, 200, &w);
	jw_obj(&w);
	jw_key(&w, "items");
	jw_arr(&w);
	practice(&w, "5e55d000-0000-4000-8000-000000000001", "The REST API is served over TLS", self.tls ? "OK" : "Violation",
	         self.tls ? "sessiond listens with --tls-cert and --tls-key" : "sessiond serves plain HTTP: start it with --tls-cert and --tls-key");
	practice(&w, "5e55d000-0000-4000-8000-000000000002", "Session retention is set", self.retention_days > 0 ? "OK" : "Violation",
	         self.retention_days > 0 ? arena_printf(r->arena, "sessions are kept %d days", self.retention_days)
	                                 : "sessions are kept for ever: set --retention-days");
	char path[1024];
	struct stat st;
	if(!db_file(self.db, path, sizeof(path)) || stat(path, &st))
		practice(&w, "5e55d000-0000-4000-8000-000000000003", "The database file is private", "UnableToCheck",
		         "the database is not a local file sessiond can examine");
	else
		practice(&w, "5e55d000-0000-4000-8000-000000000003", "The database file is private",
		         (st.st_mode & 077) ? "Violation" : "OK",
		         arena_printf(r->arena, "%s has mode %04o", path, (unsigned)(st.st_mode & 07777)));
	struct user_rec u;
	enum rc rc = core_user_get("admin", r->arena, &u);
	if(rc == RC_NOTFOUND)
		practice(&w, "5e55d000-0000-4000-8000-000000000004", "The admin password was changed", "OK",
		         "there is no user named admin");
	else if(rc)
		practice(&w, "5e55d000-0000-4000-8000-000000000004", "The admin password was changed", "UnableToCheck",
		         "cannot read the users");
	else
		practice(&w, "5e55d000-0000-4000-8000-000000000004", "The admin password was changed", u.gen > 1 ? "OK" : "Violation",
		         u.gen > 1 ? "the admin's credentials changed since the user was created"
		                   : "the admin still has the password it was created with");
	struct sess_rec last = {0};
	struct query q = {
		.where = q_and(r->arena, q_int(r->arena, QF_TYPE, Q_EQ, catalog_type_parse("ConfigurationBackup")),
		               q_int(r->arena, QF_RESULT, Q_EQ, RES_SUCCESS)),
		.order = QO_CREATION, .asc = 0, .limit = 1,
	};
	rc = core_session_list(&q, r->arena, newest, &last, NULL);
	int recent = !rc && last.end_us && r->now_us - last.end_us <= CONFIG_BACKUP_MAX_AGE_US;
	practice(&w, "5e55d000-0000-4000-8000-000000000005", "The configuration is backed up",
	         rc ? "UnableToCheck" : recent ? "OK" : "Violation",
	         rc ? "cannot read the sessions"
	            : recent ? "a ConfigurationBackup session succeeded in the last 7 days"
	                     : "no ConfigurationBackup session succeeded in the last 7 days");
	jw_arr_end(&w);
	jw_obj_end(&w);
}
