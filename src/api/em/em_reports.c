/* Enterprise Manager summary reports (/api/reports/summary/…): aggregates over the jobs
 * (core/jobs.h), the sessions EM's collections list, and the estate. docs/ESTATE.md says
 * where every number comes from. */
#include "api/em/em.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/api.h"
#include "api/estate.h"
#include "core/core.h"
#include "core/jobs.h"
#include "model/catalog.h"
#include "model/estate.h"
#include "model/query.h"

/* Opens report frame elem (its Href and Type: the XSD requires them). */
static void frame_begin(struct req *r, struct em__out *o, const char *elem)
{
	em__out_begin(r, o, 200);
	em__open(o, elem);
	em__attr(o, "Href", em__href(r, "%s", r->path));
	em__attr(o, "Type", elem);
}

/* ---------- estate walks ---------- */

/* Names (lowercased copies are not needed: compared case-insensitively once sorted). */
struct names {
	struct arena *a;
	const char **v;
	size_t n, cap;
};

static void names_add(struct names *s, const char *name)
{
	if(!name)
		return;
	if(s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 64;
		const char **nv = arena_alloc(s->a, sizeof(*nv) * s->cap);
		if(s->n)
			memcpy(nv, s->v, sizeof(*nv) * s->n);
		s->v = nv;
	}
	s->v[s->n++] = name;
}

static int cmp_name(const void *x, const void *y)
{
	return strcasecmp(*(const char *const *)x, *(const char *const *)y);
}

/* How many different names (case-insensitively) s holds; sorts s. */
static int64_t names_distinct(struct names *s)
{
	if(!s->n)
		return 0;
	qsort(s->v, s->n, sizeof(*s->v), cmp_name);
	int64_t d = 1;
	for(size_t i = 1; i < s->n; i++)
		d += strcasecmp(s->v[i - 1], s->v[i]) != 0;
	return d;
}

static int count_row(void *ctx, const struct estate_rec *e)
{
	(void)e;
	++*(int64_t *)ctx;
	return 0;
}

static enum rc count_kind(struct arena *a, int kind, int64_t *n)
{
	struct estate_query q = {.kind = kind, .after_usn = -1};
	*n = 0;
	return core_estate_list(&q, a, count_row, n, NULL);
}

/* ---------- jobs ---------- */

struct job_totals {
	struct arena *a;
	int64_t running, scheduled, scheduled_backup, scheduled_replica;
	int64_t vm_success, vm_warning, vm_failed; /* task sessions of each job's newest session */
	int64_t finished_backup, success_backup;   /* backup jobs whose newest session is over */
	int want_tasks;
	enum rc rc;
};

static int count_task(void *ctx, const struct task_rec *t)
{
	struct job_totals *jt = ctx;
	jt->vm_success += t->result == RES_SUCCESS;
	jt->vm_warning += t->result == RES_WARNING;
	jt->vm_failed += t->result == RES_FAILED;
	return 0;
}

static int add_job(void *ctx, const struct job_view *j)
{
	struct job_totals *jt = ctx;
	if(!em__job_shown(j))
		return 0;
	int fam = catalog_type_em_family(j->type);
	int backup = fam == EMF_BACKUP || fam == EMF_NAS || fam == EMF_AGENT || fam == EMF_NONE;
	if(j->has_last && j->last.state != ST_STOPPED)
		jt->running++;
	if(j->declared && j->schedule && !j->disabled) {
		jt->scheduled++;
		jt->scheduled_backup += backup;
		jt->scheduled_replica += fam == EMF_REPLICA;
	}
	if(j->has_last && j->last.state == ST_STOPPED && backup) {
		jt->finished_backup++;
		jt->success_backup += j->last.result == RES_SUCCESS;
	}
	if(jt->want_tasks && j->has_last && !jt->rc) {
		struct query q = {.where = q_uuid(jt->a, QF_SESSION_ID, Q_EQ, &j->last.id), .order = QO_CREATION,
		                  .limit = -1};
		jt->rc = core_task_list(&q, jt->a, count_task, jt, NULL);
	}
	return 0;
}

