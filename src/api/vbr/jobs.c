/* VBR dialect: /api/v1/jobs (+ /{id}) and /api/v1/jobs/states, from core's job view
 * (core/jobs.h: declared in the estate and/or seen in sessions). */
#include "api/vbr/vbr_int.h"

#include <string.h>

#include "api/estate.h"
#include "core/jobs.h"
#include "model/estate.h"

/* ---------- what kind of job ---------- */

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
	{"NasBackup", NULL, {"FileBackup", "Unknown", "Backup"}, WL_FILE},
	/* VB for Azure policies (their sessions' own types): Azure cloud backup jobs */
	{"PolicyBackup", NULL, {"CloudBackupAzure", "Unknown", "Backup"}, WL_CLOUD_VM},
	{"PolicySnapshot", NULL, {"CloudBackupAzure", "Unknown", "Backup"}, WL_CLOUD_VM},
	{"PolicyArchive", NULL, {"CloudBackupAzure", "Unknown", "Backup"}, WL_CLOUD_VM},
	{"AutoBackup", NULL, {"CloudBackupAzure", "Unknown", "Backup"}, WL_CLOUD_VM},
	{"SqlPolicyBackup", NULL, {"CloudBackupAzure", "Unknown", "Backup"}, WL_APPLICATION},
	{"SqlPolicyArchive", NULL, {"CloudBackupAzure", "Unknown", "Backup"}, WL_APPLICATION},
	{"PostgresDbPolicyBackup", NULL, {"CloudBackupAzure", "Unknown", "Backup"}, WL_APPLICATION},
	{"PostgresDbPolicyArchive", NULL, {"CloudBackupAzure", "Unknown", "Backup"}, WL_APPLICATION},
	{"MongoDbPolicyBackup", NULL, {"CloudBackupAzure", "Unknown", "Backup"}, WL_APPLICATION},
	{"MongoDbPolicyArchive", NULL, {"CloudBackupAzure", "Unknown", "Backup"}, WL_APPLICATION},
	{"FileSharePolicySnapshot", NULL, {"CloudBackupAzure", "Unknown", "Backup"}, WL_FILE},
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

/* A word of the version's case: EJobStatus and EJobWorkload are capitalized from 1.3-rev1 on,
 * lower camel case before (as the version's words say). */
static const char *cased(struct arena *a, const char *n, const struct vbr_job_words *words)
{
	if(words->vm[0] >= 'A' && words->vm[0] <= 'Z')
		return n;
	char *low = arena_strndup(a, n, strlen(n));
	low[0] = (char)(low[0] - 'A' + 'a');
	return low;
}

/* The kind of a job: its type (declared, else its last session's) and its last session's
 * platform pick the row of job_kinds. */
static const struct job_kind *view_kind(const struct job_view *j)
{
	struct sess_rec s = {.type = j->type, .platform_name = j->has_last ? j->last.platform_name : NULL};
	return job_kind_of(&s);
}

/* ---------- jobs/states ---------- */

static void render_state(struct req *r, struct jw *w, const struct job_view *j)
{
	const struct vbr_job_words *words = catalog_vbr(r->version)->jobs;
	const struct job_kind *kind = view_kind(j);
	int running = j->has_last && j->last.state != ST_STOPPED;
	jw_obj(w);
	vbr__kuuid(w, "id", &j->id);
	jw_kstr(w, "name", j->name);
	jw_kstr(w, "type", job_type_name(kind, r->version));
	jw_kstr(w, "description", j->description ? j->description : "");
	jw_kstr(w, "status", running ? words->running : j->disabled ? cased(r->arena, "Disabled", words) : words->inactive);
	if(j->has_last)
		vbr_time(w, "lastRun", j->last.creation_us);
	jw_kstr(w, "lastResult", catalog_result_name(j->has_last ? j->last.result : RES_NONE));
	if(j->next_run_us)
		vbr_time(w, "nextRun", j->next_run_us);
	jw_kstr(w, "workload", cased(r->arena, workload_names[kind->workload], words));
	vbr__kuuid_opt(w, "repositoryId", &j->repository_id);
	if(j->repository)
		jw_kstr(w, "repositoryName", j->repository);
	jw_kint(w, "objectsCount", j->objects > 0 ? j->objects : 0);
	if(j->has_last)
		vbr__kuuid(w, "sessionId", &j->last.id);
	if(vbr__fam(r) >= VBR_13) {
		jw_kbool(w, "highPriority", 0);
		jw_kint(w, "progressPercent", j->has_last ? j->last.progress : 0);
	}
	jw_obj_end(w);
}

/* Every EJobType of any version, for typeFilter. */
static const char *const any_job_type[] = {
	"Backup", JOB_TYPES_13R1, "NutanixAHVBackupJob", "ProxmoxBackupJob", "IrisBackup",
	"WindowsAgentBackupFailoverCluster", NULL,
};
static const char *const results[] = {"None", "Success", "Warning", "Failed", NULL};
static const char *const statuses[] = {"Running", "Inactive", "Disabled", "Enabled", "Stopping", "Stopped", "Starting", NULL};
static const char *const workloads[] = {"Application", "CloudVm", "File", "Server", "Workstation", "Vm", NULL};

