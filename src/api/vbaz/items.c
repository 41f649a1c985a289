/* VB for Azure: the item pages under a session (GET /api/{v}/jobSessions/{id}/<items>),
 * filled from the session's task sessions. Which sessions have which items, and how a
 * task session looks as each item, is the table `kinds`: a session whose v8.1
 * JobSessionType is not listed for an item kind gets an empty page of it. The shapes are
 * the v8.1 document's (PageOf<Item>, additionalProperties false): only what a task
 * session records is shown, every other property is left out. */
#include <stdio.h>
#include <string.h>

#include "api/vbaz/vbaz.h"
#include "core/core.h"
#include "model/catalog.h"
#include "model/query.h"

struct kind;

struct item_ctx {
	struct jw *w;
	const struct kind *k;
	const struct sess_rec *s;     /* the session the items belong to */
	const char *resource_type;    /* AzureResource.resourceType of its workload */
	int version;                  /* enum az_version */
};

/* A task session's JobStatus (no stop request on task sessions). */
static const char *task_status(const struct task_rec *t)
{
	return catalog_az_status(t->state, t->result, t->is_canceled, 0);
}

static void kresource(const struct item_ctx *c, const struct task_rec *t)
{
	char id[UUID_STR_LEN + 1];
	uuid_format(&t->id, id);
	jw_key(c->w, "resource");
	jw_obj(c->w);
	jw_kstr(c->w, "id", id);
	jw_kstr(c->w, "name", t->name);
	jw_kstr(c->w, "displayName", t->name);
	jw_kstr(c->w, "resourceType", c->resource_type);
	jw_obj_end(c->w);
}

/* ProtectedItem: the resource, one run (this session), its success or failure. v1's
 * protected item (archive/vbazure/10) names the VM `item` and has no runs. */
static void protected_item(const struct item_ctx *c, const struct task_rec *t)
{
	struct jw *w = c->w;
	int done = t->state == ST_STOPPED;
	char sid[UUID_STR_LEN + 1];
	if(c->version == AZ_V1) {
		uuid_format(&t->id, sid);
		jw_key(w, "item");
		jw_obj(w);
		jw_kstr(w, "id", sid);
		jw_kstr(w, "name", t->name);
		jw_obj_end(w);
		jw_kint(w, "successCount", done && (t->result == RES_SUCCESS || t->result == RES_WARNING));
		jw_kint(w, "failureCount", done && t->result == RES_FAILED);
		return;
	}
	uuid_format(&c->s->id, sid);
	kresource(c, t);
	jw_key(w, "runs");
	jw_arr(w);
	jw_obj(w);
	jw_kstr(w, "jobSessionId", sid);
	jw_kstr(w, "status", task_status(t));
	vbaz__ktime(w, "startTime", t->creation_us);
	if(t->end_us)
		vbaz__ktime(w, "endTime", t->end_us);
	else
		jw_knull(w, "endTime");
	jw_obj_end(w);
	jw_arr_end(w);
	jw_kint(w, "successCount", done && (t->result == RES_SUCCESS || t->result == RES_WARNING));
	jw_kint(w, "failureCount", done && t->result == RES_FAILED);
}

/* JobDeletedRestorePoint: the resource, the size and repository of what was removed. */
static void deleted_item(const struct item_ctx *c, const struct task_rec *t)
{
	if(t->total_size > 0)
		jw_kint(c->w, "backupSizeBytes", t->total_size);
	if(!uuid_is_nil(&t->repository_id)) {
		char rid[UUID_STR_LEN + 1];
		uuid_format(&t->repository_id, rid);
		jw_kstr(c->w, "repositoryId", rid);
	}
	kresource(c, t);
}

/* CheckedItem: the resource and how its check went. */
static void checked_item(const struct item_ctx *c, const struct task_rec *t)
{
	char id[UUID_STR_LEN + 1];
	uuid_format(&t->id, id);
	jw_kstr(c->w, "id", id);
	kresource(c, t);
	jw_kstr(c->w, "status", task_status(t));
	if(t->result == RES_FAILED && t->message && *t->message)
		jw_kstr(c->w, "error", t->message);
}

static void named_item(const struct item_ctx *c, const struct task_rec *t)
{
	jw_kstr(c->w, "name", t->name);
}

static void flr_item(const struct item_ctx *c, const struct task_rec *t)
{
	jw_kstr(c->w, "virtualMachineName", t->name);
}

static void vnet_item(const struct item_ctx *c, const struct task_rec *t)
{
	jw_kstr(c->w, "name", t->name);
	jw_kstr(c->w, "status", task_status(t));
}

/* Item kinds: the path segment, the v8.1 JobSessionType values whose sessions have such
 * items (space-separated), whether the operation takes NameSearchPattern, Offset and
 * Limit (the two without them answer every item), and how one item looks. */
