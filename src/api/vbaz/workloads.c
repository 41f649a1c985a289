/* VB for Azure: the workloads of the estate — GET virtualMachines (+/{id}) and
 * protectedItem/{virtualMachines,sql,fileShares,cosmosDb} (+/{id}). An object shows its
 * id, name and what its reporter gave (size, host); a protected item is a workload with
 * at least one restore point, and its last backup is the newest of them. Filters on
 * what nobody reported (subscriptions, regions, tenants, …) match no object. */
#include <string.h>
#include <strings.h>

#include "api/vbaz/vbaz.h"
#include "core/core.h"

#define GIB (1024LL * 1024 * 1024)
#define MIB (1024LL * 1024)

static const char *const protection_statuses[] = {"Unprotected", "Protected", "Unknown", NULL};
static const char *const destinations[] = {"Snapshot", "AzureBlob", "ManualSnapshot", "Archive", NULL};
static const char *const exists_states[] = {"OnlyExists", "OnlyDeleted", "Unknown", "All", NULL};
static const char *const retrieval_statuses[] = {"None", "Retrieving", "Retrieved", "Unknown", NULL};

/* The path word of each workload under protectedItem/ and restorePoints/. */
static const char *const workload_words[AZW__END] = {
	[AZW_VM] = "virtualMachines", [AZW_SQL] = "sql", [AZW_SHARE] = "fileShares", [AZW_COSMOS] = "cosmosDb",
};

static char *id_of(struct req *r, const struct uuid *u)
{
	char *s = arena_alloc(r->arena, UUID_STR_LEN + 1);
	uuid_format(u, s);
	return s;
}

const char *vbaz__workload_word(int w)
{
	return w >= 0 && w < AZW__END ? workload_words[w] : "";
}

int vbaz__workload_in_path(const char *path, const char *prefix)
{
	const char *p = strstr(path, prefix);
	if(!p)
		return -1;
	p += strlen(prefix);
	size_t n = strcspn(p, "/");
	for(int w = 0; w < AZW__END; w++)
		if(strlen(workload_words[w]) == n && !strncmp(p, workload_words[w], n))
			return w;
	return -1;
}

int vbaz__name_matches(const char *name, const char *pattern)
{
	return !pattern || !*pattern || strcasestr(name, pattern);
}

/* Whether any given value of a list parameter names id (repeated or comma-separated). */
static int id_listed(const char *const *vals, int nv, const char *id)
{
	size_t n = strlen(id);
	for(int i = 0; i < nv; i++)
		for(const char *p = vals[i]; *p;) {
			size_t len = strcspn(p, ",");
			if(len == n && !strncasecmp(p, id, n))
				return 1;
			p += len + (p[len] == ',');
		}
	return 0;
}

/* A page of objects: the matches (indexes into es.obj, by name), rendered by row. */
struct page {
	struct vbaz__estate es;
	size_t *sel;
	size_t n;
	size_t first;                 /* the page's first match */
	const char *base;
};

static struct page *page_new(struct req *r, const struct vbaz__estate *es)
{
	struct page *pg = arena_zalloc(r->arena, sizeof(*pg));
	pg->es = *es;
	pg->sel = arena_alloc(r->arena, (es->nobj + 1) * sizeof(size_t));
	pg->base = vbaz__api_base(r);
	return pg;
}

static void page_send(struct req *r, struct page *pg, int64_t offset, int64_t limit, vbaz__row_fn row,
                      const char *self)
{
	pg->first = offset < (int64_t)pg->n ? (size_t)offset : 0;
	vbaz__send_rows(r, offset, limit, (int64_t)pg->n, vbaz__page_rows((int64_t)pg->n, offset, limit), row, pg,
	                self);
}

/* ---------- virtualMachines ---------- */

static const char *points_path(int version)
{
	return version >= AZ_V4 ? "restorePoints/virtualMachines" : "restorePoints";
}

static void render_vm(struct req *r, struct jw *w, const struct vbaz__object *o, const char *base)
{
	const char *id = id_of(r, &o->e->id);
	jw_obj(w);
	jw_kstr(w, "id", id);
	jw_kstr(w, "name", o->e->name);
	if(o->size_bytes >= 0)
		jw_kint(w, "totalSizeInGB", (o->size_bytes + GIB - 1) / GIB);
	vbaz__links(w, arena_printf(r->arena, "%s/virtualMachines/%s", base, id), "restorePoints",
	            arena_printf(r->arena, "%s/%s?VirtualMachineId=%s", base, points_path(r->version), id));
	jw_obj_end(w);
}