static enum rc job_totals(struct req *r, struct job_totals *jt, int want_tasks)
{
	memset(jt, 0, sizeof(*jt));
	jt->a = r->arena;
	jt->want_tasks = want_tasks;
	enum rc rc = core_jobs(r->arena, add_job, jt);
	return rc ? rc : jt->rc;
}

/* GET /api/reports/summary/overview */
void em__h_report_overview(struct req *r)
{
	struct em__servers v;
	struct job_totals jt;
	int64_t proxies, repositories;
	enum rc rc = em__servers_list(r->arena, &v);
	if(!rc)
		rc = count_kind(r->arena, EK_proxy, &proxies);
	if(!rc)
		rc = count_kind(r->arena, EK_repository, &repositories);
	if(!rc)
		rc = job_totals(r, &jt, 1);
	if(rc) {
		em__error(r, rc, 0, "cannot compute the report");
		return;
	}
	struct em__out o;
	frame_begin(r, &o, "OverviewReportFrame");
	em__int(&o, "BackupServers", v.n);
	em__int(&o, "ProxyServers", proxies);
	em__int(&o, "RepositoryServers", repositories);
	em__int(&o, "RunningJobs", jt.running);
	em__int(&o, "ScheduledJobs", jt.scheduled);
	em__int(&o, "SuccessfulVmLastestStates", jt.vm_success);
	em__int(&o, "WarningVmLastestStates", jt.vm_warning);
	em__int(&o, "FailedVmLastestStates", jt.vm_failed);
	em__close(&o);
}

/* ---------- protected objects and restore points ---------- */

struct vms {
	struct names backed_up, replicated;
	int64_t protected, source_size, points, full_size, incr_size;
};

static int is_vm(json_t *p)
{
	const char *type = estate_pstr(p, "type");
	return type && !strcasecmp(type, "Vm");
}

static int add_object(void *ctx, const struct estate_rec *e)
{
	struct vms *v = ctx;
	json_t *p = estate_props(e);
	if(is_vm(p)) {
		v->protected++;
		v->source_size += estate_pint(p, "sizeBytes", 0);
	}
	json_decref(p);
	return 0;
}

static int add_point(void *ctx, const struct estate_rec *e)
{
	struct vms *v = ctx;
	json_t *p = estate_props(e);
	v->points++;
	const char *kind = estate_pstr(p, "pointType");
	int64_t size = estate_pint(p, "sizeBytes", 0);
	if(kind && !strcmp(kind, "Full"))
		v->full_size += size;
	else if(kind && !strcmp(kind, "Increment"))
		v->incr_size += size;
	names_add(&v->backed_up, arena_strdup(v->backed_up.a, estate_pstr(p, "object")));
	json_decref(p);
	return 0;
}

static int add_replica(void *ctx, const struct estate_rec *e)
{
	struct vms *v = ctx;
	json_t *p = estate_props(e);
	const char *object = estate_pstr(p, "object");
	names_add(&v->replicated, arena_strdup(v->replicated.a, object ? object : e->name));
	json_decref(p);
	return 0;
}

/* GET /api/reports/summary/vms_overview */
void em__h_report_vms(struct req *r)
{
	struct vms v = {.backed_up = {.a = r->arena}, .replicated = {.a = r->arena}};
	struct estate_query q = {.kind = EK_protectedObject, .after_usn = -1};
	struct job_totals jt;
	enum rc rc = core_estate_list(&q, r->arena, add_object, &v, NULL);
	q.kind = EK_restorePoint;
	if(!rc)
		rc = core_estate_list(&q, r->arena, add_point, &v, NULL);
	q.kind = EK_replica;
	if(!rc)
		rc = core_estate_list(&q, r->arena, add_replica, &v, NULL);
	if(!rc)
		rc = job_totals(r, &jt, 0);
	if(rc) {
		em__error(r, rc, 0, "cannot compute the report");
		return;
	}
	struct em__out o;
	frame_begin(r, &o, "VmsOverviewReportFrame");
	em__int(&o, "ProtectedVms", v.protected);
	em__int(&o, "BackedUpVms", names_distinct(&v.backed_up));
	em__int(&o, "ReplicatedVms", names_distinct(&v.replicated));
	em__int(&o, "RestorePoints", v.points);
	em__int(&o, "FullBackupPointsSize", v.full_size);
	em__int(&o, "IncrementalBackupPointsSize", v.incr_size);
	em__int(&o, "ReplicaRestorePointsSize", 0);
	em__int(&o, "SourceVmsSize", v.source_size);
	em__int(&o, "SuccessBackupPercents", jt.finished_backup ? jt.success_backup * 100 / jt.finished_backup : 0);
	em__str(&o, "ProtectedVmsReportLink", "");
	em__close(&o);
}

