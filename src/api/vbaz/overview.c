/* VB for Azure: the overview and system resources. */
#include <stdio.h>
#include <string.h>

#include "api/vbaz/vbaz.h"
#include "core/core.h"
#include "model/query.h"
#include "util/jw.h"

/* ---------- overview and system ---------- */

static int64_t count_status(struct req *r, const char *status, enum qfield f, int64_t from, int64_t to)
{
	struct arena *a = r->arena;
	const char *names[] = {status};
	const struct qexpr *w = q_and(a, vbaz__status_where(a, names, 1),
	                              q_and(a, q_int(a, f, Q_GE, from), q_int(a, f, Q_LT, to)));
	int64_t total = 0;
	if(vbaz__count_where(r, w, &total))
		return -1;
	return total;
}

void vbaz__h_summary(struct req *r)
{
	static const struct {
		const char *key;
		const char *status;
		int diff;
	} rows[] = {
		{"latestSessionsErrorCount", "Error", 1},
		{"latestSessionsWarningCount", "Warning", 1},
		{"latestSessionsSuccessCount", "Success", 1},
		{"latestSessionsRunningCount", "Running", 0},
	};
	const int64_t day = 24LL * 3600 * 1000000;
	int64_t now = r->now_us;
	int64_t cur[4], prev[4];
	for(size_t i = 0; i < 4; i++) {
		enum qfield f = rows[i].diff ? QF_END : QF_CREATION;
		cur[i] = count_status(r, rows[i].status, f, now - day, now + 1);
		prev[i] = rows[i].diff ? count_status(r, rows[i].status, f, now - 2 * day, now - day) : 0;
		if(cur[i] < 0 || prev[i] < 0) {
			vbaz__error(r, RC_BACKEND, 0, "cannot count the sessions");
			return;
		}
	}
	struct jw w;
	vbaz__json_answer(r, 200, &w);
	jw_obj(&w);
	for(size_t i = 0; i < 4; i++) {
		jw_kint(&w, rows[i].key, cur[i]);
		if(rows[i].diff) {
			char k[64];
			snprintf(k, sizeof(k), "%sDifference", rows[i].key);
			jw_kstr(&w, k, cur[i] > prev[i] ? "Increased" : cur[i] < prev[i] ? "Decreased" : "NotChanged");
		}
	}
	jw_obj_end(&w);
}

#define NIL_UUID "00000000-0000-0000-0000-000000000000"

void vbaz__h_server_info(struct req *r)
{
	const struct core_info *ci = core_info();
	struct jw w;
	vbaz__json_answer(r, 200, &w);
	jw_obj(&w);
	jw_kstr(&w, "subscriptionId", NIL_UUID);
	jw_kstr(&w, "serverName", ci->server_name);
	jw_kstr(&w, "azureRegion", "local");
	jw_kstr(&w, "azureRegionName", "Local");
	jw_kstr(&w, "azureVmId", "");
	jw_kstr(&w, "resourceGroup", "");
	jw_kstr(&w, "azureEnvironment", "Global");
	jw_kstr(&w, "virtualMachineUniqueId", ci->installation_id);
	jw_obj_end(&w);
}

void vbaz__h_about(struct req *r)
{
	static const char *const server_version[AZ__END] = {
		NULL, "1.0.0.0", "2.0.0.0", "3.0.0.0", "4.0.0.0", "5.0.0.0", "6.0.0.0", "7.0.0.0", "8.0.0.0", "8.1.0.0",
	};
	const struct core_info *ci = core_info();
	struct jw w;
	vbaz__json_answer(r, 200, &w);
	jw_obj(&w);
	jw_kstr(&w, "serverVersion", server_version[r->version]);
	jw_kstr(&w, "workerVersion", server_version[r->version]);
	jw_kstr(&w, "flrVersion", server_version[r->version]);
	struct uuid db;
	if(ci->installation_id && !uuid_parse(ci->installation_id, strlen(ci->installation_id), &db))
		vbaz__kuuid(&w, "databaseId", &db);
	else
		jw_kstr(&w, "databaseId", NIL_UUID);
	jw_kstr(&w, "copyright", "sessiond, a session recorder speaking the VB for Azure REST API");
	jw_kstr(&w, "deploymentSubscriptionId", NIL_UUID);
	jw_obj_end(&w);
}

