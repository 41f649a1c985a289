/* VBR dialect: jobs. */
#include "api/vbr/vbr_int.h"

#include <string.h>

/* ---------- jobs, derived from sessions ---------- */

/* What kind of job a session belongs to, as data: its session type (canonical name) and,
 * when given, its platform (EPlatformType) pick the job's EJobType and EJobWorkload. The
 * EJobType is the first of `types` that the request's version has (the candidates run from
 * the most precise to the most general); the first matching row wins, the last is the default. */
enum workload { WL_APPLICATION, WL_CLOUD_VM, WL_FILE, WL_SERVER, WL_WORKSTATION, WL_VM, WL__COUNT };
static const char *const workload_names[WL__COUNT] = {
	"Application", "CloudVm", "File", "Server", "Workstation", "Vm",
};

#define JOB_TYPES_MAX 4
static const struct job_kind {
	const char *session_type;   /* NULL: any */
	const char *platform;       /* NULL: any */
	const char *types[JOB_TYPES_MAX];
	enum workload workload;
} job_kinds[] = {
	{"ReplicaJob", NULL, {"VSphereReplica", "Backup"}, WL_VM},
	{"BackupCopyJob", NULL, {"BackupCopy", "Backup"}, WL_VM},
	{"BackupCopyJobParent", NULL, {"BackupCopy", "Backup"}, WL_VM},
	{"CopyBackup", NULL, {"LegacyBackupCopy", "Backup"}, WL_VM},
	{"UnstructuredDataBackupCopy", NULL, {"FileBackupCopy", "Backup"}, WL_FILE},
	{"SureBackupContentScan", NULL, {"SureBackupContentScan", "Unknown", "Backup"}, WL_VM},
	{"IrisBackup", NULL, {"IrisBackup", "Unknown", "Backup"}, WL_APPLICATION},
	{"SqlLogBackup", NULL, {"Unknown", "Backup"}, WL_APPLICATION},
	{"OracleLogBackup", NULL, {"Unknown", "Backup"}, WL_APPLICATION},
	{"PostgreSqlLogBackup", NULL, {"Unknown", "Backup"}, WL_APPLICATION},
	{"AgentPolicy", "LinuxPhysical", {"LinuxAgentBackupServerPolicy", "LinuxAgentBackup", "Backup"}, WL_SERVER},
	{"AgentPolicy", NULL, {"WindowsAgentBackupServerPolicy", "WindowsAgentBackup", "Backup"}, WL_SERVER},
	{"AgentBackup", "LinuxPhysical", {"LinuxAgentBackup", "Unknown", "Backup"}, WL_SERVER},
	{"AgentBackup", NULL, {"WindowsAgentBackup", "Unknown", "Backup"}, WL_SERVER},
	{"EndpointBackup", NULL, {"WindowsAgentBackupWorkstationPolicy", "WindowsAgentBackup", "Backup"}, WL_WORKSTATION},
	{"PlatformBackupJob", "AWSEC2", {"CloudBackupAWS", "Unknown", "Backup"}, WL_CLOUD_VM},
	{"PlatformBackupJob", "AzureCompute", {"CloudBackupAzure", "Unknown", "Backup"}, WL_CLOUD_VM},
	{"PlatformBackupJob", "GCE", {"CloudBackupGoogle", "Unknown", "Backup"}, WL_CLOUD_VM},
	{"PlatformBackupJob", "Nutanix", {"NutanixAHVBackupJob", "Unknown", "Backup"}, WL_VM},
	{"PlatformBackupJob", "Proxmox", {"ProxmoxBackupJob", "Unknown", "Backup"}, WL_VM},
	{"PlatformBackupJob", NULL, {"Unknown", "Backup"}, WL_CLOUD_VM},
	{"BackupJob", "HyperV", {"HyperVBackup", "Backup"}, WL_VM},
	{"BackupJob", "CloudDirector", {"CloudDirectorBackup", "Backup"}, WL_VM},
	{"BackupJob", "Nutanix", {"NutanixAHVBackupJob", "Unknown", "Backup"}, WL_VM},
	{"BackupJob", "Proxmox", {"ProxmoxBackupJob", "Unknown", "Backup"}, WL_VM},
	{"BackupJob", "EntraID", {"EntraIDTenantBackup", "Unknown", "Backup"}, WL_APPLICATION},
	{"BackupJob", "UnstructuredData", {"FileBackup", "Unknown", "Backup"}, WL_FILE},
	{"BackupJob", "WindowsPhysical", {"WindowsAgentBackup", "Unknown", "Backup"}, WL_SERVER},
	{"BackupJob", "LinuxPhysical", {"LinuxAgentBackup", "Unknown", "Backup"}, WL_SERVER},
	{"BackupJob", "Iris", {"IrisBackup", "Unknown", "Backup"}, WL_APPLICATION},
	{"BackupJob", "MongoDb", {"Unknown", "Backup"}, WL_APPLICATION},
	{"BackupJob", NULL, {"VSphereBackup", "Backup"}, WL_VM},
	{NULL, NULL, {"Unknown", "Backup"}, WL_VM},
};

