/* VB for Azure: a JobSession on the wire — in JSON, and as a CSV or XML row of an
 * export. Info blocks kept in a session's extra JSON are reduced to the schema's
 * properties: a value of the wrong type is never shown. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/vbaz/vbaz.h"
#include "model/catalog.h"
#include "core/core.h"
#include "util/timefmt.h"
#include "util/xw.h"

static int64_t duration_of(const struct sess_rec *s, int64_t now)
{
	int64_t stop = s->end_us ? s->end_us : now;
	return stop > s->creation_us ? stop - s->creation_us : 0;
}


/* ---------- info blocks ---------- */

enum pkind { P_STR, P_UUID, P_INT, P_BOOL, P_TIME, P_ENUM, P_FLR };

struct prop {
	const char *name;
	enum pkind kind;
	const char *const *values;    /* P_ENUM: allowed values, NULL-terminated */
	int since;                    /* first API version with the property (v1 has no policyType) */
};

static const char *const policy_types[] = {
	"VirtualMachines", "AzureSql", "FileShares", "Unknown", "CosmosDb", "ProtectionVmPolicy", "Vnet", NULL,
};
static const char *const priorities[] = {"Normal", "High", "Unknown", NULL};

static const struct prop backup_props[] = {
	{"policyId", P_UUID, NULL, 0}, {"policyName", P_STR, NULL, 0}, {"policyType", P_ENUM, policy_types, AZ_V2},
	{"protectedInstancesCount", P_INT, NULL, 0}, {"policyRemoved", P_BOOL, NULL, 0}, {NULL, 0, NULL, 0},
};
static const struct prop health_props[] = {
	{"policyId", P_UUID, NULL, 0}, {"policyName", P_STR, NULL, 0}, {"checkedInstancesCount", P_INT, NULL, 0},
	{"policyRemoved", P_BOOL, NULL, 0}, {NULL, 0, NULL, 0},
};
static const struct prop restore_props[] = {
	{"reason", P_STR, NULL, 0}, {"backupPolicyDisplayName", P_STR, NULL, 0}, {NULL, 0, NULL, 0},
};
static const struct prop flr_props[] = {
	{"initiator", P_STR, NULL, 0}, {"reason", P_STR, NULL, 0}, {"flrLink", P_FLR, NULL, 0}, {"vmId", P_STR, NULL, 0},
	{"vmName", P_STR, NULL, 0}, {"backupPolicyDisplayName", P_STR, NULL, 0},
	{"restorePointCreatedDateUtc", P_TIME, NULL, 0}, {"isFlrSessionReady", P_BOOL, NULL, 0}, {NULL, 0, NULL, 0},
};
static const struct prop share_flr_props[] = {
	{"initiator", P_STR, NULL, 0}, {"reason", P_STR, NULL, 0}, {"flrLink", P_FLR, NULL, 0},
	{"fileShareId", P_STR, NULL, 0}, {"fileShareName", P_STR, NULL, 0}, {"backupPolicyDisplayName", P_STR, NULL, 0},
	{"restorePointCreatedDateUtc", P_TIME, NULL, 0}, {NULL, 0, NULL, 0},
};
static const struct prop repository_props[] = {
	{"repositoryId", P_STR, NULL, 0}, {"repositoryName", P_STR, NULL, 0}, {"repositoryRemoved", P_BOOL, NULL, 0},
	{NULL, 0, NULL, 0},
};
static const struct prop retrieval_props[] = {
	{"restorePointId", P_UUID, NULL, 0}, {"sqlRestorePointId", P_UUID, NULL, 0},
	{"cosmosDbRestorePointId", P_UUID, NULL, 0}, {"initiator", P_STR, NULL, 0}, {"instanceName", P_STR, NULL, 0},
	{"daysToKeep", P_INT, NULL, 0}, {"dataRetrievalPriority", P_ENUM, priorities, 0}, {NULL, 0, NULL, 0},
};
static const struct prop retention_props[] = {
	{"deletedRestorePointsCount", P_INT, NULL, 0}, {NULL, 0, NULL, 0},
};

/* The JobSession info blocks in v8.1 schema order; v1 documents four of them. */
static const struct block {
	const char *name;
	const struct prop *props;
	int since;
} blocks[] = {
	{"backupJobInfo", backup_props, AZ_V1},
	{"healthCheckJobInfo", health_props, AZ_V2},
	{"restoreJobInfo", restore_props, AZ_V1},
	{"fileLevelRestoreJobInfo", flr_props, AZ_V1},
	{"fileShareFileLevelRestoreJobInfo", share_flr_props, AZ_V2},
	{"repositoryJobInfo", repository_props, AZ_V1},
	{"restorePointDataRetrievalJobInfo", retrieval_props, AZ_V2},
	{"retentionJobInfo", retention_props, AZ_V2},
};
#define NBLOCKS (sizeof(blocks) / sizeof(blocks[0]))

