/* VB for Azure: restore points of the estate's Azure workloads, newest first.
 * v1–v3: GET restorePoints (+/{id}), the VM restore points in v3's documented shape
 * (with usn); v4 on: restorePoints/{virtualMachines,sql,fileShares} (+/{id}) in the
 * v8.1 shapes. A point shows what its reporter gave (time, type, size, the session that
 * made it); its destination is AzureBlob when it names a repository. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/vbaz/vbaz.h"
#include "core/core.h"
#include "util/timefmt.h"

static const char *const retrieval_statuses[] = {"None", "Retrieving", "Retrieved", "Unknown", NULL};
static const char *const access_tiers[] = {"Hot", "Cool", "Archive", "Inferred", "Cold", NULL};

static char *id_of(struct req *r, const struct uuid *u)
{
	char *s = arena_alloc(r->arena, UUID_STR_LEN + 1);
	uuid_format(u, s);
	return s;
}

/* RestorePointType of a reported pointType (Full, Increment), NULL when none fits. */
static const char *point_type(const char *t)
{
	if(!t)
		return NULL;
	if(!strcasecmp(t, "Full"))
		return "Full";
	if(!strcasecmp(t, "Increment") || !strcasecmp(t, "Incremental"))
		return "Incremental";
	return NULL;
}

/* The path of a restore point of workload w in this version. */
static const char *point_path(struct req *r, int w)
{
	return r->version < AZ_V4 ? "restorePoints" : arena_printf(r->arena, "restorePoints/%s", vbaz__workload_word(w));
}

static void render_point(struct req *r, struct jw *w, const struct vbaz__estate *es, const struct vbaz__point *p,
                         const char *base)
{
	const struct vbaz__object *o = &es->obj[p->object];
	const char *id = id_of(r, &p->e->id), *oid = id_of(r, &o->e->id);
	const char *sid = uuid_is_nil(&p->session_id) ? NULL : id_of(r, &p->session_id);
	const char *self = arena_printf(r->arena, "%s/%s/%s", base, point_path(r, o->workload), id);
	const char *session = sid ? arena_printf(r->arena, "%s/jobSessions/%s", base, sid) : NULL;
	jw_obj(w);
	jw_kstr(w, "id", id);
	if(r->version < AZ_V4) {   /* v3's RestorePoint (archive/vbazure/30 restore_point) */
		vbaz__ktime(w, "pointInTime", p->time_us);
		if(p->size_bytes >= 0)
			jw_kint(w, "backupSizeBytes", p->size_bytes);
		jw_kstr(w, "backupDestination", p->repository ? "AzureBlob" : "Unknown");
		if(sid)
			jw_kstr(w, "jobSessionId", sid);
		jw_kint(w, "usn", p->e->usn);
		vbaz__links(w, self, sid ? "BackupJob" : NULL, session);
		jw_obj_end(w);
		return;
	}
	const char *t = point_type(p->point_type);
	if(t)
		jw_kstr(w, "type", t);
	switch(o->workload) {
	case AZW_VM:
		vbaz__ktime(w, "pointInTime", p->time_us);
		if(p->size_bytes >= 0)
			jw_kint(w, "backupSizeBytes", p->size_bytes);
		jw_kstr(w, "vmName", o->e->name);
		jw_kstr(w, "backupDestination", p->repository ? "AzureBlob" : "Unknown");
		break;
	case AZW_SQL:
		jw_kstr(w, "databaseId", oid);
		jw_kstr(w, "databaseName", o->e->name);
		if(o->host)
			jw_kstr(w, "sqlServerName", o->host);
		vbaz__ktime(w, "pointInTime", p->time_us);
		if(p->size_bytes >= 0)
			jw_kint(w, "backupSizeBytes", p->size_bytes);
		if(p->repository)
			jw_kstr(w, "backupDestination", "AzureBlob");
		break;
	case AZW_SHARE:
		jw_kstr(w, "fileShareId", oid);
		jw_kstr(w, "fileShareName", o->e->name);
		vbaz__ktime(w, "pointInTime", p->time_us);
		if(p->size_bytes >= 0)
			jw_kint(w, "sizeInBytes", p->size_bytes);
		break;
	}
	if(sid)
		jw_kstr(w, "jobSessionId", sid);
	vbaz__links(w, self, sid ? "jobSession" : NULL, session);
	jw_obj_end(w);
}

static const char *const object_params[AZW__END] = {
	[AZW_VM] = "VirtualMachineId", [AZW_SQL] = "DatabaseId", [AZW_SHARE] = "FileShareId",
};

static int by_index(const void *x, const void *y)
{
	size_t a = *(const size_t *)x, b = *(const size_t *)y;
	return a < b ? -1 : a > b;
}

/* The points of workload w that the filters select (indexes into es->pt, newest first):
 * one object's chain, the newest of each object, or the workload's list as it is; then
 * those made at PointInTime. */