static void vm_row(struct req *r, struct jw *w, size_t i, void *ctx)
{
	struct page *pg = ctx;
	render_vm(r, w, &pg->es.obj[pg->sel[pg->first + i]], pg->base);
}

struct vm_filter {
	const char *pattern;
	unsigned protection, destination, exists;
	int none;                     /* a filter on what nobody reported: no object matches */
};

static int vm_matches(const struct vm_filter *f, const struct vbaz__object *o)
{
	if(f->none || o->workload != AZW_VM || !vbaz__name_matches(o->e->name, f->pattern))
		return 0;
	if(f->protection && !(f->protection & (1u << (o->points ? 1 : 0))))
		return 0;
	if(f->destination && !((f->destination & 2u) && o->repo_points))
		return 0;
	if(f->exists && !(f->exists & ~2u))   /* only OnlyDeleted: every object here exists */
		return 0;
	return 1;
}

void vbaz__h_vms(struct req *r)
{
	struct vm_filter f = {.pattern = req_query(r, "SearchPattern")};
	int64_t offset, limit;
	int from_protected;
	struct uuid sub;
	int has_sub;
	if(vbaz__paging(r, &offset, &limit) || vbaz__enum_param(r, "ProtectionStatus", protection_statuses, &f.protection) ||
	   vbaz__enum_param(r, "BackupDestination", destinations, &f.destination) ||
	   vbaz__bool_param(r, "VmFromProtectedRegions", &from_protected) ||
	   vbaz__uuid_param(r, "SubscriptionId", &sub, &has_sub))
		return;
	const char *v = req_query(r, "ExistsState");
	if(v && *v) {
		int k = vbaz__enum_index(exists_states, v);
		if(k < 0) {
			vbaz__bad(r, "ExistsState", "%s: unknown value '%.100s'", v);
			return;
		}
		f.exists = 1u << k;
	}
	static const char *const unreported[] = {"ResourceGroupId", "TenantId", "ServiceAccountId", "RegionIds"};
	for(size_t i = 0; i < sizeof(unreported) / sizeof(unreported[0]); i++)
		if((v = req_query(r, unreported[i])) && *v)
			f.none = 1;
	if(has_sub || from_protected == 1)
		f.none = 1;
	struct vbaz__estate es;
	if(vbaz__estate_read(r, &es))
		return;
	struct page *pg = page_new(r, &es);
	for(size_t i = 0; i < es.nobj; i++)
		if(vm_matches(&f, &es.obj[i]))
			pg->sel[pg->n++] = i;
	page_send(r, pg, offset, limit, vm_row, arena_printf(r->arena, "%s/virtualMachines", pg->base));
}

/* The object of workload w named by path parameter 1; answers 404 itself. */
static const struct vbaz__object *object_of(struct req *r, struct vbaz__estate *es, int w, const char *what)
{
	const char *id = r->nparams > 1 ? r->params[1] : "";
	struct uuid u;
	if(uuid_parse(id, strlen(id), &u)) {
		vbaz__not_found(r, what);
		return NULL;
	}
	if(vbaz__estate_read(r, es))
		return NULL;
	const struct vbaz__object *o = vbaz__estate_object(es, w, &u);
	if(!o)
		vbaz__not_found(r, what);
	return o;
}

void vbaz__h_vm(struct req *r)
{
	int sync;
	struct vbaz__estate es;
	if(vbaz__bool_param(r, "sync", &sync))
		return;
	const struct vbaz__object *o = object_of(r, &es, AZW_VM, "virtual machine");
	if(!o)
		return;
	struct jw w;
	vbaz__json_answer(r, 200, &w);
	render_vm(r, &w, o, vbaz__api_base(r));
}

/* ---------- protectedItem/… ---------- */