static const char *const flr_link_props[] = {"url", "thumbprint"};

/* The value of one property as text when it is present and fits its schema; NULL
 * otherwise (absent, null, or of the wrong type: never shown). tmp holds 40 bytes. */
static const char *prop_text(const struct prop *p, json_t *v, char *tmp, int *is_str)
{
	*is_str = 1;
	if(!v || json_is_null(v))
		return NULL;
	switch(p->kind) {
	case P_STR:
		return json_is_string(v) ? json_string_value(v) : NULL;
	case P_UUID: {
		struct uuid u;
		if(!json_is_string(v) || uuid_parse(json_string_value(v), json_string_length(v), &u))
			return NULL;
		uuid_format(&u, tmp);
		return tmp;
	}
	case P_TIME: {
		int64_t us;
		if(!json_is_string(v) || time_parse(json_string_value(v), json_string_length(v), &us))
			return NULL;
		time_format(us, VBAZ_TIME_DIGITS, tmp);
		return tmp;
	}
	case P_ENUM:
		if(!json_is_string(v))
			return NULL;
		for(const char *const *e = p->values; *e; e++)
			if(!strcmp(*e, json_string_value(v)))
				return *e;
		return NULL;
	case P_INT:
		*is_str = 0;
		if(!json_is_integer(v) || json_integer_value(v) < -2147483648LL || json_integer_value(v) > 2147483647LL)
			return NULL;
		snprintf(tmp, 40, "%lld", (long long)json_integer_value(v));
		return tmp;
	case P_BOOL:
		*is_str = 0;
		return json_is_boolean(v) ? (json_is_true(v) ? "true" : "false") : NULL;
	case P_FLR:
		return NULL;
	}
	return NULL;
}

/* What a walk over one info block calls: open and close around the block and around
 * an flrLink object (present 0 when it is absent: CSV still has their columns), value
 * for every property in schema order, text NULL when absent or not as the schema says. */
struct block_sink {
	void (*open)(void *ctx, const char *name, int present);
	void (*value)(void *ctx, const char *name, const char *text, int is_str);
	void (*close)(void *ctx, int present);
	void *ctx;
};

static void walk_block(const struct block *b, json_t *obj, int version, const struct block_sink *k)
{
	int present = json_is_object(obj);
	k->open(k->ctx, b->name, present);
	for(const struct prop *p = b->props; p->name; p++) {
		if(version < p->since)
			continue;
		json_t *v = present ? json_object_get(obj, p->name) : NULL;
		if(p->kind == P_FLR) {
			int has = json_is_object(v);
			k->open(k->ctx, p->name, has);
			for(size_t i = 0; i < 2; i++) {
				json_t *sv = has ? json_object_get(v, flr_link_props[i]) : NULL;
				k->value(k->ctx, flr_link_props[i], json_is_string(sv) ? json_string_value(sv) : NULL, 1);
			}
			k->close(k->ctx, has);
			continue;
		}
		char tmp[40];
		int is_str;
		const char *t = prop_text(p, v, tmp, &is_str);
		k->value(k->ctx, p->name, t, is_str);
	}
	k->close(k->ctx, present);
}

static void json_open(void *ctx, const char *name, int present)
{
	if(present) {
		jw_key(ctx, name);
		jw_obj(ctx);
	}
}

static void json_value(void *ctx, const char *name, const char *text, int is_str)
{
	if(!text)
		return;
	jw_key(ctx, name);
	if(is_str)
		jw_str(ctx, text);
	else
		jw_raw(ctx, text, strlen(text));
}

static void json_close(void *ctx, int present)
{
	if(present)
		jw_obj_end(ctx);
}

/* The policy type a policy session's workload gives, by the prefix of its v8.1
 * JobSessionType value; the first row whose prefix matches wins. */
static const struct {
	const char *prefix;
	const char *policy_type;
} policy_types_of[] = {
	{"Sql", "AzureSql"}, {"FileShare", "FileShares"}, {"Vnet", "Vnet"}, {"PostgresDb", "CosmosDb"},
	{"MongoDb", "CosmosDb"}, {"", "VirtualMachines"},
};

const char *vbaz__policy_type(const struct sess_rec *s)
{
	return vbaz__policy_type_of(s->type);
}