static const struct kind {
	const char *path;
	const char *types;
	int paged;
	void (*item)(const struct item_ctx *c, const struct task_rec *t);
} kinds[] = {
	{"protectedItems",
	 "PolicyBackup PolicySnapshot PolicyArchive SnapshotBackup ManualSnapshot SqlPolicyBackup SqlPolicyArchive "
	 "SqlManualBackup FileSharePolicySnapshot FileShareManualSnapshot VnetPolicyBackup VnetPolicyBackupToRepository "
	 "PostgresDbPolicyBackup PostgresDbPolicyArchive PostgresDbManualBackup MongoDbPolicyBackup MongoDbPolicyArchive "
	 "MongoDbManualBackup",
	 1, protected_item},
	{"deletedItems",
	 "BackupRetention InvalidSnapshotRetention ObsoleteSnapshotRetention OrphanedSnapshotRetention "
	 "FileShareSnapshotRetention VnetRetention CosmosDbContinuousRetention VmSnapshotRetention BackupDeletion "
	 "SnapshotDeletion ManualSnapshotDeletion FileShareSnapshotDeletion FileShareManualSnapshotDeletion "
	 "SqlBackupDeletion VnetBackupDeletion CosmosDbBackupDeletion CosmosDbContinuousBackupDeletion",
	 1, deleted_item},
	{"checkedItems", "HealthCheck", 1, checked_item},
	{"restoredItems", "RestoreVms RestoreDisks FileShareRestore", 1, named_item},
	{"fileLevelRestoredItems", "FileLevelRestore", 1, flr_item},
	{"fileLevelRestoredFileShareItems", "FileShareFileRestore", 1, named_item},
	{"vnetRestoredItems", "VnetFullRestore VnetGranularRestore", 1, vnet_item},
	{"restoredDatabases", "SqlRestore", 0, named_item},
	{"restoredCosmosDbAccounts", "CosmosDbRestore", 0, named_item},
};

/* AzureResource.resourceType by the prefix of the session's v8.1 JobSessionType. */
static const struct {
	const char *prefix;
	const char *resource_type;
} resource_types[] = {
	{"Sql", "ManagedDatabase"}, {"FileShare", "FileShare"}, {"Vnet", "VirtualNetwork"},
	{"PostgresDb", "PostgresCosmosAccount"}, {"MongoDb", "MongoDbCosmosAccount"}, {"CosmosDb", "NoSqlCosmosAccount"},
	{"", "VirtualMachine"},
};

static int emit_item(void *ctx, const struct task_rec *t)
{
	const struct item_ctx *c = ctx;
	jw_obj(c->w);
	c->k->item(c, t);
	jw_obj_end(c->w);
	return 0;
}

void vbaz__items(struct req *r)
{
	const char *seg = strrchr(r->path, '/');
	const struct kind *k = NULL;
	for(size_t i = 0; seg && i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if(!strcmp(seg + 1, kinds[i].path))
			k = &kinds[i];
	const char *id = r->nparams > 1 ? r->params[1] : "";
	struct uuid sid;
	struct sess_rec s;
	if(!k || uuid_parse(id, strlen(id), &sid)) {
		vbaz__problem(r, 404, NULL, "no session has this id");
		return;
	}
	int64_t offset = 0, limit = -1;
	const char *pattern = NULL;
	if(k->paged) {
		if(vbaz__int_param(r, "Offset", 0, 0, &offset) ||
		   vbaz__int_param(r, "Limit", -1, VBAZ_DEFAULT_LIMIT, &limit))
			return;
		pattern = req_query(r, "NameSearchPattern");
	}
	enum rc rc = core_session_get(&sid, r->arena, &s);
	if(rc) {
		vbaz__error(r, rc, 0, rc == RC_NOTFOUND ? "no session has this id" : "cannot read the session");
		return;
	}
	const char *az = vbaz__az_type(s.type, AZ_V81);
	struct item_ctx c = {.k = k, .s = &s, .resource_type = "VirtualMachine", .version = r->version};
	for(size_t i = 0; i < sizeof(resource_types) / sizeof(resource_types[0]); i++)
		if(!strncmp(az, resource_types[i].prefix, strlen(resource_types[i].prefix))) {
			c.resource_type = resource_types[i].resource_type;
			break;
		}
	struct jw w;
	r->status = 200;
	r->ctype = VBAZ_JSON_TYPE;
	buf_reset(&r->out);
	jw_init(&w, &r->out);
	c.w = &w;
	jw_obj(&w);
	jw_kint(&w, "offset", offset);
	jw_kint(&w, "limit", limit);
	int64_t total = 0;
	struct buf items;
	buf_init(&items, 0);
	if(vbaz__has_word(k->types, az)) {
		struct arena *a = r->arena;
		const struct qexpr *where = q_uuid(a, QF_SESSION_ID, Q_EQ, &s.id);
		if(pattern && *pattern)
			where = q_and(a, where, q_match(a, QF_NAME, arena_printf(a, "*%s*", pattern)));
		struct query q = {.where = where, .order = QO_CREATION, .asc = 1, .skip = offset, .limit = limit,
		                  .want_total = 1};
		struct jw iw;
		jw_init(&iw, &items);
		c.w = &iw;
		jw_arr(&iw);
		rc = core_task_list(&q, a, emit_item, &c, &total);
		jw_arr_end(&iw);
		if(rc) {
			buf_free(&items);
			vbaz__error(r, rc, 0, "cannot read the task sessions");
			return;
		}
	}
	jw_kint(&w, "totalCount", total);
	jw_key(&w, "results");
	if(items.len)
		jw_raw(&w, items.p, items.len);
	else {
		jw_arr(&w);
		jw_arr_end(&w);
	}
	buf_free(&items);
	jw_key(&w, "_links");
	jw_obj(&w);
	jw_key(&w, "self");
	jw_obj(&w);
	jw_kstr(&w, "href", arena_printf(r->arena, "%s/jobSessions/%s/%s", vbaz__api_base(r), id, k->path));
	jw_obj_end(&w);
	jw_obj_end(&w);
	jw_obj_end(&w);
}
