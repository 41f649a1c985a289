/* VB for Azure: POST /api/{v}/jobSessions/export. v1 answers one JSON page of every
 * session and takes no body; later versions take JobSessionExportOptions and stream a
 * CSV (RFC 4180) or XML file through the row feed of feed.c. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "api/vbaz/vbaz.h"
#include "model/catalog.h"
#include "model/query.h"
#include "util/timefmt.h"

#define CSV_TYPE "text/csv; charset=utf-8"
#define XML_TYPE "application/xml; charset=utf-8"
#define MAX_IDS 200           /* jobSessionIds in one export (bound parameters) */

/* SessionType and WorkloadType (export options) as sets of JobSessionType values. */
struct group {
	const char *name;
	const char *types;            /* space-separated JobSessionType values */
};

static const struct group session_groups[] = {
	{"ManualSnapshot", "ManualSnapshot FileShareManualSnapshot"},
	{"ManualBackup", "SqlManualBackup PostgresDbManualBackup MongoDbManualBackup"},
	{"PolicySnapshot", "PolicySnapshot FileSharePolicySnapshot"},
	{"PolicyBackup", "PolicyBackup AutoBackup SnapshotBackup SqlPolicyBackup VnetPolicyBackup "
	                 "VnetPolicyBackupToRepository PostgresDbPolicyBackup MongoDbPolicyBackup"},
	{"PolicyArchive", "PolicyArchive SqlPolicyArchive PostgresDbPolicyArchive MongoDbPolicyArchive"},
	{"Retention", "BackupRetention InvalidSnapshotRetention ObsoleteSnapshotRetention OrphanedSnapshotRetention "
	              "FileShareSnapshotRetention VnetRetention CosmosDbContinuousRetention VmSnapshotRetention"},
	{"Restore", "RestoreDisks RestoreVms SqlRestore FileShareRestore VnetFullRestore VnetGranularRestore "
	            "CosmosDbRestore RestorePointDataRetrieval SqlRestorePointDataRetrieval "
	            "CosmosDbRestorePointDataRetrieval"},
	{"FileLevelRestore", "FileLevelRestore FileShareFileRestore"},
	{"Deletion", "ManualSnapshotDeletion BackupDeletion SnapshotDeletion FileShareSnapshotDeletion "
	             "FileShareManualSnapshotDeletion SqlBackupDeletion VnetBackupDeletion CosmosDbBackupDeletion "
	             "CosmosDbContinuousBackupDeletion"},
	{"ConfigurationBackup", "ConfigurationBackupManual ConfigurationBackupScheduled ConfigurationBackupDeletion "
	                        "ConfigurationBackupDownload ConfigurationBackupSync ConfigurationRestoreStatus"},
	{"RepositoryTasks", "RepositoryCreation RepositoryDeletion RepositoryEdit VnetRepositoryImport"},
	{"FileShareIndexing", "FileShareIndexing"},
	{"HealthCheck", "HealthCheck"},
	{"CosmosDbConfiguration", "CosmosDbConfiguration"},
	{"InfrastructureRescan", "InfrastructureRescan SnapshotRescan"},
	{NULL, NULL},
};

static const struct group workload_groups[] = {
	{"VirtualMachine", "PolicyBackup AutoBackup PolicySnapshot ManualSnapshot SnapshotBackup RestoreDisks "
	                   "RestoreVms FileLevelRestore BackupDeletion SnapshotDeletion ManualSnapshotDeletion "
	                   "BackupRetention InvalidSnapshotRetention ObsoleteSnapshotRetention "
	                   "OrphanedSnapshotRetention PolicyArchive RestorePointDataRetrieval HealthCheck "
	                   "VmSnapshotRetention"},
	{"SQL", "SqlPolicyBackup SqlManualBackup SqlRestore SqlRestorePointDataRetrieval SqlPolicyArchive "
	        "SqlBackupDeletion"},
	{"FileShares", "FileSharePolicySnapshot FileShareManualSnapshot FileShareRestore FileShareFileRestore "
	               "FileShareIndexing FileShareSnapshotRetention FileShareSnapshotDeletion "
	               "FileShareManualSnapshotDeletion"},
	{"VirtualNetwork", "VnetPolicyBackup VnetFullRestore VnetGranularRestore VnetBackupDeletion VnetRetention "
	                   "VnetRepositoryImport VnetPolicyBackupToRepository"},
	{"WorkloadIndependent", "RepositoryCreation RepositoryDeletion RepositoryEdit ConfigurationBackupManual "
	                        "ConfigurationBackupScheduled ConfigurationBackupDeletion ConfigurationBackupDownload "
	                        "ConfigurationBackupSync ConfigurationRestoreStatus SnapshotRescan InfrastructureRescan "
	                        "Unknown"},
	{"CosmosDb", "CosmosDbConfiguration CosmosDbRestore CosmosDbContinuousRetention "
	             "CosmosDbRestorePointDataRetrieval CosmosDbBackupDeletion CosmosDbContinuousBackupDeletion "
	             "PostgresDbPolicyBackup PostgresDbPolicyArchive PostgresDbManualBackup MongoDbManualBackup "
	             "MongoDbPolicyBackup MongoDbPolicyArchive"},
	{NULL, NULL},
};