const char *vbaz__policy_type_of(int type)
{
	const char *t = vbaz__az_type(type, AZ_V81);
	if(!strstr(t, "Policy"))
		return NULL;
	for(size_t i = 0; i < sizeof(policy_types_of) / sizeof(policy_types_of[0]); i++)
		if(!strncmp(t, policy_types_of[i].prefix, strlen(policy_types_of[i].prefix)))
			return policy_types_of[i].policy_type;
	return NULL;
}

/* The info blocks of a session: those of its extra JSON, and for a policy session a
 * backupJobInfo completed from its job (policyId is the job id, which PolicyId filters
 * on; policyName the job name; policyType by workload, also in place of a value that is
 * no PolicyType; policyRemoved false). */
static json_t *parse_extra(const struct sess_rec *s)
{
	json_t *x = s->extra ? json_loads(s->extra, 0, NULL) : NULL;
	if(x && !json_is_object(x)) {
		json_decref(x);
		x = NULL;
	}
	const char *ptype = vbaz__policy_type(s);
	if(!ptype)
		return x;
	if(!x)
		x = json_object();
	json_t *b = json_object_get(x, "backupJobInfo");
	if(!json_is_object(b)) {
		b = json_object();
		json_object_set_new(x, "backupJobInfo", b);
	}
	char id[UUID_STR_LEN + 1];
	uuid_format(&s->job_id, id);
	json_object_set_new(b, "policyId", json_string(id));
	const char *name = s->job_name && *s->job_name ? s->job_name : s->name;
	if(!json_is_string(json_object_get(b, "policyName")) && name)
		json_object_set_new(b, "policyName", json_string(name));
	json_t *pt = json_object_get(b, "policyType");
	int known = 0;
	for(const char *const *e = policy_types; json_is_string(pt) && *e; e++)
		known |= !strcmp(*e, json_string_value(pt));
	if(!known)
		json_object_set_new(b, "policyType", json_string(ptype));
	if(!json_is_boolean(json_object_get(b, "policyRemoved")))
		json_object_set_new(b, "policyRemoved", json_false());
	return x;
}

/* ---------- JobSession ---------- */

static void link(struct jw *w, const char *key, const char *base, const char *id, const char *tail)
{
	struct buf b;
	buf_init(&b, 0);
	buf_printf(&b, "%s/jobSessions/%s%s", base, id, tail);
	jw_key(w, key);
	jw_obj(w);
	jw_kstr(w, "href", buf_cstr(&b));
	jw_obj_end(w);
	buf_free(&b);
}

void vbaz__render_session(struct jw *w, const struct sess_rec *s, const struct vbaz__render_ctx *c)
{
	char id[UUID_STR_LEN + 1];
	uuid_format(&s->id, id);
	jw_obj(w);
	jw_kstr(w, "id", id);
	jw_kstr(w, "type", vbaz__az_type(s->type, c->version));
	jw_kstr(w, "localizedType", catalog_type_az_label(s->type));
	vbaz__ktime(w, "executionStartTime", s->creation_us);
	if(s->end_us)
		vbaz__ktime(w, "executionStopTime", s->end_us);
	else
		jw_knull(w, "executionStopTime");
	vbaz__kspan(w, "executionDuration", duration_of(s, c->now));
	jw_kstr(w, "status", catalog_az_status(s->state, s->result, s->is_canceled, s->stop_requested));
	if(c->version == AZ_V1)
		jw_kint(w, "usn", s->usn);
	json_t *x = parse_extra(s);
	struct block_sink k = {json_open, json_value, json_close, w};
	for(size_t i = 0; x && i < NBLOCKS; i++) {
		json_t *b = json_object_get(x, blocks[i].name);
		if(c->version >= blocks[i].since && json_is_object(b))
			walk_block(&blocks[i], b, c->version, &k);
	}
	json_decref(x);
	jw_key(w, "_links");
	jw_obj(w);
	link(w, "self", c->base, id, "");
	link(w, "log", c->base, id, "/log");
	jw_obj_end(w);
	jw_obj_end(w);
}

/* ---------- CSV and XML rows ---------- */

static void csv_field(struct buf *b, const char *s)
{
	if(!s)
		return;
	if(!strpbrk(s, ",\"\r\n")) {
		buf_addstr(b, s);
		return;
	}
	buf_addc(b, '"');
	for(const char *p = s; *p; p++) {
		if(*p == '"')
			buf_addc(b, '"');
		buf_addc(b, *p);
	}
	buf_addc(b, '"');
}