/* The EJobType values of each version's definition, from the first version that has the list on. */
static const char *const job_types_10[] = {"Backup", NULL};
static const char *const job_types_12[] = {
	"Backup", "VSphereReplica", "CloudDirectorBackup", "EntraIDTenantBackup", "EntraIDAuditLogBackup",
	"FileBackupCopy", NULL,
};
static const char *const job_types_13r0[] = {
	"Unknown", "VSphereBackup", "HyperVBackup", "VSphereReplica", "CloudDirectorBackup", "EntraIDTenantBackup",
	"EntraIDAuditLogBackup", "FileBackupCopy", "LegacyBackupCopy", "BackupCopy", "WindowsAgentBackup",
	"LinuxAgentBackup", "EntraIDTenantBackupCopy", NULL,
};
#define JOB_TYPES_13R1 \
	"Unknown", "VSphereBackup", "HyperVBackup", "VSphereReplica", "CloudDirectorBackup", "EntraIDTenantBackup", \
	"EntraIDAuditLogBackup", "FileBackupCopy", "LegacyBackupCopy", "BackupCopy", "WindowsAgentBackup", \
	"LinuxAgentBackup", "FileBackup", "ObjectStorageBackup", "EntraIDTenantBackupCopy", "SureBackupContentScan", \
	"CloudBackupAzure", "CloudBackupAWS", "CloudBackupGoogle", "WindowsAgentBackupWorkstationPolicy", \
	"LinuxAgentBackupWorkstationPolicy", "WindowsAgentBackupServerPolicy", "LinuxAgentBackupServerPolicy"
static const char *const job_types_13r1[] = {JOB_TYPES_13R1, NULL};
static const char *const job_types_13r2[] = {
	JOB_TYPES_13R1, "NutanixAHVBackupJob", "ProxmoxBackupJob", "IrisBackup", "WindowsAgentBackupFailoverCluster", NULL,
};
static const struct {
	int since;                  /* enum vbr_ver */
	const char *const *types;
} job_type_sets[] = {
	{VBR_V10R1, job_types_10}, {VBR_V12R0, job_types_12}, {VBR_V13R0, job_types_13r0},
	{VBR_V13R1, job_types_13r1}, {VBR_V13R2, job_types_13r2},
};

static const struct job_kind *job_kind_of(const struct sess_rec *s)
{
	const char *type = catalog_type_name(s->type);
	const struct job_kind *k = job_kinds;
	for(; k->session_type; k++)
		if(!strcmp(k->session_type, type) && (!k->platform || (s->platform_name && !strcmp(k->platform, s->platform_name))))
			break;
	return k;
}

static const char *job_type_name(const struct job_kind *k, int ver)
{
	const char *const *set = job_types_10;
	for(size_t i = 0; i < sizeof(job_type_sets) / sizeof(job_type_sets[0]); i++)
		if(ver >= job_type_sets[i].since)
			set = job_type_sets[i].types;
	for(int c = 0; c < JOB_TYPES_MAX && k->types[c]; c++)
		for(const char *const *t = set; *t; t++)
			if(!strcmp(*t, k->types[c]))
				return *t;
	return set[0];
}

/* EJobWorkload: capitalized from 1.3-rev1 on, lower camel case before (as the version's words say). */
static const char *job_workload_name(struct arena *a, enum workload wl, const struct vbr_job_words *words)
{
	const char *n = workload_names[wl];
	if(words->vm[0] >= 'A' && words->vm[0] <= 'Z')
		return n;
	char *low = arena_strndup(a, n, strlen(n));
	low[0] = (char)(low[0] - 'A' + 'a');
	return low;
}

struct job_row {
	struct sess_rec s;
	struct job_row *next;
};

struct jobs {
	struct arena *a;
	struct job_row *head, *tail;
	int64_t n;
};

static int collect_job(void *ctx, const struct sess_rec *s)
{
	struct jobs *j = ctx;
	struct job_row *row = arena_zalloc(j->a, sizeof(*row));
	row->s = *s;
	if(j->tail)
		j->tail->next = row;
	else
		j->head = row;
	j->tail = row;
	j->n++;
	return 0;
}

void vbr__h_job_states(struct req *r)
{
	struct query q = {.want_total = 0};
	if(vbr__q_limit(r, &q.skip, &q.limit))
		return;
	struct jobs j = {.a = r->arena};
	enum rc rc = core_job_latest(r->arena, collect_job, &j);
	if(rc) {
		vbr_error(r, rc, 0, "cannot list jobs");
		return;
	}
	const char *name = req_query(r, "nameFilter");
	int fam = vbr__fam(r);
	const struct vbr_job_words *words = catalog_vbr(r->version)->jobs;
	struct jw w;
	vbr_json(r, 200, &w);
	jw_obj(&w);
	jw_key(&w, "data");
	jw_arr(&w);
	int64_t idx = 0, count = 0, total = 0;
	for(struct job_row *row = j.head; row; row = row->next) {
		const struct sess_rec *s = &row->s;
		const char *job = s->job_name ? s->job_name : s->name;
		if(name && *name && !strcasestr(job, name))
			continue;
		total++;
		if(idx++ < q.skip || count >= q.limit)
			continue;
		count++;
		int running = s->state != ST_STOPPED;
		jw_obj(&w);
		vbr__kuuid(&w, "id", &s->job_id);
		jw_kstr(&w, "name", job);
		const struct job_kind *kind = job_kind_of(s);
		jw_kstr(&w, "type", job_type_name(kind, r->version));
		jw_kstr(&w, "description", "");
		jw_kstr(&w, "status", running ? words->running : words->inactive);
		vbr_time(&w, "lastRun", s->creation_us);
		jw_kstr(&w, "lastResult", catalog_result_name(s->result));
		jw_kstr(&w, "workload", job_workload_name(r->arena, kind->workload, words));
		jw_kint(&w, "objectsCount", 0);
		vbr__kuuid(&w, "sessionId", &s->id);
		if(fam >= VBR_13) {
			jw_kbool(&w, "highPriority", 0);
			jw_kint(&w, "progressPercent", s->progress);
		}
		jw_obj_end(&w);
	}
	jw_arr_end(&w);
	vbr__pagination(&w, total, count, &q);
	jw_obj_end(&w);
}
