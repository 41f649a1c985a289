/* VBR dialect: /api/v1/backups (+ /{id}, /{id}/objects), /api/v1/backupObjects (+ /{id},
 * /{id}/restorePoints), /api/v1/restorePoints (+ /{id}, 1.2 and later) and /api/v1/replicas
 * (+ /{id}, 1.2 and later), from the estate: backups (parent: their job), protected objects,
 * restore points (parent: their backup; object: the protected object's name) and replicas
 * (parent: their job). Neutral values are those docs/ESTATE.md names. */
#include "api/vbr/vbr_int.h"

#include <string.h>

#include "api/estate.h"
#include "model/estate.h"
#include "util/timefmt.h"

#define NIL_ID "00000000-0000-0000-0000-000000000000"

static const char *const platforms[] = {
	"VmWare", "VMware", "HyperV", "Vcd", "CloudDirector", "WindowsPhysical", "LinuxPhysical", "Tape", "NasBackup",
	"CustomPlatform", "EntraID", "UnstructuredData", "Test", "MongoDb", "Iris", "AWSEC2", "AzureCompute", "GCE",
	"Nutanix", "Proxmox", "LinuxPhysicalPpc", "ApplicationBackupRepository", NULL,
};

/* ---------- backups ---------- */

static void render_backup(struct req *r, struct jw *w, const struct estate_rec *e, json_t *p)
{
	struct uuid repo;
	const char *repo_name = estate_pstr(p, "repository");
	vbr__find_id(r, EK_repository, repo_name, &repo);
	const char *job_type = vbr__job_type(r, &e->parent_id);
	jw_obj(w);
	vbr__kuuid(w, "id", &e->id);
	vbr__kuuid_opt(w, "jobId", &e->parent_id);
	jw_kstr(w, "name", e->name);
	jw_kstr(w, "platformName", vbr__platform(estate_pstr(p, "platform"), r->version));
	jw_kstr(w, "platformId", NIL_ID);
	vbr_time(w, "creationTime", e->created_us);
	vbr__kuuid(w, "repositoryId", &repo);
	if(vbr__fam(r) >= VBR_13) {
		if(repo_name)
			jw_kstr(w, "repositoryName", repo_name);
		jw_kstr(w, "jobType", job_type);
	} else if(vbr__fam(r) <= VBR_11)
		jw_kstr(w, "type", job_type);
	jw_obj_end(w);
}

static const char *const job_types[] = {
	"Backup", "Unknown", "VSphereBackup", "HyperVBackup", "VSphereReplica", "CloudDirectorBackup",
	"EntraIDTenantBackup", "EntraIDAuditLogBackup", "FileBackupCopy", "LegacyBackupCopy", "BackupCopy",
	"WindowsAgentBackup", "LinuxAgentBackup", "FileBackup", "ObjectStorageBackup", "EntraIDTenantBackupCopy",
	"SureBackupContentScan", "CloudBackupAzure", "CloudBackupAWS", "CloudBackupGoogle",
	"WindowsAgentBackupWorkstationPolicy", "LinuxAgentBackupWorkstationPolicy", "WindowsAgentBackupServerPolicy",
	"LinuxAgentBackupServerPolicy", "NutanixAHVBackupJob", "ProxmoxBackupJob", "IrisBackup",
	"WindowsAgentBackupFailoverCluster", NULL,
};

static const struct vbr__efilter backup_filters[] = {
	{"createdAfterFilter", "creationTime", FM_AFTER, 0, NULL},
	{"createdBeforeFilter", "creationTime", FM_BEFORE, 0, NULL},
	{"platformIdFilter", "platformId", FM_UUID, 0, NULL},
	{"jobIdFilter", "jobId", FM_PARENT, 0, NULL},
	{"policyTagFilter", "policyTag", FM_TEXT, 0, NULL},
	{"policyUniqueIdFilter", "policyUniqueId", FM_TEXT, 0, NULL},
	{"jobTypeFilter", "jobType", FM_ENUM, 0, job_types},
	{NULL, NULL, 0, 0, NULL},
};
static const struct vbr__eorder backup_orders[] = {
	{"Name", "name"}, {"CreationTime", "creationTime"}, {"PlatformId", "platformId"}, {"JobId", "jobId"},
	{"PolicyTag", "policyTag"}, {NULL, NULL},
};
static const struct vbr__elist backups = {
	EK_backup, VBR_10, "backups are", "backups", "backup", backup_filters, backup_orders, render_backup,
};

void vbr__h_backups(struct req *r) { vbr__estate_list(r, &backups, NULL, NULL, NULL); }
void vbr__h_backup(struct req *r) { vbr__estate_get(r, &backups); }

/* ---------- backup objects: the protected objects ---------- */

