/* VB for Azure: GET policies/{virtualMachines,sql,fileShares,cosmosDb} (+/{id}); v1–v3
 * have the VM policies under policies (+/{id}). A policy is a job of core_jobs() whose
 * session type is an Azure policy type of the workload (is_policy): declared by a
 * reporter (estate job) and/or seen in sessions. It shows what the job view holds — name,
 * description, enabled, schedule configured — and the status of its newest session under
 * the property of that session's kind (backup, snapshot, archive); NeverExecuted for a
 * declared job without sessions. The properties the schema requires and nobody reports
 * are docs/ESTATE.md's neutral values. Its _links lead to its jobSessions. */
#include <string.h>
#include <strings.h>

#include "api/estate.h"
#include "api/vbaz/vbaz.h"
#include "core/core.h"
#include "core/jobs.h"
#include "model/catalog.h"
#include "model/estate.h"

#define NIL_UUID "00000000-0000-0000-0000-000000000000"

static const char *const job_statuses[] = {
	"Canceled", "Canceling", "Error", "NeverExecuted", "Running", "RunningWithError", "RunningWithWarning",
	"Success", "Warning", "Pending", "Unknown", NULL,
};
static const char *const policy_statuses[] = {"Enabled", "Disabled", "Unknown", NULL};

/* One row per policy kind: its path word, the policyType its sessions have, the first
 * version with the path, and the query parameter that names a protected object. */
static const struct kind {
	const char *word;
	const char *policy_type;
	int workload;                 /* enum vbaz__workload */
	int since;
	const char *object_param;
	int repository_param;         /* RepositoryId is documented */
} kinds[] = {
	{"virtualMachines", "VirtualMachines", AZW_VM, AZ_V4, "VirtualMachineId", 1},
	{"sql", "AzureSql", AZW_SQL, AZ_V4, "DatabaseId", 1},
	{"fileShares", "FileShares", AZW_SHARE, AZ_V4, "FileShareId", 0},
	{"cosmosDb", "CosmosDb", AZW_COSMOS, AZ_V6, "AccountId", 1},
};
#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

/* The kind a path names: policies/<word>, or v1–v3's untyped policies (VMs). */
static const struct kind *kind_of(struct req *r)
{
	const char *p = strstr(r->path, "/policies");
	p = p ? p + 9 : "";
	if(*p == '/') {
		p++;
		size_t n = strcspn(p, "/");
		for(size_t i = 0; i < NKINDS; i++)
			if(strlen(kinds[i].word) == n && !strncmp(p, kinds[i].word, n))
				return vbaz__path_in(r, kinds[i].since, 0) ? &kinds[i] : NULL;
	}
	return vbaz__path_in(r, AZ_V1, AZ_V3) ? &kinds[0] : NULL;
}

static const char *policy_path(struct req *r, const struct kind *k)
{
	return r->version < AZ_V4 ? "policies" : arena_printf(r->arena, "policies/%s", k->word);
}

/* The JobStatus of the job's newest session; NeverExecuted when it never ran. */
static const char *last_status(const struct job_view *j)
{
	if(!j->has_last)
		return "NeverExecuted";
	const struct sess_rec *s = &j->last;
	return catalog_az_status(s->state, s->result, s->is_canceled, s->stop_requested);
}

/* The property of a policy that shows the status of sessions of type t. */
static const char *status_key(const struct kind *k, int t)
{
	const char *name = vbaz__az_type(t, AZ_V81);
	if(strstr(name, "Archive"))
		return "archiveStatus";
	if(strstr(name, "Snapshot") || k->workload == AZW_SHARE)
		return "snapshotStatus";
	return "backupStatus";
}

static void render(struct req *r, struct jw *w, const struct kind *k, const struct job_view *j, const char *base)
{
	char id[UUID_STR_LEN + 1];
	uuid_format(&j->id, id);
	jw_obj(w);
	jw_kstr(w, "id", id);
	if(k->workload == AZW_VM)
		jw_kstr(w, "serviceAccountId", NIL_UUID);
	jw_kstr(w, status_key(k, j->type), last_status(j));
	if(j->next_run_us)
		vbaz__ktime(w, "nextExecutionTime", j->next_run_us);
	if(k->workload == AZW_VM)
		jw_kbool(w, "isBackupConfigured", j->repository != NULL);
	if(j->declared && (k->workload == AZW_VM || k->workload == AZW_SHARE))
		jw_kbool(w, "isScheduleConfigured", j->schedule != NULL);
	const char *self = arena_printf(r->arena, "%s/%s/%s", base, policy_path(r, k), id);
	vbaz__links(w, self, "jobSessions", arena_printf(r->arena, "%s/jobSessions?PolicyId=%s", base, id));
	if(j->name)
		jw_kstr(w, "name", j->name);
	if(j->description)
		jw_kstr(w, "description", j->description);
	if(j->declared)
		jw_kbool(w, "isEnabled", !j->disabled);
	jw_obj_end(w);
}

struct filter {
	struct req *r;
	const struct kind *k;
	const char *name;             /* PolicyName: equal, case-insensitive */
	unsigned last, enabled;       /* LastJobStatus, PolicyStatus masks */
	const char *object;           /* the name of the protected object the id names */
	int object_given;
	struct uuid repository;
	int repository_given;
	struct job_view *v;           /* the matches, by name */
	size_t n, cap;
};

