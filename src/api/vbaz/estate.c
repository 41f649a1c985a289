/* VB for Azure: the Azure workloads of the backup estate, read once per request. A
 * workload is a protected object of platform Azure (case-insensitive) whose type names
 * one of the workloads below; its restore points are the restorePoint objects whose
 * `object` names it (case-insensitively). Everything shown by the estate resources is
 * one of these objects' reported properties, or counted from them.
 *
 * Reading and parsing every object costs O(estate) per request, so the parsed estate is
 * a snapshot shared by every request until an estate object changes: the store's usn
 * has not moved, or no estate row has a usn above the snapshot's (one indexed read, so
 * session ingest does not throw it away). A request
 * holds a reference to the snapshot it reads until it ends (r->stream_done), so a newer
 * snapshot can replace it meanwhile. A snapshot keeps only what is shown: ids, names,
 * the parsed properties; rows are read into a scratch arena freed after the build. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/estate.h"
#include "api/vbaz/vbaz.h"
#include "core/core.h"
#include "model/estate.h"
#include "util/timefmt.h"

/* The protectedObject types of each workload (space-separated, case-insensitive). */
static const char *const workload_types[AZW__END] = {
	[AZW_VM] = "Vm VirtualMachine",
	[AZW_SQL] = "Database SqlDatabase",
	[AZW_SHARE] = "Share FileShare",
	[AZW_COSMOS] = "CosmosDb CosmosDbAccount",
};

/* The typed paths (protectedItem/virtualMachines, restorePoints/sql, …) from v4, when SQL
 * databases and file shares came (the types of their sessions did); Cosmos DB accounts
 * from v6 (docs/azure.md: inferred). v1–v3 have VMs only, under untyped paths. */
static const int workload_since[AZW__END] = {
	[AZW_VM] = AZ_V4, [AZW_SQL] = AZ_V4, [AZW_SHARE] = AZ_V4, [AZW_COSMOS] = AZ_V6,
};

int vbaz__workload_since(int w)
{
	return w >= 0 && w < AZW__END ? workload_since[w] : AZ__END;
}

static int workload_of(const char *type)
{
	if(!type)
		return -1;
	size_t n = strlen(type);
	for(int w = 0; w < AZW__END; w++)
		for(const char *p = workload_types[w]; *p;) {
			size_t len = strcspn(p, " ");
			if(len == n && !strncasecmp(p, type, n))
				return w;
			p += len + (p[len] == ' ');
		}
	return -1;
}

struct reader {
	struct arena *a;              /* the snapshot's */
	struct vbaz__estate *es;
	size_t cap_obj, cap_pt;
};

/* A copy of a row in the snapshot: what is shown of it (no properties, no reporter). */
static const struct estate_rec *keep(struct arena *a, const struct estate_rec *e)
{
	struct estate_rec *copy = arena_alloc(a, sizeof(*copy));
	*copy = *e;
	copy->name = arena_strdup(a, e->name);
	copy->props = NULL;
	copy->reporter = NULL;
	return copy;
}

static void *grow(struct arena *a, void *v, size_t n, size_t *cap, size_t size)
{
	if(n < *cap)
		return v;
	size_t c = *cap ? *cap * 2 : 64;
	void *nv = arena_alloc(a, c * size);
	if(n)
		memcpy(nv, v, n * size);
	*cap = c;
	return nv;
}

static int add_object(void *ctx, const struct estate_rec *e)
{
	struct reader *rd = ctx;
	json_t *p = estate_props(e);
	const char *platform = estate_pstr(p, "platform");
	int w = platform && !strcasecmp(platform, "Azure") ? workload_of(estate_pstr(p, "type")) : -1;
	if(w >= 0) {
		struct vbaz__estate *es = rd->es;
		es->obj = grow(rd->a, es->obj, es->nobj, &rd->cap_obj, sizeof(*es->obj));
		struct vbaz__object *o = &es->obj[es->nobj++];
		memset(o, 0, sizeof(*o));
		o->e = keep(rd->a, e);
		o->workload = w;
		o->size_bytes = estate_pint(p, "sizeBytes", -1);
		o->host = arena_strdup(rd->a, estate_pstr(p, "host"));
	}
	json_decref(p);
	return 0;
}

static int by_name(const void *x, const void *y)
{
	const struct vbaz__object *a = x, *b = y;
	int c = strcasecmp(a->e->name, b->e->name);
	return c ? c : memcmp(&a->e->id, &b->e->id, sizeof(a->e->id));
}