/* ---------- job runs ---------- */

struct runs {
	int64_t total, success, warning, failed;
	int64_t max_us, max_backup_us, max_replica_us;
	const char *max_backup_name, *max_replica_name;
	struct arena *a;
};

static int add_run(void *ctx, const struct sess_rec *s)
{
	struct runs *n = ctx;
	n->total++;
	n->success += s->result == RES_SUCCESS;
	n->warning += s->result == RES_WARNING;
	n->failed += s->result == RES_FAILED;
	if(s->state != ST_STOPPED || s->end_us < s->creation_us)
		return 0;
	int64_t d = s->end_us - s->creation_us;
	if(d > n->max_us)
		n->max_us = d;
	int replica = catalog_type_em_family(s->type) == EMF_REPLICA;
	if(replica && d > n->max_replica_us) {
		n->max_replica_us = d;
		n->max_replica_name = arena_strdup(n->a, em__job_name(s));
	} else if(!replica && d > n->max_backup_us) {
		n->max_backup_us = d;
		n->max_backup_name = arena_strdup(n->a, em__job_name(s));
	}
	return 0;
}

/* GET /api/reports/summary/job_statistics: jobs now, and the runs of the window EM's
 * session collections list (the last 30 days) of backup, replica, file share and agent jobs. */
void em__h_report_jobs(struct req *r)
{
	struct job_totals jt;
	struct runs n = {.a = r->arena};
	enum rc rc = job_totals(r, &jt, 0);
	unsigned fams = EM__JOB_FAMILIES & ~EM__FAM(EMF_RESTORE);
	struct query q = {.where = q_and(r->arena, em__types_where(r->arena, QF_TYPE, fams),
	                                 q_int(r->arena, QF_CREATION, Q_GE, r->now_us - EM__DAYS30_US)),
	                  .order = QO_CREATION, .limit = -1};
	if(!rc)
		rc = core_session_list(&q, r->arena, add_run, &n, NULL);
	if(rc) {
		em__error(r, rc, 0, "cannot compute the report");
		return;
	}
	struct em__out o;
	frame_begin(r, &o, "JobStatisticsReportFrame");
	em__int(&o, "RunningJobs", jt.running);
	em__int(&o, "ScheduledJobs", jt.scheduled);
	em__int(&o, "ScheduledBackupJobs", jt.scheduled_backup);
	em__int(&o, "ScheduledReplicaJobs", jt.scheduled_replica);
	em__int(&o, "TotalJobRuns", n.total);
	em__int(&o, "SuccessfulJobRuns", n.success);
	em__int(&o, "WarningsJobRuns", n.warning);
	em__int(&o, "FailedJobRuns", n.failed);
	em__int(&o, "MaxJobDuration", n.max_us / 1000000);   /* TimeSpan: whole seconds */
	em__int(&o, "MaxBackupJobDuration", n.max_backup_us / 1000000);
	em__int(&o, "MaxReplicaJobDuration", n.max_replica_us / 1000000);
	em__str(&o, "MaxDurationBackupJobName", n.max_backup_name ? n.max_backup_name : "");
	em__str(&o, "MaxDurationReplicaJobName", n.max_replica_name ? n.max_replica_name : "");
	em__str(&o, "BackupJobStatusReportLink", "");
	em__close(&o);
}

/* ---------- repositories ---------- */

struct repo_row {
	const char *name;
	int64_t capacity, free, backup_size;
};

/* A backup's repository, by the backup's id. */
struct backup_repo {
	struct uuid id;
	const char *repository;
};