static void render_protected(struct req *r, struct jw *w, const struct vbaz__object *o, const char *base)
{
	const char *id = id_of(r, &o->e->id);
	const char *word = workload_words[o->workload];
	jw_obj(w);
	jw_kstr(w, "id", id);
	jw_kstr(w, "name", o->e->name);
	switch(o->workload) {
	case AZW_VM:
		if(o->size_bytes >= 0)
			jw_kint(w, "totalSizeInGB", (o->size_bytes + GIB - 1) / GIB);
		vbaz__ktime(w, "lastBackup", o->last_point_us);
		break;
	case AZW_SQL:
		if(o->host) {
			jw_key(w, "sqlServer");
			jw_obj(w);
			jw_kstr(w, "name", o->host);
			jw_obj_end(w);
		}
		/* fall through */
	case AZW_SHARE:
		if(o->size_bytes >= 0)
			jw_kint(w, "sizeInMb", (o->size_bytes + MIB - 1) / MIB);
		vbaz__ktime(w, "lastBackup", o->last_point_us);
		break;
	case AZW_COSMOS:   /* ProtectedCosmosDbAccount has no _links */
		vbaz__ktime(w, "latestBackup", o->last_point_us);
		if(o->backup_bytes > 0)
			jw_kint(w, "backupSizeBytes", o->backup_bytes);
		jw_obj_end(w);
		return;
	}
	vbaz__links(w, arena_printf(r->arena, "%s/protectedItem/%s/%s", base, word, id), "restorePoints",
	            o->workload == AZW_VM ? arena_printf(r->arena, "%s/restorePoints/virtualMachines?VirtualMachineId=%s", base, id)
	            : o->workload == AZW_SQL ? arena_printf(r->arena, "%s/restorePoints/sql?DatabaseId=%s", base, id)
	                                     : arena_printf(r->arena, "%s/restorePoints/fileShares?FileShareId=%s", base, id));
	jw_obj_end(w);
}

static void protected_row(struct req *r, struct jw *w, size_t i, void *ctx)
{
	struct page *pg = ctx;
	render_protected(r, w, &pg->es.obj[pg->sel[pg->first + i]], pg->base);
}

struct item_filter {
	int workload;
	const char *pattern;
	const char *server;           /* ServerId: the reported host */
	const char *ids[64];          /* DatabaseIds, Accounts */
	int nids;
	int none;
};

static int item_matches(struct req *r, const struct item_filter *f, const struct vbaz__object *o)
{
	if(f->none || o->workload != f->workload || !o->points || !vbaz__name_matches(o->e->name, f->pattern))
		return 0;
	if(f->server && (!o->host || strcasecmp(o->host, f->server)))
		return 0;
	return !f->nids || id_listed(f->ids, f->nids, id_of(r, &o->e->id));
}

void vbaz__h_protected(struct req *r)
{
	struct item_filter f = {.workload = vbaz__workload_in_path(r->path, "/protectedItem/"), .pattern = req_query(r, "SearchPattern")};
	if(f.workload < 0 || !vbaz__path_in(r, vbaz__workload_since(f.workload), 0))
		return;
	int64_t offset, limit;
	int sync, flr;
	unsigned retrieval;
	if(vbaz__paging(r, &offset, &limit) || vbaz__bool_param(r, "Sync", &sync))
		return;
	if(f.workload == AZW_VM) {
		if(vbaz__bool_param(r, "FlrSession", &flr) ||
		   vbaz__enum_param(r, "DataRetrievalStatuses", retrieval_statuses, &retrieval))
			return;
		f.none = flr == 1 || retrieval;   /* no FLR sessions, no retrieval status reported */
	}
	if(f.workload == AZW_SQL) {
		const char *v = req_query(r, "ServerId");
		f.server = v && *v ? v : NULL;
		f.nids = req_query_all(r, "DatabaseIds", f.ids, 64);
	}
	if(f.workload == AZW_COSMOS)
		f.nids = req_query_all(r, "Accounts", f.ids, 64);
	struct vbaz__estate es;
	if(vbaz__estate_read(r, &es))
		return;
	struct page *pg = page_new(r, &es);
	for(size_t i = 0; i < es.nobj; i++)
		if(item_matches(r, &f, &es.obj[i]))
			pg->sel[pg->n++] = i;
	page_send(r, pg, offset, limit, protected_row,
	          arena_printf(r->arena, "%s/protectedItem/%s", pg->base, workload_words[f.workload]));
}

void vbaz__h_protected_one(struct req *r)
{
	int wl = vbaz__workload_in_path(r->path, "/protectedItem/"), sync;
	if(wl < 0 || !vbaz__path_in(r, vbaz__workload_since(wl), 0) || vbaz__bool_param(r, "sync", &sync) ||
	   vbaz__bool_param(r, "Sync", &sync))
		return;
	struct vbaz__estate es;
	const struct vbaz__object *o = object_of(r, &es, wl, "protected item");
	if(!o)
		return;
	if(!o->points) {
		vbaz__not_found(r, "protected item");
		return;
	}
	struct jw w;
	vbaz__json_answer(r, 200, &w);
	render_protected(r, &w, o, vbaz__api_base(r));
}