static const struct vbaz__object *find_name(const struct vbaz__estate *es, const char *name)
{
	size_t lo = 0, hi = es->nobj;
	while(lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcasecmp(name, es->obj[mid].e->name);
		if(c > 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < es->nobj && !strcasecmp(name, es->obj[lo].e->name) ? &es->obj[lo] : NULL;
}

static int add_point(void *ctx, const struct estate_rec *e)
{
	struct reader *rd = ctx;
	struct vbaz__estate *es = rd->es;
	json_t *p = estate_props(e);
	const char *object = estate_pstr(p, "object");
	const char *t = estate_pstr(p, "time");
	const struct vbaz__object *o = object ? find_name(es, object) : NULL;
	int64_t us;
	if(o && t && !time_parse(t, strlen(t), &us)) {
		es->pt = grow(rd->a, es->pt, es->npt, &rd->cap_pt, sizeof(*es->pt));
		struct vbaz__point *pt = &es->pt[es->npt++];
		memset(pt, 0, sizeof(*pt));
		pt->e = keep(rd->a, e);
		pt->object = (size_t)(o - es->obj);
		pt->time_us = us;
		pt->size_bytes = estate_pint(p, "sizeBytes", -1);
		pt->point_type = arena_strdup(rd->a, estate_pstr(p, "pointType"));
		pt->repository = arena_strdup(rd->a, estate_pstr(p, "repository"));
		const char *sid = estate_pstr(p, "sessionId");
		if(sid)
			uuid_parse(sid, strlen(sid), &pt->session_id);
		struct vbaz__object *mo = &es->obj[pt->object];
		mo->points++;
		if(us > mo->last_point_us)
			mo->last_point_us = us;
		if(pt->size_bytes > 0)
			mo->backup_bytes += pt->size_bytes;
		if(pt->repository)
			mo->repo_points++;
	}
	json_decref(p);
	return 0;
}

static int newest_first(const void *x, const void *y)
{
	const struct vbaz__point *a = x, *b = y;
	if(a->time_us != b->time_us)
		return a->time_us < b->time_us ? 1 : -1;
	return memcmp(&a->e->id, &b->e->id, sizeof(a->e->id));
}

static enum rc build(struct arena *a, struct vbaz__estate *out)
{
	memset(out, 0, sizeof(*out));
	struct reader rd = {.a = a, .es = out};
	struct arena scratch;
	arena_init(&scratch);
	struct estate_query q = {.kind = EK_protectedObject, .after_usn = -1};
	enum rc rc = core_estate_list(&q, &scratch, add_object, &rd, NULL);
	if(!rc) {
		if(out->nobj)
			qsort(out->obj, out->nobj, sizeof(*out->obj), by_name);
		arena_reset(&scratch);
		q.kind = EK_restorePoint;
		rc = core_estate_list(&q, &scratch, add_point, &rd, NULL);
	}
	arena_free(&scratch);
	if(rc)
		return rc;
	if(out->npt)
		qsort(out->pt, out->npt, sizeof(*out->pt), newest_first);
	/* the indexes the lists read instead of scanning every point */
	for(size_t i = 0; i < out->nobj; i++)
		out->obj[i].first_point = VBAZ_NONE;
	for(int w = 0; w < AZW__END; w++)
		out->points_of[w] = arena_alloc(a, (out->npt + 1) * sizeof(size_t));
	for(size_t i = out->npt; i-- > 0;) {   /* oldest first: each point goes in front */
		struct vbaz__object *o = &out->obj[out->pt[i].object];
		out->pt[i].next = o->first_point;
		o->first_point = i;
	}
	for(size_t i = 0; i < out->npt; i++) {
		int w = out->obj[out->pt[i].object].workload;
		out->points_of[w][out->npoints_of[w]++] = i;
	}
	return RC_OK;
}

/* ---------- the shared snapshot ---------- */

struct snapshot {
	int64_t usn;                  /* the store's usn before it was read */
	int refs;                     /* the cache's own, and one per request reading it */
	struct arena a;
	struct vbaz__estate es;
};

static pthread_mutex_t snap_lock = PTHREAD_MUTEX_INITIALIZER;
static struct snapshot *snap_current;

static void snap_put_locked(struct snapshot *s)
{
	if(s && !--s->refs) {
		arena_free(&s->a);
		free(s);
	}
}

static void snap_release(struct req *r)
{
	pthread_mutex_lock(&snap_lock);
	snap_put_locked(r->work);
	pthread_mutex_unlock(&snap_lock);
	r->work = NULL;
}

static int any_row(void *ctx, const struct estate_rec *e)
{
	*(int *)ctx = 1;
	return 1;
}

/* Whether no estate object (nor tombstone) has a usn above usn: the change feed's read. */
static int estate_unchanged(struct req *r, int64_t usn)
{
	int changed = 0;
	struct estate_query q = {.after_usn = usn, .limit = 1};
	return !core_estate_list(&q, r->arena, any_row, &changed, NULL) && !changed;
}

enum rc vbaz__estate_read(struct req *r, struct vbaz__estate *out)
{
	if(r->stream_done == snap_release) {   /* this request holds one already */
		*out = ((struct snapshot *)r->work)->es;
		return RC_OK;
	}
	int64_t usn = core_usn();
	pthread_mutex_lock(&snap_lock);
	struct snapshot *s = snap_current;
	if(s)
		s->refs++;
	pthread_mutex_unlock(&snap_lock);
	if(s && s->usn != usn && !estate_unchanged(r, s->usn)) {
		pthread_mutex_lock(&snap_lock);
		snap_put_locked(s);
		pthread_mutex_unlock(&snap_lock);
		s = NULL;
	} else if(s && s->usn != usn) {
		/* Only sessions moved the usn: the snapshot stands for it too. Every write up to
		 * usn had committed when it was read, so the check above saw any estate change. */
		pthread_mutex_lock(&snap_lock);
		if(s->usn < usn)
			s->usn = usn;
		pthread_mutex_unlock(&snap_lock);
	}
	if(!s) {
		s = xcalloc(1, sizeof(*s));
		arena_init(&s->a);
		s->usn = usn;
		s->refs = 1;
		enum rc rc = build(&s->a, &s->es);
		if(rc) {
			arena_free(&s->a);
			free(s);
			vbaz__error(r, rc, 0, "cannot read the estate");
			return rc;
		}
		pthread_mutex_lock(&snap_lock);
		if(!snap_current || snap_current->usn < usn) {
			snap_put_locked(snap_current);
			snap_current = s;
			s->refs++;
		}
		pthread_mutex_unlock(&snap_lock);
	}
	r->work = s;
	r->stream_done = snap_release;
	*out = s->es;
	return RC_OK;
}

const struct vbaz__object *vbaz__estate_object(const struct vbaz__estate *es, int w, const struct uuid *id)
{
	for(size_t i = 0; i < es->nobj; i++)
		if(es->obj[i].workload == w && uuid_eq(&es->obj[i].e->id, id))
			return &es->obj[i];
	return NULL;
}