struct repos {
	struct arena *a;
	struct repo_row *v;
	size_t n, cap;
	struct backup_repo *b;      /* every backup that names its repository, by id */
	size_t nb, capb;
};

static int add_repo(void *ctx, const struct estate_rec *e)
{
	struct repos *s = ctx;
	if(s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 16;
		struct repo_row *nv = arena_alloc(s->a, sizeof(*nv) * s->cap);
		if(s->n)
			memcpy(nv, s->v, sizeof(*nv) * s->n);
		s->v = nv;
	}
	json_t *p = estate_props(e);
	s->v[s->n++] = (struct repo_row){.name = e->name, .capacity = estate_pint(p, "capacityBytes", 0),
	                                 .free = estate_pint(p, "freeBytes", 0)};
	json_decref(p);
	return 0;
}

static int add_backup(void *ctx, const struct estate_rec *e)
{
	struct repos *s = ctx;
	json_t *p = estate_props(e);
	const char *repo = estate_pstr(p, "repository");
	if(repo) {
		if(s->nb == s->capb) {
			s->capb = s->capb ? 2 * s->capb : 16;
			struct backup_repo *nv = arena_alloc(s->a, sizeof(*nv) * s->capb);
			if(s->nb)
				memcpy(nv, s->b, sizeof(*nv) * s->nb);
			s->b = nv;
		}
		s->b[s->nb++] = (struct backup_repo){.id = e->id, .repository = arena_strdup(s->a, repo)};
	}
	json_decref(p);
	return 0;
}

static int cmp_repo(const void *x, const void *y)
{
	return strcasecmp(((const struct repo_row *)x)->name, ((const struct repo_row *)y)->name);
}

static int cmp_backup(const void *x, const void *y)
{
	return memcmp(((const struct backup_repo *)x)->id.b, ((const struct backup_repo *)y)->id.b, sizeof(struct uuid));
}

/* A restore point's size counts in its repository: its own, else its backup's. */
static int add_point_size(void *ctx, const struct estate_rec *e)
{
	struct repos *s = ctx;
	json_t *p = estate_props(e);
	const char *repo = estate_pstr(p, "repository");
	if(!repo && !uuid_is_nil(&e->parent_id) && s->nb) {
		struct backup_repo key = {.id = e->parent_id};
		const struct backup_repo *b = bsearch(&key, s->b, s->nb, sizeof(*s->b), cmp_backup);
		repo = b ? b->repository : NULL;
	}
	if(repo && s->n) {
		struct repo_row key = {.name = repo};
		struct repo_row *hit = bsearch(&key, s->v, s->n, sizeof(*s->v), cmp_repo);
		if(hit)
			hit->backup_size += estate_pint(p, "sizeBytes", 0);
	}
	json_decref(p);
	return 0;
}

/* GET /api/reports/summary/repository: one Period per repository, by name. */
void em__h_report_repositories(struct req *r)
{
	struct repos s = {.a = r->arena};
	struct estate_query q = {.kind = EK_repository, .after_usn = -1};
	enum rc rc = core_estate_list(&q, r->arena, add_repo, &s, NULL);
	if(!rc && s.n) {
		qsort(s.v, s.n, sizeof(*s.v), cmp_repo);
		q.kind = EK_backup;
		rc = core_estate_list(&q, r->arena, add_backup, &s, NULL);
	}
	if(!rc && s.n) {
		if(s.nb)
			qsort(s.b, s.nb, sizeof(*s.b), cmp_backup);
		q.kind = EK_restorePoint;
		rc = core_estate_list(&q, r->arena, add_point_size, &s, NULL);
	}
	if(rc) {
		em__error(r, rc, 0, "cannot compute the report");
		return;
	}
	struct em__out o;
	frame_begin(r, &o, "RepositoryReportFrame");
	em__seq(&o, "Period");
	for(size_t i = 0; i < s.n; i++) {
		em__open(&o, "Period");
		em__str(&o, "Name", s.v[i].name);
		em__int(&o, "Capacity", s.v[i].capacity);
		em__int(&o, "FreeSpace", s.v[i].free);
		em__int(&o, "BackupSize", s.v[i].backup_size);
		em__close(&o);
	}
	em__seq_end(&o);
	em__close(&o);
}