static const char *const base_columns[] = {
	"id", "type", "localizedType", "executionStartTime", "executionStopTime", "executionDuration", "status",
};
#define NBASE (sizeof(base_columns) / sizeof(base_columns[0]))

/* The CSV header: every block property as block.prop (block.flrLink.url). */
struct csv_names {
	struct buf *b;
	const char *path[2];
	int depth;
};

static void name_open(void *ctx, const char *name, int present)
{
	struct csv_names *n = ctx;
	n->path[n->depth++] = name;
}

static void name_value(void *ctx, const char *name, const char *text, int is_str)
{
	struct csv_names *n = ctx;
	for(int i = 0; i < n->depth; i++)
		buf_printf(n->b, "%c%s", i ? '.' : ',', n->path[i]);
	buf_printf(n->b, ".%s", name);
}

static void name_close(void *ctx, int present)
{
	struct csv_names *n = ctx;
	n->depth--;
}

void vbaz__csv_header(struct buf *b)
{
	for(size_t i = 0; i < NBASE; i++) {
		if(i)
			buf_addc(b, ',');
		buf_addstr(b, base_columns[i]);
	}
	struct csv_names n = {.b = b};
	struct block_sink k = {name_open, name_value, name_close, &n};
	for(size_t i = 0; i < NBLOCKS; i++)
		walk_block(&blocks[i], NULL, AZ_V81, &k);
	buf_addstr(b, "\r\n");
}

/* The base column values of a session (static or in the caller's arrays). */
static void base_values(const struct sess_rec *s, const struct vbaz__render_ctx *c, const char *v[NBASE],
                        char id[UUID_STR_LEN + 1], char start[TIME_STR_MAX], char stop[TIME_STR_MAX], char span[40])
{
	uuid_format(&s->id, id);
	time_format(s->creation_us, VBAZ_TIME_DIGITS, start);
	if(s->end_us)
		time_format(s->end_us, VBAZ_TIME_DIGITS, stop);
	timespan_format(duration_of(s, c->now), span);
	v[0] = id;
	v[1] = vbaz__az_type(s->type, c->version);
	v[2] = catalog_type_az_label(s->type);
	v[3] = start;
	v[4] = s->end_us ? stop : NULL;
	v[5] = span;
	v[6] = catalog_az_status(s->state, s->result, s->is_canceled, s->stop_requested);
}

static void csv_open(void *ctx, const char *name, int present) {}
static void csv_close(void *ctx, int present) {}

static void csv_value(void *ctx, const char *name, const char *text, int is_str)
{
	buf_addc(ctx, ',');
	csv_field(ctx, text);
}

static void xml_open(void *ctx, const char *name, int present)
{
	if(present)
		xw_start(ctx, name);
}

static void xml_value(void *ctx, const char *name, const char *text, int is_str)
{
	xw_elem(ctx, name, text);
}

static void xml_close(void *ctx, int present)
{
	if(present)
		xw_end(ctx);
}

void vbaz__csv_row(struct buf *b, const struct sess_rec *s, const struct vbaz__render_ctx *c)
{
	const char *v[NBASE];
	char id[UUID_STR_LEN + 1], start[TIME_STR_MAX], stop[TIME_STR_MAX], span[40];
	base_values(s, c, v, id, start, stop, span);
	for(size_t i = 0; i < NBASE; i++) {
		if(i)
			buf_addc(b, ',');
		csv_field(b, v[i]);
	}
	json_t *x = parse_extra(s);
	struct block_sink k = {csv_open, csv_value, csv_close, b};
	for(size_t i = 0; i < NBLOCKS; i++)
		walk_block(&blocks[i], x ? json_object_get(x, blocks[i].name) : NULL, c->version, &k);
	json_decref(x);
	buf_addstr(b, "\r\n");
}

void vbaz__xml_row(struct xw *w, const struct sess_rec *s, const struct vbaz__render_ctx *c)
{
	const char *v[NBASE];
	char id[UUID_STR_LEN + 1], start[TIME_STR_MAX], stop[TIME_STR_MAX], span[40];
	base_values(s, c, v, id, start, stop, span);
	xw_start(w, "JobSession");
	for(size_t i = 0; i < NBASE; i++)
		xw_elem(w, base_columns[i], v[i]);
	json_t *x = parse_extra(s);
	struct block_sink k = {xml_open, xml_value, xml_close, w};
	for(size_t i = 0; x && i < NBLOCKS; i++) {
		json_t *blk = json_object_get(x, blocks[i].name);
		if(json_is_object(blk))
			walk_block(&blocks[i], blk, c->version, &k);
	}
	json_decref(x);
	xw_end(w);
}