static void render_object(struct req *r, struct jw *w, const struct estate_rec *e, json_t *p)
{
	const char *platform = vbr__object_platform(estate_pstr(p, "platform"), r->version);
	const char *type = estate_pstr(p, "type");
	jw_obj(w);
	vbr__kuuid(w, "id", &e->id);
	jw_kstr(w, "name", e->name);
	if(type)
		jw_kstr(w, "type", type);
	jw_kstr(w, "platformName", platform);
	jw_kstr(w, "platformId", NIL_ID);
	/* the models of virtual machines carry objectId: the id sessiond knows the object by */
	static const char *const with_object_id[] = {"VmWare", "VMware", "CloudDirector", "HyperV", "AzureCompute",
	                                              "GCE", "AWSEC2", NULL};
	for(const char *const *x = with_object_id; *x; x++)
		if(!strcmp(platform, *x))
			vbr__kuuid(w, "objectId", &e->id);
	if(r->version == VBR_V10R1) {
		const char *host = estate_pstr(p, "host");
		jw_kstr(w, "server", host ? host : "");   /* 1.0-rev1 requires it of a VMware object */
	}
	if(!strcmp(platform, "UnstructuredData")) {
		struct uuid host;
		vbr__find_id(r, EK_managedServer, estate_pstr(p, "host"), &host);
		vbr__kuuid(w, "hostId", &host);
	}
	if(r->version >= VBR_V13R2 && estate_phas(p, "sizeBytes"))
		jw_kint(w, "size", estate_pint(p, "sizeBytes", 0));
	jw_obj_end(w);
}

static const struct vbr__efilter object_filters[] = {
	{"platformNameFilter", "platformName", FM_ENUM, 0, platforms},
	{"platformIdFilter", "platformId", FM_UUID, 0, NULL},
	{"typeFilter", "type", FM_TEXT, 0, NULL},
	{"viTypeFilter", "viType", FM_TEXT, 0, NULL},
	{NULL, NULL, 0, 0, NULL},
};
static const struct vbr__eorder object_orders[] = {
	{"Name", "name"}, {"ObjectId", "objectId"}, {"PlatformId", "platformId"}, {"Type", "type"}, {NULL, NULL},
};
static const struct vbr__elist objects = {
	EK_protectedObject, VBR_10, "backup objects are", "backup objects", "backup object", object_filters,
	object_orders, render_object,
};

void vbr__h_objects(struct req *r) { vbr__estate_list(r, &objects, NULL, NULL, NULL); }
void vbr__h_object(struct req *r) { vbr__estate_get(r, &objects); }

/* GET /backups/{id}/objects: the protected objects that the backup's restore points name. */
struct backup_objects {
	struct req *r;
	struct vbr__pick *pick;
	struct buf scratch;
	const char **seen;
	size_t nseen, cap;
};

static int backup_object(void *ctx, const struct estate_rec *point)
{
	struct backup_objects *b = ctx;
	json_t *pp = estate_props(point);
	const char *name = arena_strdup(b->r->arena, estate_pstr(pp, "object"));
	json_decref(pp);
	for(size_t i = 0; name && i < b->nseen; i++)
		if(!strcasecmp(b->seen[i], name))
			return 0;
	struct estate_rec o;
	if(!name || core_estate_find(EK_protectedObject, name, b->r->arena, &o))
		return 0;
	if(b->nseen == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 32;
		const char **s = arena_alloc(b->r->arena, b->cap * sizeof(*s));
		if(b->nseen)
			memcpy(s, b->seen, b->nseen * sizeof(*s));
		b->seen = s;
	}
	b->seen[b->nseen++] = name;
	buf_reset(&b->scratch);
	struct jw w;
	jw_init(&w, &b->scratch);
	json_t *op = estate_props(&o);
	render_object(b->r, &w, &o, op);
	json_decref(op);
	vbr__pick_add(b->pick, b->scratch.p, b->scratch.len);
	return 0;
}

void vbr__h_backup_objects(struct req *r)
{
	struct estate_rec e;
	if(vbr__estate_read(r, &backups, 0, &e))
		return;
	struct backup_objects b = {.r = r};
	if(!(b.pick = vbr__pick_begin(r, NULL, NULL, NULL)))
		return;
	buf_init(&b.scratch, 0);
	struct estate_query q = {.kind = EK_restorePoint, .parent_id = e.id, .after_usn = -1};
	enum rc rc = core_estate_list(&q, r->arena, backup_object, &b, NULL);
	buf_free(&b.scratch);
	vbr__pick_answer(b.pick, rc, "backup objects");
}

/* ---------- restore points (ObjectRestorePointModel) ---------- */

static void render_point(struct req *r, struct jw *w, const struct estate_rec *e, json_t *p)
{
	int fam = vbr__fam(r);
	const char *object = estate_pstr(p, "object"), *type = estate_pstr(p, "pointType");
	const char *platform = vbr__platform(estate_pstr(p, "platform"), r->version);
	jw_obj(w);
	vbr__kuuid(w, "id", &e->id);
	jw_kstr(w, "name", object ? object : e->name);
	jw_kstr(w, "platformName", platform);
	if(fam <= VBR_11)
		jw_kstr(w, "paltformName", platform);   /* the spelling 1.0 and 1.1 require */
	jw_kstr(w, "platformId", NIL_ID);
	vbr__kptime(w, "creationTime", p, "time");
	vbr__kuuid(w, "backupId", &e->parent_id);
	if(fam >= VBR_12) {
		if(type)
			jw_kstr(w, "type", type);
		const char *sid = estate_pstr(p, "sessionId");
		if(sid)
			jw_kstr(w, "sessionId", sid);
	}
	jw_key(w, "allowedOperations");
	jw_arr(w);
	jw_arr_end(w);
	jw_obj_end(w);
}