/* Whether the declared job lists the object (case-insensitively). */
static int protects(struct req *r, const struct job_view *j, const char *object)
{
	struct estate_rec e;
	if(!j->declared || core_estate_get(EK_job, &j->id, r->arena, &e))
		return 0;
	json_t *p = estate_props(&e), *v;
	size_t i;
	int found = 0;
	json_array_foreach(json_object_get(p, "objects"), i, v)
		found |= json_is_string(v) && !strcasecmp(json_string_value(v), object);
	json_decref(p);
	return found;
}

/* Whether jobs of type t are policies of kind k: t is an Azure type of its own (its
 * catalog name is its JobSessionType value: a VBR backup job, shown to Azure clients as
 * PolicyBackup, is no policy) and a policy type of the kind's workload. */
static int is_policy(const struct kind *k, int t)
{
	const char *pt = vbaz__policy_type_of(t);
	return pt && !strcmp(pt, k->policy_type) && !strcmp(catalog_type_name(t), catalog_type_az(t));
}

static int matches(struct filter *f, const struct job_view *j)
{
	if(!is_policy(f->k, j->type))
		return 0;
	if(f->name && (!j->name || strcasecmp(j->name, f->name)))
		return 0;
	int st = vbaz__enum_index(job_statuses, last_status(j));
	if(f->last && (st < 0 || !(f->last & (1u << st))))
		return 0;
	if(f->enabled && !(f->enabled & (1u << (j->declared ? j->disabled : 2))))
		return 0;
	if(f->repository_given && !uuid_eq(&j->repository_id, &f->repository))
		return 0;
	if(f->object_given && (!f->object || !protects(f->r, j, f->object)))
		return 0;
	return 1;
}

static int collect(void *ctx, const struct job_view *j)
{
	struct filter *f = ctx;
	if(!matches(f, j))
		return 0;
	if(f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 64;
		struct job_view *v = arena_alloc(f->r->arena, cap * sizeof(*v));
		if(f->n)
			memcpy(v, f->v, f->n * sizeof(*v));
		f->v = v;
		f->cap = cap;
	}
	f->v[f->n++] = *j;
	return 0;
}

struct page {
	const struct kind *k;
	const struct job_view *v;     /* the page's first policy */
	const char *base;
};

static void page_row(struct req *r, struct jw *w, size_t i, void *ctx)
{
	struct page *pg = ctx;
	render(r, w, pg->k, &pg->v[i], pg->base);
}

void vbaz__h_policies(struct req *r)
{
	struct filter f = {.r = r, .k = kind_of(r)};
	if(!f.k)
		return;
	int64_t offset, limit;
	if(vbaz__paging(r, &offset, &limit) || vbaz__enum_param(r, "LastJobStatus", job_statuses, &f.last) ||
	   vbaz__enum_param(r, "PolicyStatus", policy_statuses, &f.enabled))
		return;
	const char *v = req_query(r, "PolicyName");
	f.name = v && *v ? v : NULL;
	if(f.k->repository_param && (v = req_query(r, "RepositoryId")) && *v) {
		f.repository_given = 1;
		if(uuid_parse(v, strlen(v), &f.repository))   /* names no repository of the estate */
			memset(&f.repository, 0xff, sizeof(f.repository));
	}
	if((v = req_query(r, f.k->object_param)) && *v) {
		struct vbaz__estate es;
		struct uuid u;
		f.object_given = 1;
		if(!uuid_parse(v, strlen(v), &u)) {
			if(vbaz__estate_read(r, &es))
				return;
			const struct vbaz__object *o = vbaz__estate_object(&es, f.k->workload, &u);
			f.object = o ? o->e->name : NULL;
		}
	}
	enum rc rc = core_jobs(r->arena, collect, &f);
	if(rc) {
		vbaz__error(r, rc, 0, "cannot read the jobs");
		return;
	}
	struct page *pg = arena_alloc(r->arena, sizeof(*pg));
	pg->k = f.k;
	pg->v = offset < (int64_t)f.n ? f.v + offset : f.v;   /* f.v is NULL without matches */
	pg->base = vbaz__api_base(r);
	vbaz__send_rows(r, offset, limit, (int64_t)f.n, vbaz__page_rows((int64_t)f.n, offset, limit), page_row, pg,
	                arena_printf(r->arena, "%s/%s", pg->base, policy_path(r, f.k)));
}

void vbaz__h_policy(struct req *r)
{
	const struct kind *k = kind_of(r);
	if(!k)
		return;
	const char *id = r->nparams > 1 ? r->params[1] : "";
	struct uuid u;
	struct job_view j;
	enum rc rc = uuid_parse(id, strlen(id), &u) ? RC_NOTFOUND : core_job_get(&u, r->arena, &j);
	if(rc == RC_NOTFOUND || (!rc && !is_policy(k, j.type))) {
		vbaz__not_found(r, "policy");
		return;
	}
	if(rc) {
		vbaz__error(r, rc, 0, "cannot read the job");
		return;
	}
	struct jw w;
	vbaz__json_answer(r, 200, &w);
	render(r, &w, k, &j, vbaz__api_base(r));
}