static size_t *select_points(struct req *r, const struct vbaz__estate *es, int w, const char *object,
                             int only_latest, int has_time, int64_t time_us, size_t *n)
{
	size_t *sel = es->points_of[w];
	*n = es->npoints_of[w];
	if(object) {
		struct uuid u;
		const struct vbaz__object *o = uuid_parse(object, strlen(object), &u) ? NULL : vbaz__estate_object(es, w, &u);
		*n = 0;
		sel = arena_alloc(r->arena, ((o ? o->points : 0) + 1) * sizeof(size_t));
		for(size_t i = o ? o->first_point : VBAZ_NONE; i != VBAZ_NONE && !(only_latest && *n); i = es->pt[i].next)
			sel[(*n)++] = i;
	} else if(only_latest) {
		sel = arena_alloc(r->arena, (es->nobj + 1) * sizeof(size_t));
		*n = 0;
		for(size_t i = 0; i < es->nobj; i++)
			if(es->obj[i].workload == w && es->obj[i].first_point != VBAZ_NONE)
				sel[(*n)++] = es->obj[i].first_point;
		qsort(sel, *n, sizeof(*sel), by_index);   /* pt is newest first: so are its indexes */
	}
	if(has_time) {
		size_t *t = arena_alloc(r->arena, (*n + 1) * sizeof(size_t)), m = 0;
		for(size_t i = 0; i < *n; i++)
			if(es->pt[sel[i]].time_us / 1000 == time_us / 1000)
				t[m++] = sel[i];
		sel = t;
		*n = m;
	}
	return sel;
}

struct page {
	struct vbaz__estate es;
	const size_t *sel;            /* the page's first point */
	const char *base;
};

static void page_row(struct req *r, struct jw *w, size_t i, void *ctx)
{
	struct page *pg = ctx;
	render_point(r, w, &pg->es, &pg->es.pt[pg->sel[i]], pg->base);
}

void vbaz__h_points(struct req *r)
{
	int wl = vbaz__workload_in_path(r->path, "/restorePoints/");
	if(wl < 0 ? !vbaz__path_in(r, AZ_V1, AZ_V3) : !vbaz__path_in(r, vbaz__workload_since(wl), 0))
		return;
	if(wl < 0)
		wl = AZW_VM;
	int64_t offset, limit, time_us = 0;
	int immutable = -1, only_latest, has_time = 0;
	unsigned retrieval = 0, tiers = 0;
	if(vbaz__paging(r, &offset, &limit) || vbaz__bool_param(r, "OnlyLatest", &only_latest))
		return;
	if(wl != AZW_SHARE &&
	   (vbaz__enum_param(r, "DataRetrievalStatuses", retrieval_statuses, &retrieval) ||
	    (r->version >= AZ_V4 && (vbaz__enum_param(r, "StorageAccessTier", access_tiers, &tiers) ||
	                             vbaz__bool_param(r, "ImmutabilityEnabled", &immutable)))))
		return;
	const char *v = req_query(r, "PointInTime");
	if(v && *v) {
		if(time_parse(v, strlen(v), &time_us)) {
			vbaz__bad(r, "PointInTime", "%s must be a date-time like 2024-01-31T10:00:00Z, not '%.100s'", v);
			return;
		}
		has_time = 1;
	}
	const char *object = req_query(r, object_params[wl]);
	/* no retrieval status, access tier or immutability is reported for any point */
	int none = retrieval || tiers || immutable == 1 || (wl == AZW_VM && (v = req_query(r, "DiskId")) && *v);
	struct vbaz__estate es;
	if(vbaz__estate_read(r, &es))
		return;
	size_t n = 0;
	size_t *sel = none ? NULL : select_points(r, &es, wl, object && *object ? object : NULL, only_latest == 1,
	                                          has_time, time_us, &n);
	struct page *pg = arena_alloc(r->arena, sizeof(*pg));
	pg->es = es;
	pg->sel = offset < (int64_t)n ? sel + offset : sel;    /* sel is NULL when none match */
	pg->base = vbaz__api_base(r);
	vbaz__send_rows(r, offset, limit, (int64_t)n, vbaz__page_rows((int64_t)n, offset, limit), page_row, pg,
	                arena_printf(r->arena, "%s/%s", pg->base, point_path(r, wl)));
}

void vbaz__h_point(struct req *r)
{
	int wl = vbaz__workload_in_path(r->path, "/restorePoints/");
	if(wl < 0 ? !vbaz__path_in(r, AZ_V1, AZ_V3) : !vbaz__path_in(r, vbaz__workload_since(wl), 0))
		return;
	if(wl < 0)
		wl = AZW_VM;
	const char *id = r->nparams > 1 ? r->params[1] : "";
	struct uuid u;
	struct vbaz__estate es;
	if(uuid_parse(id, strlen(id), &u)) {
		vbaz__not_found(r, "restore point");
		return;
	}
	if(vbaz__estate_read(r, &es))
		return;
	for(size_t i = 0; i < es.npt; i++)
		if(uuid_eq(&es.pt[i].e->id, &u) && es.obj[es.pt[i].object].workload == wl) {
			struct jw w;
			vbaz__json_answer(r, 200, &w);
			render_point(r, &w, &es, &es.pt[i], vbaz__api_base(r));
			return;
		}
	vbaz__not_found(r, "restore point");
}