static const struct vbr__efilter state_filters[] = {
	{"idFilter", "id", FM_UUID, 0, NULL},
	{"nameFilter", "name", FM_CONTAINS, 0, NULL},
	{"typeFilter", "type", FM_ENUM, 0, any_job_type},
	{"lastResultFilter", "lastResult", FM_ENUM, 0, results},
	{"statusFilter", "status", FM_ENUM, 0, statuses},
	{"workloadFilter", "workload", FM_ENUM, 0, workloads},
	{"lastRunAfterFilter", "lastRun", FM_AFTER, 0, NULL},
	{"lastRunBeforeFilter", "lastRun", FM_BEFORE, 0, NULL},
	{"isHighPriorityJobFilter", "highPriority", FM_BOOL, 0, NULL},
	{"repositoryIdFilter", "repositoryId", FM_UUID, 0, NULL},
	{"objectsCountFilter", "objectsCount", FM_NUMBER, 0, NULL},
	{"afterJobIdFilter", "runAfterJob.jobId", FM_UUID, 0, NULL},
	{"afterJobNameFilter", "runAfterJob.name", FM_TEXT, 0, NULL},
	{NULL, NULL, 0, 0, NULL},
};
static const struct vbr__eorder state_orders[] = {
	{"Name", "name"}, {"Type", "type"}, {"Status", "status"}, {"LastRun", "lastRun"}, {"LastResult", "lastResult"},
	{"NextRun", "nextRun"}, {"Description", "description"}, {"RepositoryId", "repositoryId"},
	{"ObjectsCount", "objectsCount"}, {"RepositoryName", "repositoryName"}, {"AfterJobName", "runAfterJob.name"},
	{NULL, NULL},
};

struct pick_jobs {
	struct req *r;
	struct vbr__pick *pick;
	struct buf scratch;
	void (*render)(struct req *r, struct jw *w, const struct job_view *j);
	/* the plain case: the page rendered straight into the answer, in core's order (by name) */
	struct jw *out;
	const struct query *page;
	int64_t seen, count;
};

static int page_job(void *ctx, const struct job_view *j)
{
	struct pick_jobs *p = ctx;
	if(p->seen++ >= p->page->skip && p->count < p->page->limit) {
		p->render(p->r, p->out, j);
		p->count++;
	}
	return 0;
}

static int pick_job(void *ctx, const struct job_view *j)
{
	struct pick_jobs *p = ctx;
	buf_reset(&p->scratch);
	struct jw w;
	jw_init(&w, &p->scratch);
	p->render(p->r, &w, j);
	vbr__pick_add(p->pick, p->scratch.p, p->scratch.len);
	return 0;
}

static void list_jobs(struct req *r, const struct vbr__efilter *filters, const struct vbr__eorder *orders,
                      void (*render)(struct req *r, struct jw *w, const struct job_view *j))
{
	struct pick_jobs p = {.r = r, .render = render};
	if(!(p.pick = vbr__pick_begin(r, filters, orders, NULL)))
		return;
	if(vbr__pick_plain(p.pick)) {
		struct jw w;
		vbr_json(r, 200, &w);
		jw_obj(&w);
		jw_key(&w, "data");
		jw_arr(&w);
		p.out = &w;
		p.page = vbr__pick_page(p.pick);
		enum rc rc = core_jobs(r->arena, page_job, &p);
		if(rc) {
			vbr_error(r, rc, 0, "cannot list jobs");
			return;
		}
		jw_arr_end(&w);
		vbr__pagination(&w, p.seen, p.count, p.page);
		jw_obj_end(&w);
		return;
	}
	buf_init(&p.scratch, 0);
	enum rc rc = core_jobs(r->arena, pick_job, &p);
	buf_free(&p.scratch);
	vbr__pick_answer(p.pick, rc, "jobs");
}

void vbr__h_job_states(struct req *r) { list_jobs(r, state_filters, state_orders, render_state); }

/* ---------- jobs: the job's definition (JobModel) ---------- */

/* The JobModel of a job. Its definition (what it backs up, how, where) is what a reporter
 * declared. A backup job (Backup, VSphereBackup, HyperVBackup), an agent job (1.3) and a file
 * backup (1.3-rev1) are shown in their model with the neutral settings docs/ESTATE.md lists;
 * a job of another type, whose model needs settings nobody reports, in the backup job model
 * (Backup before 1.3, VSphereBackup from 1.3). */
enum job_shape { JS_BACKUP, JS_HYPERV, JS_AGENT, JS_BASE };