/* ---------- the estate's overview and the license ---------- */

static const char *const periods[] = {"Day", "Week", "Month", "Year", "Unknown", NULL};

/* Per workload: how many there are, how many have a restore point since `since`. */
static void count_workloads(const struct vbaz__estate *es, int64_t since, int64_t total[AZW__END],
                            int64_t protected_[AZW__END])
{
	for(int i = 0; i < AZW__END; i++)
		total[i] = protected_[i] = 0;
	for(size_t i = 0; i < es->nobj; i++) {
		const struct vbaz__object *o = &es->obj[i];
		total[o->workload]++;
		if(o->points && o->last_point_us >= since)
			protected_[o->workload]++;
	}
}

void vbaz__h_protected_workloads(struct req *r)
{
	const char *v = req_query(r, "PeriodFlag");
	int period = v && *v ? vbaz__enum_index(periods, v) : -2;
	if(period < 0) {
		vbaz__bad(r, "PeriodFlag", period == -2 ? "%s is required: Day, Week, Month or Year%.0s"
		                                        : "%s: unknown value '%.100s' (Day, Week, Month or Year)", v);
		return;
	}
	static const int64_t days[] = {1, 7, 30, 365, 0};
	int64_t since = days[period] ? r->now_us - days[period] * 86400LL * 1000000 : 0;
	struct vbaz__estate es;
	if(vbaz__estate_read(r, &es))
		return;
	int64_t total[AZW__END], prot[AZW__END];
	count_workloads(&es, since, total, prot);
	struct jw w;
	vbaz__json_answer(r, 200, &w);
	jw_obj(&w);
	jw_kint(&w, "virtualMachinesTotalCount", total[AZW_VM]);
	jw_kint(&w, "virtualMachinesProtectedCount", prot[AZW_VM]);
	if(r->version >= vbaz__workload_since(AZW_SQL)) {
		jw_kint(&w, "sqlDatabasesTotalCount", total[AZW_SQL]);
		jw_kint(&w, "sqlDatabasesProtectedCount", prot[AZW_SQL]);
		jw_kint(&w, "fileSharesTotalCount", total[AZW_SHARE]);
		jw_kint(&w, "fileSharesProtectedCount", prot[AZW_SHARE]);
	}
	jw_obj_end(&w);
}

void vbaz__h_storage_usage(struct req *r)
{
	struct vbaz__estate es;
	if(vbaz__estate_read(r, &es))
		return;
	int64_t backups = 0;
	for(size_t i = 0; i < es.npt; i++)
		backups += es.pt[i].repository != NULL;
	struct jw w;
	vbaz__json_answer(r, 200, &w);
	jw_obj(&w);
	jw_kint(&w, "backupCount", backups);
	jw_obj_end(&w);
}

/* sessiond needs no license: it describes itself as free, never expiring, without an
 * instance limit (instances absent); the uses are its protected workloads. */
void vbaz__h_license(struct req *r)
{
	struct vbaz__estate es;
	if(vbaz__estate_read(r, &es))
		return;
	int64_t total[AZW__END], prot[AZW__END];
	count_workloads(&es, 0, total, prot);
	static const struct {
		const char *key;
		int workload;
	} uses[] = {
		{"vmsInstancesUses", AZW_VM}, {"sqlInstancesUses", AZW_SQL},
		{"fileShareInstancesUses", AZW_SHARE}, {"cosmosDbInstancesUses", AZW_COSMOS},
	};
	int64_t all = 0;
	for(size_t i = 0; i < sizeof(uses) / sizeof(uses[0]); i++)
		if(r->version >= vbaz__workload_since(uses[i].workload) || uses[i].workload == AZW_VM)
			all += prot[uses[i].workload];
	struct jw w;
	vbaz__json_answer(r, 200, &w);
	jw_obj(&w);
	jw_kstr(&w, "licenseType", "Free");
	jw_kbool(&w, "isFreeEdition", 1);
	jw_kint(&w, "totalInstancesUses", all);
	for(size_t i = 0; i < sizeof(uses) / sizeof(uses[0]); i++)
		if(r->version >= vbaz__workload_since(uses[i].workload) || uses[i].workload == AZW_VM)
			jw_kint(&w, uses[i].key, prot[uses[i].workload]);
	jw_knull(&w, "licenseExpires");
	jw_obj_end(&w);
}