/* Adds the types of group `name` to out; -1 when name is no group. */
static int group_match(const struct group *g, const char *name, int *out, int max)
{
	for(; g->name; g++) {
		if(strcasecmp(g->name, name))
			continue;
		int n = 0;
		for(const char *p = g->types; *p;) {
			const char *sp = strchr(p, ' ');
			size_t len = sp ? (size_t)(sp - p) : strlen(p);
			char one[64];
			snprintf(one, sizeof(one), "%.*s", (int)len, p);
			int m = catalog_type_match_az(one, out + n, max - n);
			if(m > 0)
				n += m;
			p += len;
			while(*p == ' ')
				p++;
		}
		return n;
	}
	return -1;
}

static enum rc opt_strings(struct req *r, json_t *o, const char *field, json_t **out)
{
	json_t *v = json_object_get(o, field);
	*out = NULL;
	if(!v || json_is_null(v))
		return RC_OK;
	if(!json_is_array(v))
		return vbaz__bad(r, field, "%s must be an array of strings%s", NULL);
	size_t i;
	json_t *e;
	json_array_foreach(v, i, e)
		if(!json_is_string(e))
			return vbaz__bad(r, field, "%s must be an array of strings%s", NULL);
	*out = v;
	return RC_OK;
}

static enum rc opt_string(struct req *r, json_t *o, const char *field, const char **out)
{
	json_t *v = json_object_get(o, field);
	*out = NULL;
	if(!v || json_is_null(v))
		return RC_OK;
	if(!json_is_string(v))
		return vbaz__bad(r, field, "%s must be a string%s", NULL);
	*out = arena_strdup(r->arena, json_string_value(v));
	return RC_OK;
}

static enum rc group_filter(struct req *r, json_t *arr, const char *field, const struct group *g,
                            const struct qexpr **where)
{
	if(!arr)
		return RC_OK;
	int types[VBAZ_MAX_TYPES], nt = 0;
	size_t i;
	json_t *e;
	json_array_foreach(arr, i, e) {
		int m = group_match(g, json_string_value(e), types + nt, VBAZ_MAX_TYPES - nt);
		if(m < 0)
			return vbaz__bad(r, field, "%s: unknown value '%.100s'", json_string_value(e));
		nt += m;
	}
	*where = q_and(r->arena, *where, q_in_ints(r->arena, QF_TYPE, types, nt));
	return RC_OK;
}