static enum job_shape job_shape(const char **type, int ver)
{
	static const struct {
		const char *type;
		enum job_shape shape;
		int since;              /* enum vbr_ver */
	} shapes[] = {
		{"Backup", JS_BACKUP, 0}, {"VSphereBackup", JS_BACKUP, 0}, {"HyperVBackup", JS_HYPERV, 0},
		{"WindowsAgentBackup", JS_AGENT, VBR_V13R0}, {"LinuxAgentBackup", JS_AGENT, VBR_V13R0},
		{"FileBackup", JS_BASE, VBR_V13R1},
	};
	for(size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++)
		if(!strcmp(*type, shapes[i].type) && ver >= shapes[i].since)
			return shapes[i].shape;
	*type = catalog_vbr_family(ver) >= VBR_13 ? "VSphereBackup" : "Backup";
	return JS_BACKUP;
}

static void backup_settings(struct req *r, struct jw *w, const struct job_view *j, int hyperv)
{
	jw_kbool(w, "isHighPriority", 0);
	jw_key(w, "guestProcessing");
	jw_obj(w);
	jw_key(w, "appAwareProcessing");
	jw_obj(w);
	jw_kbool(w, "isEnabled", 0);
	jw_obj_end(w);
	jw_key(w, "guestFSIndexing");
	jw_obj(w);
	jw_kbool(w, "isEnabled", 0);
	jw_obj_end(w);
	jw_obj_end(w);
	jw_key(w, "schedule");
	jw_obj(w);
	jw_kbool(w, "runAutomatically", j->schedule != NULL);
	jw_obj_end(w);
	jw_key(w, "storage");
	jw_obj(w);
	jw_key(w, "backupProxies");
	jw_obj(w);
	if(hyperv)
		jw_kstr(w, "proxyType", cased(r->arena, "OnHost", catalog_vbr(r->version)->jobs));   /* 1.3-rev0: onHost */
	else
		jw_kbool(w, vbr__fam(r) >= VBR_12 ? "autoSelectEnabled" : "autoSelection", 1);
	jw_obj_end(w);
	vbr__kuuid(w, "backupRepositoryId", &j->repository_id);   /* nil when it names none */
	jw_key(w, "retentionPolicy");
	jw_obj(w);
	jw_kstr(w, "type", "RestorePoints");
	jw_kint(w, "quantity", 0);
	jw_obj_end(w);
	jw_obj_end(w);
	jw_key(w, "virtualMachines");
	jw_obj(w);
	jw_key(w, "includes");
	jw_arr(w);
	jw_arr_end(w);
	jw_obj_end(w);
}

static void render_job(struct req *r, struct jw *w, const struct job_view *j)
{
	const char *type = job_type_name(view_kind(j), r->version);
	enum job_shape shape = job_shape(&type, r->version);
	jw_obj(w);
	vbr__kuuid(w, "id", &j->id);
	jw_kstr(w, "name", j->name);
	jw_kstr(w, "type", type);
	jw_kstr(w, "description", j->description ? j->description : "");
	jw_kbool(w, "isDisabled", j->disabled);
	if(shape == JS_BACKUP || shape == JS_HYPERV)
		backup_settings(r, w, j, shape == JS_HYPERV);
	if(shape == JS_AGENT) {
		jw_key(w, "computers");
		jw_arr(w);
		jw_arr_end(w);
		jw_kstr(w, "backupMode", "EntireComputer");
	}
	jw_obj_end(w);
}

static const struct vbr__efilter job_filters[] = {
	{"nameFilter", "name", FM_CONTAINS, 0, NULL},
	{"typeFilter", "type", FM_ENUM, 0, any_job_type},
	{NULL, NULL, 0, 0, NULL},
};
static const struct vbr__eorder job_orders[] = {
	{"Name", "name"}, {"Type", "type"}, {"Description", "description"}, {NULL, NULL},
};

void vbr__h_jobs(struct req *r) { list_jobs(r, job_filters, job_orders, render_job); }

void vbr__h_job(struct req *r)
{
	struct uuid id;
	if(vbr_path_uuid(r, 0, &id))
		return;
	struct job_view j;
	enum rc rc = core_job_get(&id, r->arena, &j);
	if(rc) {
		vbr_error(r, rc, 0, rc == RC_NOTFOUND ? "job not found" : "cannot read the job");
		return;
	}
	struct jw w;
	vbr_json(r, 200, &w);
	render_job(r, &w, &j);
}

const char *vbr__job_type(struct req *r, const struct uuid *job)
{
	struct estate_rec e;
	struct sess_rec s = {.type = -1};
	if(!uuid_is_nil(job) && !core_estate_get(EK_job, job, r->arena, &e)) {
		json_t *p = estate_props(&e);
		s.type = catalog_type_parse(estate_pstr(p, "type"));
		json_decref(p);
	}
	if(s.type < 0)
		s.type = catalog_type_parse("BackupJob");
	return job_type_name(job_kind_of(&s), r->version);
}