static const char *const point_types[] = {"Increment", "Full", "Rollback", "Snapshot", "Cdp", "Different", NULL};
static const char *const severities[] = {"None", "Clean", "Suspicious", "Infected", NULL};
static const struct vbr__efilter point_filters[] = {
	{"nameFilter", "name", FM_LIKE, 0, NULL},
	{"createdAfterFilter", "creationTime", FM_AFTER, 0, NULL},
	{"createdBeforeFilter", "creationTime", FM_BEFORE, 0, NULL},
	{"platformNameFilter", "platformName", FM_ENUM, 0, platforms},
	{"platformIdFilter", "platformId", FM_UUID, 0, NULL},
	{"backupIdFilter", "backupId", FM_PARENT, 0, NULL},
	{"malwareStatusFilter", "malwareStatus", FM_ENUM, 1, severities},
	{"typeFilter", "type", FM_ENUM, 1, point_types},
	{NULL, NULL, 0, 0, NULL},
};
static const struct vbr__eorder point_orders[] = {
	{"CreationTime", "creationTime"}, {"PlatformId", "platformId"}, {"BackupId", "backupId"}, {NULL, NULL},
};
static const struct vbr__elist points = {
	EK_restorePoint, VBR_12, "restore points are", "restore points", "restore point", point_filters, point_orders,
	render_point,
};
/* The same, under a backup object (every version). */
static const struct vbr__elist object_points = {
	EK_restorePoint, VBR_10, "restore points are", "restore points", "restore point", point_filters, point_orders,
	render_point,
};
static const struct vbr__efilter by_name = {"", "name", FM_TEXT, 0, NULL};

void vbr__h_points(struct req *r)
{
	if(!vbr__available(r, points.since, points.what))
		return;
	const char *oid = req_query(r, "backupObjectIdFilter");
	if(!oid) {
		vbr__estate_list(r, &points, NULL, NULL, NULL);
		return;
	}
	struct uuid id;
	struct estate_rec o;
	if(uuid_parse(oid, strlen(oid), &id)) {
		vbr__bad(r, "query parameter %s must be a UUID", "backupObjectIdFilter");
		return;
	}
	/* no such object: no restore point shows its name ("" is no object's name) */
	const char *name = core_estate_get(EK_protectedObject, &id, r->arena, &o) ? "" : o.name;
	vbr__estate_list(r, &points, NULL, &by_name, name);
}

void vbr__h_point(struct req *r) { vbr__estate_get(r, &points); }

void vbr__h_object_points(struct req *r)
{
	struct estate_rec o;
	if(vbr__estate_read(r, &objects, 0, &o))
		return;
	vbr__estate_list(r, &object_points, NULL, &by_name, o.name);
}

/* ---------- replicas (1.2 and later) ---------- */

static void render_replica(struct req *r, struct jw *w, const struct estate_rec *e, json_t *p)
{
	jw_obj(w);
	vbr__kuuid(w, "id", &e->id);
	jw_kstr(w, "type", r->version >= VBR_V13R2 ? "Snapshot" : "Regular");
	vbr__kuuid(w, "jobId", &e->parent_id);
	jw_kstr(w, "name", e->name);
	jw_kstr(w, "platformName", vbr__platform(estate_pstr(p, "platform"), r->version));
	jw_kstr(w, "platformId", NIL_ID);
	vbr_time(w, "creationTime", e->created_us);
	jw_kstr(w, "state", "Ready");
	jw_obj_end(w);
}

static const struct vbr__efilter replica_filters[] = {
	{"createdAfterFilter", "creationTime", FM_AFTER, 0, NULL},
	{"createdBeforeFilter", "creationTime", FM_BEFORE, 0, NULL},
	{"platformIdFilter", "platformId", FM_UUID, 0, NULL},
	{"jobIdFilter", "jobId", FM_PARENT, 0, NULL},
	{"policyTagFilter", "policyTag", FM_TEXT, 0, NULL},
	{"policyUniqueIdFilter", "policyUniqueId", FM_TEXT, 0, NULL},
	{"stateFilter", "state", FM_TEXT, 0, NULL},
	{NULL, NULL, 0, 0, NULL},
};
static const struct vbr__eorder replica_orders[] = {
	{"Name", "name"}, {"CreationTime", "creationTime"}, {"PlatformId", "platformId"}, {"JobId", "jobId"},
	{"PolicyTag", "policyTag"}, {"State", "state"}, {NULL, NULL},
};
static const struct vbr__elist replicas = {
	EK_replica, VBR_12, "replicas are", "replicas", "replica", replica_filters, replica_orders, render_replica,
};

void vbr__h_replicas(struct req *r) { vbr__estate_list(r, &replicas, NULL, NULL, NULL); }
void vbr__h_replica(struct req *r) { vbr__estate_get(r, &replicas); }