/* JobSessionExportOptions into a predicate; answers 400 itself. */
static enum rc export_filters(struct req *r, const struct qexpr **where)
{
	static const char *const known[] = {
		"jobSessionIds", "policyId", "filter", "status", "sessionTypes", "workloadTypes", "fromUtc", "toUtc", NULL,
	};
	struct arena *a = r->arena;
	if(!r->body || !r->body_len)
		return RC_OK;
	json_error_t je;
	json_t *o = json_loadb(r->body, r->body_len, 0, &je);
	if(!o || !json_is_object(o)) {
		json_decref(o);
		return vbaz__bad(r, "body", "the %s must be a JSON object (JobSessionExportOptions)%s", NULL);
	}
	enum rc rc = RC_OK;
	const char *key;
	json_t *v;
	json_object_foreach(o, key, v) {
		int ok = 0;
		for(const char *const *k = known; *k; k++)
			ok |= !strcmp(*k, key);
		if(!ok) {
			rc = vbaz__bad(r, key, "%s is not a property of JobSessionExportOptions%s", NULL);
			goto out;
		}
	}
	json_t *ids, *status, *stypes, *wtypes;
	const char *policy, *filter, *from, *to;
	if((rc = opt_strings(r, o, "jobSessionIds", &ids)) || (rc = opt_strings(r, o, "status", &status)) ||
	   (rc = opt_strings(r, o, "sessionTypes", &stypes)) || (rc = opt_strings(r, o, "workloadTypes", &wtypes)) ||
	   (rc = opt_string(r, o, "policyId", &policy)) || (rc = opt_string(r, o, "filter", &filter)) ||
	   (rc = opt_string(r, o, "fromUtc", &from)) || (rc = opt_string(r, o, "toUtc", &to)))
		goto out;
	if(ids) {
		if(json_array_size(ids) > MAX_IDS) {
			char n[16];
			snprintf(n, sizeof(n), "%d", MAX_IDS);
			rc = vbaz__bad(r, "jobSessionIds", "%s takes at most %s ids per export", n);
			goto out;
		}
		const struct qexpr *any = q_in_ints(a, QF_STATE, NULL, 0);
		size_t i;
		json_t *e;
		json_array_foreach(ids, i, e) {
			struct uuid u;
			if(!uuid_parse(json_string_value(e), json_string_length(e), &u))
				any = q_or(a, any, q_uuid(a, QF_ID, Q_EQ, &u));
		}
		*where = q_and(a, *where, any);
	}
	if(policy) {
		struct uuid u;
		if(uuid_parse(policy, strlen(policy), &u)) {
			rc = vbaz__bad(r, "policyId", "%s must be a UUID, not '%.100s'", policy);
			goto out;
		}
		*where = q_and(a, *where, q_uuid(a, QF_JOB_ID, Q_EQ, &u));
	}
	if(filter && *filter) {
		const char *pat = arena_printf(a, "*%s*", filter);
		*where = q_and(a, *where, q_or(a, q_match(a, QF_NAME, pat), q_match(a, QF_JOB_NAME, pat)));
	}
	const char *tnames[] = {"fromUtc", "toUtc"};
	const char *tvals[] = {from, to};
	for(int i = 0; i < 2; i++) {
		int64_t us;
		if(!tvals[i])
			continue;
		if(time_parse(tvals[i], strlen(tvals[i]), &us)) {
			rc = vbaz__bad(r, tnames[i], "%s must be a date-time like 2024-01-31T10:00:00Z, not '%.100s'", tvals[i]);
			goto out;
		}
		*where = q_and(a, *where, q_int(a, QF_CREATION, i ? Q_LE : Q_GE, us));
	}
	if(status) {
		const char *names[64];
		int nn = 0;
		size_t i;
		json_t *e;
		json_array_foreach(status, i, e) {
			const char *s = json_string_value(e);
			if(!vbaz__status_known(s)) {
				rc = vbaz__bad(r, "status", "%s: unknown JobStatus value '%.100s'", s);
				goto out;
			}
			if(nn < 64)
				names[nn++] = arena_strdup(a, s);
		}
		*where = q_and(a, *where, vbaz__status_where(a, names, nn));
	}
	if((rc = group_filter(r, stypes, "sessionTypes", session_groups, where)) ||
	   (rc = group_filter(r, wtypes, "workloadTypes", workload_groups, where)))
		goto out;
out:
	json_decref(o);
	return rc;
}

void vbaz__export(struct req *r)
{
	const struct qexpr *where = NULL;
	if(r->version == AZ_V1) {
		/* v1: no options; the whole list as one JSON page, "offset 0, limit -1". */
		int64_t total;
		if(vbaz__no_body(r, "the v1 export") || vbaz__count_where(r, NULL, &total))
			return;
		vbaz__send_page(r, NULL, 0, -1, total, arena_printf(r->arena, "%s/jobSessions/export", vbaz__api_base(r)),
		                0);
		return;
	}
	if(export_filters(r, &where))
		return;
	/* Validate the filter before the 200 goes out: a failing count answers now. */
	int64_t total;
	if(vbaz__count_where(r, where, &total))
		return;
	const char *accept = req_header(r, "Accept");
	int xml = accept && strcasestr(accept, "xml") && !strcasestr(accept, "text/csv");
	struct vbaz__feed *f = vbaz__feed_new(r, xml ? VBAZ_XML : VBAZ_CSV, where);
	req_add_header(r, "Content-Disposition",
	               xml ? "attachment; filename=\"jobSessions.xml\"" : "attachment; filename=\"jobSessions.csv\"");
	vbaz__feed_send(r, f, 200, xml ? XML_TYPE : CSV_TYPE, 0);
}
